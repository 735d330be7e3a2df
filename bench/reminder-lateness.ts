// Prints how late 10,000 personal reminders due at the same minute reach the chat adapter (p50/p99), next to
// raw BullMQ's lateness for 10,000 delayed no-op jobs on the same Redis in the same run, and their ratio; and
// the latency of /remind itself through the core (router → parse → rows → outbox) on PostgreSQL.
// The platform limit is lifted (the adapter declares none), so what is measured is Relay's own overhead.
// Run: npx tsx bench/reminder-lateness.ts [count]
import { Queue, Worker } from "bullmq";
import { pino } from "pino";
import type { SendOptions } from "../src/bot/adapter.ts";
import { plainText, type ChatRef, type MessageRef, type Outbound } from "../src/bot/message.ts";
import { loadConfig } from "../src/config.ts";
import { SEND_CONCURRENCY } from "../src/delivery/send-queue.ts";
import { connectRedis } from "../src/queue/redis.ts";
import { createRuntime } from "../src/runtime.ts";
import { testDatabase } from "../test/support/db.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../test/support/redis.ts";
import { TestAdapter } from "../test/support/test-adapter.ts";

const COUNT = Number(process.argv[2] ?? 10_000);
const CONCURRENCY = SEND_CONCURRENCY; // the outbox's send workers' default, used for the raw baseline too
const MINUTE = 60_000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
const stats = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: percentile(s, 50), p99: percentile(s, 99), max: s.at(-1)! };
};
const ms = (n: number) => `${n.toFixed(0)} ms`;

/** Records when each message reaches the adapter (after the outbox's claim), by recipient. */
class StopwatchChat extends TestAdapter {
  readonly arrivals = new Map<string, number>();
  duplicates = 0;
  override async send(to: ChatRef, message: Outbound, options?: SendOptions): Promise<MessageRef> {
    if (!plainText(message.text).startsWith("⏰")) return super.send(to, message, options); // the answers to /remind
    await options?.onWire?.();
    if (this.arrivals.has(to.id)) this.duplicates++;
    else this.arrivals.set(to.id, Date.now());
    return { platform: "console", chatId: to.id, messageId: String(this.arrivals.size) };
  }
}

/** Raw BullMQ: COUNT delayed no-op jobs due at one instant; lateness is when each starts. */
async function rawBullmq(prefix: string): Promise<number[]> {
  const redis = connectRedis(TEST_REDIS_URL);
  const queue = new Queue("raw", { connection: redis, prefix });
  const due = Date.now() + 5000;
  for (let i = 0; i < COUNT; i += 1000) {
    await queue.addBulk(Array.from({ length: Math.min(1000, COUNT - i) }, (_, j) => ({ name: "noop", data: { i: i + j }, opts: { delay: due - Date.now(), removeOnComplete: true } })));
  }
  const lateness: number[] = [];
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const worker = new Worker("raw", async () => {
    lateness.push(Date.now() - due);
    if (lateness.length === COUNT) done();
  }, { connection: redis, prefix, concurrency: CONCURRENCY });
  await finished;
  await worker.close();
  await queue.close();
  await redis.quit();
  return lateness;
}

async function relay(prefix: string): Promise<{ lateness: number[]; remind: number[]; lost: number; twice: number }> {
  const db = await testDatabase("postgres");
  const chat = new StopwatchChat();
  // The office's clock runs `offset` ahead of the machine's, so "the next whole minute" in the office can be
  // placed just after all reminders are created: they then fall due together, as 8:30 打卡 does.
  let offset = 0;
  const clock = { now: () => new Date(Date.now() + offset) };
  const runtime = await createRuntime({
    config: loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix }),
    mode: "start", adapters: [chat], db, clock, log: pino({ level: "silent" }),
  });
  try {
    const people = await db.prisma.person.createManyAndReturn({ data: Array.from({ length: COUNT }, (_, i) => ({ name: `员工${i}` })), select: { id: true } });
    await db.prisma.identity.createMany({ data: people.map((p, i) => ({ personId: p.id, platform: "console" as const, externalId: `u${i}` })) });
    // Warm up, then estimate how long creating them all takes, to place the minute after it.
    for (let i = 0; i < 100; i++) await chat.say(`u${i}`, `/remind 2027-06-01 09:00 预热`);
    const t0 = Date.now();
    for (let i = 100; i < 300; i++) await chat.say(`u${i}`, `/remind 2027-06-01 09:00 预热`);
    const perCommand = (Date.now() - t0) / 200;
    const budget = COUNT * perCommand * 1.5 + 10_000;
    const officeDue = Math.ceil((Date.now() + 2 * 24 * 3600_000) / MINUTE) * MINUTE; // a whole minute, days ahead
    const realDue = Date.now() + budget;
    offset = officeDue - realDue;
    const when = new Intl.DateTimeFormat("sv-SE", { timeZone: "Asia/Shanghai", dateStyle: "short", timeStyle: "short" }).format(new Date(officeDue));
    const remind: number[] = [];
    for (let i = 0; i < COUNT; i++) {
      const start = performance.now();
      const [reply] = await chat.say(`u${i}`, `/remind ${when} 打卡`);
      remind.push(performance.now() - start);
      if (!reply?.startsWith("好的")) throw new Error(`unexpected reply: ${reply}`);
    }
    if (Date.now() > realDue) throw new Error("creating the reminders took longer than the estimate: rerun");
    const deadline = realDue + 120_000;
    while (chat.arrivals.size < COUNT && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500)); // anything sent twice would show up now
    const lateness = [...chat.arrivals.values()].map((t) => t - realDue);
    return { lateness, remind, lost: COUNT - chat.arrivals.size, twice: chat.duplicates };
  } finally {
    await runtime.close();
    await db.drop();
  }
}

const prefix = uniquePrefix("lateness");
try {
  console.log(`${COUNT} reminders due at the same minute, ${CONCURRENCY} workers, PostgreSQL and Redis on this machine (node ${process.version})`);
  const raw = stats(await rawBullmq(prefix));
  console.log(`raw BullMQ  delayed no-op jobs   p50=${ms(raw.p50)}  p99=${ms(raw.p99)}  max=${ms(raw.max)}`);
  const r = await relay(prefix);
  const relayStats = stats(r.lateness);
  const remind = stats(r.remind);
  console.log(`Relay       reminder → adapter   p50=${ms(relayStats.p50)}  p99=${ms(relayStats.p99)}  max=${ms(relayStats.max)}  lost=${r.lost}  duplicated=${r.twice}`);
  console.log(`ratio       Relay p99 / raw p99  ${(relayStats.p99 / raw.p99).toFixed(2)}×  (target ≤ 1.5×)`);
  console.log(`/remind     through the core     p50=${remind.p50.toFixed(2)} ms  p99=${remind.p99.toFixed(2)} ms  max=${remind.max.toFixed(1)} ms  (target p99 ≤ 20 ms)`);
} finally {
  await flushPrefix(prefix);
}
