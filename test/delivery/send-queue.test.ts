// The send queue against real Redis and PostgreSQL: 200 receipts of one circular, delivered by a
// handler that records the sent message on the receipt row only if none is recorded yet, the way the
// outbox does. Each test has its own Redis prefix (flushed after) and its own circular.
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { pino } from "pino";
import { SendQueue, RateLimitedError, type DeliverHandler, type SendQueueOptions } from "../../src/delivery/send-queue.ts";
import { connectRedis, type RedisConnection } from "../../src/queue/redis.ts";
import { testDatabase, type TestDatabase } from "../support/db.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../support/redis.ts";
import { until } from "../support/wait.ts";

const RECIPIENTS = 200;
const CHILD = fileURLToPath(new URL("../support/deliver-worker-child.ts", import.meta.url));
const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

let db: TestDatabase;
let people: number[];
let serial = 0;
let prefix: string;
let redis: RedisConnection;
let queues: SendQueue[];
const children: ChildProcess[] = [];

beforeAll(async () => {
  db = await testDatabase("postgres");
  const rows = await db.prisma.person.createManyAndReturn({
    data: Array.from({ length: RECIPIENTS }, (_, i) => ({ name: `recipient ${i + 1}` })),
    select: { id: true },
  });
  people = rows.map((p) => p.id);
});
afterAll(async () => {
  await db?.drop();
});
beforeEach(() => {
  prefix = uniquePrefix("deliver");
  redis = connectRedis(TEST_REDIS_URL);
  queues = [];
});
afterEach(async () => {
  // A worker child a failed test left running would go on taking jobs from later runs' queues: end it by its pid.
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  for (const q of queues) await q.close();
  await redis.quit();
  await flushPrefix(prefix);
});

/** A published notice to every person, with raw minimal data; returns its receipt ids. */
async function newCircular(): Promise<number[]> {
  const circular = await db.prisma.circular.create({
    data: { kind: "notice", year: 2026, serial: ++serial, title: `notice ${serial}`, authorId: people[0]!, audience: { everyone: true } },
  });
  const receipts = await db.prisma.receipt.createManyAndReturn({
    data: people.map((personId) => ({ circularId: circular.id, personId })),
    select: { id: true },
  });
  return receipts.map((r) => r.id);
}

function newQueue(opts: Partial<SendQueueOptions> = {}): SendQueue {
  const q = new SendQueue({ connection: redis, prefix, log, backoffMs: 10, keepCompleted: true, ...opts });
  queues.push(q);
  return q;
}

/** The outbox's idempotent core, in miniature: record the message on the row unless one is recorded, then "send". */
function recordingHandler(sent: number[], before?: (receiptId: number) => void): DeliverHandler {
  return async (receiptId, { platform }) => {
    before?.(receiptId); // failures happen before anything is sent, as a refused API call would
    const { count } = await db.prisma.receipt.updateMany({
      where: { id: receiptId, messageId: null },
      data: { delivery: "sent", platform, chatId: `chat-${receiptId}`, messageId: `m-${receiptId}`, deliveredAt: new Date() },
    });
    if (count === 0) return "skipped";
    sent.push(receiptId);
    return "sent";
  };
}

/** Resolves when `queue` has nothing left to run for console and `done` jobs finished (completed or failed). */
async function drained(queue: SendQueue, done: number): Promise<Record<string, number>> {
  let counts: Record<string, number> = {};
  await until(async () => {
    counts = await queue.counts("console");
    const pending = (counts.waiting ?? 0) + (counts.active ?? 0) + (counts.delayed ?? 0) + (counts.prioritized ?? 0);
    return pending === 0 && (counts.completed ?? 0) + (counts.failed ?? 0) >= done;
  }, "the queue to drain");
  return counts;
}

function expectOnceEach(sent: number[], receipts: number[]): void {
  expect(sent).toHaveLength(receipts.length);
  expect([...sent].sort((a, b) => a - b)).toEqual([...receipts].sort((a, b) => a - b));
}

async function undelivered(receipts: number[]): Promise<number> {
  return db.prisma.receipt.count({ where: { id: { in: receipts }, OR: [{ messageId: null }, { delivery: { not: "sent" } }] } });
}

