// Leave that cannot be taken says why (a past day, hours, evenings, unreadable or backwards periods), in both
// languages, and the English forms file as the Chinese ones do — through the whole bot on PGlite and Redis.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

describe("leave refusals and English forms", () => {
  let office: Office;
  const clock = new TestClock(new Date("2026-11-25T10:00:00+08:00")); // Wednesday
  beforeAll(async () => {
    office = await openOffice("pglite", { clock });
    const join = await setupOffice(office.chat);
    await join("li", "李主任", "secretary", "综治办");
    await join("jia", "甲", "member", "综治办", "李主任");
    await join("amy", "Amy", "member", "综治办", "李主任");
    await office.chat.say("amy", "/lang en");
  });
  afterAll(async () => office?.close());

  const jia = async (text: string) => (await office.chat.say("jia", text))[0];
  const amy = async (text: string) => (await office.chat.say("amy", text))[0];

  it("refuses a past day, saying which", async () => {
    expect(await jia("请假 事假 昨天 看病")).toBe("11月24日(周二) 已经过去了：请假要从今天或以后开始。事后补假请直接与审批人联系。");
    expect(await jia("请假 事假 11月20日到明天 看病")).toMatch(/^11月20日\(周五\) 已经过去了/);
    expect(await amy("leave personal yesterday family matters")).toBe("Tue 24 Nov has already passed: leave starts today or later. For leave after the fact, talk to your approver.");
  });

  it("says leave is taken in half days when hours are given, and suggests the half day that covers them", async () => {
    expect(await jia("请假 病假 明天下午2点到4点 看病")).toBe(
      "Relay 的请假以半天为单位（上午、下午），不按小时。11月26日(周四) 14:00–16:00 可以请 11月26日(周四)下午，共 0.5 个工作日，发送：\n请假 病假 明天下午 看病",
    );
    expect(await jia("请假 明天上午9点到下午3点 办事")).toMatch(/可以请 11月26日\(周四\)全天，共 1 个工作日，发送：\n请假 明天 办事$/);
    expect(await jia("请假 事假 12月1日下午3点到12月2日上午10点 回老家")).toMatch(
      /12月1日\(周二\) 15:00 – 12月2日\(周三\) 10:00 可以请 12月1日\(周二\)下午 至 12月2日\(周三\)上午，共 1 个工作日，发送：\n请假 事假 12月1日下午到12月2日上午 回老家$/,
    );
    // The suggestion files as it stands.
    expect(await jia("请假 病假 明天下午 看病")).toMatch(/^已提交请假申请 #\d+，等待 李主任 审批。\n病假 11月26日\(周四\)下午，共 0\.5 个工作日；事由：看病$/);
    expect(await amy("leave sick dec 7 2pm to 4pm dentist")).toBe(
      "Relay takes leave in half days (morning or afternoon), not hours. For Mon 7 Dec 14:00–16:00 you can ask for Mon 7 Dec pm, 0.5 working days:\n/leave sick Dec 7 afternoon dentist",
    );
    expect(await amy("/leave sick Dec 7 afternoon dentist")).toMatch(/^Leave request #\d+ filed; waiting for 李主任\.\nSick leave Mon 7 Dec pm, 0\.5 working days; reason: dentist$/);
  });

  it("says why an evening, a noon, an open end, a backwards range or an unreadable time cannot be taken", async () => {
    expect(await jia("请假 事假 明天晚上 聚餐")).toBe("晚上不在工作时间内，不用请假；请假按上午、下午或全天。");
    expect(await jia("请假 事假 明天中午 办事")).toBe("“中午”是从中午开始还是到中午为止？请写上午或下午，例如：请假 事假 明天下午 家里有事");
    expect(await jia("请假 事假 从明天 回老家")).toBe("请写明到哪天为止，例如：请假 事假 明天到周五 家里有事");
    expect(await jia("请假 事假 12月5日到12月3日 回老家")).toBe("结束的日子在开始之前：“12月5日到12月3日 回老家”。");
    const unreadable = await jia("请假 事假 过几天 回老家");
    expect(unreadable).toMatch(/^没看懂请假时间：“过几天 回老家”。\n请假 \[类型\] 时间 事由，例如：/);
    expect(await amy("leave personal tonight dinner")).toBe(
      "Evenings are outside working hours, so no leave is needed; leave is taken by the morning, the afternoon or the whole day.",
    );
    expect(await amy("leave personal some day soon rest")).toMatch(/^I could not read when the leave is in "some day soon rest"\.\n\/leave \[TYPE\] WHEN REASON/);
  });

  it("files the English forms: types in English, next monday to wednesday, tomorrow afternoon, dec 3 to dec 4", async () => {
    expect(await amy("leave personal next monday to wednesday visiting family")).toMatch(
      /^Leave request #\d+ filed; waiting for 李主任\.\nPersonal leave Mon 30 Nov am – Wed 2 Dec pm, 3 working days; reason: visiting family$/,
    );
    expect(await amy("leave annual tomorrow afternoon moving house")).toMatch(/\nAnnual leave Thu 26 Nov pm, 0\.5 working days; reason: moving house$/);
    expect(await amy("leave compensatory dec 3 to dec 4 rest")).toMatch(/\nTime off in lieu Thu 3 Dec am – Fri 4 Dec pm, 2 working days; reason: rest$/);
    expect(await amy("leave sick leave dec 10 flu")).toMatch(/\nSick leave Thu 10 Dec all day, 1 working day; reason: flu$/);
  });

  it("names the English forms in the help", async () => {
    const help = await amy("/help leave");
    expect(help).toContain("/leave personal next monday to wednesday visiting family");
    expect(help).toContain("/leave sick dec 3 to dec 4 see a doctor");
  });
});
