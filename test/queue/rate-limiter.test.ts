// The limiter must hold across processes: each test makes two RateLimiters on separate Redis connections
// sharing one prefix, the way two `relay worker` processes would.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { RateLimiter, type Window } from "../../src/queue/rate-limiter.ts";
import { connectRequestRedis } from "../../src/queue/redis.ts";
import { PrivateRedis } from "../support/private-redis.ts";
import { TEST_REDIS_URL, flushPrefix, uniquePrefix } from "../support/redis.ts";

const connections: Redis[] = [];
let prefix: string;
let a: RateLimiter;
let b: RateLimiter;

function connect(): Redis {
  const redis = new Redis(TEST_REDIS_URL);
  connections.push(redis);
  return redis;
}
async function keysUnder(p: string): Promise<string[]> {
  return connections[0]!.keys(`${p}:*`);
}

beforeEach(() => {
  prefix = uniquePrefix("ratelimit");
  a = new RateLimiter(connect(), prefix);
  b = new RateLimiter(connect(), prefix);
});
afterEach(async () => {
  await flushPrefix(prefix);
});
afterAll(() => {
  for (const c of connections) c.disconnect();
});

describe("RateLimiter", () => {
  it("holds one budget across two processes: a burst of 5 lets 5 of 12 through, then paces", async () => {
    const w: Window = { key: "chat:1", limit: 5, windowMs: 1000, burst: 5 };
    const waits = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).tryAcquire([w])));
    expect(waits.filter((ms) => ms === 0)).toHaveLength(5);
    // The next slot opens one interval (1000/5 ms) after the burst, and each refusal says so.
    for (const ms of waits.filter((ms) => ms > 0)) {
      expect(ms).toBeGreaterThan(150);
      expect(ms).toBeLessThanOrEqual(200);
    }
  });

  it("spaces grants evenly across processes, never more than `limit` in any window", async () => {
    const w: Window = { key: "global", limit: 10, windowMs: 500 }; // one every 50 ms
    const grants: number[] = [];
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? a : b).acquire([w]).then(() => grants.push(Date.now() - t0))));
    grants.sort((x, y) => x - y);
    expect(grants[11]!).toBeGreaterThanOrEqual(540); // 11 intervals after the first
    expect(grants[11]!).toBeLessThan(900);
    for (let i = 10; i < grants.length; i++) expect(grants[i]! - grants[i - 10]!).toBeGreaterThanOrEqual(490);
  });

  it("takes a slot in every window or in none", async () => {
    const perChat: Window = { key: "chat:7", limit: 1, windowMs: 1000 };
    const global: Window = { key: "global", limit: 3, windowMs: 1000, burst: 3 };
    expect(await a.tryAcquire([global, perChat])).toBe(0);
    // Refused by the chat's window: the global window must not have been charged for it.
    const wait = await b.tryAcquire([global, perChat]);
    expect(wait).toBeGreaterThan(900);
    expect(wait).toBeLessThanOrEqual(1000);
    expect(await b.tryAcquire([global])).toBe(0);
    expect(await a.tryAcquire([global])).toBe(0);
    expect(await b.tryAcquire([global])).toBeGreaterThan(0); // 3 taken: 1 with the chat, 2 alone
    // The wait is the longest of the windows that refuse.
    const other: Window = { key: "chat:8", limit: 1, windowMs: 1000 };
    const both = await a.tryAcquire([global, perChat, other]);
    expect(both).toBeGreaterThan(900);
    expect(await a.tryAcquire([other])).toBe(0);
  });

  it("penalize blocks every window of a key for everyone, only ever lengthening the block", async () => {
    const minute: Window = { key: "chat:-100", limit: 20, windowMs: 60_000, burst: 20 };
    const second: Window = { key: "chat:-100", limit: 10, windowMs: 1000, burst: 10 };
    const elsewhere: Window = { key: "chat:-200", limit: 1, windowMs: 1000 };
    await a.penalize("chat:-100", 400);
    await a.penalize("chat:-100", 100); // a shorter retry_after later does not cut the block short
    for (const w of [minute, second]) {
      const wait = await b.tryAcquire([w]);
      expect(wait).toBeGreaterThan(300);
      expect(wait).toBeLessThanOrEqual(400);
    }
    expect(await b.tryAcquire([elsewhere])).toBe(0);
    const t0 = Date.now();
    await b.acquire([minute, second]);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it("keeps keys under its prefix only while they matter", async () => {
    await a.tryAcquire([{ key: "chat:1", limit: 5, windowMs: 300, burst: 5 }, { key: "global", limit: 1, windowMs: 200 }]);
    await a.penalize("chat:1", 250);
    const keys = await keysUnder(prefix);
    expect(keys.sort()).toEqual([`${prefix}:ratelimit:chat:1:5/300`, `${prefix}:ratelimit:chat:1:block`, `${prefix}:ratelimit:global:1/200`]);
    for (const key of keys) {
      const ttl = await connections[0]!.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(250);
    }
    await new Promise((r) => setTimeout(r, 300));
    expect(await keysUnder(prefix)).toEqual([]);
  });

  it("stops waiting when aborted, and refuses nonsense windows", async () => {
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
