// The limiter must hold across processes: each test makes two RateLimiters on separate Redis connections
// sharing one prefix, the way two `relay worker` processes would.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { RateLimiter, type RateLimiterOptions, type Window } from "../../src/queue/rate-limiter.ts";
import { connectRequestRedis } from "../../src/queue/redis.ts";
import { closestSpacing, mostInAnyWindow } from "../support/grants.ts";
import { OFFICE_EPOCH, TestClock } from "../support/office.ts";
import { PrivateRedis } from "../support/private-redis.ts";
import { TEST_REDIS_URL, flushPrefix, uniquePrefix } from "../support/redis.ts";

const connections: Redis[] = [];
let prefix: string;

function connect(): Redis {
  const redis = new Redis(TEST_REDIS_URL);
  connections.push(redis);
  return redis;
}
async function keysUnder(p: string): Promise<string[]> {
  return connections[0]!.keys(`${p}:*`);
}
/** Two "processes" on the test's prefix, each with its own connection. */
function twoProcesses(options?: RateLimiterOptions): [RateLimiter, RateLimiter] {
  return [new RateLimiter(connect(), prefix, options), new RateLimiter(connect(), prefix, options)];
}

beforeEach(() => {
  prefix = uniquePrefix("ratelimit");
});
afterEach(async () => {
  await flushPrefix(prefix);
});
afterAll(() => {
  for (const c of connections) c.disconnect();
});

describe("RateLimiter on its own clock", () => {
  // The limiter takes "now" from the injected clock instead of Redis's TIME: every wait below is exact, however
  // busy the machine is, because the clock only moves when the test moves it.
  let clock: TestClock;
  let a: RateLimiter;
  let b: RateLimiter;
  beforeEach(() => {
    clock = new TestClock(OFFICE_EPOCH);
    [a, b] = twoProcesses({ clock });
  });

  it("holds one budget across two processes: a burst of 5 lets 5 of 12 through, then paces", async () => {
    const w: Window = { key: "chat:1", limit: 5, windowMs: 1000, burst: 5 };
    const waits = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).tryAcquire([w])));
    expect(waits.filter((ms) => ms === 0)).toHaveLength(5);
    // The next slot opens one interval (1000/5 ms) after the burst, and each refusal says so.
    expect(waits.filter((ms) => ms > 0)).toEqual(Array(7).fill(200));
    clock.advance(199);
    expect(await a.tryAcquire([w])).toBe(1);
    clock.advance(1);
    expect(await b.tryAcquire([w])).toBe(0);
    expect(await a.tryAcquire([w])).toBe(200);
  });

  it("spaces grants evenly across processes, never more than `limit` in any window", async () => {
    const w: Window = { key: "global", limit: 10, windowMs: 500 }; // one every 50 ms
    const start = clock.now().getTime();
    const grants: number[] = [];
    // Three waiters in each process ask whenever the clock reaches the soonest wait they were told.
    while (grants.length < 12) {
      const waits = await Promise.all([a, a, a, b, b, b].map((limiter) => limiter.tryAcquire([w])));
      for (const ms of waits) if (ms === 0) grants.push(clock.now().getTime() - start);
      const soonest = Math.min(...waits.filter((ms) => ms > 0));
      clock.advance(soonest);
    }
    expect(grants).toEqual(Array.from({ length: 12 }, (_, i) => i * 50));
    expect(mostInAnyWindow(grants, 500)).toBe(10);
  });

  it("takes a slot in every window or in none", async () => {
    const perChat: Window = { key: "chat:7", limit: 1, windowMs: 1000 };
    const global: Window = { key: "global", limit: 3, windowMs: 1000, burst: 3 };
    expect(await a.tryAcquire([global, perChat])).toBe(0);
    // Refused by the chat's window: the global window must not have been charged for it.
    expect(await b.tryAcquire([global, perChat])).toBe(1000);
    expect(await b.tryAcquire([global])).toBe(0);
    expect(await a.tryAcquire([global])).toBe(0);
    expect(await b.tryAcquire([global])).toBe(334); // 3 taken: 1 with the chat, 2 alone; the next in 1000/3 ms
    // The wait is the longest of the windows that refuse.
    const other: Window = { key: "chat:8", limit: 1, windowMs: 1000 };
    expect(await a.tryAcquire([global, perChat, other])).toBe(1000);
    expect(await a.tryAcquire([other])).toBe(0);
  });

  it("penalize blocks every window of a key for everyone, only ever lengthening the block", async () => {
    const minute: Window = { key: "chat:-100", limit: 20, windowMs: 60_000, burst: 20 };
    const second: Window = { key: "chat:-100", limit: 10, windowMs: 1000, burst: 10 };
    const elsewhere: Window = { key: "chat:-200", limit: 1, windowMs: 1000 };
    await a.penalize("chat:-100", 40_000);
    await a.penalize("chat:-100", 10_000); // a shorter retry_after later does not cut the block short
    for (const w of [minute, second]) expect(await b.tryAcquire([w])).toBe(40_000);
    expect(await b.tryAcquire([elsewhere])).toBe(0);
    clock.advance(30_000);
    await b.penalize("chat:-100", 20_000); // a longer one does lengthen it: to 50 s after the first
    expect(await a.tryAcquire([minute, second])).toBe(20_000);
    clock.advance(20_000);
    expect(await a.tryAcquire([minute, second])).toBe(0);
  });

  it("keeps keys under its prefix only while they matter: each expires when its window is idle again", async () => {
    await a.tryAcquire([{ key: "chat:1", limit: 5, windowMs: 60_000, burst: 5 }, { key: "global", limit: 1, windowMs: 30_000 }]);
    await a.penalize("chat:1", 45_000);
    const keys = await keysUnder(prefix);
    expect(keys.sort()).toEqual([`${prefix}:ratelimit:chat:1:5/60000`, `${prefix}:ratelimit:chat:1:block`, `${prefix}:ratelimit:global:1/30000`]);
    // The TTL each was given: one interval (60 s / 5) for the chat, 30 s for the global slot, the block's length.
    // Redis counts them down in real time; reading them a few seconds late on a busy machine is still inside.
    const given = { "chat:1:5/60000": 12_000, "chat:1:block": 45_000, "global:1/30000": 30_000 };
    for (const [key, ms] of Object.entries(given)) {
      const left = await connections[0]!.pttl(`${prefix}:ratelimit:${key}`);
      expect(left).toBeLessThanOrEqual(ms);
      expect(left).toBeGreaterThan(ms - 10_000);
    }
  });
});

