// Slack through Bolt: signed HTTP requests at /slack/events on Relay's own HTTP server, or Socket Mode when
// an app token is set. Every command and action is acked at once (Slack's 3-second rule) and handled after;
// retried events are handled once (event_id claimed in the database), and so are replayed commands and button
// presses (their signature claimed); events of one channel in order.
import { AsyncLocalStorage } from "node:async_hooks";
import type { IncomingMessage, ServerResponse } from "node:http";
import { App, defaultBodyLimit, HTTPReceiver, LogLevel, SocketModeReceiver, webApi, type Logger as BoltLogger } from "@slack/bolt";
import type { Logger } from "pino";
import { fileTooLarge, type ChatAdapter, type InboundSink, type SendOptions } from "../../src/bot/adapter.ts";
import { Connector, networkReason, UnreachableError, type Connection, type RetryPolicy } from "../../src/bot/connector.ts";
import { systemClock, type Clock } from "../../src/bot/clock.ts";
import type { ChatRef, MessageRef, Outbound, OutboundFile, UserRef } from "../../src/bot/message.ts";
import type { HttpServer } from "../../src/http/http-server.ts";
import { BodyTooLargeError, readBody } from "../../src/http/read-body.ts";
import { UserError } from "../../src/bot/errors.ts";
import { StartupError } from "../../src/startup-error.ts";
import type { PlatformLimits } from "../../src/delivery/limits.ts";
import type { RateLimiter } from "../../src/queue/rate-limiter.ts";
import { escapeMrkdwn, render } from "./render.ts";
import { isSlackRefusal, SlackApi, type SlackLimits } from "./slack-api.ts";
import { isSslCheck, signedRequestId, verifySigned } from "./signed-request.ts";
import { mentionedUsers, orderKey, payloadKind, senderOf, toInbound } from "./to-inbound.ts";

/** Where Slack posts events, slash commands and interactions (the Request URL in app-manifest.yaml). */
export const EVENTS_PATH = "/slack/events";
/** How long a looked-up name and locale are trusted. */
const PROFILE_TTL_MS = 60 * 60 * 1000;
const MAX_PROFILES = 10_000;
const RETRY_LOOKUP_MS = 60 * 1000;
/** Slack takes files of up to 1 GB (https://api.slack.com/methods/files.upload). */
export const MAX_UPLOAD_BYTES = 1024 * 1024 * 1024;

export interface SlackOptions {
  botToken: string;
  /** Set: HTTP events on `http` at EVENTS_PATH, signatures checked with it. */
  signingSecret?: string;
  /** Set: Socket Mode (no public URL needed); takes precedence over HTTP. */
  appToken?: string;
  /** The Web API's base URL (a local fake in tests); Slack's own by default. */
  apiUrl?: string;
  log: Logger;
  http?: HttpServer;
  /** Shared rate limits in Redis; without it, only Slack's 429s pace us. */
  limiter?: RateLimiter;
  limits?: Partial<SlackLimits>;
  /** The roster name of a Slack user, so "<@U123>" in a command reads as "@张三". */
  nameOf?(userId: string): Promise<string | undefined>;
  /**
   * Where the direct chat of each user is remembered across restarts and processes (Redis in production), so
   * conversations.open, a slower tier than posting, is asked once per person rather than once per message.
   */
  directChats?: DirectChats;
  /** Milliseconds before a Web API call counts as timed out. */
  timeoutMs?: number;
  /** How connecting waits and retries while Slack cannot be reached. */
  retry?: Partial<RetryPolicy>;
  /** The office clock, against which a request's signed timestamp is checked; the system's by default. */
  clock?: Clock;
}

/**
 * What Slack allows an app (api.slack.com/apis/rate-limits): chat.postMessage about one a second per channel and
 * "several hundred a minute" per workspace, of which we take 3 a second; text is truncated past 40,000
 * characters. The outbox paces later sends to these; SlackApi paces the wire to the same workspace budget.
 */
