// Relay with its real Telegram adapter against the fake Bot API, over polling or a webhook.
import { pino } from "pino";
import type { Update } from "grammy/types";
import type { Clock } from "../../src/bot/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { testDatabase, type TestDatabase } from "./db.ts";
import { FakeTelegram, type SentMessage } from "./fake-telegram.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "./redis.ts";
import { freePort } from "./net.ts";
import { OFFICE_EPOCH, TestClock } from "./office.ts";
import { SAFETY_NET_MS, until } from "./wait.ts";

export type Transport = "polling" | "webhook";
export const SECRET = "s3cret-Webhook_token";

export class TelegramOffice {
  runtime!: Runtime;
  private constructor(
    readonly fake: FakeTelegram,
    readonly db: TestDatabase,
    readonly transport: Transport,
    readonly prefix: string,
    readonly port: number,
    readonly clock: Clock,
    /** Environment over the defaults: another REDIS_URL (a private redis-server), a locale. */
    readonly env: Record<string, string> = {},
  ) {}

  static async open(transport: Transport, opts: { fake?: FakeTelegram; db?: TestDatabase; prefix?: string; clock?: Clock; env?: Record<string, string> } = {}): Promise<TelegramOffice> {
    const fake = opts.fake ?? (await FakeTelegram.start({ limits: false }));
    const db = opts.db ?? (await testDatabase("postgres"));
    // The office's clock, never the machine's: a test means the same on any day, at any hour.
    const clock = opts.clock ?? new TestClock(OFFICE_EPOCH);
    const office = new TelegramOffice(fake, db, transport, opts.prefix ?? uniquePrefix(`tg-${transport}`), await freePort(), clock, opts.env);
    await office.boot();
    return office;
  }

  /** Starts (or restarts) Relay on the same fake, database and Redis prefix. */
  async boot(): Promise<void> {
    const config = loadConfig({
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: this.prefix,
      TELEGRAM_BOT_TOKEN: this.fake.token,
      TELEGRAM_API_ROOT: this.fake.url,
      PORT: String(this.port),
      ...(this.transport === "webhook" ? { TELEGRAM_WEBHOOK_SECRET: SECRET } : {}),
      ...this.env,
    });
    this.runtime = await createRuntime({ config, mode: "start", adapters: [], db: this.db, clock: this.clock, log: pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }) });
  }

  /** Delivers an update the way the transport would: queued for getUpdates, or POSTed to the webhook. */
  async deliver(update: Update, secret: string | null = SECRET): Promise<number> {
    if (this.transport === "polling") {
      this.fake.pushUpdate(update);
      return 200;
    }
    const res = await fetch(`http://127.0.0.1:${this.port}/telegram/webhook`, {
      method: "POST",
      headers: { "content-type": "application/json", ...(secret ? { "x-telegram-bot-api-secret-token": secret } : {}) },
      body: JSON.stringify(update),
    });
    return res.status;
  }

  /** Waits until the bot has sent a message in `chatId` whose text matches. */
  async waitFor(chatId: number, match: string | RegExp, timeoutMs = SAFETY_NET_MS): Promise<SentMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.fake.sent(chatId).find((m) => (typeof match === "string" ? m.text.includes(match) : match.test(m.text)));
      if (found) return found;
      if (Date.now() > deadline) {
        throw new Error(`no message to ${chatId} matching ${match}; got:\n${this.fake.sent(chatId).map((m) => m.text).join("\n---\n")}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  /**
   * For checks that something does NOT happen: once the bot has fetched every update pushed (polling), gives it
   * a moment to (not) answer. On a busy machine it may miss a late answer, but it never fails a correct bot.
   */
  async settle(ms = 400): Promise<void> {
    await until(() => this.fake.unconfirmedUpdates === 0, "the bot to fetch every update");
    await new Promise((r) => setTimeout(r, ms));
  }

  async close(opts: { keep?: boolean } = {}): Promise<void> {
    await this.runtime.close();
    if (opts.keep) return;
    await this.db.drop();
    await this.fake.close();
    await flushPrefix(this.prefix, this.env.REDIS_URL);
  }
}
