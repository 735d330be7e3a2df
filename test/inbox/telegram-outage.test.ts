// Nothing a person says is dropped while Redis or PostgreSQL is down, over real HTTP to the Telegram webhook: the
// webhook answers (200 once the update is held, 503 only when nothing can hold it), the person is told "系统繁忙，
// 稍后处理。", and what was held is handled once the store is back: in order, once each. A private redis-server is
// stopped by its pid and PostgreSQL is reached through a TCP proxy the test cuts; the shared ones are never touched.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Update } from "grammy/types";
import { privateMessage, user } from "../support/fake-telegram.ts";
import { TestClock } from "../support/office.ts";
import { PgProxy, proxiedDatabase } from "../support/pg-proxy.ts";
import { PrivateRedis } from "../support/private-redis.ts";
import { TelegramOffice } from "../support/telegram-office.ts";

const wang = user(1001, "王", { last_name: "主任", language_code: "zh-hans" });
const li = user(1002, "Li", { language_code: "en" });
const BUSY_ZH = "系统繁忙，稍后处理。";
const BUSY_EN = "Relay is busy right now; your message will be handled shortly.";

describe("Telegram webhook while a store is down", () => {
  let redis: PrivateRedis;
  let proxy: PgProxy;
  let tg: TelegramOffice;
  const clock = new TestClock(new Date("2026-12-02T10:00:00+08:00")); // a Wednesday, a working day

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    proxy = await PgProxy.start();
    tg = await TelegramOffice.open("webhook", { db: await proxiedDatabase(proxy), env: { REDIS_URL: redis.url }, clock });
    await tg.deliver(privateMessage(wang, "/setup 王主任 城关镇"));
    await tg.waitFor(wang.id, "第一位管理员");
    await tg.waitFor(wang.id, "还没有 2027 年的节假日安排"); // told the first admin after /setup: not to be counted below
  });
  afterEach(async () => {
    await redis.restart();
    await proxy.restore();
  });
  afterAll(async () => {
    await tg?.close();
    await redis?.close();
    await proxy?.close();
  });

  /** Posts an update to the webhook; a webhook that hangs fails the test here instead of passing slowly. */
  const post = async (update: Update) => {
    const res = await fetch(`http://127.0.0.1:${tg.port}/telegram/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": "s3cret-Webhook_token" },
      body: JSON.stringify(update),
      signal: AbortSignal.timeout(10_000),
    });
    return res.status;
  };
  const texts = (chatId: number) => tg.fake.sent(chatId).map((m) => m.text);
  const prisma = () => tg.runtime.app.prisma;
  const held = () => tg.runtime.inbox!.held();
  /** Stops Redis and waits until Relay has noticed (a connection sees the server gone a moment after, not at once). */
  const stopRedis = async () => {
    await redis.stop();
    await expect.poll(async () => (await held()).redis).toBeUndefined();
  };

  it("Redis down: answers 200, says 系统繁忙, holds in PostgreSQL, and sets the reminder in order once Redis is back", async () => {
    const before = texts(wang.id).length;
    await stopRedis();
    expect(await post(privateMessage(wang, "/remind 10分钟后 喝水"))).toBe(200);
    expect(await post(privateMessage(wang, "/whoami"))).toBe(200);
    expect(texts(wang.id).slice(before)).toEqual([BUSY_ZH, BUSY_ZH]);
    expect(await held()).toEqual({ database: 2, redis: undefined, memory: 0 });
    expect(await prisma().reminder.count()).toBe(0); // not run yet: it needs Redis

    await redis.restart();
    await tg.waitFor(wang.id, "王主任（#1）");
    const answers = texts(wang.id).slice(before + 2);
    expect(answers).toEqual([expect.stringMatching(/^好的，将在 12月2日\(周三\) 10:10 提醒你：喝水（#1）/), expect.stringMatching(/^王主任（#1）/)]);
    await expect.poll(async () => (await held()).database).toBe(0); // removed just after it was handled
    // The reminder is really scheduled, for ten minutes after it was handled (on the office clock), and fires.
    const occurrence = await prisma().outboxMessage.findUniqueOrThrow({ where: { key: "reminder-1-s0" } });
    expect(occurrence.notBefore.toISOString()).toBe(new Date(clock.now().getTime() + 10 * 60_000).toISOString());
    clock.advance(10 * 60_000);
    await tg.runtime.app.outbox.promoteDue();
    await tg.waitFor(wang.id, "⏰ 提醒：喝水");
  });

  it("PostgreSQL down: says so in the person's language, holds in Redis, and handles it once, even delivered twice", async () => {
    await post(privateMessage(li, "/start")); // a stranger: answered in English ("ask your office for an invite code")
    await tg.waitFor(li.id, /invite code/i);
    const before = texts(li.id).length;
    await proxy.cut();
    const update = privateMessage(li, "/help");
    expect(await post(update)).toBe(200);
    expect(await post(update)).toBe(200); // Telegram delivering it again: not held twice, not told twice
    expect(texts(li.id).slice(before)).toEqual([BUSY_EN]);
    expect(await held()).toEqual({ redis: 1, database: undefined, memory: 0 });

    await proxy.restore();
    await tg.waitFor(li.id, "/help");
    expect(await post(update)).toBe(200); // again, once it was handled: the claim keeps it out
    expect(await post(privateMessage(li, "/whoami"))).toBe(200);
    await expect.poll(() => texts(li.id).length).toBe(before + 3);
    expect(texts(li.id).slice(before + 1).filter((t) => t.includes("/help"))).toHaveLength(1);
    await expect.poll(async () => (await held()).redis).toBe(0);
  });

  it("both down: answers 503 so Telegram keeps the update, says 系统繁忙 once, and handles it when delivered after", async () => {
    const before = texts(wang.id).length;
    await proxy.cut();
    await stopRedis();
    const update = privateMessage(wang, "/whoami");
    expect(await post(update)).toBe(503);
    expect(await post(update)).toBe(503);
    expect(texts(wang.id).slice(before)).toEqual([BUSY_ZH]);
    expect(tg.runtime.inbox).toBeDefined();

    await redis.restart();
    await proxy.restore();
    await expect.poll(() => post(update)).toBe(200);
    await expect.poll(() => texts(wang.id).filter((t) => t.startsWith("王主任（#1）")).length).toBe(2); // this one and the first test's
  });

  it("what is held in PostgreSQL survives a restart of Relay and is handled at the next start", async () => {
    const before = texts(wang.id).length;
    await stopRedis();
    expect(await post(privateMessage(wang, "/remind 明天上午9点 交材料"))).toBe(200);
    expect(texts(wang.id).slice(before)).toEqual([BUSY_ZH]);
    await tg.runtime.inbox!.stop(); // this Relay goes away before Redis is back…
    await redis.restart();
    // …and closes once its BullMQ connection is back (closing while it reconnects waits on BullMQ's workers).
    await expect.poll(() => tg.runtime.redis.status).toBe("ready");
    await tg.close({ keep: true });
    expect(await prisma().heldInbound.count()).toBe(1);
    await tg.boot();
    await tg.waitFor(wang.id, "提醒你：交材料");
    expect(await prisma().heldInbound.count()).toBe(0);
  });
});
