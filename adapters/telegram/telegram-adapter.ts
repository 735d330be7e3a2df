// Telegram through grammY: long polling (@grammyjs/runner) or a webhook, updates mapped to Inbound,
// Outbound rendered as escaped HTML with inline keyboards, each update handled once, one chat in order.
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { Api, Bot, GrammyError, HttpError, InputFile, type Transformer } from "grammy";
import { run, type RunnerHandle } from "@grammyjs/runner";
import type { Update } from "grammy/types";
import type { Logger } from "pino";
import { fileTooLarge, type ChatAdapter, type InboundSink, type SendOptions } from "../../src/bot/adapter.ts";
import { Connector, networkReason, UnreachableError, type Connection, type RetryPolicy } from "../../src/bot/connector.ts";
import type { ChatRef, Handled, MessageRef, Outbound, OutboundFile, UserRef } from "../../src/bot/message.ts";
import type { HttpServer } from "../../src/http/http-server.ts";
import { StartupError } from "../../src/startup-error.ts";
import { BodyTooLargeError, readBody } from "../../src/http/read-body.ts";
import type { PlatformLimits } from "../../src/delivery/limits.ts";
import { MAX_TEXT, render } from "./render.ts";
import { toInbound } from "./to-inbound.ts";

/** Where Telegram posts updates in webhook mode (set it with TELEGRAM_WEBHOOK_URL or setWebhook yourself). */
export const WEBHOOK_PATH = "/telegram/webhook";
/** Updates Relay asks for; others (edited messages, polls, …) are not even sent. */
export const ALLOWED_UPDATES = ["message", "callback_query", "my_chat_member"] as const;
/** Telegram's updates are a few KB; anything near this is not a real update. */
const MAX_BODY = 1024 * 1024;
/** Answer the webhook by then even if handling goes on, so Telegram does not time out and redeliver. */
const WEBHOOK_ANSWER_MS = 2000;
/** Bots may upload files of up to 50 MB (https://core.telegram.org/bots/api#senddocument). */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;
/** A document's caption: 0-1,024 characters after entity parsing. */
export const MAX_CAPTION = 1024;
/** A button press is answered at once; a toast that takes longer than this is not waited for. */
const CALLBACK_ANSWER_MS = 1500;

/**
 * What Telegram allows a bot (core.telegram.org/bots/faq#broadcasting-to-users): about 30 messages a second in
 * bulk, one a second to a chat, 20 a minute to a group; 4,096 characters a message; a bot's own messages stay
 * editable. The outbox paces later sends to these, the throttle paces the wire to them.
 */
export const TELEGRAM_LIMITS: PlatformLimits = { perSecond: 30, directPerSecond: 1, groupPerMinute: 20, groupBurst: 3, textLength: MAX_TEXT };

export interface TelegramOptions {
  token: string;
  apiRoot: string;
  log: Logger;
  /** Set: receive by webhook on `http` at WEBHOOK_PATH, checking this secret. Unset: long polling. */
  webhookSecret?: string;
  /** The public URL of WEBHOOK_PATH; when set, start() registers it with Telegram. */
  webhookUrl?: string;
  http?: HttpServer;
  /** Overrides of TELEGRAM_LIMITS (RELAY_DELIVER_RATE). */
  limits?: PlatformLimits;
  /** API transformers: rate limiting and retries (throttle.ts). */
  transformers?: Transformer[];
  /** Takes a rate-limit slot for the next send to a chat ahead of time (throttle.ts pace()). */
  pace?: (chatId: string) => Promise<void>;
  /** Seconds before a Bot API call counts as timed out (grammY's default is 500). */
  timeoutSeconds?: number;
  /** How connecting waits and retries while Telegram cannot be reached. */
  retry?: Partial<RetryPolicy>;
}

export class TelegramAdapter implements ChatAdapter {
  readonly platform = "telegram" as const;
  readonly limits: PlatformLimits;
  readonly bot: Bot;
  private sink?: InboundSink;
  private runner?: RunnerHandle;
  private stopped = false;
  private readonly chats = new Map<string, Promise<unknown>>();
  /** Start-up calls (getMe, set/deleteWebhook) without the throttle's retries: the connector retries them. */
  private readonly control: Api;
  private readonly connector: Connector;

