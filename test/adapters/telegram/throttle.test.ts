// The throttle against the fake Telegram over real HTTP and a real Redis: what the fake counts (calls, 429s,
// messages that arrived) is what Telegram would have seen. Limits are scaled up so the file runs in seconds.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Bot, GrammyError, HttpError } from "grammy";
import { Redis } from "ioredis";
import { chatKey, DEFAULT_THROTTLE, GLOBAL_KEY, telegramWindows, throttle, type ThrottleOptions, type ThrottleStats } from "../../../adapters/telegram/throttle.ts";
import { DeliveryUncertainError, RecipientUnreachableError } from "../../../src/bot/delivery-errors.ts";
import { RateLimiter } from "../../../src/queue/rate-limiter.ts";
import { FakeTelegram, type FakeTelegramOptions } from "../../support/fake-telegram.ts";
import { closestSpacing, mostInAnyWindow, RecordingLimiter } from "../../support/grants.ts";
import { OFFICE_EPOCH, TestClock } from "../../support/office.ts";
import { TEST_REDIS_URL, flushPrefix, uniquePrefix } from "../../support/redis.ts";
import { freePort } from "../../support/net.ts";

const LI = 1001;
const OFFICE = -1001234567890;
const connections: Redis[] = [];
let fake: FakeTelegram;
let prefix: string;

/**
 * A bot in its own "process": its own Redis connection and limiter, on the shared prefix. The limiter keeps the
 * time of each grant on its own clock (Redis's), which is what the pacing is checked by. A call that takes longer
 * than `timeoutSeconds` counts as unanswered: generous unless a test waits for exactly that.
 */
function relay(opts: Partial<ThrottleOptions> = {}, apiRoot = fake.url, timeoutSeconds = 30): { bot: Bot; stats: ThrottleStats; limiter: RecordingLimiter } {
  const redis = new Redis(TEST_REDIS_URL);
  connections.push(redis);
  const bot = new Bot(fake.token, { client: { apiRoot, timeoutSeconds } });
  const limiter = new RecordingLimiter(redis, prefix);
  const t = throttle(limiter, { backoffMs: 50, ...opts });
  bot.api.config.use(t);
  return { bot, stats: t.stats, limiter };
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
    const { bot, stats, limiter } = relay({ privatePerSecond: 5 });
    await Promise.all(numbered(10).map((text) => bot.api.sendMessage(LI, text)));
    const grants = limiter.timesOf(chatKey(LI));
    expect(grants).toHaveLength(10);
    expect(closestSpacing(grants)).toBeGreaterThanOrEqual(200); // 5 a second, evenly
    expect(fake.tooManyRequests).toBe(0);
    expect(texts(LI)).toEqual(numbered(10));
    expect(stats).toMatchObject({ sent: 10, retried429: 0, retriedOther: 0 });

    // "typing…" does not count against the chat's messages, so it does not wait behind them: it asks for no slot.
    await Promise.all([1, 2, 3, 4, 5].map(() => bot.api.sendChatAction(LI, "typing")));
    expect(fake.callsTo("sendChatAction")).toHaveLength(5);
    expect(limiter.grants).toHaveLength(10);
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
    const scaled = { groupPerMinute: 120, groupBurst: 2, groupPerSecond: 5 };
    const { bot, limiter } = relay(scaled);
    await Promise.all(numbered(4).map((text) => bot.api.sendMessage(OFFICE, text)));
    const at = limiter.timesOf(chatKey(OFFICE)).map((t, _, all) => t - all[0]!);
    expect(at[1]!).toBeGreaterThanOrEqual(200); // the per-second window
    expect(at[2]!).toBeGreaterThanOrEqual(500); // then the per-minute pace
    expect(at[3]!).toBeGreaterThanOrEqual(1000);
    expect(texts(OFFICE)).toEqual(numbered(4));

    // The burst itself, on a clock that stands still until moved: the second may go as soon as the per-second
    // window allows, without the per-minute pace's 500 ms.
    const clock = new TestClock(OFFICE_EPOCH);
    const exact = new RateLimiter(connections[0]!, `${prefix}:exact`, { clock });
    const windows = telegramWindows({ ...DEFAULT_THROTTLE, ...scaled }, OFFICE);
    const waits: number[] = [];
    for (let sent = 0; sent < 4; ) {
      const wait = await exact.tryAcquire(windows);
      waits.push(wait);
      if (wait === 0) sent++;
      else clock.advance(wait);
    }
    expect(waits).toEqual([0, 200, 0, 300, 0, 500, 0]); // sent at 0, 200, 500 and 1000 ms
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
    // Each alone would be within the limit; together they would send 20/s if they did not share it.
    await Promise.all([one, two].flatMap(({ bot }, p) => numbered(10).map((text, i) => bot.api.sendMessage(2000 + p * 100 + i, text))));
    expect(fake.tooManyRequests).toBe(0);
    expect(fake.sent()).toHaveLength(20);
    // 20 messages at 10/s between them, not 2 × 10 at once: counted on the limiter's clock, which both share.
    const grants = [...one.limiter.timesOf(GLOBAL_KEY), ...two.limiter.timesOf(GLOBAL_KEY)];
    expect(grants).toHaveLength(20);
    expect(mostInAnyWindow(grants, 1000)).toBeLessThanOrEqual(10);
    expect(closestSpacing(grants)).toBeGreaterThanOrEqual(100);
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
    const { bot, stats } = relay(fast, fake.url, 2); // the hung calls end at the client's timeout
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