export const SLACK_LIMITS: PlatformLimits = { perSecond: 3, directPerSecond: 1, groupPerMinute: 60, textLength: 40_000 };

export interface DirectChats {
  get(userId: string): Promise<string | undefined>;
  set(userId: string, channel: string): Promise<void>;
}

type Body = Record<string, unknown>;

/** What Relay is answering while it handles one payload: replies to that channel go in its thread, or to its response_url. */
interface Answering {
  channel: string;
  /** Said in a thread: the answer goes there too. */
  threadTs?: string;
  /** A slash command's: where the answer goes if Relay may not post in the channel. */
  responseUrl?: string;
  /** Who Relay is answering: a file it may not post in the channel goes to their direct chat instead. */
  userId?: string;
}
interface Profile {
  name?: string;
  locale?: string;
  at: number;
}

export class SlackAdapter implements ChatAdapter {
  readonly platform = "slack" as const;
  readonly limits: PlatformLimits;
  readonly api: SlackApi;
  readonly app: App;
  private readonly receiver: HTTPReceiver | SocketModeReceiver;
  private botUserId = "";
  private botId = "";
  private stopped = false;
  private sink?: InboundSink;
  private readonly chats = new Map<string, Promise<void>>();
  private readonly dms = new Map<string, string>();
  private readonly profiles = new Map<string, Profile>();
  /** Set around the handling of each payload; other sends (fan-out jobs, chases) run outside it. */
  private readonly answering = new AsyncLocalStorage<Answering>();
  private readonly connector: Connector;
  private readonly clock: Clock;

  constructor(private readonly opts: SlackOptions) {
    this.clock = opts.clock ?? systemClock;
    const workspace = opts.limits?.workspace;
    this.limits = workspace ? { ...SLACK_LIMITS, perSecond: (workspace.limit * 1000) / workspace.windowMs } : SLACK_LIMITS;
    const logger = boltLogger(opts.log);
    const clientOptions = { ...(opts.apiUrl ? { slackApiUrl: opts.apiUrl } : {}), logger };
    // Retries are ours (slack-api.ts): the client's own would resend posts whose outcome is unknown.
    const client = new webApi.WebClient(opts.botToken, { ...clientOptions, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: opts.timeoutMs ?? 30_000 });
    this.api = new SlackApi(client, opts.limiter, opts.limits);
    if (!opts.appToken && !opts.signingSecret) throw new Error("Slack HTTP events need SLACK_SIGNING_SECRET (or SLACK_APP_TOKEN for Socket Mode)");
    this.receiver = opts.appToken
      ? // A copy: the Socket Mode client writes its own retry policy into the options it is given.
        new SocketModeReceiver({ appToken: opts.appToken, logger, installerOptions: { clientOptions: { ...clientOptions } } })
      : new HTTPReceiver({
          signingSecret: opts.signingSecret ?? "", endpoints: EVENTS_PATH, processBeforeResponse: false, logger,
          // Verified in front of the receiver (verified() below): by the office clock, and refusing the future too.
          signatureVerification: false,
          customPropertiesExtractor: (req) => ({ signedRequestId: signedRequestId(req.headers) }),
        });
    // The token is checked once, with auth.test in start(). Given only a token, Bolt would call auth.test again
    // before every event (with token verification off) or at construction (with it on): both delay acks.
    const authorize = async () => ({ botToken: opts.botToken, botUserId: this.botUserId, botId: this.botId });
    this.app = new App({ authorize, receiver: this.receiver, logger, clientOptions });
    this.app.use(async (args) => {
      const { ack, body, context } = args as unknown as { ack?: () => Promise<void>; body: Body; context: { retryNum?: number; signedRequestId?: string } };
      // At once: Slack shows an error if a command or a button is not answered within 3 s. A replay gets the same
      // empty 200, so nothing tells it apart; the inbox then gives it no effect.
      await ack?.();
      void this.receive(body, context.retryNum, context.signedRequestId);
    });
    const host = new URL(opts.apiUrl ?? "https://slack.com/api/").host;
    this.connector = new Connector({ name: "slack", host, log: opts.log, retry: opts.retry, attempt: () => this.connect() });
  }

