// Losing Redis delays reminders but loses none: schedule, flush the test prefix, restart, and it fires.
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.ts";
import { createRuntime, type Runtime } from "../../../src/runtime.ts";
import { testDatabase } from "../../support/db.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../../support/redis.ts";
import { TestAdapter } from "../../support/test-adapter.ts";

describe.each(["postgres", "pglite"] as const)("reminder reconciler on %s", (kind) => {
  const prefix = uniquePrefix(`reconcile-${kind}`);
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix });
  const log = pino({ level: "silent" });
  let db: Awaited<ReturnType<typeof testDatabase>>;
  const running: Runtime[] = [];
  const boot = async (chat: TestAdapter) => {
    db ??= await testDatabase(kind);
    const runtime = await createRuntime({ config, mode: "start", adapters: [chat], db, log });
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
    await before.say("wang", "/remind 3秒后 交材料");
    await before.say("wang", "/remind 1秒后 开会");
    const [soon, later] = await db.prisma.reminder.findMany({ orderBy: { fireAt: "asc" } });
    await first.close();

    // Redis loses everything while Relay is down, and the first reminder comes due meanwhile.
    expect(await flushPrefix(prefix)).toBeGreaterThan(0);
    expect(await db.prisma.reminder.count({ where: { status: "pending" } })).toBe(2);
    await new Promise((r) => setTimeout(r, 1500));

    const after = new TestAdapter();
    const second = await boot(after);
    expect(await second.app.scheduler.isScheduled(`reminder-${later!.id}-s0`)).toBe(true);
    await after.waitFor("wang", "⏰ 提醒：开会", 5000); // overdue: at once
    await after.waitFor("wang", "⏰ 提醒：交材料", 8000);
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