describe("RateLimiter on Redis's clock", () => {
  it("hands out grants from two processes spaced by the interval, never more than `limit` in any window", async () => {
    const w: Window = { key: "global", limit: 10, windowMs: 500 }; // one every 50 ms
    const [a, b] = twoProcesses();
    // acquire resolves with Redis's time of each grant: what the windows count by, whatever the machine's load.
    // (How close the grants come to the limit is the machine's speed: a busy one wakes the waiters late.)
    const grants = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).acquire([w])));
    expect(grants).toHaveLength(12);
    expect(closestSpacing(grants)).toBeGreaterThanOrEqual(50);
    expect(mostInAnyWindow(grants, 500)).toBeLessThanOrEqual(10);
  });

  it("makes a penalized key wait out its block", async () => {
    const [a, b] = twoProcesses();
    const w: Window = { key: "chat:-100", limit: 10, windowMs: 1000, burst: 10 };
    const before = await a.acquire([w]);
    await a.penalize("chat:-100", 400);
    expect(await b.acquire([w])).toBeGreaterThanOrEqual(before + 400);
  });

  it("stops waiting when aborted, and refuses nonsense windows", async () => {
    const [a, b] = twoProcesses();
    const w: Window = { key: "slow", limit: 1, windowMs: 10_000 };
    await a.acquire([w]);
    const controller = new AbortController();
    const waiting = b.acquire([w], controller.signal);
    setTimeout(() => controller.abort(new Error("shutting down")), 50);
    await expect(waiting).rejects.toThrow("shutting down");
    await expect(a.tryAcquire([{ key: "x", limit: 0, windowMs: 1000 }])).rejects.toThrow(RangeError);
    expect(await a.tryAcquire([])).toBe(0);
  });

  it("while Redis cannot be asked, paces this process with the same windows in memory instead of waiting for Redis", async () => {
    const server = await PrivateRedis.start();
    const conn = await connectRequestRedis(server.url);
    conn.on("error", () => {}); // it is stopped on purpose
    try {
      const limiter = new RateLimiter(conn, prefix);
      await server.stop();
      await expect.poll(() => conn.status).not.toBe("ready");
      const w: Window = { key: "chat:7", limit: 1, windowMs: 60_000 };
      await limiter.acquire([w]); // granted from memory: a reply can still go out
      const controller = new AbortController();
      const second = limiter.acquire([w], controller.signal).then(() => "granted");
      // The window still holds: a second send waits for its slot (a minute), it is not let through.
      expect(await Promise.race([second, new Promise((r) => setTimeout(() => r("waiting"), 300))])).toBe("waiting");
      controller.abort(new Error("enough"));
      await expect(second).rejects.toThrow("enough");
      await expect(limiter.penalize("chat:8", 5000)).resolves.toBeUndefined(); // noted in memory, not thrown
    } finally {
      conn.disconnect();
      await server.close();
    }
  });
});