  async start(sink: InboundSink): Promise<void> {
    this.sink = sink;
    const receiver = this.receiver;
    if (!(receiver instanceof SocketModeReceiver)) {
      if (!this.opts.http) throw new Error("Slack HTTP events need PORT for the HTTP server (or SLACK_APP_TOKEN for Socket Mode)");
      this.opts.http.route("POST", EVENTS_PATH, (req: IncomingMessage, res: ServerResponse) => {
        // Until auth.test has answered, Relay does not know its own user id (to skip its own messages); Slack
        // retries an event answered with an error.
        if (!this.connector.connection().connected) return void res.writeHead(503).end("not connected to Slack yet");
        return this.verified(req, res).then((ok) => (ok ? receiver.requestListener(req, res) : undefined));
      });
    }
    await this.connector.start();
  }

  connection(): Connection {
    return this.connector.connection();
  }

  /**
   * Reads and checks a request before Bolt's receiver sees it; answers it and resolves false when it goes no further
   * (401 for a bad signature or a timestamp outside the window either way, as Bolt answers a bad signature).
   */
  private async verified(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const answer = (status: number): false => {
      res.writeHead(status).end();
      return false;
    };
    let body: string;
    try {
      body = await readBody(req, defaultBodyLimit);
    } catch (error) {
      if (error instanceof BodyTooLargeError) return answer(413);
      throw error;
    }
    // Unsigned, and Bolt would read the rest of the form as a payload once its own check is off: answered here.
    if (isSslCheck(req.headers, body)) return answer(200);
    const verdict = verifySigned(req.headers, body, this.opts.signingSecret!, this.clock.now().getTime());
    if (!verdict.ok) {
      this.opts.log.warn({ reason: verdict.reason, timestamp: req.headers["x-slack-request-timestamp"] }, "refused a slack request");
      return answer(401);
    }
    // Where Bolt's receiver looks for a body already read (BufferedIncomingMessage).
    (req as IncomingMessage & { rawBody?: Buffer }).rawBody = Buffer.from(body);
    return true;
  }

  /** Resolves once connected to Slack. */
  get ready(): Promise<void> {
    return this.connector.ready;
  }

  /** One try at connecting: auth.test (who we are, and whether the token is good), then Socket Mode if used. */
  private async connect(): Promise<void> {
    // Straight to the client: SlackApi's own retries would hold up the first line saying Slack cannot be reached.
    const auth = (await this.api.client.apiCall("auth.test", {}).catch((error: unknown) => {
      throw startupFailure("SLACK_BOT_TOKEN", error);
    })) as webApi.AuthTestResponse;
    this.botUserId = auth.user_id ?? "";
    this.botId = auth.bot_id ?? "";
    if (this.receiver instanceof SocketModeReceiver && !this.stopped) {
      await this.app.start().catch((error: unknown) => {
        throw startupFailure("SLACK_APP_TOKEN", error);
      });
    }
  }

  /**
   * Opens, in the background and at conversations.open's pace, the direct chats of `userIds` not known yet
   * (people imported from a roster file who never wrote to Relay), so a first notice to them is not held up.
   */
  async warmDirectChats(userIds: string[]): Promise<number> {
    let opened = 0;
    for (const id of userIds) {
      if (this.stopped) break;
      if (this.dms.has(id)) continue;
      const known = await this.opts.directChats?.get(id).catch(() => undefined);
      if (known) {
        this.dms.set(id, known);
        continue;
      }
      await this.openDirect({ platform: "slack", id }).then(
        () => opened++,
        (err: unknown) => this.opts.log.warn({ err, user: id }, "could not open a slack direct chat"),
      );
    }
    return opened;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.connector.stop();
    if (this.receiver instanceof SocketModeReceiver && this.connector.connection().connected) await this.app.stop();
    await Promise.allSettled(this.chats.values());
  }

