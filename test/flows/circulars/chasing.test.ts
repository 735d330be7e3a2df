// Chasing and escalation with the office clock standing where the test puts it: a notice published on the
// Friday evening before Qingming is chased on the day work resumes at 09:30, then daily, then escalated.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatInstant } from "../../../src/bot/time-zone.ts";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";
import { SAFETY_NET_MS } from "../../support/wait.ts";

const SH = "Asia/Shanghai";
const at = (iso: string) => new Date(iso);

describe("chasing a notice", () => {
  let office: Office;
  const clock = new TestClock(at("2026-04-03T17:00:00+08:00")); // Friday; Qingming is Sat 4 – Mon 6 April
  const people = [["jia", "甲"], ["yi", "乙"], ["bing", "丙"], ["ding", "丁"], ["wu", "戊"]] as const;
  beforeAll(async () => {
    office = await openOffice("postgres", { clock });
    const join = await setupOffice(office.chat);
    await join("zhao", "赵秘书", "secretary", "党政办");
    await join("boss", "李主任", "leader", "城关镇");
    for (const [id, name] of people) await join(id, name, "member", "综治办", "李主任");
  });
  afterAll(async () => office?.close());

  const scheduler = () => office.runtime.app.scheduler;
  const chat = () => office.chat;
  /** Moves the clock to the next job of `type` and runs it. */
  async function runNext(type: string) {
    const [job] = await scheduler().upcoming(type);
    if (!job) throw new Error(`no ${type} job scheduled`);
    clock.set(job.at);
    await scheduler().promote(job.id);
    await expect.poll(() => scheduler().isScheduled(job.id)).toBe(false); // it ran
    return job;
  }

  it("is published with a deadline and answered by four of five", async () => {
    await chat().say("zhao", "通知 报送一季度安全台账 发给 综治办 截止 2026-04-10 17:00");
    await chat().press("zhao", "circular.publish");
    for (const [id] of people) await chat().waitFor(id, "报送一季度安全台账");
    for (const id of ["jia", "yi", "bing"]) await chat().press(id, "circular.ack");
    await chat().say("ding", "回复 1 收到");
    expect((await chat().say("zhao", "状态 1"))[0]).toContain("未回复：\n  综治办：戊");
  });

  it("chases the missing one when work resumes, at 09:30, not over the holiday", async () => {
    const [chase] = await scheduler().upcoming("circular.chase");
    expect(formatInstant(chase!.at, SH)).toBe("2026-04-07T09:30:00+08:00");
    await runNext("circular.chase");
    // 催办次数 counts chases that reached the person: the round has asked, but nothing has gone out yet.
    const wu = () => office.runtime.app.prisma.receipt.findFirstOrThrow({ where: { person: { name: "戊" } } });
    expect([(await wu()).chasedCount, (await wu()).chasesOwed]).toEqual([0, 1]);
    const nudge = await runNext("circular.nudge");
    expect(formatInstant(nudge.at, SH)).toBe("2026-04-07T09:40:00+08:00"); // batched with any other chase due then
    await expect.poll(async () => [(await wu()).chasedCount, (await wu()).chasesOwed]).toEqual([1, 0]);
    const msg = await chat().waitFor("wu", "以下 1 项还在等您回复");
    expect(msg.text).toContain("#1 通知〔2026〕1号 报送一季度安全台账");
    expect(msg.buttons).toEqual([{ label: "收到 #1", action: "circular.ack", value: "1" }]);
    expect(chat().inbox("jia").filter((m) => m.text.includes("还在等您回复"))).toEqual([]); // answered: left alone
  });

  it("chases daily at 09:30 on working days, at most three times", async () => {
    await runNext("circular.chase");
    expect(formatInstant(clock.now(), SH)).toBe("2026-04-08T09:30:00+08:00");
    await runNext("circular.nudge");
    await runNext("circular.chase");
    expect(formatInstant(clock.now(), SH)).toBe("2026-04-09T09:30:00+08:00");
    await runNext("circular.nudge");
    await expect.poll(() => chat().inbox("wu").filter((m) => m.text.includes("还在等您回复")).length).toBe(3);
    expect(await scheduler().upcoming("circular.chase")).toEqual([]);
    // Counted once the send is recorded, which may be a moment after the message arrived.
    const chased = async () => (await office.runtime.app.prisma.receipt.findFirstOrThrow({ where: { person: { name: "戊" } } })).chasedCount;
    await expect.poll(chased).toBe(3);
  });

  it("escalates once to the supervisor and sends the author a summary", async () => {
    const upcoming = await scheduler().upcoming("circular.escalate");
    expect(upcoming.map((j) => formatInstant(j.at, SH))).toEqual(["2026-04-10T09:30:00+08:00", "2026-04-10T17:00:00+08:00"]);
    await runNext("circular.escalate");
    await chat().waitFor("boss", "以下人员催办后仍未回复，请督促：戊");
    const summary = await chat().waitFor("zhao", "回执汇总");
    expect(summary.text).toBe("通知〔2026〕1号（#1）报送一季度安全台账 回执汇总：已回复 4/5。未回复：戊（综治办）");
    await runNext("circular.escalate"); // the deadline: nothing new to say
    expect(await office.runtime.app.outbox.idle(SAFETY_NET_MS)).toBe(0); // whatever it set going has gone
    expect(chat().inbox("boss").filter((m) => m.text.includes("请督促"))).toHaveLength(1);
    const actions = (await office.runtime.app.prisma.auditEvent.findMany({ where: { entity: "Circular" } })).map((e) => e.action);
    expect(actions.filter((a) => a === "circular.chase")).toHaveLength(3);
    expect(actions.filter((a) => a === "circular.escalate")).toHaveLength(1);
  });

  it("lets an author turn chasing off, or set how often, per circular", async () => {
    clock.set(at("2026-04-13T10:00:00+08:00"));
    expect((await chat().say("zhao", "通知 不用催的通知 发给 综治办 截止 不限 催办 不催"))[0]).toContain("催办：不自动催办");
    await chat().press("zhao", "circular.publish");
    expect((await chat().say("zhao", "/notice Twice --to 综治办 --by none --chase 2"))[0]).toContain("催办：最多 2 次（工作时间）");
    await chat().press("zhao", "circular.publish");
    const circulars = await office.runtime.app.prisma.circular.findMany({ orderBy: { id: "asc" }, select: { id: true, chasePolicy: true } });
    expect(circulars.slice(1)).toEqual([{ id: 2, chasePolicy: { maxChases: 0 } }, { id: 3, chasePolicy: { maxChases: 2 } }]);
    expect((await scheduler().upcoming("circular.chase")).map((j) => j.data.circularId)).toEqual([3]);
    expect((await chat().say("zhao", "通知 乱写 发给 综治办 截止 不限 催办 很多次"))[0]).toMatch(/没看懂催办设置“很多次”.*\n自动催办几次？/s);
    await chat().say("zhao", "取消");
  });

  it("lets the author chase by hand, waiting for working hours", async () => {
    clock.set(at("2026-04-10T20:00:00+08:00")); // Friday evening
    const wu = () => office.runtime.app.prisma.receipt.findFirstOrThrow({ where: { circularId: 1, person: { name: "戊" } } });
    const before = (await wu()).chasedCount;
    expect(await chat().say("zhao", "催办 1")).toEqual([expect.stringMatching(/^现在不是工作时间，将在 4月13日\(周一\) 09:00 催办 1 人。$/)]);
    expect((await wu()).chasedCount).toBe(before); // announced for Monday, not sent: not counted yet
    // Pressed again before it goes: the same nudge, not a second one, and not owed twice.
    expect(await chat().say("zhao", "催办 1")).toEqual(["这 1 人刚刚已催办过，10 分钟内不再重复提醒，以免打扰。"]);
    const [job] = (await scheduler().upcoming("circular.nudge")).filter((j) => j.id.endsWith("-m"));
    clock.set(job!.at);
    await scheduler().promote(job!.id);
    await expect.poll(async () => (await wu()).chasedCount).toBe(before + 1);
    expect((await wu()).chasesOwed).toBe(0);
    // And again once it went, in the same ten minutes: still one.
    expect(await chat().say("zhao", "催办 1")).toEqual(["这 1 人刚刚已催办过，10 分钟内不再重复提醒，以免打扰。"]);
    expect(await chat().say("jia", "催办 1")).toEqual(["只有管理员或领导或秘书可以这样做。"]);
  });
});
