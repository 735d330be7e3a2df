// Input PostgreSQL would refuse gets an answer, never the apology: numbers beyond its integer answer as unknown
// ids, and NUL and other control characters (or a broken emoji's lone surrogate) are taken out where events come in.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanText } from "../../src/bot/clean-text.ts";
import { openOffice, type Office } from "../support/office.ts";

const APOLOGY = /抱歉，处理时出了点问题|something went wrong/;

describe("cleanText", () => {
  it("removes control characters but keeps tabs and line breaks, and mends lone surrogates", () => {
    expect(cleanText("a\u0000b\u0007c\u007Fd")).toBe("abcd");
    expect(cleanText("第一行\n\t第二行\r")).toBe("第一行\n\t第二行\r");
    expect(cleanText("坏\uD800了")).toBe("坏\uFFFD了");
    expect(cleanText("孤\uDC00单")).toBe("孤\uFFFD单");
    expect(cleanText("笑😀")).toBe("笑😀"); // a whole pair is left alone
  });
});

describe("bad input through the core", () => {
  let office: Office;
  beforeAll(async () => {
    office = await openOffice("postgres");
    await office.chat.say("wang", "/setup 王主任 城关镇");
  });
  afterAll(async () => office?.close());

  it.each(["/status 2147483648", "/approve 99999999999", "/ack 2147483648", "/export 99999999999", "/unremind 99999999999", "/cancel 2147483648", "/chase 99999999999", "/edit 2147483648 标题 新标题"])(
    "%s answers as an unknown id",
    async (command) => {
      const replies = await office.chat.say("wang", command);
      expect(replies.join("\n")).not.toMatch(APOLOGY);
      expect(replies.length).toBeGreaterThan(0);
    },
  );

  it("answers a number too long for any id, and reads full-width digits", async () => {
    expect(await office.chat.say("wang", "/status 9999999999999999999999999999999999999999")).toEqual(["没有编号为 9999999999999999999999999999999999999999 的记录，请核对编号。"]);
    expect(await office.chat.say("wang", "驳回 99999999999999999999 不行")).toEqual(["没有编号为 99999999999999999999 的记录，请核对编号。"]);
    expect(await office.chat.say("wang", "/status ＃１２")).not.toEqual(expect.arrayContaining([expect.stringMatching(APOLOGY)]));
  });

  it("answers a button whose value was forged as a stale button", async () => {
    const user = { platform: "console" as const, id: "wang", name: "wang" };
    const chat = { platform: "console" as const, id: "wang", kind: "direct" as const };
    for (const [action, value] of [["request.approve", "<script>"], ["request.approve", "1e40"], ["reminder.snooze", "x:constructor"], ["reminder.snooze", "1:constructor"], ["circular.ack", "-3"], ["circular.publish", "99999999999"]] as const) {
      expect(await office.chat.deliver({ kind: "action", action, value, user, chat })).toEqual(["这个按钮已失效，请重新发起。"]);
    }
  });

  it("says which number it did not find", async () => {
    expect(await office.chat.say("wang", "/status 2147483648")).toEqual(["没有编号为 2147483648 的记录，请核对编号。"]);
  });

  it("stores free text without the NUL it arrived with", async () => {
    const [reply] = await office.chat.say("wang", "/remind 明天下午3点 交\u0000材料");
    expect(reply).toMatch(/提醒你：交材料/);
    expect(await office.runtime.app.prisma.reminder.count({ where: { text: "交材料" } })).toBe(1);
    expect((await office.chat.say("wang", "邀请 李\u0000明 成员")).join("\n")).not.toMatch(APOLOGY);
  });
});
