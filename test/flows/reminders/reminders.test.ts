// Personal reminders end to end: parse, store, fire through BullMQ on real Redis, done/snooze/cancel.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFICE_EPOCH, openOffice, TestClock, type Office } from "../../support/office.ts";

describe.each(["postgres", "pglite"] as const)("reminders on %s", (kind) => {
  let office: Office;
  const clock = new TestClock(OFFICE_EPOCH);
  beforeAll(async () => {
    office = await openOffice(kind, { clock });
    await office.chat.say("wang", "/setup 王主任");
  });
  afterAll(async () => office?.close());

  const say = (text: string) => office.chat.say("wang", text);
  const prisma = () => office.runtime.app.prisma;
  /** Moves the office clock on and runs what fell due: no test waits for real minutes to pass. */
  const pass = async (ms: number) => {
    clock.advance(ms);
    await office.runtime.app.outbox.promoteDue();
  };

  it("fires a reminder when its time comes, with done and snooze buttons", async () => {
    const [reply] = await say("/remind 10分钟后 测试");
    expect(reply).toMatch(/^好的，将在 .+ 提醒你：测试（#\d+）$/);
    await pass(9 * 60_000);
    expect(office.chat.inbox("wang").some((s) => s.text.includes("⏰ 提醒：测试"))).toBe(false); // not a minute early
    await pass(60_000);
    const fired = await office.chat.waitFor("wang", "⏰ 提醒：测试");
    expect(fired.buttons.map((b) => b.label)).toEqual(["✓ 完成", "10分钟后", "1小时后", "明天"]);
    // The row is marked after the send (a failed send is retried, never lost), so it may trail the message.
    await expect.poll(() => prisma().reminder.findFirstOrThrow({ where: { text: "测试" } })).toMatchObject({ status: "fired", firedCount: 1 });

    expect(await office.chat.press("wang", "reminder.done")).toEqual(["已完成：测试"]);
    expect(fired.text).toBe("测试\n✓ 已完成"); // the fired message lost its buttons
    expect(fired.buttons).toEqual([]);
    expect(await prisma().reminder.findFirstOrThrow({ where: { text: "测试" } })).toMatchObject({ status: "done" });
  });

  it("understands Chinese without spaces and English phrasing", async () => {
    expect((await say("提醒我明天下午3点交材料"))[0]).toMatch(/好的，将在 .*15:00 提醒你：交材料/);
    expect((await say("/remind in 2 hours to call Li"))[0]).toMatch(/提醒你：call Li/);
    expect((await say("/remind 每个工作日 8:30 打卡"))[0]).toMatch(/每个工作日 08:30（下次 .*08:30） 提醒你：打卡/);
  });

  it("lists open reminders with cancel buttons, and cancels by button and by number", async () => {
    const [list] = await say("/reminders");
    expect(list).toMatch(/^你的提醒（3条）：/);
    expect(list).toContain("交材料");
    const r = await prisma().reminder.findFirstOrThrow({ where: { text: "call Li" } });
    expect(await say(`取消提醒 ${r.id}`)).toEqual([`已取消提醒 #${r.id}：call Li`]);
    expect(await say(`取消提醒 ${r.id}`)).toEqual([`提醒 #${r.id} 已经结束了。`]);
    expect(await office.runtime.app.outbox.isPending(`reminder-${r.id}-s0`)).toBe(false);
    await say("/reminders");
    expect(await office.chat.press("wang", "reminder.cancel")).toEqual([expect.stringMatching(/^已取消提醒 #\d+：/)]);
  });

  it("refuses a time in the past and text with no time", async () => {
    expect(await say("/remind 2026-01-01 09:00 开会")).toEqual(["1月1日(周四) 09:00 已经过去了，请换一个将来的时间。"]);
    expect((await say("/remind 喝水"))[0]).toContain("没看懂“喝水”里的时间。");
    expect((await say("/remind 明天下午3点"))[0]).toContain("请写上要提醒的内容");
  });

  it("snoozes a fired reminder by moving it to a new occurrence", async () => {
    await say("/remind 5分钟后 喝水");
    await pass(5 * 60_000);
    await office.chat.waitFor("wang", "⏰ 提醒：喝水");
    await expect.poll(async () => (await prisma().reminder.findFirstOrThrow({ where: { text: "喝水" } })).status).toBe("fired");
    const [reply] = await office.chat.press("wang", "reminder.snooze");
    expect(reply).toMatch(/^好的，.+ 再提醒你：喝水$/);
    const r = await prisma().reminder.findFirstOrThrow({ where: { text: "喝水" } });
    expect(r).toMatchObject({ status: "pending", seq: 1 });
    expect(r.fireAt.getTime() - clock.now().getTime()).toBe(10 * 60_000);
    await expect.poll(() => office.runtime.app.outbox.isPending(`reminder-${r.id}-s1`)).toBe(true); // queued right after the row moves on
  });

  it("does not let someone else cancel my reminder with a forged button", async () => {
    await office.chat.say("wang", "/invite 李明");
    const code = /([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(office.chat.lastTo("wang"))![1]!;
    await office.chat.say("li", `/join ${code}`);
    const mine = await prisma().reminder.findFirstOrThrow({ where: { status: "pending", personId: 1 } });
    const reply = await office.chat.deliver({
      kind: "action", action: "reminder.cancel", value: String(mine.id),
      user: { platform: "console", id: "li" }, chat: { platform: "console", id: "li", kind: "direct" },
    });
    expect(reply).toEqual([`没有找到你的提醒 #${mine.id}。`]); // a toast: refusals on buttons do not post to the chat
    expect((await prisma().reminder.findUniqueOrThrow({ where: { id: mine.id } })).status).toBe("pending");
  });

  it("fires a recurring reminder and schedules its next occurrence", async () => {
    const person = await prisma().person.findFirstOrThrow({ where: { name: "王主任" } });
    // A daily reminder due now: it must fire and move to tomorrow.
    const r = await prisma().reminder.create({
      data: { personId: person.id, text: "日报", fireAt: clock.now(), timeZone: "Asia/Shanghai", recurrence: { every: "day", time: { hour: 8, minute: 0 } } },
    });
    await office.runtime.app.scheduler.schedule("reminder.fire", `reminder-${r.id}-s0`, { reminderId: r.id, seq: 0 }, r.fireAt);
    const fired = await office.chat.waitFor("wang", "⏰ 提醒：日报");
    expect(fired.text).toMatch(/每天 08:00，下次 .*08:00/);
    await expect.poll(async () => (await prisma().reminder.findUniqueOrThrow({ where: { id: r.id } })).seq).toBe(1);
    const after = await prisma().reminder.findUniqueOrThrow({ where: { id: r.id } });
    expect(after.status).toBe("pending");
    expect(after.fireAt).toEqual(new Date("2026-11-26T08:00:00+08:00")); // tomorrow 08:00
    await expect.poll(() => office.runtime.app.outbox.isPending(`reminder-${r.id}-s1`)).toBe(true); // queued right after the row moves on
  });

  it("understands the time first and 提醒我 after it, in a direct chat, and leaves group talk alone", async () => {
    expect((await say("明天下午三点提醒我开会"))[0]).toMatch(/好的，将在 .*15:00 提醒你：开会（#\d+）/);
    expect((await say("每天早上8点半提醒我打卡"))[0]).toMatch(/每天 08:30（下次 .*08:30） 提醒你：打卡/);
    expect((await say("tomorrow at 5pm remind me to call Li"))[0]).toMatch(/17:00 提醒你：call Li/);
    expect(await say("明天下午三点开会")).toEqual(["没听懂这句话。发送“帮助”或 /help 查看可用命令。"]); // no 提醒: not a reminder
    expect(await office.chat.say("wang", "明天下午三点提醒我开会", undefined, "党政办工作群")).toEqual([]); // between colleagues
    await prisma().reminder.deleteMany({ where: { text: { in: ["开会", "打卡", "call Li"] } } });
  });
});
