// Losing Redis delays reminders but loses none: schedule, flush the test prefix, restart, and it fires.
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.ts";
import { createRuntime, type Runtime } from "../../../src/runtime.ts";
import { testDatabase } from "../../support/db.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../../support/redis.ts";
import { TestClock } from "../../support/office.ts";
import { TestAdapter } from "../../support/test-adapter.ts";

describe.each(["postgres", "pglite"] as const)("reminder reconciler on %s", (kind) => {
  const prefix = uniquePrefix(`reconcile-${kind}`);
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix });
  const log = pino({ level: "silent" });
  // The injected clock decides when reminders are due, so machine load cannot fire one early or late.
  const clock = new TestClock(new Date("2026-11-27T10:00:00+08:00"));
  let db: Awaited<ReturnType<typeof testDatabase>>;
  const running: Runtime[] = [];
  const boot = async (chat: TestAdapter) => {
    db ??= await testDatabase(kind);
    const runtime = await createRuntime({ config, mode: "start", adapters: [chat], db, log, clock });
    running.push(runtime);
    return runtime;
  };
  afterAll(async () => {
    for (const r of running) await r.close();
    await db?.drop();
    await flushPrefix(prefix);
  });

  it("re-creates jobs after Redis lost them, and the reminders still fire", async () => {
    const before = new TestAdapter();
    const first = await boot(before);
    await before.say("wang", "/setup 王主任");
    await before.say("wang", "/remind 1小时后 交材料");
    await before.say("wang", "/remind 10分钟后 开会");
    const [soon, later] = await db.prisma.reminder.findMany({ orderBy: { fireAt: "asc" } });
    await first.close();

    // Redis loses everything while Relay is down, and the first reminder comes due meanwhile.
    expect(await flushPrefix(prefix)).toBeGreaterThan(0);
    expect(await db.prisma.reminder.count({ where: { status: "pending" } })).toBe(2);
    clock.set(new Date("2026-11-27T10:30:00+08:00"));

    const after = new TestAdapter();
    const second = await boot(after);
    expect(await second.app.outbox.isPending(`reminder-${later!.id}-s0`)).toBe(true);
    await after.waitFor("wang", "⏰ 提醒：开会"); // overdue: at once, without the clock moving
    expect(after.inbox("wang").some((m) => m.text.includes("交材料"))).toBe(false); // not yet due
    clock.set(later!.fireAt);
    await second.app.outbox.promoteDue();
    await after.waitFor("wang", "⏰ 提醒：交材料");
    await expect.poll(() => db.prisma.reminder.findMany({ select: { status: true, firedCount: true } })).toEqual([
      { status: "fired", firedCount: 1 },
      { status: "fired", firedCount: 1 },
    ]);
    expect(soon!.text).toBe("开会");
    // Nothing fired twice.
    expect(after.inbox("wang").filter((m) => m.text.startsWith("⏰"))).toHaveLength(2);
  });

  it("re-creating is idempotent: a second reconcile schedules nothing", async () => {
    const runtime = running.at(-1)!;
    expect(await runtime.app.scheduler.reconcile()).toBe(0);
  });
});