  constructor(private readonly opts: TelegramOptions) {
    this.limits = { ...TELEGRAM_LIMITS, ...opts.limits };
    const client = { apiRoot: opts.apiRoot.replace(/\/+$/, ""), timeoutSeconds: opts.timeoutSeconds ?? 30 };
    this.bot = new Bot(opts.token, { client });
    this.control = new Api(opts.token, client);
    for (const transformer of opts.transformers ?? []) this.bot.api.config.use(transformer);
    this.bot.use((ctx) => this.receive(ctx.update));
    this.bot.catch((err) => opts.log.error({ err: err.error, update: err.ctx.update.update_id }, "telegram update failed"));
    this.connector = new Connector({ name: "telegram", host: new URL(client.apiRoot).host, log: opts.log, retry: opts.retry, attempt: () => this.connect() });
  }

  async start(sink: InboundSink): Promise<void> {
    this.sink = sink;
    if (this.opts.webhookSecret) {
      if (!this.opts.http) throw new Error("Telegram webhooks need PORT for the HTTP server");
      this.opts.http.route("POST", WEBHOOK_PATH, (req, res) => this.onWebhook(req, res));
    }
    await this.connector.start();
  }

  connection(): Connection {
    return this.connector.connection();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.connector.stop();
    if (this.runner?.isRunning()) await this.runner.stop();
    await Promise.allSettled(this.chats.values());
  }

  /** One try at connecting: who we are (getMe), then the webhook registered or polling started. */
  private async connect(): Promise<void> {
    // getMe: our @username tells our group commands from other bots'.
    this.bot.botInfo = await this.control.getMe().catch(startupFailure);
    if (this.opts.webhookSecret) {
      if (this.opts.webhookUrl) {
        await this.control
          .setWebhook(this.opts.webhookUrl, { secret_token: this.opts.webhookSecret, allowed_updates: [...ALLOWED_UPDATES] })
          .catch(startupFailure);
      }
      return;
    }
    await this.control.deleteWebhook().catch(startupFailure); // polling and a webhook cannot both be active
    if (this.stopped) return;
    this.runner = run(this.bot, { runner: { fetch: { allowed_updates: [...ALLOWED_UPDATES] }, silent: true } });
  }

  async send(to: ChatRef, message: Outbound, options?: SendOptions): Promise<MessageRef> {
    let sent: { message_id: number } | undefined;
    for (const [i, part] of render(message).entries()) {
      const { text, ...rest } = part;
      if (i === 0 && options?.onWire) {
        // Wait for the rate-limit slot first, so "sending" is recorded only when the request goes out.
        await this.opts.pace?.(to.id);
        await options.onWire();
      }
      sent = await this.bot.api.sendMessage(to.id, text, rest);
    }
    return { platform: "telegram", chatId: to.id, messageId: String(sent!.message_id) };
  }

  /** sendDocument as multipart/form-data; it passes the same throttle as messages (it counts against the same limits). */
  async sendFile(to: ChatRef, file: OutboundFile, options?: SendOptions): Promise<MessageRef> {
    if (file.data.byteLength > MAX_UPLOAD_BYTES) throw fileTooLarge(file, MAX_UPLOAD_BYTES);
    // A caption too long for Telegram goes first as a message of its own rather than being cut.
    const fits = file.caption === undefined || [...file.caption].length <= MAX_CAPTION;
    if (!fits) await this.send(to, { text: file.caption! }, options);
    if (fits && options?.onWire) {
      await this.opts.pace?.(to.id);
      await options.onWire();
    }
    // Plain text, no parse_mode: nothing in a caption is read as markup.
    const sent = await this.bot.api.sendDocument(to.id, new InputFile(file.data, file.filename), fits && file.caption ? { caption: file.caption } : {});
    return { platform: "telegram", chatId: to.id, messageId: String(sent.message_id) };
  }

  async edit(ref: MessageRef, message: Outbound): Promise<void> {
    // An edited message stays one message: a live counter never needs more than one part.
    const [first] = render({ ...message, text: typeof message.text === "string" ? message.text.slice(0, MAX_TEXT) : message.text });
    const { text, ...rest } = first!;
    try {
      await this.bot.api.editMessageText(ref.chatId, Number(ref.messageId), text, rest);
    } catch (error) {
      if (error instanceof GrammyError && error.description.includes("message is not modified")) return;
      throw error;
    }
  }

  async openDirect(user: UserRef): Promise<ChatRef> {
    return { platform: "telegram", id: user.id, kind: "direct" }; // a private chat's id is the user's id
  }

