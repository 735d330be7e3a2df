// A running Relay notices that Redis lost its jobs and re-creates them from the database, without a restart:
// after Redis restarts with nothing kept (seen on reconnect), and after a flush that keeps the connection
// (seen by the periodic look). A private redis-server is restarted and flushed; the shared one never is.
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../support/office.ts";
import { PrivateRedis } from "../support/private-redis.ts";
import { setupOffice } from "../support/roster.ts";

describe("healing after Redis loses its data", () => {
  let redis: PrivateRedis;
  let office: Office;
  /** How many times Relay noticed the loss and set about healing it. */
  let heals = 0;
  const clock = new TestClock(new Date("2026-12-02T10:00:00+08:00"));
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    const log = pino({ level: "warn" }, { write: (line: string) => void (JSON.parse(line).msg.startsWith("redis lost its data") && heals++) });
    office = await openOffice("postgres", { clock, env: { REDIS_URL: redis.url }, healEveryMs: 500, log });
    await setupOffice(office.chat);
    await office.chat.say("wang", "提醒 明天上午9点 交材料");
  });
  afterAll(async () => {
    await office?.close();
    await redis?.close();
  });

  const reminders = async () => ((await office.runtime.app.outbox.queued("reminder-1-s0")) ? 1 : 0);

  it("re-creates a reminder's job when Redis comes back empty after a restart", async () => {
    expect(await reminders()).toBe(1);
    await redis.stop();
    await redis.restart(); // nothing was kept on disk: every job is gone
    await expect.poll(reminders, { interval: 200 }).toBe(1);
  });

  it("re-creates it after a flush that dropped no connection", async () => {
    await expect.poll(() => heals).toBe(1); // the restart's healing is under way (or done) before the flush
    const admin = new Redis(redis.url);
    await admin.flushall();
    await admin.quit();
    // The flush is noticed by the periodic look, whenever it comes, and healed: not by timing the two.
    await expect.poll(() => heals).toBe(2);
    await expect.poll(reminders, { interval: 200 }).toBe(1);
  });

  it("fires the re-created reminder when it is due", async () => {
    const reminder = await office.runtime.app.prisma.reminder.findFirstOrThrow();
    clock.set(reminder.fireAt);
    await office.runtime.app.outbox.promoteDue();
    await office.chat.waitFor("wang", "⏰ 提醒：交材料");
  });
});
