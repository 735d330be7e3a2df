// A rate limiter kept in Redis, so every Relay process sending through one bot token draws on one budget
// (an in-memory limiter per process would let N processes send N times the platform's limit). The grammY
// throttle waits on it; the BullMQ deliver worker will ask `tryAcquire` and hand a job back with
// `worker.rateLimit(ms)` when the wait is long, so both agree on the same windows.
//
// Algorithm: GCRA (generic cell rate algorithm), not a sliding-window log, because
//  - it paces: after `burst` messages it lets one through every windowMs/limit instead of letting a whole
//    window's quota out at each window edge. Telegram (and our fake) count with token buckets; a paced sender
//    keeps the server's bucket nearly full, so network jitter between us and Telegram does not turn into 429s,
//    whereas quota-sized clumps meet an empty server bucket at every edge;
//  - its state is one number per window (the "theoretical arrival time"), not one ZSET entry per message,
//    and the key expires exactly when the window is idle again, so thousands of chats cost nothing at rest;
//  - the wait it returns is exact, which is what `worker.rateLimit(ms)` needs.
// With burst 1 (the default) it never lets more than `limit` through in any `windowMs`.
import type { Clock } from "../bot/clock.ts";
import type { RedisConnection } from "./redis.ts";

/** What `acquire` and `sleep` need of an AbortSignal; grammY hands transformers a polyfilled one without `throwIfAborted`. */
export interface Abortable {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

/** `limit` requests per `windowMs`, at most `burst` back to back (default 1: evenly spaced). */
export interface Window {
  key: string;
  limit: number;
  windowMs: number;
  burst?: number;
}

// Server TIME, not the caller's clock: processes on different hosts must agree on "now". (A test hands in its own
// clock's time instead, so the windows it checks are exact.) Blocks are kept as the time they end, on the same clock.
// All windows are checked before any is written, so a request takes a slot in every window or in none.
// Returns { ms to wait (0: granted), the limiter's time of the decision }.
const ACQUIRE = `
-- KEYS[1..n]: the theoretical arrival time (ms) of each window; KEYS[n+1..]: block keys set by penalize.
-- ARGV[1] = n; ARGV[2] = the caller's time in ms, or '' for Redis's;
-- ARGV[2i+1], ARGV[2i+2] = emission interval and burst tolerance of window i, in ms.
local now = tonumber(ARGV[2])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end
local n = tonumber(ARGV[1])
local wait = 0
for i = n + 1, #KEYS do
  local blocked = (tonumber(redis.call('GET', KEYS[i])) or 0) - now
  if blocked > wait then wait = blocked end
end
local nexts = {}
for i = 1, n do
  local interval = tonumber(ARGV[2 * i + 1])
  local tolerance = tonumber(ARGV[2 * i + 2])
  local tat = math.max(tonumber(redis.call('GET', KEYS[i]) or 0), now)
  local early = tat - tolerance - now
  if early > wait then wait = early end
  nexts[i] = tat + interval
end
if wait > 0 then return { math.ceil(wait), string.format('%.3f', now) } end
for i = 1, n do
  -- Once the arrival time has passed, the window is as good as unused: let the key go then.
  redis.call('SET', KEYS[i], string.format('%.3f', nexts[i]), 'PX', math.ceil(nexts[i] - now))
end
return { 0, string.format('%.3f', now) }
`;

// A block only ever grows: a shorter retry_after arriving later must not cut a longer one short.
// ARGV[1] = ms; ARGV[2] = the caller's time in ms, or '' for Redis's.
const PENALIZE = `
local ms = tonumber(ARGV[1])
local now = tonumber(ARGV[2])
if not now then
  local time = redis.call('TIME')
  now = tonumber(time[1]) * 1000 + tonumber(time[2]) / 1000
end
if (tonumber(redis.call('GET', KEYS[1])) or 0) < now + ms then
  redis.call('SET', KEYS[1], string.format('%.3f', now + ms), 'PX', ms)
end
return 0
`;

export interface RateLimiterOptions {
  /** The limiter's time. Default: Redis's own (TIME), which every process agrees on; tests hand in one that stands still until moved. */
  clock?: Clock;
}

/** One try: granted (wait 0) or not, and the limiter's time (ms) it was decided at. */
interface Attempt {
  wait: number;
  at: number;
}

type Scripts = {
  relayRateLimitAcquire(numKeys: number, ...args: (string | number)[]): Promise<[number, string]>;
  relayRateLimitPenalize(numKeys: number, ...args: (string | number)[]): Promise<number>;
};

export class RateLimiter {
  private readonly redis: RedisConnection & Scripts;
  /** The same windows in this process's memory, for while Redis cannot be asked (see acquire). */
  private readonly local: LocalWindows;

  constructor(
    redis: RedisConnection,
    private readonly prefix: string,
    private readonly options: RateLimiterOptions = {},
  ) {
    this.local = new LocalWindows(() => this.localNow());
    const scripts = redis as RedisConnection & Partial<Scripts>;
    // defineCommand sends EVALSHA, falling back to EVAL when Redis lacks the script; define once per connection.
    if (typeof scripts.relayRateLimitAcquire !== "function") redis.defineCommand("relayRateLimitAcquire", { lua: ACQUIRE });
    if (typeof scripts.relayRateLimitPenalize !== "function") redis.defineCommand("relayRateLimitPenalize", { lua: PENALIZE });
    this.redis = redis as RedisConnection & Scripts;
  }