  async send(to: ChatRef, message: Outbound, options?: SendOptions): Promise<MessageRef> {
    const scope = this.answering.getStore();
    const answering = scope?.channel === to.id ? scope : undefined;
    let ts = "";
    for (const [i, part] of render(message).entries()) {
      if (i === 0 && options?.onWire) {
        // Wait for the rate-limit slot first, so "sending" is recorded only when the request goes out.
        await this.api.pace(to.id);
        await options.onWire();
      }
      try {
        const thread = answering?.threadTs ? { thread_ts: answering.threadTs } : {};
        const sent = await this.api.call<webApi.ChatPostMessageResponse>("chat.postMessage", { channel: to.id, ...part, ...thread, unfurl_links: false, unfurl_media: false });
        ts = sent.ts ?? "";
      } catch (error) {
        // A slash command typed in a channel Relay is not in: answer the person who typed it, only to them.
        const url = answering?.responseUrl;
        if (!url || !isSlackRefusal(error, "not_in_channel", "channel_not_found")) throw error;
        await this.respond(url, part);
      }
    }
    return { platform: "slack", chatId: to.id, messageId: ts };
  }

  /**
   * Slack's external upload: files.getUploadURLExternal (name, length) → the bytes POSTed to the URL it gives →
   * files.completeUploadExternal shares the file in the channel with the caption (in the thread when answering in one).
   */
  async sendFile(to: ChatRef, file: OutboundFile, options?: SendOptions): Promise<MessageRef> {
    if (file.data.byteLength > MAX_UPLOAD_BYTES) throw fileTooLarge(file, MAX_UPLOAD_BYTES);
    const scope = this.answering.getStore();
    const answering = scope?.channel === to.id ? scope : undefined;
    if (options?.onWire) {
      await this.api.pace(to.id);
      await options.onWire();
    }
    try {
      await this.upload(to.id, file, answering?.threadTs);
    } catch (error) {
      // An app installed from a manifest older than exports lacks files:write: the admin's to fix, so say how.
      if (isSlackRefusal(error, "missing_scope")) throw new UserError("file.noUploadScope");
      // A slash command typed in a channel Relay is not in: the file goes to the person's direct chat with Relay,
      // and the answer only they see in the channel links to it.
      const url = answering?.responseUrl;
      if (!url || !answering?.userId || !isSlackRefusal(error, "not_in_channel", "channel_not_found")) throw error;
      const direct = await this.openDirect({ platform: "slack", id: answering.userId });
      const permalink = await this.upload(direct.id, file);
      const link = permalink ? `<${permalink}|${escapeMrkdwn(file.filename)}>` : escapeMrkdwn(file.filename);
      await this.respond(url, { text: file.caption ? `${escapeMrkdwn(file.caption)}\n${link}` : link });
      return { platform: "slack", chatId: direct.id, messageId: "" };
    }
    // The share's message ts is not in the answer (Slack shares asynchronously): a file is never edited anyway.
    return { platform: "slack", chatId: to.id, messageId: "" };
  }

