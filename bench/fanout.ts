// Prints fan-out throughput, in a real PostgreSQL schema and real Redis:
//  (a) rate-limited: N copies through the outbox (rows, claims, records) to a chat that declares a ceiling of
//      --ceiling msg/s and enforces it with a token bucket, answering 429 (RateLimitedError) when empty;
//      achieved msg/s as a share of the ceiling, 429s, lost and duplicated messages;
//  (b) unlimited: N through SendQueue with no limiter (with the receipt work, and with an empty handler)
//      next to a raw BullMQ baseline (Queue.addBulk + Worker with an empty processor, same Redis, same
//      concurrency). This file imports bullmq for that baseline only.
// Run: npx tsx bench/fanout.ts [--count 10000] [--ceiling 300] [--concurrency 16]
import { parseArgs } from "node:util";
import { Queue, Worker } from "bullmq";
import { pino } from "pino";
import type { SendOptions } from "../src/bot/adapter.ts";
import { Bot } from "../src/bot/bot.ts";
import type { ChatRef, MessageRef, Outbound, Platform } from "../src/bot/message.ts";
import type { PlatformLimits } from "../src/delivery/limits.ts";
import { Outbox } from "../src/delivery/outbox.ts";
import { RateLimiter } from "../src/queue/rate-limiter.ts";
import { TestAdapter } from "../test/support/test-adapter.ts";
import { SendQueue, RateLimitedError, type DeliverHandler, type RateLimit } from "../src/delivery/send-queue.ts";
import { connectRedis } from "../src/queue/redis.ts";
import { testDatabase, type TestDatabase } from "../test/support/db.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../test/support/redis.ts";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "10000" },
    ceiling: { type: "string", default: "300" },
    concurrency: { type: "string", default: "16" },
  },
});
const COUNT = Number(values.count);
const CEILING = Number(values.ceiling);
const CONCURRENCY = Number(values.concurrency);
const log = pino({ level: "silent" });
const redis = connectRedis(TEST_REDIS_URL);
const prefixes: string[] = [];

/** The platform's side: `rate` tokens a second, a second's worth of burst; an empty bucket answers 429. */
class TokenBucket {
  private tokens: number;
  private last = performance.now();
  rejected = 0;
  constructor(private readonly rate: number) {
    this.tokens = rate;
  }
  take(): void {
    const now = performance.now();
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) * this.rate) / 1000);
    this.last = now;
    if (this.tokens < 1) {
      this.rejected++;
      throw new RateLimitedError(Math.ceil(((1 - this.tokens) * 1000) / this.rate));
    }
    this.tokens -= 1;
  }
}

async function seed(db: TestDatabase): Promise<{ people: number[]; circular: () => Promise<number[]> }> {
  const people: number[] = [];
  for (let i = 0; i < COUNT; i += 5000) {
    const rows = await db.prisma.person.createManyAndReturn({
      data: Array.from({ length: Math.min(5000, COUNT - i) }, (_, j) => ({ name: `recipient ${i + j + 1}` })),
      select: { id: true },
    });
    people.push(...rows.map((r) => r.id));
  }
  let serial = 0;
  const circular = async () => {
    const c = await db.prisma.circular.create({
      data: { kind: "notice", year: 2026, serial: ++serial, title: `bench ${serial}`, authorId: people[0]!, audience: { everyone: true } },
    });
    const ids: number[] = [];
    for (let i = 0; i < people.length; i += 5000) {
      const rows = await db.prisma.receipt.createManyAndReturn({
        data: people.slice(i, i + 5000).map((personId) => ({ circularId: c.id, personId })),
        select: { id: true },
      });
      ids.push(...rows.map((r) => r.id));
    }
    return ids;
  };
  return { people, circular };
}