  /**
   * Every update, from polling or the webhook (`redeliverable`: Telegram delivers it again if refused): one chat at a
   * time, never throwing. The core handles each update_id once, or holds it while a store is down (src/inbox/).
   */
  receive(update: Update, redeliverable = false): Promise<Handled | undefined> {
    const chat = chatKey(update);
    const previous = this.chats.get(chat) ?? Promise.resolve();
    const next = previous
      .then(() => this.handle(update, redeliverable))
      .catch((err: unknown) => void this.opts.log.error({ err, update: update.update_id }, "telegram update failed"));
    this.chats.set(chat, next);
    void next.then(() => {
      if (this.chats.get(chat) === next) this.chats.delete(chat);
    });
    return next;
  }

  private async handle(update: Update, redeliverable: boolean): Promise<Handled | undefined> {
    const event = toInbound(update, this.bot.botInfo.username);
    const query = update.callback_query;
    if (!event) {
      if (query) await this.answerQuery(query.id, undefined);
      return;
    }
    const handled = this.sink!(event, { updateId: String(update.update_id), redeliverable });
    if (!query) return await handled;
    // Telegram shows a spinner on the button until answered: answer at once, with the toast if it is ready.
    const early = await Promise.race([handled, delay(CALLBACK_ANSWER_MS).then(() => undefined)]);
    await this.answerQuery(query.id, early?.toast);
    return early ?? (await handled);
  }

  private async answerQuery(id: string, toast: string | undefined): Promise<void> {
    await this.bot.api
      .answerCallbackQuery(id, toast ? { text: toast.slice(0, 200) } : {})
      .catch((err: unknown) => this.opts.log.warn({ err }, "could not answer a callback query"));
  }

  private async onWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!sameSecret(req.headers["x-telegram-bot-api-secret-token"], this.opts.webhookSecret!)) {
      res.writeHead(401).end("unauthorized");
      return;
    }
    // Before getMe has answered, an update cannot be read (our @username); Telegram redelivers after a 503.
    if (!this.connector.connection().connected) return void res.writeHead(503).end("not connected to Telegram yet");
    let update: Update;
    try {
      update = JSON.parse(await readBody(req, MAX_BODY)) as Update;
      if (typeof update?.update_id !== "number") throw new Error("no update_id");
    } catch (error) {
      if (error instanceof BodyTooLargeError) return void res.writeHead(413).end("too large");
      // A malformed update will not get better by redelivery: log it and say OK so Telegram moves on.
      this.opts.log.warn({ err: error }, "malformed telegram update ignored");
      return void res.writeHead(200).end();
    }
    // 200 once it is handled or safely held; 503 when neither store could hold it, so Telegram keeps it and delivers
    // it again. (Past WEBHOOK_ANSWER_MS it is being handled: 200 too, so Telegram does not redeliver it meanwhile.)
    const handled = await Promise.race([this.receive(update, true), delay(WEBHOOK_ANSWER_MS)]);
    if (handled?.refused) return void res.writeHead(503).end("cannot hold the update now; deliver it again later");
    res.writeHead(200).end();
  }
}

/**
 * What a failed start-up call means: a token Telegram refuses is the operator's to fix (one line naming it,
 * not a stack trace); no answer, or Telegram failing on its side, is worth trying again.
 */
function startupFailure(error: unknown): never {
  if (error instanceof GrammyError && (error.error_code === 401 || error.error_code === 404)) {
    throw new StartupError(`Telegram refused TELEGRAM_BOT_TOKEN (${error.error_code} ${error.description}): check it with @BotFather`);
  }
  if (error instanceof GrammyError && (error.error_code >= 500 || error.error_code === 429)) {
    throw new UnreachableError(`${error.error_code} ${error.description}`, { cause: error });
  }
  if (error instanceof HttpError) throw new UnreachableError(networkReason(error.error), { cause: error });
  throw error;
}

/** Updates of one chat are handled in order; different chats in parallel. */
function chatKey(update: Update): string {
  const chat = update.message?.chat ?? update.callback_query?.message?.chat ?? update.my_chat_member?.chat;
  return String(chat?.id ?? update.callback_query?.from.id ?? "other");
}

function sameSecret(given: string | string[] | undefined, expected: string): boolean {
  if (typeof given !== "string") return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
