// Relay's Redis pieces on a real Redis Cluster of the test's own (three masters, a password): the start-up
// check, the rate limiter's multi-key scripts, the scheduler and the healer, and that every key Relay writes
// lies in the one slot of its {relay} prefix. The fan-out across processes is test/scale/cluster-fanout.test.ts.
import { Cluster } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkRedis, connectRedis, RedisUnavailableError, type RedisConnection } from "../../src/queue/redis.ts";
import { RateLimiter } from "../../src/queue/rate-limiter.ts";
import { openOffice, TestClock, type Office } from "../support/office.ts";
import { PrivateRedisCluster } from "../support/redis-cluster.ts";
import { uniquePrefix } from "../support/redis.ts";
import { setupOffice } from "../support/roster.ts";

const PASSWORD = "s3cret-pw";

describe("Relay on a Redis Cluster", () => {
  let cluster: PrivateRedisCluster;
  let redis: RedisConnection;
  beforeAll(async () => {
    cluster = await PrivateRedisCluster.start({ password: PASSWORD });
    redis = connectRedis(cluster.url);
  });
  afterAll(async () => {
    await redis?.quit();
    await cluster?.close();
  });

  /** Every key on every master, with its slot. */
  const keys = async () => {
    const found: { key: string; slot: number; node: number }[] = [];
    for (let i = 0; i < cluster.ports.length; i++) {
      const node = cluster.node(i);
      try {
        for (const key of await node.keys("*")) found.push({ key, slot: Number(await node.cluster("KEYSLOT", key)), node: i });
      } finally {
        node.disconnect();
      }
    }
    return found;
  };
  const slotOf = async (key: string) => {
    const node = cluster.node();
    try {
      return Number(await node.cluster("KEYSLOT", key));
    } finally {
      node.disconnect();
    }
  };

  it("connects with the cluster form of REDIS_URL, and start-up says what is wrong", async () => {
    expect(redis).toBeInstanceOf(Cluster);
    expect(await redis.ping()).toBe("PONG");
    await expect(checkRedis(cluster.url)).resolves.toBeUndefined();

    const wrong = checkRedis(cluster.url.replace(PASSWORD, "nope"));
    await expect(wrong).rejects.toThrow(RedisUnavailableError);
    await expect(wrong).rejects.toThrow(/^Redis Cluster is not reachable at redis-cluster:\/\/:\*\*\*@127\.0\.0\.1:\d+,.*WRONGPASS/);
    // One node given as a plain Redis would answer MOVED for most keys later: refused at start instead.
    await expect(checkRedis(`redis://:${PASSWORD}@127.0.0.1:${cluster.ports[0]}`)).rejects.toThrow(/is a node of a Redis Cluster: set REDIS_URL=redis-cluster:\/\//);
  });

  it("keeps the rate limiter's windows in one slot, so its scripts run; without a hash tag Redis refuses them", async () => {
    const limiter = new RateLimiter(redis, "{relay}");
    // Minute-long windows: their keys outlive the look at them below, however slow the machine.
    const windows = [
      { key: "tg:global", limit: 1, windowMs: 60_000 },
      { key: "tg:chat:42", limit: 1, windowMs: 60_000 },
    ];
    expect(await limiter.tryAcquire(windows)).toBe(0);
    expect(await limiter.tryAcquire(windows)).toBeGreaterThan(50_000); // both slots taken, atomically
    await limiter.penalize("tg:chat:43", 60_000);
    expect(await limiter.tryAcquire([{ key: "tg:chat:43", limit: 10, windowMs: 1000 }])).toBeGreaterThan(50_000);
    const written = (await keys()).filter((k) => k.key.includes(":ratelimit:"));
    expect(written.map((k) => k.key).sort()).toEqual(["{relay}:ratelimit:tg:chat:42:1/60000", "{relay}:ratelimit:tg:chat:43:block", "{relay}:ratelimit:tg:global:1/60000"]);
    expect(new Set(written.map((k) => k.slot))).toEqual(new Set([await slotOf("{relay}")]));

    await expect(new RateLimiter(redis, "relay").tryAcquire(windows)).rejects.toThrow(/CROSSSLOT/);
  });

  describe("a whole Relay on the cluster", () => {
    let office: Office;
    // A tag of its own: openOffice's cleanup also sweeps this prefix on the shared Redis, where {relay} may be someone's.
    const prefix = `{${uniquePrefix("cluster")}}`;
    const clock = new TestClock(new Date("2026-12-02T10:00:00+08:00"));
    /** How many times Relay noticed the loss and set about healing it. */
    let heals = 0;
    beforeAll(async () => {
      const log = pino({ level: "warn" }, { write: (line: string) => void (JSON.parse(line).msg.startsWith("redis lost its data") && heals++) });
      office = await openOffice("postgres", { clock, env: { REDIS_URL: cluster.url, REDIS_PREFIX: prefix }, healEveryMs: 300, log });
      await setupOffice(office.chat);
      await office.chat.say("wang", "提醒 明天上午9点 交材料");
    });
    afterAll(async () => {
      await office?.close();
    });
    // The reminder is an outbox send at its time: its tick is what Redis holds for it.
    const reminders = async () => ((await office.runtime.app.outbox.queued("reminder-1-s0")) ? 1 : 0);

    it("schedules on it, and every key it writes is in its prefix's slot on one master", async () => {
      expect(await reminders()).toBe(1);
      const mine = (await keys()).filter((k) => k.key.startsWith(`${prefix}:`));
      expect(mine.some((k) => k.key.startsWith(`${prefix}:outbox-console:`))).toBe(true);
      expect(mine.some((k) => k.key === `${prefix}:jobs-present`)).toBe(true); // the healer's marker
      expect(new Set(mine.map((k) => k.slot))).toEqual(new Set([await slotOf(prefix)]));
      expect(new Set(mine.map((k) => k.node)).size).toBe(1);
    });

    it("re-creates the jobs when the cluster loses its data, and the reminder fires", async () => {
      for (let i = 0; i < cluster.ports.length; i++) {
        const node = cluster.node(i);
        await node.flushall();
        node.disconnect();
      }
      // Noticed by the periodic look whenever it comes (maybe between two nodes' flushes), and healed.
      await expect.poll(() => heals).toBeGreaterThanOrEqual(1);
      await expect.poll(reminders, { interval: 100 }).toBe(1);
      const reminder = await office.runtime.app.prisma.reminder.findFirstOrThrow();
      clock.set(reminder.fireAt);
      await office.runtime.app.outbox.promoteDue();
      await office.chat.waitFor("wang", "⏰ 提醒：交材料");
    });
  });
});