  /** Uploads and shares `file` in `channel`; resolves with the file's permalink. */
  private async upload(channel: string, file: OutboundFile, threadTs?: string): Promise<string | undefined> {
    const { upload_url: url, file_id: id } = await this.api.call<webApi.FilesGetUploadURLExternalResponse>("files.getUploadURLExternal", {
      filename: file.filename, length: file.data.byteLength,
    });
    if (!url || !id) throw new Error("files.getUploadURLExternal gave no upload_url or file_id");
    // The URL is signed for this one upload: it takes the raw bytes, no token.
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": file.mimeType || "application/octet-stream" },
      body: file.data,
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
    });
    await res.arrayBuffer().catch(() => undefined); // drain it, so the connection can be reused
    if (!res.ok) throw new Error(`Slack's upload URL answered HTTP ${res.status} for ${file.filename}`);
    const done = await this.api.call<webApi.FilesCompleteUploadExternalResponse>("files.completeUploadExternal", {
      files: [{ id, title: file.filename }],
      channel_id: channel,
      ...(file.caption ? { initial_comment: escapeMrkdwn(file.caption) } : {}),
      ...(threadTs ? { thread_ts: threadTs } : {}),
    });
    return done.files?.[0]?.permalink;
  }

  async edit(ref: MessageRef, message: Outbound): Promise<void> {
    if (!ref.messageId) return; // an answer only its reader saw: Slack does not let apps edit those
    // An edited message stays one message: a live counter never needs more than one.
    const [first] = render(message);
    await this.api.call("chat.update", { channel: ref.chatId, ts: ref.messageId, ...first! });
  }

  async openDirect(user: UserRef): Promise<ChatRef> {
    let channel = this.dms.get(user.id) ?? (await this.opts.directChats?.get(user.id));
    if (!channel) {
      const opened = await this.api.call<webApi.ConversationsOpenResponse>("conversations.open", { users: user.id });
      channel = opened.channel?.id;
      if (!channel) throw new Error(`conversations.open gave no channel for ${user.id}`);
    }
    await this.rememberDirect(user.id, channel);
    return { platform: "slack", id: channel, kind: "direct" };
  }

  /** A user's direct chat never changes: kept here and in the shared store once learnt. */
  private async rememberDirect(userId: string, channel: string): Promise<void> {
    if (this.dms.get(userId) === channel) return;
    this.dms.set(userId, channel);
    await this.opts.directChats?.set(userId, channel).catch((err: unknown) => this.opts.log.warn({ err }, "could not remember a slack direct chat"));
  }

  /**
   * Every payload, from HTTP or Socket Mode: events once per event_id, commands and interactions once per signed
   * request (`signedRequestId`, HTTP only), one channel at a time, never throwing.
   */
  receive(body: Body, retryNum?: number, signedRequestId?: string): Promise<void> {
    const key = orderKey(body);
    const previous = this.chats.get(key) ?? Promise.resolve();
    const next = previous
      .then(() => this.handle(body, retryNum, signedRequestId))
      .catch((err: unknown) => this.opts.log.error({ err, kind: payloadKind(body) }, "slack payload failed"));
    this.chats.set(key, next);
    void next.then(() => {
      if (this.chats.get(key) === next) this.chats.delete(key);
    });
    return next;
  }

  private async handle(body: Body, retryNum: number | undefined, signedRequestId: string | undefined): Promise<void> {
    const kind = payloadKind(body);
    if (kind === "other") return;
    // Slack redelivers an event it thinks we missed (X-Slack-Retry-Num), with the same event_id: the core handles
    // each id once. Commands and button presses carry no id and are never redelivered (acked at once), so one seen
    // again is a replay: its signature is its id, claimed like an event_id, in every process and across outages.
    const updateId = kind === "event" ? (typeof body.event_id === "string" ? body.event_id : undefined) : signedRequestId;
    if (retryNum) this.opts.log.info({ event: updateId, retryNum }, "slack delivered an event again");
    const sender = senderOf(body);
    const mentioned = mentionedUsers(body).filter((id) => id !== this.botUserId);
    const profiles = await this.lookupProfiles(sender ? [sender, ...mentioned] : mentioned);
    const names = new Map<string, string>();
    for (const id of mentioned) {
      const name = (await this.opts.nameOf?.(id).catch(() => undefined)) ?? profiles.get(id)?.name;
      if (name) names.set(id, name);
    }
    const event = toInbound(body, { botUserId: this.botUserId, names, profiles });
    if (!event) return;
    // A message, or a press of a button Relay posted, in someone's direct chat with Relay tells us its id.
    // (Not a slash command's D… channel: that may be a direct chat between two people, where Relay cannot post.)
    if (kind !== "command" && event.chat.kind === "direct") await this.rememberDirect(event.user.id, event.chat.id);
    // Otherwise open it now, while nothing waits on it, so the first notice to this person does not queue
    // behind conversations.open's slower tier.
    else if (!event.user.anonymous && !this.dms.has(event.user.id)) void this.openDirect(event.user).catch((err: unknown) => this.opts.log.warn({ err }, "could not open a slack direct chat"));
    const responseUrl = typeof body.response_url === "string" ? body.response_url : undefined;
    const scope: Answering = { channel: event.chat.id, threadTs: threadOf(body), responseUrl: kind === "command" ? responseUrl : undefined, userId: event.user.id };
    const handled = await this.answering.run(scope, () => this.sink!(event, { updateId }));
    // Slack has no toasts: the note goes to the presser alone, under the message.
    if (event.kind === "action" && handled.toast && responseUrl) await this.respond(responseUrl, { text: escapeMrkdwn(handled.toast) });
  }

  /** Posts an answer only `url`'s user sees (a slash command's or a button's response_url). */
  private async respond(url: string, content: { text: string; blocks?: unknown[] }): Promise<void> {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ response_type: "ephemeral", replace_original: false, ...content }),
      signal: AbortSignal.timeout(this.opts.timeoutMs ?? 30_000),
    });
    if (!res.ok) this.opts.log.warn({ status: res.status }, "slack response_url refused an answer");
  }

  /** Names and locales of users, from users.info, cached; a failed lookup leaves them unknown. */
  private async lookupProfiles(ids: string[]): Promise<Map<string, Profile>> {
    const out = new Map<string, Profile>();
    const now = Date.now();
    for (const id of new Set(ids)) {
      let profile = this.profiles.get(id);
      if (!profile || now - profile.at > PROFILE_TTL_MS) {
        profile = await this.api
          .call<webApi.UsersInfoResponse>("users.info", { user: id, include_locale: true })
          .then(({ user }) => ({ name: user?.profile?.real_name || user?.real_name || user?.name || undefined, locale: user?.locale || undefined, at: now }))
          .catch((err: unknown) => {
            this.opts.log.warn({ err, user: id }, "could not look up a slack user");
            return { at: now - PROFILE_TTL_MS + RETRY_LOOKUP_MS }; // unknown for now; asked again in a minute
          });
        if (this.profiles.size >= MAX_PROFILES) this.profiles.clear();
        this.profiles.set(id, profile);
      }
      out.set(id, profile);
    }
    return out;
  }
}

