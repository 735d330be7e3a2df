// The throttle against the fake Telegram over real HTTP and a real Redis: what the fake counts (calls, 429s,
// messages that arrived) is what Telegram would have seen. Limits are scaled up so the file runs in seconds.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Bot, GrammyError, HttpError } from "grammy";
import { Redis } from "ioredis";
import { throttle, type ThrottleOptions, type ThrottleStats } from "../../../adapters/telegram/throttle.ts";
import { DeliveryUncertainError, RecipientUnreachableError } from "../../../src/bot/delivery-errors.ts";
import { RateLimiter } from "../../../src/queue/rate-limiter.ts";
import { FakeTelegram, type FakeTelegramOptions } from "../../support/fake-telegram.ts";
import { TEST_REDIS_URL, flushPrefix, uniquePrefix } from "../../support/redis.ts";
import { freePort } from "../../support/net.ts";

const LI = 1001;
const OFFICE = -1001234567890;
const connections: Redis[] = [];
let fake: FakeTelegram;
let prefix: string;

/** A bot in its own "process": its own Redis connection and limiter, on the shared prefix unless told. */
function relay(opts: Partial<ThrottleOptions> = {}, apiRoot = fake.url): { bot: Bot; stats: ThrottleStats } {
  const redis = new Redis(TEST_REDIS_URL);
  connections.push(redis);
  const bot = new Bot(fake.token, { client: { apiRoot, timeoutSeconds: 2 } });
  const t = throttle(new RateLimiter(redis, prefix), { backoffMs: 50, ...opts });
  bot.api.config.use(t);
  return { bot, stats: t.stats };
}
async function start(opts: FakeTelegramOptions = {}): Promise<void> {
  fake = await FakeTelegram.start(opts);
}
const texts = (chatId: number) => fake.sent(chatId).map((m) => m.text).sort();
const numbered = (n: number, label = "m") => Array.from({ length: n }, (_, i) => `${label}${String(i).padStart(2, "0")}`);

beforeEach(() => {
  prefix = uniquePrefix("throttle");
});
afterEach(async () => {
  await fake?.close();
  await flushPrefix(prefix);
});
afterAll(() => {
  for (const c of connections) c.disconnect();
});

describe("throttle: staying inside Telegram's limits", () => {
  it("paces a burst of 10 to one private chat so Telegram refuses none", async () => {
    await start({ limits: { privatePerSecond: 5 } });
    const { bot, stats } = relay({ privatePerSecond: 5 });
    const t0 = Date.now();
    await Promise.all(numbered(10).map((text) => bot.api.sendMessage(LI, text)));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_700); // 9 intervals of 200 ms after the first
    expect(fake.tooManyRequests).toBe(0);
    expect(texts(LI)).toEqual(numbered(10));
    expect(stats).toMatchObject({ sent: 10, retried429: 0, retriedOther: 0 });

    // "typing…" does not count against the chat's messages, so it does not wait behind them.
    const t1 = Date.now();
    await Promise.all([1, 2, 3, 4, 5].map(() => bot.api.sendChatAction(LI, "typing")));
    expect(Date.now() - t1).toBeLessThan(300);
  });

  it("honours 429 retry_after when Telegram is stricter than configured: every message arrives once", async () => {
    await start({ limits: { privatePerSecond: 2, privateBurst: 3 } });
    const { bot, stats } = relay({ privatePerSecond: 10 });
    const sent = await Promise.all(numbered(6).map((text) => bot.api.sendMessage(LI, text)));
    expect(new Set(sent.map((m) => m.message_id)).size).toBe(6);
    expect(fake.tooManyRequests).toBeGreaterThan(0);
    expect(stats.retried429).toBe(fake.tooManyRequests);
    expect(texts(LI)).toEqual(numbered(6));
    expect(fake.callsTo("sendMessage")).toHaveLength(6 + fake.tooManyRequests);
  });

  it("holds a group to its per-minute pace after a short burst, and to its per-second pace within it", async () => {
    await start();
    // Scaled: 120/min = one per 500 ms after a burst of 2, never faster than 5/s.
    const { bot } = relay({ groupPerMinute: 120, groupBurst: 2, groupPerSecond: 5 });
    await Promise.all(numbered(4).map((text) => bot.api.sendMessage(OFFICE, text)));
    const at = fake.callsTo("sendMessage").map((c) => c.at - fake.calls[0]!.at);
    expect(at[1]!).toBeGreaterThanOrEqual(180); // the per-second window
    expect(at[1]!).toBeLessThan(400); // the burst: no 500 ms wait yet
    expect(at[3]!).toBeGreaterThanOrEqual(950); // then the per-minute pace
    expect(texts(OFFICE)).toEqual(numbered(4));
  });

  it("makes everyone back off when Telegram's global limit is hit, and still delivers every message once", async () => {
    await start({ limits: { globalPerSecond: 5 } });
    const { bot, stats } = relay(); // believes 30/s are fine
    await Promise.all(numbered(10).map((text, i) => bot.api.sendMessage(3000 + i, text)));
    expect(fake.tooManyRequests).toBeGreaterThan(0);
    expect(stats.retried429).toBe(fake.tooManyRequests);
    expect(fake.sent().map((m) => m.text).sort()).toEqual(numbered(10));
  });

  it("keeps two processes sharing a prefix under the global limit together", async () => {
    await start({ limits: { globalPerSecond: 10, privatePerSecond: 100, privateBurst: 100 } });
    const one = relay({ globalPerSecond: 10, privatePerSecond: 100 });
    const two = relay({ globalPerSecond: 10, privatePerSecond: 100 });
    const t0 = Date.now();
    // Each alone would be within the limit; together they would send 20/s if they did not share it.
    await Promise.all([one, two].flatMap(({ bot }, p) => numbered(10).map((text, i) => bot.api.sendMessage(2000 + p * 100 + i, text))));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(1_800); // 20 messages at 10/s, not 2 × 10 at once
    expect(fake.tooManyRequests).toBe(0);
    expect(fake.sent()).toHaveLength(20);
    const at = fake.callsTo("sendMessage").map((c) => c.at);
    const busiestSecond = Math.max(...at.map((t) => at.filter((u) => u >= t && u < t + 1000).length));
    expect(busiestSecond).toBeLessThanOrEqual(11); // 10, and one more when jitter lands it a hair early
    expect([one.stats.sent, two.stats.sent]).toEqual([10, 10]);
  });
});

