// The outbox against real PostgreSQL and Redis: each send once by its key, priorities (a person's own message
// before a fan-out's copies, two fan-outs interleaved), per-chat order, uncertain and unreachable outcomes, a
// claim left by a dead worker, per-person caps declared by the adapter, and healing after Redis lost the jobs.
// Workers start only once the queue is filled, with one job at a time, so the order asserted is the queue's.
import type { RedisConnection } from "../../src/queue/redis.ts";
import { pino } from "pino";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { SendOptions } from "../../src/bot/adapter.ts";
import { Bot } from "../../src/bot/bot.ts";
import { DeliveryUncertainError, RecipientUnreachableError } from "../../src/bot/delivery-errors.ts";
import type { ChatRef, MessageRef, Outbound } from "../../src/bot/message.ts";
import type { PlatformLimits } from "../../src/delivery/limits.ts";
import { Outbox, type Send, type Settled } from "../../src/delivery/outbox.ts";
import { SendQueue } from "../../src/delivery/send-queue.ts";
import { RateLimiter } from "../../src/queue/rate-limiter.ts";
import { connectRedis } from "../../src/queue/redis.ts";
import { testDatabase, type TestDatabase } from "../support/db.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../support/redis.ts";
import { TestAdapter } from "../support/test-adapter.ts";
import { TestClock } from "../support/office.ts";

const log = pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });

/** A chat that declares limits and can be told to fail a send to one chat in a given way. */
class RiggedChat extends TestAdapter {
  limits?: PlatformLimits;
  readonly failures = new Map<string, () => Error>();
  override async send(to: ChatRef, message: Outbound, options?: SendOptions): Promise<MessageRef> {
    const fail = this.failures.get(to.id);
    if (fail) {
      await options?.onWire?.();
      throw fail();
    }
    return super.send(to, message, options);
  }
}

let db: TestDatabase;
let people: { id: number; handle: string }[];

beforeAll(async () => {
  db = await testDatabase("postgres");
  const rows = await db.prisma.person.createManyAndReturn({ data: Array.from({ length: 400 }, (_, i) => ({ name: `p${i}` })), select: { id: true } });
  people = rows.map((r, i) => ({ id: r.id, handle: `u${i}` }));
  await db.prisma.identity.createMany({ data: people.map((p) => ({ personId: p.id, platform: "console" as const, externalId: p.handle })) });
});
afterAll(async () => db?.drop());

let prefix: string;
let redis: RedisConnection;
let chat: RiggedChat;
let queue: SendQueue;
let outbox: Outbox;
let settled: { key: string; state: Settled["state"] }[];
const clock = new TestClock(new Date("2026-12-04T10:00:00+08:00"));

beforeEach(async () => {
  prefix = uniquePrefix("outbox");
  redis = connectRedis(TEST_REDIS_URL);
  chat = new RiggedChat();
  const bot = new Bot({ log, defaultLocale: "zh-CN", identify: async () => null }).addAdapter(chat);
  await chat.start(async () => ({}));
  // BullMQ's default lock (30 s): a shorter one can lapse while a busy machine is slow to renew it, and the
  // job then runs twice (its second run finds its own claim and records the send as uncertain).
  queue = new SendQueue({ connection: redis, prefix, log, backoffMs: 10, attempts: 3 });
  outbox = new Outbox({ prisma: db.prisma, sql: db.sql, bot, clock, log, queue, limiter: new RateLimiter(redis, prefix), limitsOf: () => chat.limits });
  settled = [];
  outbox.purpose("probe", { settled: async (done) => void settled.push(...done.map(({ send, outcome }) => ({ key: send.key, state: outcome.state }))) });
  await db.prisma.outboxMessage.deleteMany();
  await db.prisma.identity.updateMany({ data: { unreachableAt: null } });
});
afterEach(async () => {
  await queue.close();
  await redis.quit();
  await flushPrefix(prefix);
});

const text = (s: string): Outbound => ({ text: s });
const copies = (tag: string, n: number, from = 0): Send[] =>
  people.slice(from, from + n).map((p) => ({ key: `${tag}-${p.id}`, to: { personId: p.id }, message: text(`${tag} copy`), priority: "bulk" as const }));
const order = () => chat.sent.map((s) => `${s.to}:${s.text}`);