/** The thread an event was said in, if any (a mention or a direct message inside a thread). */
function threadOf(body: Body): string | undefined {
  const event = body.event as { thread_ts?: unknown } | undefined;
  return typeof event?.thread_ts === "string" ? event.thread_ts : undefined;
}

/**
 * What a failed start-up call means: a token Slack refuses is the operator's to fix (one line naming it, not a
 * stack trace); no answer, an HTTP error or a rate limit is worth trying again.
 */
function startupFailure(variable: string, error: unknown): Error {
  const code = (error as { data?: { error?: string } }).data?.error;
  if (code) return new StartupError(`Slack refused ${variable} (${code}): check the token in the app's settings at https://api.slack.com/apps`);
  if (error instanceof webApi.WebAPIRequestError) return new UnreachableError(networkReason(error.original), { cause: error });
  if (error instanceof webApi.WebAPIHTTPError) return new UnreachableError(`HTTP ${error.statusCode}`, { cause: error });
  if (error instanceof webApi.WebAPIRateLimitedError) return new UnreachableError(`rate limited for ${error.retryAfter} s`, { cause: error });
  return error as Error;
}

/** Bolt's logger interface over pino, so Bolt's warnings land in Relay's log. */
function boltLogger(log: Logger): BoltLogger {
  const child = log.child({ lib: "bolt" });
  let level = LogLevel.INFO;
  return {
    debug: (...m: unknown[]) => child.debug(m.map(String).join(" ")),
    info: (...m: unknown[]) => child.info(m.map(String).join(" ")),
    warn: (...m: unknown[]) => child.warn(m.map(String).join(" ")),
    error: (...m: unknown[]) => child.error(m.map(String).join(" ")),
    setLevel: (l: LogLevel) => void (level = l),
    getLevel: () => level,
    setName: () => undefined,
  };
}