describe("throttle: failures", () => {
  // Every retry waits for the chat's window again (the failed try may have counted); 1/s would slow the tests.
  const fast: Partial<ThrottleOptions> = { privatePerSecond: 50 };

  it("retries 500 and 502 (nothing was sent) and the message arrives once", async () => {
    await start();
    const { bot, stats } = relay(fast);
    fake.failNext("sendMessage", 2, 500);
    fake.failNext("sendMessage", 1, 502);
    await expect(bot.api.sendMessage(LI, "周五大会")).resolves.toMatchObject({ text: "周五大会" });
    expect(fake.callsTo("sendMessage")).toHaveLength(4);
    expect(texts(LI)).toEqual(["周五大会"]);
    expect(stats).toMatchObject({ sent: 1, retriedOther: 3, uncertain: 0 });
  });

  it("gives up after maxAttempts, throwing what Telegram said", async () => {
    await start();
    const { bot } = relay({ ...fast, maxAttempts: 3 });
    fake.failNext("sendMessage", 3, 500);
    await expect(bot.api.sendMessage(LI, "x")).rejects.toMatchObject({ name: "GrammyError", error_code: 500 });
    expect(fake.callsTo("sendMessage")).toHaveLength(3);
    expect(fake.sent()).toEqual([]);
  });

  it("retries a refused connection (the request never left), then throws the HttpError", async () => {
    await start();
    const closed = await freePort();
    const { bot, stats } = relay({ ...fast, maxAttempts: 3 }, `http://127.0.0.1:${closed}`);
    await expect(bot.api.sendMessage(LI, "x")).rejects.toBeInstanceOf(HttpError);
    expect(stats).toMatchObject({ retriedOther: 2, uncertain: 0 });
  });

  it("does not resend a timed-out sendMessage: DeliveryUncertainError; a timed-out edit is retried", async () => {
    await start();
    const { bot, stats } = relay(fast);
    const notice = await bot.api.sendMessage(LI, "大会 0/12");
    fake.hangNext("sendMessage", 1, { deliver: true }); // it arrives, but the answer never comes
    fake.hangNext("editMessageText", 1, { deliver: true });
    const [send, edit] = await Promise.allSettled([
      bot.api.sendMessage(LI, "提醒"),
      bot.api.editMessageText(LI, notice.message_id, "大会 1/12"),
    ]);
    expect(send.status === "rejected" && send.reason).toBeInstanceOf(DeliveryUncertainError);
    expect(send.status === "rejected" && send.reason).toMatchObject({ chatId: String(LI), operation: "sendMessage" });
    expect(fake.callsTo("sendMessage")).toHaveLength(2); // the notice, and the uncertain one: not resent
    // The edit was resent; Telegram says "not modified", which means the first try landed.
    expect(edit).toEqual({ status: "fulfilled", value: true });
    expect(fake.callsTo("editMessageText")).toHaveLength(2);
    expect(texts(LI)).toEqual(["大会 1/12", "提醒"]);
    expect(stats).toMatchObject({ uncertain: 1, retriedOther: 1 });
  });

  it("turns 'blocked' and 'kicked' into RecipientUnreachableError without retrying", async () => {
    await start();
    const { bot, stats } = relay();
    fake.blockUser(LI);
    fake.blockUser(OFFICE);
    await expect(bot.api.sendMessage(LI, "hi")).rejects.toEqual(
      expect.objectContaining({ name: "RecipientUnreachableError", chatId: String(LI), reason: "Forbidden: bot was blocked by the user" }),
    );
    await expect(bot.api.sendMessage(OFFICE, "hi")).rejects.toBeInstanceOf(RecipientUnreachableError);
    expect(fake.callsTo("sendMessage")).toHaveLength(2);
    expect(stats).toMatchObject({ unreachable: 2, sent: 0 });
  });

  it("throws other 400s as they are, once", async () => {
    await start();
    const { bot, stats } = relay();
    const tooLong = bot.api.sendMessage(LI, "x".repeat(5000));
    await expect(tooLong).rejects.toBeInstanceOf(GrammyError);
    await expect(tooLong).rejects.toMatchObject({ error_code: 400, description: "Bad Request: message is too long" });
    expect(fake.callsTo("sendMessage")).toHaveLength(1);
    expect(stats).toMatchObject({ retriedOther: 0, retried429: 0 });
  });
});

