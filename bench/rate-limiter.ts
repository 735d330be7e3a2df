// How close the shared rate limiter comes to its limit: W waiters in each of two "processes" (own Redis
// connections, one prefix) acquire N slots of one window between them, and the grants are counted on the
// limiter's own clock (Redis's TIME). The tests check that no window ever holds more than the limit; how near
// to the limit the waiters get, and how late each grant is after its slot opened, is this machine's speed.
// Prints the achieved rate against the limit and the lateness p50/p99/max. Run: npx tsx bench/rate-limiter.ts [slots] [per second]
import { Redis } from "ioredis";
import { RateLimiter, type Window } from "../src/queue/rate-limiter.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../test/support/redis.ts";

const SLOTS = Number(process.argv[2] ?? 300);
const PER_SECOND = Number(process.argv[3] ?? 50);
const WAITERS = 8; // in each process

const prefix = uniquePrefix("bench-ratelimit");
const connections = [new Redis(TEST_REDIS_URL), new Redis(TEST_REDIS_URL)];
const limiters = connections.map((c) => new RateLimiter(c, prefix));
const window: Window = { key: "bench", limit: PER_SECOND, windowMs: 1000 };

try {
  const grants: number[] = [];
  let left = SLOTS;
  const waiter = async (limiter: RateLimiter) => {
    while (left-- > 0) grants.push(await limiter.acquire([window]));
  };
  await Promise.all(limiters.flatMap((limiter) => Array.from({ length: WAITERS }, () => waiter(limiter))));
  grants.sort((a, b) => a - b);
  const interval = 1000 / PER_SECOND;
  // Slot k opens one interval after slot k-1 was taken; lateness is how long after that it was taken.
  const late = grants.slice(1).map((t, i) => t - (grants[i]! + interval)).sort((a, b) => a - b);
  const pct = (p: number) => late[Math.min(late.length - 1, Math.floor((late.length * p) / 100))]!.toFixed(2);
  const seconds = (grants.at(-1)! - grants[0]!) / 1000;
  console.log(`rate limiter: ${SLOTS} slots at ${PER_SECOND}/s, ${WAITERS} waiters in each of 2 processes`);
  console.log(`  achieved ${((SLOTS - 1) / seconds).toFixed(1)}/s of ${PER_SECOND}/s (${((100 * (SLOTS - 1)) / seconds / PER_SECOND).toFixed(1)} %)`);
  console.log(`  lateness after the slot opened: p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${late.at(-1)!.toFixed(2)} ms`);
} finally {
  await flushPrefix(prefix);
  for (const c of connections) c.disconnect();
}
