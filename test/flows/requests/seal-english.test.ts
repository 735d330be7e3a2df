// Seal use in English, end to end: the form as an English speaker types it files, reads back in English for
// the requester and in Chinese for the director, and /help seal names the form.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

describe("seal use in English", () => {
  let office: Office;
  const clock = new TestClock(new Date("2026-11-25T10:00:00+08:00"));
  beforeAll(async () => {
    office = await openOffice("pglite", { clock });
    const join = await setupOffice(office.chat);
    await join("zhou", "周秘书", "secretary", "城关镇");
    await join("amy", "Amy", "member", "城关镇", "周秘书");
    await office.chat.say("amy", "/lang en");
  });
  afterAll(async () => office?.close());

  it("files /seal official-seal … 2 copies purpose …, which the director sees in Chinese", async () => {
    const [filed] = await office.chat.say("amy", "/seal official-seal budget report 2 copies purpose submit to county finance bureau");
    expect(filed).toBe("Seal request #1 filed, waiting for 周秘书 to decide.\nSeal use: official seal on budget report ×2; purpose: submit to county finance bureau");
    const ask = await office.chat.waitFor("zhou", "Amy 的申请 #1 等待你审批");
    expect(ask.text).toContain("用印：公章 budget report 2份；用途：submit to county finance bureau");
  });

  it("names the English form in the help", async () => {
    const [help] = await office.chat.say("amy", "/help seal");
    expect(help).toContain("/seal official-seal budget report 2 copies purpose submit to county finance bureau");
  });
});