describe("SendQueue", () => {
  it("delivers each of 200 receipts exactly once", async () => {
    const receipts = await newCircular();
    const sent: number[] = [];
    const deliver = newQueue();
    deliver.handle(recordingHandler(sent));
    deliver.startWorkers(8);
    await deliver.enqueue("console", receipts.map((receiptId) => ({ sendId: receiptId, priority: 10 })));

    const counts = await drained(deliver, RECIPIENTS);
    expect(counts).toMatchObject({ completed: RECIPIENTS, failed: 0 });
    expectOnceEach(sent, receipts);
    expect(await undelivered(receipts)).toBe(0);
  });

  it("enqueueing the same sends twice (before and after delivery) still delivers once", async () => {
    const receipts = await newCircular();
    const jobs = receipts.map((receiptId) => ({ sendId: receiptId, priority: 10 }));
    const sent: number[] = [];
    const outcomes: string[] = [];
    const deliver = newQueue();
    const handler = recordingHandler(sent);
    deliver.handle(async (job, attempt) => {
      const outcome = await handler(job, attempt);
      outcomes.push(outcome);
      return outcome;
    });
    await deliver.enqueue("console", jobs);
    await deliver.enqueue("console", jobs);
    expect((await deliver.counts("console")).prioritized).toBe(RECIPIENTS); // same ids: one job each
    deliver.startWorkers(8);
    await drained(deliver, RECIPIENTS);
    await deliver.enqueue("console", jobs); // finished jobs are kept, so this adds nothing: nothing waits to run
    expect(await deliver.counts("console")).toMatchObject({ waiting: 0, prioritized: 0, delayed: 0, active: 0, completed: RECIPIENTS });
    expectOnceEach(sent, receipts);
    expect(outcomes.filter((o) => o === "sent")).toHaveLength(RECIPIENTS);
  });

  it("retries a handler that fails 20 % of the time until every receipt is delivered once", async () => {
    const receipts = await newCircular();
    const sent: number[] = [];
    let failures = 0;
    // 10 attempts: the chance that any of 200 jobs fails 10 times in a row at 20 % is ~2e-5.
    const deliver = newQueue({ attempts: 10 });
    deliver.handle(
      recordingHandler(sent, () => {
        if (Math.random() < 0.2) {
          failures++;
          throw new Error("platform hiccup");
        }
      }),
    );
    deliver.startWorkers(8);
    await deliver.enqueue("console", receipts.map((receiptId) => ({ sendId: receiptId, priority: 10 })));

    const counts = await drained(deliver, RECIPIENTS);
    expect(failures).toBeGreaterThan(10);
    expect(counts).toMatchObject({ completed: RECIPIENTS, failed: 0 });
    expectOnceEach(sent, receipts);
    expect(await undelivered(receipts)).toBe(0);
  });

  it("a RateLimitedError pauses the platform for its wait and puts the job back without using an attempt", async () => {
    const receipts = (await newCircular()).slice(0, 20);
    const sent: number[] = [];
    const starts: { receiptId: number; at: number; attempt: number }[] = [];
    const pauses: number[] = [];
    const watched = pino({ level: "info" }, { write: (line: string) => void (JSON.parse(line).msg === "platform rate limit: pausing deliveries" && pauses.push(JSON.parse(line).pauseMs)) });
    // One attempt: if the 429 cost an attempt, the job would end up failed. A platform with a ceiling (far above
    // this test's pace): only a limited platform has a window to pause.
    const deliver = newQueue({ attempts: 1, limits: { console: { max: 1000, duration: 100 } }, log: watched });
    const handler = recordingHandler(sent);
    deliver.handle(async (job, attempt) => {
      starts.push({ receiptId: job, at: Date.now(), attempt: attempt.attempt });
      // The first three calls answer 429: each pauses console deliveries for 250 ms.
      if (starts.length <= 3) throw new RateLimitedError(250);
      return handler(job, attempt);
    });
    deliver.startWorkers(1); // one at a time, so "nothing starts during the pause" is exact
    await deliver.enqueue("console", receipts.map((receiptId) => ({ sendId: receiptId, priority: 10 })));

    const counts = await drained(deliver, receipts.length);
    expect(counts).toMatchObject({ completed: receipts.length, failed: 0 });
    expectOnceEach(sent, receipts);
    expect(starts).toHaveLength(receipts.length + 3);
    expect(starts.every((s) => s.attempt === 1)).toBe(true);
    // The limited job comes back at the head of the line, and only once each pause is over (a wait on the
    // machine's clock that only a broken pause could cut short, however busy the machine is).
    expect(new Set(starts.slice(0, 4).map((s) => s.receiptId)).size).toBe(1);
    for (let i = 1; i <= 3; i++) expect(starts[i]!.at - starts[i - 1]!.at).toBeGreaterThanOrEqual(240);
    // Each pause is the 429's own wait: the 100 ms window (what is left of it) does not stretch it.
    expect(pauses).toEqual([250, 250, 250]);
  });

  it("a short 429 in the middle of a limiter window does not open a fresh window early", async () => {
    const receipts = (await newCircular()).slice(0, 20);
    const sent: number[] = [];
    // A window far longer than the test: had the 5 ms pause replaced it, a fresh window of 10 would open at once.
    const deliver = newQueue({ limits: { console: { max: 10, duration: 60_000 } } });
    const handler = recordingHandler(sent);
    let calls = 0;
    deliver.handle(async (job, attempt) => {
      if (++calls === 3) throw new RateLimitedError(5); // "retry after 5 ms", with 8 of 10 slots still open
      return handler(job, attempt);
    });
    deliver.startWorkers(1); // one at a time: two sent, then the 429
    await deliver.enqueue("console", receipts.map((receiptId) => ({ sendId: receiptId, priority: 10 })));

    // BullMQ's pause is its window key in Redis set to "full"; it must last the rest of the minute, not 5 ms.
    const limiterKey = `${prefix}:outbox-console:limiter`;
    await until(async () => calls >= 3 && Number(await redis.get(limiterKey)) > 10, "the pause after the 429");
    expect(await redis.pttl(limiterKey)).toBeGreaterThan(50_000);
    expect(sent).toHaveLength(2);
    expect(calls).toBe(3);
  });

  it("a job-scoped RateLimitedError delays only that job", async () => {
    const receipts = (await newCircular()).slice(0, 10);
    const slow = receipts[0]!;
    const sent: number[] = [];
    const delivered = new Map<number, number>();
    const order: number[] = [];
    let limitedAt = 0;
    const deliver = newQueue({ attempts: 1 });
    const handler = recordingHandler(sent);
    deliver.handle(async (job, attempt) => {
      if (job === slow && limitedAt === 0) {
        limitedAt = Date.now();
        throw new RateLimitedError(400, "job"); // e.g. this chat's own 1-per-second window
      }
      const outcome = await handler(job, attempt);
      delivered.set(job, Date.now());
      order.push(job);
      return outcome;
    });
    deliver.startWorkers(1);
    await deliver.enqueue("console", receipts.map((receiptId) => ({ sendId: receiptId, priority: 10 })));

    const counts = await drained(deliver, receipts.length);
    expect(counts).toMatchObject({ completed: receipts.length, failed: 0 });
    expectOnceEach(sent, receipts);
    // It waited its 400 ms (a wait only a broken delay could cut short, however busy the machine is)…
    expect(delivered.get(slow)! - limitedAt).toBeGreaterThanOrEqual(390);
    // …while everyone else went out: back from its delay, it joined the line behind them all.
    expect(order).toEqual([...receipts.slice(1), slow]);
  });

  it("the platform limiter holds the rate: 40 jobs at 10 per 300 ms take three windows", async () => {
    const receipts = (await newCircular()).slice(0, 40);
    const starts: number[] = [];
    const sent: number[] = [];
    const deliver = newQueue({ limits: { console: { max: 10, duration: 300 } } });
    const handler = recordingHandler(sent);
    deliver.handle(async (job, attempt) => {
      starts.push(Date.now());
      return handler(job, attempt);
    });
    deliver.startWorkers(8);
    const enqueuedAt = Date.now();
    await deliver.enqueue("console", receipts.map((receiptId) => ({ sendId: receiptId, priority: 10 })));

    await drained(deliver, receipts.length);
    expectOnceEach(sent, receipts);
    starts.sort((a, b) => a - b);
    // No more than 10 start per window, and each window (BullMQ's are fixed: from the first start in it, 300 ms)
    // opens after the one before it has ended; the first opened after the enqueue. So the 31st start is in the
    // fourth window, three full windows after the enqueue at the earliest, however busy the machine is.
    expect(starts[30]! - enqueuedAt).toBeGreaterThanOrEqual(3 * 300 - 5); // 5: whole-ms clock readings
  });

  it("a worker killed with SIGKILL mid fan-out loses nothing and duplicates nothing once another takes over", { timeout: 240_000 }, async () => {
    const receipts = await newCircular();
    await db.sql.query("CREATE TABLE sends (receipt int NOT NULL, pid int NOT NULL, at timestamptz NOT NULL DEFAULT now())");
    const sends = async () => Number((await db.sql.query<{ n: string }>("SELECT count(*) AS n FROM sends"))[0]!.n);
    const deliver = newQueue(); // enqueues and counts here; the workers run in the children
    await deliver.enqueue("console", receipts.map((receiptId) => ({ sendId: receiptId, priority: 10 })));

    const schema = (await db.sql.query<{ s: string }>("SELECT current_schema() AS s"))[0]!.s;
    const first = startChild(schema);
    await until(async () => (await sends()) >= 50, "50 sends from the first worker");
    first.process.kill("SIGKILL");
    await first.exited;
    const atKill = await sends();
    const activeAtKill = (await deliver.counts("console")).active ?? 0;
    expect(atKill).toBeLessThan(RECIPIENTS);

    const second = startChild(schema);
    await until(async () => (await sends()) >= RECIPIENTS, "the second worker to send the rest");
    await drained(deliver, RECIPIENTS);
    second.process.kill("SIGTERM");
    expect(await second.exited).toBe(0);

    const perReceipt = await db.sql.query<{ receipt: number; n: string }>("SELECT receipt, count(*) AS n FROM sends GROUP BY receipt");
    expect(perReceipt).toHaveLength(RECIPIENTS);
    expect(perReceipt.filter((r) => Number(r.n) !== 1)).toEqual([]);
    expect(perReceipt.map((r) => r.receipt).sort((a, b) => a - b)).toEqual([...receipts].sort((a, b) => a - b));
    expect(await undelivered(receipts)).toBe(0);
    expect(await deliver.counts("console")).toMatchObject({ completed: RECIPIENTS, failed: 0 });
    // The jobs the killed worker held were recovered by the second one (BullMQ's stalled check).
    expect(activeAtKill).toBeGreaterThan(0);
    expect(second.stalled.length).toBeGreaterThan(0);
    console.info(
      `kill test: ${atKill} sends before SIGKILL, ${activeAtKill} jobs active at the kill, ${second.stalled.length} recovered as stalled, ` +
        `${second.outcomes.filter((o) => o === "skipped").length} reruns found their row already sent`,
    );
  });
});

interface Child {
  process: ChildProcess;
  exited: Promise<number | null>;
  outcomes: string[];
  stalled: string[];
}

function startChild(schema: string): Child {
  const child = spawn(process.execPath, ["--import", "tsx", CHILD], {
    env: { ...process.env, DELIVER_SCHEMA: schema, DELIVER_PREFIX: prefix, TEST_REDIS_URL },
    stdio: ["ignore", "pipe", "pipe"],
  });
  children.push(child);
  const result: Child = { process: child, exited: new Promise((resolve) => child.once("exit", (code) => resolve(code))), outcomes: [], stalled: [] };
  createInterface({ input: child.stdout! }).on("line", (line) => {
    const msg = JSON.parse(line) as { outcome?: string };
    if (msg.outcome) result.outcomes.push(msg.outcome);
  });
  createInterface({ input: child.stderr! }).on("line", (line) => {
    if (line.includes("stalled")) result.stalled.push(line);
    else if (!line.startsWith("{")) process.stderr.write(`[deliver child] ${line}\n`);
  });
  return result;
}
