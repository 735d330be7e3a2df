// Relay with its real Slack adapter against the fake Web API, receiving signed HTTP requests on its own port;
// optionally with the real Telegram adapter against the fake Bot API too (one roster, two platforms).
import { pino, type Logger } from "pino";
import type { Clock } from "../../src/bot/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { createRuntime, type Mode, type Runtime } from "../../src/runtime.ts";
import { testDatabase, type TestDatabase } from "./db.ts";
import { FakeSlack, type PostedMessage } from "./fake-slack.ts";
import type { FakeTelegram } from "./fake-telegram.ts";
import { freePort } from "./net.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "./redis.ts";
import { blockAction, messageEvent, postSigned, slashCommand, type BlockActionInput } from "./slack-signing.ts";
import { OFFICE_EPOCH, TestClock } from "./office.ts";
import { SAFETY_NET_MS } from "./wait.ts";

export const SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";

export interface SlackOfficeOptions {
  fake?: FakeSlack;
  /** Also run the Telegram adapter against this fake Bot API (polling). */
  telegram?: FakeTelegram;
  db?: TestDatabase;
  prefix?: string;
  /** The office clock: Relay checks signed timestamps against it, and post() signs at its time. Default: standing at OFFICE_EPOCH. */
  clock?: Clock;
  env?: Record<string, string>;
  /** "serve" for a second receiving process beside one that runs the workers (same fake, database and prefix). */
  mode?: Mode;
  log?: Logger;
}

export class SlackOffice {
  runtime!: Runtime;
  readonly url: string;
  /** The office's clock (never the machine's: a test means the same on any day, at any hour). */
  readonly clock: Clock;
  private constructor(
    readonly fake: FakeSlack,
    readonly db: TestDatabase,
    readonly prefix: string,
    readonly port: number,
    private readonly opts: SlackOfficeOptions,
  ) {
    this.url = `http://127.0.0.1:${port}/slack/events`;
    this.clock = opts.clock ?? new TestClock(OFFICE_EPOCH);
  }

  static async open(opts: SlackOfficeOptions = {}): Promise<SlackOffice> {
    const fake = opts.fake ?? (await FakeSlack.start());
    const db = opts.db ?? (await testDatabase("postgres"));
    const office = new SlackOffice(fake, db, opts.prefix ?? uniquePrefix("slack"), await freePort(), opts);
    await office.boot();
    return office;
  }

  /** Starts (or restarts) Relay on the same fakes, database and Redis prefix. */
  async boot(): Promise<void> {
    const tg = this.opts.telegram;
    const config = loadConfig({
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: this.prefix,
      SLACK_BOT_TOKEN: this.fake.token,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: this.fake.url,
      PORT: String(this.port),
      ...(tg ? { TELEGRAM_BOT_TOKEN: tg.token, TELEGRAM_API_ROOT: tg.url } : {}),
      ...this.opts.env,
    });
    const log = this.opts.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" });
    this.runtime = await createRuntime({ config, mode: this.opts.mode ?? "start", adapters: [], db: this.db, clock: this.clock, log });
  }

  /** POSTs a body to /slack/events signed with the app's secret (form string or JSON object), stamped now by the office clock. */
  post(body: string | object, opts: Parameters<typeof postSigned>[3] = {}): Promise<Response> {
    return postSigned(this.url, body, SIGNING_SECRET, { timestamp: this.signedAt(), ...opts });
  }

  /** A Slack request timestamp (seconds) `offsetS` from the office clock's now. */
  signedAt(offsetS = 0): number {
    return Math.floor(this.clock.now().getTime() / 1000) + offsetS;
  }

  /** A slash command, as Slack posts it; resolves with the HTTP status (the ack). */
  async command(user: string, channel: string, command: string, text = ""): Promise<number> {
    const res = await this.post(slashCommand({ command, text, user_id: user, channel_id: channel, response_url: this.fake.responseUrl() }));
    return res.status;
  }

  /** A direct message to the bot (a D… channel). */
  async dm(user: string, text: string): Promise<number> {
    const res = await this.post(messageEvent({ user, channel: this.fake.dmWith(user), text }));
    return res.status;
  }

  /** A press of the button `actionId` ("circular.ack#0") on a message the bot posted. */
  async press(user: string, message: PostedMessage, action: string, extra: Partial<BlockActionInput> = {}): Promise<number> {
    const button = buttons(message).find((b) => b.action_id.startsWith(`${action}#`));
    if (!button) throw new Error(`no ${action} button on: ${message.text}`);
    const res = await this.post(
      blockAction({ user, channel: message.channel, action_id: button.action_id, value: button.value, message_ts: message.ts, response_url: this.fake.responseUrl(), ...extra }),
    );
    return res.status;
  }

  /** Waits until the bot has posted in `channel` (a user id means their DM) a message whose text matches. */
  async waitFor(channel: string, match: string | RegExp, timeoutMs = SAFETY_NET_MS): Promise<PostedMessage> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.fake.posted(channel).find((m) => (typeof match === "string" ? textOf(m).includes(match) : match.test(textOf(m))));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no message to ${channel} matching ${match}; got:\n${this.fake.posted(channel).map(textOf).join("\n---\n")}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }

  async close(opts: { keep?: boolean } = {}): Promise<void> {
    await this.runtime.close();
    if (opts.keep) return;
    await this.db.drop();
    if (!this.opts.fake) await this.fake.close();
    await flushPrefix(this.prefix);
  }
}

interface Button {
  action_id: string;
  value: string;
  text: { text: string };
}

/** The buttons of a posted message, in order. */
export function buttons(message: PostedMessage): Button[] {
  return (message.blocks ?? []).flatMap((b) => ((b as { type: string }).type === "actions" ? (b as { elements: Button[] }).elements : []));
}

/** A posted message's text as a reader sees it: its sections' mrkdwn, entities decoded. */
export function textOf(message: PostedMessage): string {
  const sections = (message.blocks ?? []).flatMap((b) => ((b as { type: string }).type === "section" ? [(b as { text: { text: string } }).text.text] : []));
  const mrkdwn = sections.length ? sections.join("") : message.text;
  return mrkdwn.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}