describe("Outbox", () => {
  it("sends each key once, however often it is asked for", async () => {
    const send: Send = { key: "notice-1-p0", to: { personId: people[0]!.id }, message: text("hello") };
    await outbox.send(send);
    await outbox.send([send, send]);
    queue.startWorkers(4);
    expect(await outbox.idle(20_000)).toBe(0);
    await outbox.send(send); // after it went out, too
    expect(await outbox.idle(20_000)).toBe(0);
    expect(order()).toEqual(["u0:hello"]);
    expect(await db.prisma.outboxMessage.findUniqueOrThrow({ where: { key: send.key } })).toMatchObject({ state: "sent", sentChatId: "u0", sentMessageId: "1" });
  });

  it("puts a person's own reminder before a fan-out's copies, and interleaves two offices' fan-outs", async () => {
    await outbox.send(copies("A", 200));
    await outbox.send(copies("B", 199, 200)); // other people: a shared lane would bring A's copy forward (next test)
    await outbox.send({ key: "reminder-1", to: { personId: people[399]!.id }, message: text("⏰ 打卡"), priority: "personal" });
    queue.startWorkers(1);
    expect(await outbox.idle(60_000)).toBe(0);
    const sent = order();
    expect(sent).toHaveLength(400);
    expect(sent[0]).toBe("u399:⏰ 打卡");
    // B was asked for after all of A, yet its first copies go out among A's first ones, not after A's 200th.
    const firstB = sent.findIndex((s) => s.endsWith("B copy"));
    expect(firstB).toBeLessThan(60);
    expect(sent.slice(0, 200).filter((s) => s.endsWith("B copy")).length).toBeGreaterThan(80);
  });

  it("keeps each chat's order: a later message to someone waits for their copy, which goes first, early", async () => {
    await outbox.send(copies("A", 300));
    const last = people[299]!;
    await outbox.send({ key: "approval-told", to: { personId: last.id }, message: text("已批准"), priority: "personal" });
    queue.startWorkers(1);
    expect(await outbox.idle(60_000)).toBe(0);
    const theirs = chat.inbox(last.handle).map((s) => s.text);
    expect(theirs).toEqual(["A copy", "已批准"]); // the copy asked for first arrives first
    // …and both arrive at the front: the personal message brought the copy 300th in line forward.
    expect(order().indexOf(`${last.handle}:A copy`)).toBe(0);
    expect(order().indexOf(`${last.handle}:已批准`)).toBe(1);
    expect(order()).toHaveLength(301);
  });

  it("records a send whose answer never came as uncertain and never resends it; a refused person as unreachable", async () => {
    const [a, b, c] = people;
    chat.failures.set(a!.handle, () => new DeliveryUncertainError(a!.handle, "sendMessage"));
    chat.failures.set(b!.handle, () => new RecipientUnreachableError(b!.handle, "Forbidden: bot was blocked by the user"));
    await outbox.send([a!, b!, c!].map((p) => ({ key: `probe-${p.handle}`, to: { personId: p.id }, message: text("x"), purpose: "probe" })));
    queue.startWorkers(2);
    expect(await outbox.idle(20_000)).toBe(0);
    const states = await db.prisma.outboxMessage.findMany({ orderBy: { id: "asc" }, select: { key: true, state: true, attempts: true } });
    expect(states).toEqual([
      { key: "probe-u0", state: "uncertain", attempts: 1 },
      { key: "probe-u1", state: "unreachable", attempts: 1 },
      { key: "probe-u2", state: "sent", attempts: 1 },
    ]);
    expect(settled.sort((x, y) => x.key.localeCompare(y.key))).toEqual([
      { key: "probe-u0", state: "uncertain" },
      { key: "probe-u1", state: "unreachable" },
      { key: "probe-u2", state: "sent" },
    ]);
    expect((await db.prisma.identity.findFirstOrThrow({ where: { externalId: b!.handle } })).unreachableAt).not.toBeNull();
    expect(chat.sent.map((s) => s.to)).toEqual(["u2"]);
  });

  it("a job that finds its own claim (its worker died between claim and record) marks it uncertain instead of sending", async () => {
    const p = people[5]!;
    await outbox.send({ key: "probe-died", to: { personId: p.id }, message: text("x"), purpose: "probe" });
    const row = await db.prisma.outboxMessage.findUniqueOrThrow({ where: { key: "probe-died" } });
    // What a SIGKILL after the claim leaves behind: the row claimed by this very job, nothing recorded.
    await db.prisma.outboxMessage.update({ where: { id: row.id }, data: { state: "sending", claimedBy: `send-${row.id}` } });
    queue.startWorkers(1);
    await expect.poll(() => settled).toEqual([{ key: "probe-died", state: "uncertain" }]);
    expect((await db.prisma.outboxMessage.findUniqueOrThrow({ where: { id: row.id } })).state).toBe("uncertain");
    expect(chat.sent).toEqual([]);
  });

  it("a failure that never reached the platform is retried, and after the last attempt recorded as failed", async () => {
    const p = people[6]!;
    let tries = 0;
    chat.failures.set(p.handle, () => (++tries, new Error("ECONNRESET before the request was written")));
    await outbox.send({ key: "probe-flaky", to: { personId: p.id }, message: text("x"), purpose: "probe" });
    queue.startWorkers(1);
    await expect.poll(() => settled).toEqual([{ key: "probe-flaky", state: "failed" }]);
    expect(tries).toBe(3);
    expect(await db.prisma.outboxMessage.findUniqueOrThrow({ where: { key: "probe-flaky" } })).toMatchObject({ state: "failed", attempts: 3 });
  });

  it("holds a person to the per-minute cap their platform declares; others are not held up", async () => {
    chat.limits = { personPerMinute: 2 };
    const [busy, other] = people;
    await outbox.send([1, 2, 3].map((n) => ({ key: `busy-${n}`, to: { personId: busy!.id }, message: text(`#${n}`) })));
    await outbox.send({ key: "other-1", to: { personId: other!.id }, message: text("#1") });
    queue.startWorkers(2);
    await expect.poll(() => chat.sent.length).toBe(3);
    expect(chat.inbox(busy!.handle).map((s) => s.text)).toEqual(["#1", "#2"]);
    expect(chat.inbox(other!.handle).map((s) => s.text)).toEqual(["#1"]);
    // The third waits for the window, delayed in Redis, not lost; nothing else went meanwhile. (It may first wait
    // for the second to leave the wire, and be claimed again before the cap sends it back: hence one poll for all.)
    const third = async () => ({
      delayed: (await queue.counts("console")).delayed,
      state: (await db.prisma.outboxMessage.findUniqueOrThrow({ where: { key: "busy-3" } })).state,
    });
    await expect.poll(third).toEqual({ delayed: 1, state: "pending" });
    expect(chat.sent).toHaveLength(3);
  });

  it("waits for a send's time on the office clock, and a withdrawn send never goes", async () => {
    const p = people[7]!;
    const at = new Date(clock.now().getTime() + 3_600_000);
    await outbox.send({ key: "later", to: { personId: p.id }, message: text("later"), at, priority: "personal" });
    await outbox.send({ key: "withdrawn", to: { personId: p.id }, message: text("withdrawn"), at });
    expect(await outbox.cancel("withdrawn")).toBe(1);
    queue.startWorkers(1);
    expect(await outbox.dueCount()).toBe(0);
    expect(await outbox.isPending("later")).toBe(true);
    clock.set(at);
    expect(await outbox.promoteDue()).toBe(1);
    expect(await outbox.idle(20_000)).toBe(0);
    expect(order()).toEqual(["u7:later"]);
  });

  it("queues again the sends whose jobs Redis lost, once each", async () => {
    await outbox.send(copies("lost", 20));
    expect(await flushPrefix(prefix)).toBeGreaterThan(0);
    expect(await outbox.reconcile()).toBe(20);
    expect(await outbox.reconcile()).toBe(0); // their jobs are back: nothing to do
    queue.startWorkers(4);
    expect(await outbox.idle(20_000)).toBe(0);
    expect(new Set(order()).size).toBe(20);
    expect(order()).toHaveLength(20);
  });
});

describe("Outbox.prune", () => {
  it("deletes finished sends older than a month, keeping pending ones and recent ones", async () => {
    const old = new Date(clock.now().getTime() - 31 * 86_400_000);
    const row = (key: string, state: "sent" | "pending", createdAt: Date) => ({ key, purpose: "message", platform: "console" as const, lane: key, priority: 2, notBefore: createdAt, state, createdAt });
    await db.prisma.outboxMessage.createMany({ data: [row("old-sent", "sent", old), row("old-pending", "pending", old), row("new-sent", "sent", clock.now())] });
    expect(await outbox.prune()).toBe(1);
    expect((await db.prisma.outboxMessage.findMany({ orderBy: { key: "asc" } })).map((r) => r.key)).toEqual(["new-sent", "old-pending"]);
  });
});
