// Composing a circular as a newcomer would: one preview per draft (an old preview's button never publishes
// a newer draft), a guided conversation that checks each answer as it is given, the author never among
// the recipients, and the limits and warnings a preview shows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sent } from "../../support/test-adapter.ts";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

describe("composing a circular", () => {
  let office: Office;
  // Wednesday 2 December 2026, 10:00 in the office.
  const clock = new TestClock(new Date("2026-12-02T10:00:00+08:00"));
  beforeAll(async () => {
    office = await openOffice("postgres", { clock });
    const join = await setupOffice(office.chat);
    await join("zhou", "周秘书", "secretary", "党政办", "王主任");
    await join("li", "李明", "member", "党政办", "王主任");
    await join("zhang", "张伟", "member", "综治办", "王主任");
  });
  afterAll(async () => office?.close());

  const chat = () => office.chat;
  const prisma = () => office.runtime.app.prisma;
  const previews = () => chat().inbox("zhou").filter((m) => m.text.startsWith("请确认"));
  /** The preview's buttons as first sent (a pressed preview is edited to none; a stale chat still shows them). */
  const keep = (sent: Sent): Sent => ({ ...sent, buttons: [...sent.buttons] });
  /** Presses the button `action` on the preview `sent` itself (not merely the newest such button). */
  const pressOn = (sent: Sent, action: string) => {
    const button = sent.buttons.find((b) => b.action === action)!;
    return chat().deliver({
      kind: "action", action, value: button.value, messageRef: sent.ref,
      user: { platform: "console", id: "zhou", name: "zhou" }, chat: { platform: "console", id: "zhou", kind: "direct" },
    });
  };

  it("an older preview's buttons say they are out of date and publish nothing", async () => {
    await chat().say("zhou", "通知 材料A 发给 李明 截止 周五");
    const a = keep(previews().at(-1)!);
    expect(a.text).toContain("发给：李明（共 1 人）");
    await chat().say("zhou", "通知 材料B 发给 张伟 截止 周五");
    const b = keep(previews().at(-1)!);
    expect(b.text).toContain("发给：张伟（共 1 人）");

    expect(await pressOn(a, "circular.publish")).toEqual(["这个预览已过期：你之后又起草了一份。请用最新预览上的按钮，或重新起草。"]);
    expect(await pressOn(a, "circular.discard")).toEqual(["这个预览已过期：你之后又起草了一份。请用最新预览上的按钮，或重新起草。"]);
    expect(await prisma().circular.count()).toBe(0);

    const [published] = await pressOn(b, "circular.publish");
    expect(published).toMatch(/^已发布 通知〔2026〕1号（#1），共 1 人。/);
    await chat().waitFor("zhang", "材料B");
    expect(chat().inbox("li").filter((m) => m.text.includes("材料"))).toEqual([]);
    // Pressed again (a double tap, or the old preview once more): nothing more is published.
    expect(await pressOn(b, "circular.publish")).toEqual(["没有待发布的草稿，可能已经发布或取消。"]);
    expect(await pressOn(a, "circular.publish")).toEqual(["没有待发布的草稿，可能已经发布或取消。"]);
    expect(await prisma().circular.count()).toBe(1);
  });

  it("a bare 通知 asks for the title and the text, checking each answer as it is given", async () => {
    expect(await chat().say("zhou", "通知")).toEqual(["标题是什么？（发送“取消”放弃）"]);
    expect(await chat().say("zhou", "冬季防火安全检查")).toEqual(["内容（正文）是什么？没有就写“无”。"]);
    expect(await chat().say("zhou", "请各单位于周五前完成自查")).toEqual([expect.stringContaining("发给谁？")]);
    // An unknown name is refused at once, and the same question comes again.
    expect(await chat().say("zhou", "宣传办")).toEqual([expect.stringMatching(/宣传办[\s\S]*\n发给谁？/)]);
    expect(await chat().say("zhou", "综治办")).toEqual([expect.stringContaining("截止时间？")]);
    // A place typed where a time was asked: refused, and the answers do not drift a question out of step.
    expect(await chat().say("zhou", "三楼会议室")).toEqual([expect.stringMatching(/^没看懂时间“三楼会议室”.*\n截止时间？/s)]);
    const [preview] = await chat().say("zhou", "周五");
    expect(preview).toContain("标题：冬季防火安全检查");
    expect(preview).toContain("内容：请各单位于周五前完成自查");
    expect(preview).toContain("发给：综治办（共 1 人）");
    expect(preview).toContain("截止：12月4日(周五) 18:00");
    // 取消 works at the preview too.
    expect(await chat().say("zhou", "取消")).toEqual(["已取消，没有发出任何内容。"]);
    expect(await prisma().circularDraft.count()).toBe(0);
  });

  it("an answer that starts with a command word is the answer, not that command", async () => {
    await chat().say("zhou", "通知");
    expect(await chat().say("zhou", "请假制度 说明")).toEqual(["内容（正文）是什么？没有就写“无”。"]);
    expect(await chat().say("zhou", "提醒 各村做好防火检查")).toEqual([expect.stringContaining("发给谁？")]);
    expect(await prisma().reminder.count()).toBe(0);
    const [preview] = await chat().say("zhou", "李明");
    expect(preview).toContain("截止时间？");
    const [shown] = await chat().say("zhou", "周五");
    expect(shown).toContain("标题：请假制度 说明");
    expect(shown).toContain("内容：提醒 各村做好防火检查");
    // A /command still runs while a question is open.
    expect((await chat().say("zhou", "/whoami"))[0]).toContain("周秘书");
    await chat().say("zhou", "取消");
  });

  it("checks what a one-line draft already says before asking for what it lacks", async () => {
    expect(await chat().say("zhou", "通知 测试 发给 党正办")).toEqual([expect.stringMatching(/党正办[\s\S]*\n发给谁？/)]);
    expect(await chat().say("zhou", "党政办")).toEqual([expect.stringContaining("截止时间？")]);
    await chat().say("zhou", "取消");
  });

  it("a bare 会议 asks the same way; 无 leaves the text empty; a place where the time was asked is re-asked", async () => {
    expect(await chat().say("zhou", "会议")).toEqual(["标题是什么？（发送“取消”放弃）"]);
    await chat().say("zhou", "党政办周例会");
    expect(await chat().say("zhou", "无")).toEqual([expect.stringContaining("发给谁？")]);
    expect(await chat().say("zhou", "党政办")).toEqual(["会议时间？例如：明天上午9点、下周一14:30。"]);
    expect(await chat().say("zhou", "三楼会议室")).toEqual([expect.stringMatching(/^没看懂时间“三楼会议室”.*\n会议时间？/s)]);
    expect(await chat().say("zhou", "明天上午9点")).toEqual(["会议地点？"]);
    const [preview] = await chat().say("zhou", "三楼会议室");
    expect(preview).toContain("时间：12月3日(周四) 09:00");
    expect(preview).toContain("地点：三楼会议室");
    expect(preview).not.toContain("内容：");
    // English "cancel" drops a draft too (it is also the name of the command that withdraws a circular).
    expect(await chat().say("zhou", "cancel")).toEqual(["已取消，没有发出任何内容。"]);
  });

  it("never counts the author among the recipients, nor lists or chases them", async () => {
    // 周秘书 is in 党政办, and 全体 includes everyone: neither puts the author in their own audience.
    const [preview] = await chat().say("zhou", "通知 党政办内部通知 发给 党政办 截止 周五");
    expect(preview).toContain("发给：党政办（共 1 人）"); // 李明; not 周秘书
    const [published] = await chat().press("zhou", "circular.publish");
    const id = Number(/（#(\d+)）/.exec(published!)![1]);
    const receipts = await prisma().receipt.findMany({ where: { circularId: id }, include: { person: true } });
    expect(receipts.map((r) => r.person.name)).toEqual(["李明"]);
    const [status] = await chat().say("zhou", `状态 ${id}`);
    expect(status).toContain("已回复 0/1");
    expect(status).not.toContain("周秘书");
    expect((await chat().say("zhou", "通知 全体通知 发给 全体 截止 周五"))[0]).toContain("（共 3 人）"); // 王主任, 李明, 张伟
    expect(await chat().say("zhou", "通知 只给自己 发给 周秘书 截止 周五")).toEqual([expect.stringMatching(/^按这个范围找不到任何人[\s\S]*\n发给谁？/)]);
    await chat().say("zhou", "取消");
  });

  it("refuses a title over 200 characters, saying the limit, and asks for it again", async () => {
    const long = "关于".repeat(101); // 202 characters
    expect(await chat().say("zhou", `通知 ${long} 发给 李明 截止 周五`)).toEqual([
      "标题最多 200 个字，这个有 202 个字。较长的说明请写在内容里。\n标题是什么？（发送“取消”放弃）",
    ]);
    const [preview] = await chat().say("zhou", "关于报送材料的通知");
    expect(preview).toContain("标题：关于报送材料的通知");
    expect(preview).toContain("发给：李明（共 1 人）"); // the rest of the line was kept
    await chat().say("zhou", "取消");
  });

  it("takes 不催 on its own after the deadline", async () => {
    const [preview] = await chat().say("zhou", "通知 不必催的通知 发给 李明 截止 周五 不催");
    expect(preview).toContain("截止：12月4日(周五) 18:00");
    expect(preview).toContain("催办：不自动催办");
    await chat().say("zhou", "取消");
  });

  it("warns when a meeting's replies are due after it starts", async () => {
    const [late] = await chat().say("zhou", "会议 周四碰头会 时间 明天上午9点 地点 二楼 发给 李明 截止 周五");
    expect(late).toContain("⚠ 回复截止时间晚于会议开始时间");
    const [fine] = await chat().say("zhou", "会议 周四碰头会 时间 明天上午9点 地点 二楼 发给 李明");
    expect(fine).not.toContain("⚠");
    await chat().say("zhou", "取消");
  });
});