  /** Takes one slot in every window atomically, or none; returns 0 when granted, else ms to wait before trying again. */
  async tryAcquire(windows: Window[]): Promise<number> {
    return (await this.attempt(windows)).wait;
  }

  /**
   * Waits (sleeping the returned ms, with a little jitter) until granted; `signal` aborts. Resolves with the limiter's
   * time (ms) of the grant, which is what its windows count by. While Redis cannot be asked (on a connection that
   * fails at once when it is away: connectRequestRedis), this process paces itself with the same windows in memory,
   * so Relay can still tell people it is busy: alone it stays within the limits, several processes may briefly
   * exceed them, and the platform's 429s then slow them down.
   */
  async acquire(windows: Window[], signal?: Abortable): Promise<number> {
    for (;;) {
      if (signal?.aborted) throw abortError(signal);
      const { wait, at } = await this.attempt(windows).catch((error: unknown) => {
        if (error instanceof RangeError) throw error;
        return this.local.tryAcquire(windows);
      });
      if (wait === 0) return at;
      // Waiters told the same wait would all wake together and race for one slot; spread them a little.
      // (Each waiter asks again once per slot: N waiters on a 30/s window cost about 30·N evals a second.)
      await sleep(wait + Math.random() * Math.min(wait / 10, 25), signal);
    }
  }

  /** Blocks every window of `key` for `ms` (used when Telegram answers 429 retry_after: everyone backs off). */
  async penalize(key: string, ms: number): Promise<void> {
    if (!(ms > 0)) return;
    this.local.penalize(key, ms); // so acquire's fallback honours it too
    await this.redis.relayRateLimitPenalize(1, this.blockKey(key), Math.ceil(ms), this.callerTime()).catch(() => undefined);
  }

  private async attempt(windows: Window[]): Promise<Attempt> {
    if (windows.length === 0) return { wait: 0, at: this.localNow() };
    const stateKeys: string[] = [];
    const args: (number | string)[] = [windows.length, this.callerTime()];
    for (const w of windows) {
      const burst = w.burst ?? 1;
      if (!(w.limit > 0 && w.windowMs > 0 && burst >= 1)) throw new RangeError(`invalid rate window ${JSON.stringify(w)}`);
      const interval = w.windowMs / w.limit;
      stateKeys.push(this.stateKey(w));
      args.push(interval, (burst - 1) * interval);
    }
    const blockKeys = [...new Set(windows.map((w) => this.blockKey(w.key)))];
    const keys = [...stateKeys, ...blockKeys];
    const [wait, at] = await this.redis.relayRateLimitAcquire(keys.length, ...keys, ...args);
    return { wait: Number(wait), at: Number(at) };
  }

  /** What the scripts take as "now": the injected clock's ms, or '' for Redis's TIME. */
  private callerTime(): number | string {
    return this.options.clock?.now().getTime() ?? "";
  }

  /** "Now" without Redis: the injected clock, else this machine's. */
  private localNow(): number {
    return this.options.clock?.now().getTime() ?? Date.now();
  }

  private stateKey(w: Window): string {
    return stateKey(this.prefix, w);
  }

  private blockKey(key: string): string {
    return `${this.prefix}:ratelimit:${key}:block`;
  }
}

/** The Redis script's algorithm (GCRA) on Maps, on this machine's clock: the fallback while Redis is away. */
class LocalWindows {
  constructor(private readonly now: () => number) {}

  /** Theoretical arrival time (ms) per window, as the script keeps in Redis. */
  private readonly arrivals = new Map<string, number>();
  /** Until when (ms) each limiter key is blocked by a 429. */
  private readonly blocks = new Map<string, number>();

  tryAcquire(windows: Window[]): Attempt {
    const now = this.now();
    if (this.arrivals.size > 10_000) for (const [k, tat] of this.arrivals) if (tat <= now) this.arrivals.delete(k);
    let wait = 0;
    for (const w of windows) wait = Math.max(wait, (this.blocks.get(w.key) ?? 0) - now);
    const nexts: [string, number][] = [];
    for (const w of windows) {
      const interval = w.windowMs / w.limit;
      const key = stateKey("", w);
      const tat = Math.max(this.arrivals.get(key) ?? 0, now);
      wait = Math.max(wait, tat - ((w.burst ?? 1) - 1) * interval - now);
      nexts.push([key, tat + interval]);
    }
    if (wait > 0) return { wait: Math.ceil(wait), at: now };
    for (const [key, next] of nexts) this.arrivals.set(key, next);
    return { wait: 0, at: now };
  }

  penalize(key: string, ms: number): void {
    this.blocks.set(key, Math.max(this.blocks.get(key) ?? 0, this.now() + ms));
  }
}

function stateKey(prefix: string, w: Window): string {
  return `${prefix}:ratelimit:${w.key}:${w.limit}/${w.windowMs}`;
}

/** Resolves after `ms`, or rejects as soon as `signal` aborts. */
export function sleep(ms: number, signal?: Abortable): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortError(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortError(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort);
  });
}

function abortError(signal: Abortable): unknown {
  return (signal as { reason?: unknown }).reason ?? new DOMException("This operation was aborted", "AbortError");
}