/** The outbox's core per send, in miniature: read the row, skip it if sent, "send", record the message id. */
function receiptHandler(db: TestDatabase, sends: Map<number, number>, times: number[], bucket?: TokenBucket): DeliverHandler {
  return async (receiptId, { platform }) => {
    const row = await db.prisma.receipt.findUnique({ where: { id: receiptId }, select: { messageId: true } });
    if (!row || row.messageId) return "skipped";
    bucket?.take(); // may throw RateLimitedError: the platform said 429
    sends.set(receiptId, (sends.get(receiptId) ?? 0) + 1);
    times.push(performance.now());
    await db.prisma.receipt.updateMany({
      where: { id: receiptId, messageId: null },
      data: { delivery: "sent", platform, chatId: `chat-${receiptId}`, messageId: `m-${receiptId}`, deliveredAt: new Date() },
    });
    return "sent";
  };
}

/** A chat platform with a ceiling: it declares it (as adapters do) and refuses what goes over it with a 429. */
class CeilingChat extends TestAdapter {
  readonly limits: PlatformLimits;
  readonly sends = new Map<string, number>();
  readonly times: number[] = [];
  constructor(readonly bucket: TokenBucket, ceiling: number) {
    super();
    this.limits = { perSecond: ceiling };
  }
  override async send(to: ChatRef, _message: Outbound, options?: SendOptions): Promise<MessageRef> {
    this.bucket.take(); // may throw RateLimitedError: the platform said 429, before anything was claimed
    await options?.onWire?.();
    this.sends.set(to.id, (this.sends.get(to.id) ?? 0) + 1);
    this.times.push(performance.now());
    return { platform: "console", chatId: to.id, messageId: String(this.times.length) };
  }
}

/** N copies of one notice through the outbox, to a chat at `CEILING` msg/s. */
async function runOutbox(db: TestDatabase, people: number[], chat: CeilingChat): Promise<Run & { lost: number; duplicated: number }> {
  const prefix = uniquePrefix("bench-outbox");
  prefixes.push(prefix);
  await db.prisma.identity.createMany({ data: people.map((personId) => ({ personId, platform: "console" as const, externalId: `u${personId}` })), skipDuplicates: true });
  const bot = new Bot({ log, defaultLocale: "zh-CN", identify: async () => null }).addAdapter(chat);
  await chat.start(async () => ({}));
  const queue = new SendQueue({ connection: redis, prefix, log, limits: { console: { max: CEILING, duration: 1000 } } });
  const outbox = new Outbox({ prisma: db.prisma, sql: db.sql, bot, clock: { now: () => new Date() }, log, queue, limiter: new RateLimiter(redis, prefix), limitsOf: () => chat.limits });
  try {
    const t0 = performance.now();
    await outbox.send(people.map((personId) => ({ key: `bench-copy-${personId}`, to: { personId }, message: { text: "通知" }, priority: "bulk" as const })));
    const t1 = performance.now();
    queue.startWorkers(CONCURRENCY);
    await until(async () => (await outbox.dueCount()) === 0);
    const processMs = performance.now() - t1;
    const sent = await db.prisma.outboxMessage.count({ where: { key: { startsWith: "bench-copy-" }, state: "sent" } });
    let duplicated = 0;
    for (const n of chat.sends.values()) duplicated += Math.max(0, n - 1);
    return { enqueueMs: t1 - t0, processMs, lost: people.length - sent, duplicated };
  } finally {
    await queue.close();
  }
}

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, 10));
}

interface Run {
  enqueueMs: number;
  processMs: number;
}

async function runDeliver(platform: Platform, limits: Partial<Record<Platform, RateLimit | null>>, handler: DeliverHandler, receipts: number[]): Promise<Run> {
  const prefix = uniquePrefix("bench-fanout");
  prefixes.push(prefix);
  const deliver = new SendQueue({ connection: redis, prefix, log, limits, keepCompleted: true });
  try {
    deliver.handle(handler);
    const t0 = performance.now();
    await deliver.enqueue(platform, receipts.map((receiptId) => ({ sendId: receiptId, priority: 10 })));
    const t1 = performance.now();
    deliver.startWorkers(CONCURRENCY);
    await until(async () => {
      const c = await deliver.counts(platform);
      if (c.failed) throw new Error(`${c.failed} deliveries failed`);
      return c.completed === receipts.length;
    });
    return { enqueueMs: t1 - t0, processMs: performance.now() - t1 };
  } finally {
    await deliver.close();
  }
}

