// Phrases offices actually type, through the whole bot: each reaches the command it means (its reply is that
// command's, never "没听懂"), in a direct chat. Between colleagues in a group the same words stay unanswered.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../support/office.ts";
import { setupOffice } from "../support/roster.ts";

const NOT_UNDERSTOOD = "没听懂这句话。发送“帮助”或 /help 查看可用命令。";

describe("the phrasebook", () => {
  let office: Office;
  const clock = new TestClock(new Date("2026-11-25T10:00:00+08:00")); // a Wednesday morning
  beforeAll(async () => {
    office = await openOffice("pglite", { clock });
    const join = await setupOffice(office.chat);
    await join("li", "李明", "member", "党政办", "王主任");
  });
  afterAll(async () => office?.close());

  // [who, what they type, what the first reply starts with or contains]
  const phrases: Array<[string, string, string | RegExp]> = [
    ["li", "明天下午三点提醒我开会", /^好的，将在 11月26日\(周四\) 15:00 提醒你：开会/],
    ["li", "每个工作日早上8点半提醒我打卡", /每个工作日 08:30/],
    ["li", "提醒我 下班前 交日报", /11月25日\(周三\) 18:00 提醒你：交日报/],
    ["li", "提醒 12/3 交报表", /12月3日\(周四\) 09:00 提醒你：交报表/],
    ["li", "我要请假 明天下午 家里有事", /^已提交请假申请 #\d+/],
    ["li", "请病假 12月2日 发烧", /^已提交请假申请 #\d+.*\n病假/s],
    ["li", "我的申请", /^我的申请：/],
    ["wang", "待审批", /^待你审批（2项）：/],
    ["li", "我的待办", "没有待你回复的文件。"],
    ["li", "我的假期", /没有为你设置假期额度/],
    ["wang", "今天谁请假", "今天没有人请假。"],
    ["wang", "通知 关于报送材料的通知，发给党政办，截止周五下班前", /^请确认通知：\n标题：关于报送材料的通知\n发给：党政办（共 1 人）\n截止：11月27日\(周五\) 18:00/],
    ["wang", "帮我发通知 冬季防火 发给 党政办 截止 周五", /^请确认通知：\n标题：冬季防火/],
    ["wang", "我是谁", /^王主任（#1）/],
    ["wang", "通讯录", /党政办/],
  ];
  it.each(phrases)("%s: %s", async (who, text, expected) => {
    const [reply] = await office.chat.say(who, text);
    expect(reply).not.toBe(NOT_UNDERSTOOD);
    if (typeof expected === "string") expect(reply).toContain(expected);
    else expect(reply).toMatch(expected);
  });

  it("leaves the same words between colleagues in a group unanswered", async () => {
    for (const text of ["明天下午三点提醒我开会", "我要请假", "请病假", "收到", "好的"]) {
      expect(await office.chat.say("li", text, undefined, "党政办工作群"), text).toEqual([]);
    }
  });
});
