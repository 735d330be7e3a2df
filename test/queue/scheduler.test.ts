// What the scheduler counts as due (what `relay start` waits for at the end of piped input): jobs waiting
// or running, and delayed jobs whose instant has come on the office clock — not those still in the future.
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { connectRedis, type RedisConnection } from "../../src/queue/redis.ts";
import { Scheduler } from "../../src/queue/scheduler.ts";
import { TestClock } from "../support/office.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../support/redis.ts";

const HOUR = 3600_000;

describe("Scheduler.dueCount", () => {
  let prefix: string;
  let redis: RedisConnection;
  let scheduler: Scheduler;
  let clock: TestClock;
  beforeEach(() => {
    prefix = uniquePrefix("sched");
    redis = connectRedis(TEST_REDIS_URL);
    clock = new TestClock(new Date("2026-12-01T02:00:00Z"));
    scheduler = new Scheduler({ connection: redis, prefix, clock, log: pino({ level: "silent" }) });
  });
  afterEach(async () => {
    await scheduler.close();
    await redis.quit();
    await flushPrefix(prefix);
  });

  it("counts jobs due now and delayed jobs whose time has come, not later ones", async () => {
    expect(await scheduler.dueCount()).toBe(0);
    // No worker runs here, so what is scheduled stays where BullMQ put it.
    await scheduler.schedule("t", "now-1", {}, clock.now());
    await scheduler.schedule("t", "soon-1", {}, new Date(clock.now().getTime() + HOUR));
    await scheduler.schedule("t", "soon-2", {}, new Date(clock.now().getTime() + HOUR));
    await scheduler.schedule("t", "later-1", {}, new Date(clock.now().getTime() + 24 * HOUR));
    expect(await scheduler.dueCount()).toBe(1);

    clock.advance(2 * HOUR);
    expect(await scheduler.dueCount()).toBe(3);
    clock.advance(24 * HOUR);
    expect(await scheduler.dueCount()).toBe(4);

    await scheduler.cancel("now-1");
    expect(await scheduler.dueCount()).toBe(3);
  });

  it("pages through many delayed jobs whose time has come", async () => {
    for (let i = 0; i < 120; i++) await scheduler.schedule("t", `job-${i}`, {}, new Date(clock.now().getTime() + HOUR + i * 1000));
    clock.advance(HOUR + 99_500); // the first 100 are due, the last 20 not yet
    expect(await scheduler.dueCount()).toBe(100);
  });
});
