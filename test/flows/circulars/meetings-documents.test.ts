// Meeting notices and documents end to end on real PostgreSQL and Redis: compose, preview with time and
// place (or attachment), publish, respond by button, by /ack with a reason, by delegating (the delegate gets
// their own copy and answers it), sign with a comment, /status, and the English commands.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

/** Chinese punctuation as its ASCII equivalent. */
const asAscii = (text: string) =>
  text.replace(/、/g, ", ").replace(/：/g, ": ").replace(/\s*（/g, " (").replace(/）(?=[^\s,:])/g, ") ").replace(/）/g, ")");

describe("meetings and documents", () => {
  let office: Office;
  // Wednesday 25 November 2026, 10:00 in Shanghai: "明天上午9点" is Thursday 09:00, "3个工作日内" Monday.
  const clock = new TestClock(new Date("2026-11-25T02:00:00Z"));
  const members = [["jia", "甲"], ["yi", "乙"], ["bing", "丙"]] as const;
  beforeAll(async () => {
    office = await openOffice("postgres", { clock });
    const enrol = await setupOffice(office.chat);
    await enrol("zhao", "赵秘书", "secretary", "党政办", "王主任");
    await enrol("liu", "刘秘书", "secretary", "党政办", "王主任");
    await enrol("leader", "陈书记", "leader", "城关镇");
    for (const [id, name] of members) await enrol(id, name, "member", "综治办", "王主任");
    await enrol("ding", "丁", "member", "党政办", "王主任");
  });
  afterAll(async () => office?.close());

  const chat = () => office.chat;
  const prisma = () => office.runtime.app.prisma;

  describe("a meeting notice", () => {
    it("previews time and place, then publishes", async () => {
      const [preview] = await chat().say("zhao", "会议 党委会 时间 明天上午9点 地点 三楼会议室 发给 综治办");
      expect(preview).toBe(
        ["请确认会议通知：", "标题：党委会", "时间：11月26日(周四) 09:00", "地点：三楼会议室", "发给：综治办（共 3 人）", "截止：11月26日(周四) 09:00"].join("\n"),
      );
      expect(chat().inbox("zhao").at(-1)!.buttons.map((b) => b.label)).toEqual(["✓ 发布", "取消"]);
      expect(await chat().press("zhao", "circular.publish")).toEqual(["已发布 会议〔2026〕1号（#1），共 3 人。发送“状态 1”查看回执。"]);
    });

    it("reaches each recipient with 参加 and 不参加 buttons", async () => {
      for (const [id] of members) {
        const got = await chat().waitFor(id, "【会议通知】会议〔2026〕1号（#1）");
        expect(got.text).toBe(
          ["【会议通知】会议〔2026〕1号（#1）", "党委会", "时间：11月26日(周四) 09:00", "地点：三楼会议室", "截止：11月26日(周四) 09:00", "发文：赵秘书（党政办）"].join("\n"),
        );
        expect(got.buttons).toEqual([
          { label: "参加", action: "circular.attend", value: "1" },
          { label: "不参加", action: "circular.decline", value: "1" },
        ]);
      }
    });

    it("takes 参加 by button, 不参加 with a reason by /ack or 回复, and 委派 to someone", async () => {
      expect(await chat().press("jia", "circular.attend")).toEqual(["已记录：参加（会议〔2026〕1号）"]);
      expect(await chat().say("yi", "/ack 1 不参加 在县里开会")).toEqual(["已记录：不参加（会议〔2026〕1号）"]);
      expect(await chat().say("yi", "回复 1 不参加 在县里开会，请假一天")).toEqual(["已更新为：不参加（会议〔2026〕1号）"]);
      expect(await chat().say("bing", "回复 1 委派 丁")).toEqual(["已记录：委派（会议〔2026〕1号）"]);
    });

    it("sends the delegate their own copy, which they can answer", async () => {
      const got = await chat().waitFor("ding", "【会议通知】会议〔2026〕1号（#1）");
      expect(got.text).toContain("时间：11月26日(周四) 09:00\n地点：三楼会议室");
      expect(got.buttons.map((b) => b.action)).toEqual(["circular.attend", "circular.decline"]);
      const delivery = () => prisma().receipt.findFirstOrThrow({ where: { circularId: 1, person: { name: "丁" } } }).then((r) => r.delivery);
      await expect.poll(delivery).toBe("sent"); // the copy is sent before its receipt is marked
      expect(await chat().press("ding", "circular.attend")).toEqual(["已记录：参加（会议〔2026〕1号）"]);
    });

    it("shows in /status who attends, who declines and why, and whom a place was delegated to", async () => {
      const [status] = await chat().say("zhao", "/status 1");
      expect(status).toBe(
        [
          "会议〔2026〕1号（#1）党委会",
          "已回复 4/4",
          "已回复：",
          "  党政办：丁（参加）",
          "  综治办：甲（参加）、乙（不参加）：在县里开会，请假一天、丙（委派 丁）",
        ].join("\n"),
      );
    });

    it("refuses what a meeting does not take", async () => {
      expect(await chat().say("jia", "回复 1 委派")).toEqual(["请写明委派给谁，例如：回复 12 委派 李明"]);
      expect(await chat().say("jia", "回复 1 委派 甲")).toEqual(["不能委派给自己。"]);
      expect(await chat().say("jia", "回复 1 委派 无名氏")).toEqual(["名册中没有“无名氏”。"]);
    });

    it("withdraws an earlier delegate's copy when the delegation changes, unless they answered", async () => {
      await chat().say("jia", "回复 1 委派 刘秘书");
      await chat().waitFor("liu", "【会议通知】会议〔2026〕1号（#1）");
      const hasReceipt = (name: string) => prisma().receipt.count({ where: { circularId: 1, person: { name } } });
      expect(await hasReceipt("刘秘书")).toBe(1);
      await chat().say("jia", "回复 1 委派 陈书记");
      expect(await hasReceipt("刘秘书")).toBe(0); // not a recipient in their own right, had not answered
      expect(await hasReceipt("陈书记")).toBe(1);
      await chat().say("jia", "回复 1 参加");
      expect(await hasReceipt("陈书记")).toBe(0);
      await chat().say("bing", "回复 1 参加"); // 丁 had already answered: their reply stays on record
      expect(await hasReceipt("丁")).toBe(1);
    });

    // A response word of another kind is refused, not kept as a comment on this kind's first response:
    // "收到" (just "noted") to a meeting must not turn 不参加 into 参加.
    it("refuses a response word that belongs to another kind instead of recording 参加", async () => {
      expect(await chat().say("yi", "回复 1 收到")).toEqual(["会议〔2026〕1号（#1）不能用“收到”回复，请回复：参加、不参加或委派。"]);
      expect(await prisma().receipt.findFirstOrThrow({ where: { circularId: 1, person: { name: "乙" } } })).toMatchObject({ response: "decline" });
    });
  });

  describe("a document to sign", () => {
    it("previews the attachment and the working-day deadline, then publishes with a 签阅 button", async () => {
      const [preview] = await chat().say("zhao", "传阅 2026年工作要点 附件 https://example.gov.cn/a.pdf 发给 综治办 截止 3个工作日内");
      expect(preview).toBe(
        ["请确认传阅件：", "标题：2026年工作要点", "附件：https://example.gov.cn/a.pdf", "发给：综治办（共 3 人）", "截止：11月30日(周一) 18:00"].join("\n"),
      );
      expect(await chat().press("zhao", "circular.publish")).toEqual(["已发布 传阅〔2026〕1号（#2），共 3 人。发送“状态 2”查看回执。"]);
      for (const [id] of members) {
        const got = await chat().waitFor(id, "【传阅件】传阅〔2026〕1号（#2）");
        expect(got.text).toContain("2026年工作要点\n附件：https://example.gov.cn/a.pdf\n截止：11月30日(周一) 18:00");
        expect(got.buttons).toEqual([{ label: "签阅", action: "circular.signed", value: "2" }]);
      }
    });

    it("is signed by button or with a comment, and /status shows the comment", async () => {
      expect(await chat().press("jia", "circular.signed")).toEqual(["已记录：签阅（传阅〔2026〕1号）"]);
      expect(await chat().say("yi", "回复 2 签阅 同意")).toEqual(["已记录：签阅（传阅〔2026〕1号）"]);
      const [status] = await chat().say("zhao", "状态 2");
      expect(status).toBe(["传阅〔2026〕1号（#2）2026年工作要点", "已回复 2/3", "已回复：", "  综治办：甲、乙：同意", "未回复：", "  综治办：丙"].join("\n"));
    });

    // The same for documents: "不参加" must not be recorded as 签阅 with the comment "不参加".
    it("refuses a meeting's 不参加 instead of recording 签阅", async () => {
      expect(await chat().say("bing", "回复 2 不参加")).toEqual(["传阅〔2026〕1号（#2）不能用“不参加”回复，请回复：签阅。"]);
      expect(await prisma().receipt.findFirstOrThrow({ where: { circularId: 2, person: { name: "丙" } } })).toMatchObject({ response: null, respondedAt: null });
    });
  });

  describe("in English", () => {
    it("composes and publishes /meeting with --at, --place and --to for someone who chose English", async () => {
      expect(await chat().say("liu", "/lang en")).toEqual(["Language set to English."]);
      expect(await chat().say("bing", "/lang en")).toEqual(["Language set to English."]);
      const [preview] = await chat().say("liu", "/meeting Party committee --at tomorrow 9am --place Room 301 --to 综治办");
      expect(preview).toBe(
        ["Please confirm this Meeting notice:", "Title: Party committee", "When: Thu 26 Nov 09:00", "Where: Room 301", "To: 综治办 (3 people)", "Due: Thu 26 Nov 09:00"].join("\n"),
      );
      expect(await chat().press("liu", "circular.publish")).toEqual(["Published Meeting 2026/2 (#3) to 3 people. Send /status 3 to see receipts."]);
    });

    it("reaches each recipient in their own language and takes English replies", async () => {
      const zh = await chat().waitFor("jia", "会议〔2026〕2号（#3）");
      expect(zh.text).toContain("Party committee\n时间：11月26日(周四) 09:00\n地点：Room 301");
      expect(zh.buttons.map((b) => b.label)).toEqual(["参加", "不参加"]);
      const en = await chat().waitFor("bing", "Meeting 2026/2");
      expect(en.text).toContain("Party committee\nWhen: Thu 26 Nov 09:00\nWhere: Room 301");
      expect(en.buttons).toEqual([
        { label: "Attend", action: "circular.attend", value: "3" },
        { label: "Decline", action: "circular.decline", value: "3" },
      ]);
      expect(await chat().press("jia", "circular.attend")).toEqual(["已记录：参加（会议〔2026〕2号）"]);
      expect(await chat().say("bing", "/ack 3 decline at the county meeting")).toEqual(["Recorded: Decline (Meeting 2026/2)"]);
      expect(await chat().say("yi", "/ack 3 delegate 丁")).toEqual(["已记录：委派（会议〔2026〕2号）"]);
      await chat().waitFor("ding", "会议〔2026〕2号（#3）");

      // The status layout still uses Chinese brackets and separators in English (reported); compare the words.
      const [status] = await chat().say("liu", "/status 3");
      expect(asAscii(status!)).toBe(
        [
          "Meeting 2026/2 (#3) Party committee",
          "3/4 replied",
          "Replied:",
          "  综治办: 甲 (Attend), 乙 (Delegate 丁), 丙 (Decline): at the county meeting",
          "Not yet:",
          "  党政办: 丁",
        ].join("\n"),
      );
    });
  });

  describe("answers typed as people write them", () => {
    it("takes 签阅 N, a bare 收到 or 确认 for the newest open one, and says when nothing is open", async () => {
      await chat().say("bing", "/lang 中文"); // 丙 chose English above
      expect(await chat().say("bing", "签阅 2 已学习")).toEqual(["已记录：签阅（传阅〔2026〕1号）"]);
      await chat().say("zhao", "通知 冬季防火检查 发给 综治办 截止 周五17:00");
      const [published] = await chat().press("zhao", "circular.publish");
      const [, serial, id] = /已发布 (通知〔2026〕\d+号)（#(\d+)），共 3 人/.exec(published!)!;
      for (const [who] of members) await chat().waitFor(who, `${serial}（#${id}）`);
      expect(await chat().say("jia", "收到")).toEqual([`已记录：收到（${serial}）`]);
      expect(await chat().say("yi", "确认")).toEqual([`已记录：收到（${serial}）`]);
      expect(await chat().say("bing", `已阅 ${id} 已转达各村`)).toEqual([`已记录：收到（${serial}）`]);
      expect(await chat().say("jia", "收到")).toEqual(["没有待你回复的文件。"]);
      const [status] = await chat().say("zhao", `状态 ${id}`);
      expect(status).toContain("已回复 3/3");
      expect(status).toContain("丙：已转达各村");
    });

    it("reads a deadline of today's weekday as today's end of day while it is still ahead", async () => {
      const [preview] = await chat().say("zhao", "通知 今日报表 发给 综治办 截止 周三"); // it is Wednesday 10:00
      expect(preview).toContain("截止：11月25日(周三) 18:00");
      await chat().press("zhao", "circular.discard");
    });

    it("leaves 收到 between colleagues in a group alone", async () => {
      expect(await chat().say("jia", "收到", undefined, "综治办工作群")).toEqual([]);
    });
  });
});