async function runRawBullmq(): Promise<Run> {
  const prefix = uniquePrefix("bench-raw");
  prefixes.push(prefix);
  const queue = new Queue("baseline", { connection: redis, prefix });
  let worker: Worker | undefined;
  try {
    const t0 = performance.now();
    for (let i = 0; i < COUNT; i += 1000) {
      await queue.addBulk(Array.from({ length: Math.min(1000, COUNT - i) }, (_, j) => ({ name: "job", data: { receiptId: i + j, round: 0 } })));
    }
    const t1 = performance.now();
    worker = new Worker("baseline", async () => {}, { connection: redis, prefix, concurrency: CONCURRENCY });
    await until(async () => (await queue.getJobCounts("completed")).completed === COUNT);
    return { enqueueMs: t1 - t0, processMs: performance.now() - t1 };
  } finally {
    await worker?.close();
    await queue.close();
  }
}

async function lost(db: TestDatabase, receipts: number[]): Promise<number> {
  return db.prisma.receipt.count({ where: { id: { in: receipts }, messageId: null } });
}

function duplicated(sends: Map<number, number>): number {
  let extra = 0;
  for (const n of sends.values()) extra += Math.max(0, n - 1);
  return extra;
}

/** The most sends in any `windowMs` (a sliding window, unlike BullMQ's fixed one). */
function peak(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let best = 0;
  for (let lo = 0, hi = 0; hi < sorted.length; hi++) {
    while (sorted[hi]! - sorted[lo]! >= windowMs) lo++;
    best = Math.max(best, hi - lo + 1);
  }
  return best;
}

const rate = (n: number, ms: number) => `${Math.round((n / ms) * 1000)} msg/s`;
const secs = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

const db = await testDatabase("postgres");
try {
  console.log(`fan-out of ${COUNT} through the outbox and SendQueue (node ${process.version}, concurrency ${CONCURRENCY}, PostgreSQL receipts, real Redis)`);
  const { people, circular } = await seed(db);

  // (a) rate-limited, through the outbox
  {
    const bucket = new TokenBucket(CEILING);
    const chat = new CeilingChat(bucket, CEILING);
    const run = await runOutbox(db, people, chat);
    const achieved = (COUNT / run.processMs) * 1000;
    console.log(
      `(a) outbox, rate-limited at ${CEILING} msg/s: ${secs(run.processMs)} → ${rate(COUNT, run.processMs)} = ${((achieved / CEILING) * 100).toFixed(1)} % of the ceiling; ` +
        `429s ${bucket.rejected}, peak ${peak(chat.times, 1000)} in any 1 s; lost ${run.lost}, duplicated ${run.duplicated} (rows and jobs ${secs(run.enqueueMs)})`,
    );
  }

  // (b) unlimited
  {
    const receipts = await circular();
    const sends = new Map<number, number>();
    const withDb = await runDeliver("console", { console: null }, receiptHandler(db, sends, []), receipts);
    console.log(
      `(b) SendQueue, unlimited, receipt read + conditional update in PostgreSQL: ${rate(COUNT, withDb.processMs)} (${secs(withDb.processMs)}); ` +
        `lost ${await lost(db, receipts)}, duplicated ${duplicated(sends)}; enqueue ${rate(COUNT, withDb.enqueueMs)}`,
    );
    const empty = await runDeliver("console", { console: null }, async () => "sent", receipts);
    console.log(`    SendQueue, unlimited, empty handler: ${rate(COUNT, empty.processMs)} (${secs(empty.processMs)}); enqueue ${rate(COUNT, empty.enqueueMs)}`);
    const raw = await runRawBullmq();
    console.log(`    raw BullMQ baseline, empty processor:   ${rate(COUNT, raw.processMs)} (${secs(raw.processMs)}); enqueue ${rate(COUNT, raw.enqueueMs)}`);
  }
} finally {
  await db.drop();
  for (const p of prefixes) await flushPrefix(p);
  await redis.quit();
}
