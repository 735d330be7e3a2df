// A fake Slack Web API over real HTTP, for Slack adapter tests. Bolt is pointed at it with
// `clientOptions: { slackApiUrl: fake.url }` and gets Slack's answers: HTTP 200 with `{ ok: false, error }` for
// refusals (Slack uses no other status codes except 429), 429 with Retry-After for rate limits, and the same
// response shapes for the handful of methods Relay uses. It also serves response_url endpoints so `respond()` works.
// It also serves Socket Mode on the same port: apps.connections.open (app-level token only) hands out a ws:// URL, and
// the test pushes envelopes down that WebSocket with socketSend() and reads the client's acks in socketAcks, so a real
// Bolt SocketModeReceiver runs unchanged. Files go up Slack's external way: files.getUploadURLExternal hands out an
// upload URL served here, the bytes are POSTed to it (raw or multipart), files.completeUploadExternal shares them. The server side uses the `ws` package (a dev dependency): @slack/socket-mode
// itself connects with undici's WebSocket client, which has no server.
// Only types come from Bolt's re-export of @slack/web-api (not a direct dependency of ours): they are generated
// from Slack's docs, so tsc checks our field names.
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { webApi } from "@slack/bolt";
import { WebSocketServer, type RawData, type WebSocket } from "ws";
import { multipartBoundary, parseMultipart } from "./multipart.ts";
import { keepIdleConnections } from "./net.ts";

/** The workspace and bot a fake started with default options answers as (and slack-signing's builders use). */
export const DEFAULT_WORKSPACE = {
  team_id: "T0RELAY001",
  team: "Relay Office",
  domain: "relay-office",
  bot_user_id: "U0RELAYBOT",
  bot_id: "B0RELAYBOT",
  app_id: "A0RELAYAPP",
  token: "xoxb-0000000001-0000000002-relaytesttoken",
  app_token: "xapp-1-A0RELAYAPP-0000000001-relaytestapptoken", // the app-level token Socket Mode connects with
} as const;

export interface FakeSlackOptions {
  token?: string; // the one bot token accepted; default DEFAULT_WORKSPACE.token
  appToken?: string; // the one app-level token apps.connections.open accepts; default DEFAULT_WORKSPACE.app_token
  users?: Record<string, Partial<FakeUser>>; // users.info answers for these ids; other well-formed ids get a made-up person
  now?: () => number; // ms clock for message ts values, so a test can stand still
  port?: number; // listen here rather than on a free port
}

export interface FakeUser {
  id: string;
  name: string;
  real_name: string;
  display_name: string;
  tz: string;
  is_bot: boolean;
}

/** A message the bot posted, as Slack now shows it (edits applied). */
export interface PostedMessage {
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown[];
  thread_ts?: string;
  user: string; // the bot user, as Slack shows app messages
  bot_id: string;
  edited?: { user: string; ts: string };
  /** A file share: the message Slack posts for files.completeUploadExternal (text = its initial_comment). */
  files?: { id: string; name: string; title: string }[];
}

/** A file the bot uploaded and shared, with the bytes that arrived as `data`. */
export interface SharedFile {
  id: string;
  name: string;
  title: string;
  channel: string;
  thread_ts?: string;
  initial_comment?: string;
  permalink: string;
  data: Buffer;
}

/** An upload begun with files.getUploadURLExternal and not yet completed. */
interface PendingUpload { id: string; filename: string; length: number; ticket: string; data?: Buffer }

/** A message only `user` can see (chat.postEphemeral); Slack never lets the app edit or fetch it. */
export interface EphemeralMessage { channel: string; user: string; message_ts: string; text: string; blocks?: unknown[] }

export interface SlackCall { method: string; body: Record<string, unknown>; token?: string; error?: string }
export interface ResponseUrlPost { url: string; body: Record<string, unknown> }

/** What Socket Mode envelopes carry: Events API envelopes, slash commands (the form fields as an object), interactivity payloads. */
export type SocketEnvelopeType = "events_api" | "slash_commands" | "interactive";
/** A client's acknowledgement of an envelope; @slack/socket-mode always sends `payload`, `{}` for a bare ack(). */
export interface SocketAck { envelope_id: string; payload?: unknown }

type Params = Record<string, unknown>;
type Fault = { kind: "ratelimit"; retryAfter: number } | { kind: "fail"; error: string; channel?: string };
/** A method's answer without `ok`, which onRequest adds. */
type Answer<T> = Omit<T, "ok">;
/** An `ok: false` answer; `status` is 200 except for rate limits, as on Slack. */
class SlackRefusal {
  constructor(readonly error: string, readonly extra: Params = {}) {}
}

// Parameters Slack takes as JSON inside a form field; @slack/web-api JSON-stringifies every non-scalar argument.
const JSON_PARAMS = new Set(["blocks", "attachments", "metadata", "unfurl_links_domains", "files"]);
const METHODS = new Set([
  "apps.connections.open", "auth.test", "chat.postMessage", "chat.update", "chat.postEphemeral", "conversations.open", "users.info",
  "files.getUploadURLExternal", "files.completeUploadExternal",
]);
/** Slack's limit on one file. */
export const MAX_FILE_BYTES = 1024 * 1024 * 1024;
// Interactivity payloads whose HTTP answer can carry data (response_action, options) accept a response payload in acks.
const INTERACTIVE_WITH_RESPONSE = new Set(["view_submission", "block_suggestion"]);
const CHANNEL_ID = /^[CGD][A-Z0-9]{8,}$/;
const USER_ID = /^[UW][A-Z0-9]{8,}$/;

export class FakeSlack {
  readonly token: string;
  readonly appToken: string;
  url = ""; // "http://127.0.0.1:PORT/api/": what WebClient's slackApiUrl and Bolt's clientOptions.slackApiUrl take
  origin = "";
  calls: SlackCall[] = [];
  responses: ResponseUrlPost[] = []; // what respond() posted to response URLs made by responseUrl()
  rateLimited = 0;
  socketAcks: SocketAck[] = []; // acks Socket Mode clients sent, in order
  pingsAnswered = 0; // Socket Mode clients' pings, each answered with a pong

  private server!: Server;
  private readonly now: () => number;
  private readonly users: Record<string, Partial<FakeUser>>;
  private readonly messages: PostedMessage[] = [];
  private readonly ephemeralMessages: EphemeralMessage[] = [];
  private readonly dms = new Map<string, string>();
  private readonly uploads = new Map<string, PendingUpload>(); // by file id
  private readonly shared: SharedFile[] = [];
  private readonly faults = new Map<string, Fault[]>();
  private readonly holds = new Map<string, Promise<void>>(); // methods whose calls wait before being handled
  private seq = 0;
  private fileSeq = 0;
  private responseUrls = 0;
  // Socket Mode. clientTracking keeps wss.clients (every upgraded socket, greeted or not) for close() to shut.
  private readonly wss = new WebSocketServer({ noServer: true, clientTracking: true });
  private readonly sockets = new Set<WebSocket>(); // connections that have been sent hello, so envelopes may follow
  private readonly tickets = new Set<string>(); // unused apps.connections.open tickets
  private ticketsIssued = 0;
  private nextSocket = 0;
  private socketWaiters: (() => void)[] = [];

  private constructor(opts: FakeSlackOptions) {
    this.token = opts.token ?? DEFAULT_WORKSPACE.token;
    this.appToken = opts.appToken ?? DEFAULT_WORKSPACE.app_token;
    this.users = opts.users ?? {};
    this.now = opts.now ?? Date.now;
  }

  /** Starts a fake on a free port of 127.0.0.1, or on `port` (where Relay was told to look before it came up). */
  static async start(opts: FakeSlackOptions = {}): Promise<FakeSlack> {
    const fake = new FakeSlack(opts);
    fake.server = keepIdleConnections(createServer((req, res) => {
      // A bug in the fake must fail the test loudly, not crash the worker with an unhandled rejection.
      fake.onRequest(req, res).catch((e: unknown) => send(res, 500, { ok: false, error: `fake_bug: ${String(e)}` }));
    }));
    fake.server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => fake.onUpgrade(req, socket, head));
    await new Promise<void>((resolve) => fake.server.listen(opts.port ?? 0, "127.0.0.1", resolve));
    fake.origin = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    fake.url = `${fake.origin}/api/`;
    return fake;
  }

  /** Stops the server, cutting open keep-alive connections and closing Socket Mode WebSockets (upgraded sockets are no longer the HTTP server's). */
  async close(): Promise<void> {
    // A close handshake rather than a cut: app.stop() does not wait for its close frame to be answered, and
    // @slack/socket-mode answers a cut connection by arming a second 30 s close timer over the first, which then
    // leaks and holds the process open for 30 s.
    await Promise.all([...this.wss.clients].map(closeSocket));
    this.sockets.clear();
    this.wss.close();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Calls made to one method, in order (rate-limited and refused ones included). */
  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  /** Messages the bot posted (to one channel, or all), edits applied. A user id means the bot's DM with that user. */
  posted(channel?: string): PostedMessage[] {
    const id = channel !== undefined && USER_ID.test(channel) ? this.dmWith(channel) : channel;
    return this.messages.filter((m) => id === undefined || m.channel === id);
  }

  /** Files the bot shared (in one channel, or all; a user id means the bot's DM with them), oldest first. */
  files(channel?: string): SharedFile[] {
    const id = channel !== undefined && USER_ID.test(channel) ? this.dmWith(channel) : channel;
    return this.shared.filter((f) => id === undefined || f.channel === id);
  }

  /** Ephemeral messages the bot posted (to one channel, or all). */
  ephemeral(channel?: string): EphemeralMessage[] {
    return this.ephemeralMessages.filter((m) => channel === undefined || m.channel === channel);
  }

  /** The next `n` calls to `method` answer 429 with `Retry-After: retryAfterSeconds` and `{ ok: false, error: "ratelimited" }`. */
  rateLimitNext(method: string, n: number, retryAfterSeconds: number): void {
    this.queueFault(method, n, { kind: "ratelimit", retryAfter: retryAfterSeconds });
  }

  /**
   * The next `n` calls to `method` answer `{ ok: false, error }`, e.g. "channel_not_found", "not_in_channel";
   * with `channel` (a user id means their DM), only calls about that channel do.
   */
  failNext(method: string, error: string, n = 1, channel?: string): void {
    const only = channel !== undefined && USER_ID.test(channel) ? this.dmWith(channel) : channel;
    this.queueFault(method, n, { kind: "fail", error, ...(only ? { channel: only } : {}) });
  }

  /**
   * Calls to `method` from now on wait, unhandled and unanswered, until the returned function is called: a test can
   * show what happens before them (an ack that does not wait for the reply) without timing anything.
   */
  hold(method: string): () => void {
    let release!: () => void;
    this.holds.set(method, new Promise<void>((resolve) => (release = resolve)));
    return () => {
      this.holds.delete(method);
      release();
    };
  }

  /** A fresh response_url served by this fake; what is posted to it lands in `responses`. */
  responseUrl(): string {
    return `${this.origin}/commands/${DEFAULT_WORKSPACE.team_id}/${++this.responseUrls}/fakeResponseToken`;
  }

  /** The DM channel id conversations.open gives for a user: stable per user. */
  dmWith(userId: string): string {
    let id = this.dms.get(userId);
    if (!id) { id = `D${userId.slice(1).padEnd(10, "0")}`; this.dms.set(userId, id); }
    return id;
  }

  // ---- Socket Mode ----

  /** Open Socket Mode connections that have been greeted with hello. */
  get socketConnections(): number {
    return this.sockets.size;
  }

  /** Resolves once a Socket Mode client is connected and its hello has been written (at once if one already is). */
  waitForSocket(): Promise<void> {
    if (this.sockets.size > 0) return Promise.resolve();
    return new Promise((resolve) => this.socketWaiters.push(resolve));
  }

  /**
   * Sends an envelope as Slack does and returns its envelope_id; the client's ack lands in socketAcks. Slack delivers
   * each envelope over one of an app's connections, so with several open this takes turns. Retry fields exist only on
   * events_api envelopes (Slack retries nothing else), so asking for them on another type is a test bug.
   */
  async socketSend(type: SocketEnvelopeType, payload: object, opts: { retryAttempt?: number; retryReason?: string } = {}): Promise<string> {
    const open = [...this.sockets].filter((ws) => ws.readyState === ws.OPEN);
    if (open.length === 0) throw new Error("FakeSlack.socketSend: no Socket Mode client is connected (await waitForSocket() first)");
    if (type !== "events_api" && (opts.retryAttempt !== undefined || opts.retryReason !== undefined)) {
      throw new Error(`FakeSlack.socketSend: Slack sends retry fields only with events_api envelopes, not ${type}`);
    }
    const envelope_id = randomUUID();
    const envelope = type === "events_api"
      ? { envelope_id, type, payload, accepts_response_payload: false, retry_attempt: opts.retryAttempt ?? 0, retry_reason: opts.retryReason ?? "" }
      : {
        envelope_id, type, payload,
        accepts_response_payload: type === "slash_commands" || INTERACTIVE_WITH_RESPONSE.has(String((payload as Params).type)),
      };
    await sendFrame(open[this.nextSocket++ % open.length]!, envelope);
    return envelope_id;
  }

  /** Sends `{ type: "disconnect", reason }` on every connection, as Slack does before recycling one; clients close and reconnect. */
  async socketDisconnect(reason: "refresh_requested" | "warning" | "link_disabled" = "refresh_requested"): Promise<void> {
    await Promise.all([...this.sockets].map((ws) => sendFrame(ws, { type: "disconnect", reason, debug_info: { host: "applink-fake" } })));
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const url = new URL(req.url ?? "/", this.origin);
    // Slack's URLs are temporary tickets; here each is good for one connection, so a client that reconnects without
    // calling apps.connections.open again is caught.
    const status = url.pathname !== "/socket" ? "404 Not Found" : this.tickets.delete(url.searchParams.get("ticket") ?? "") ? "" : "401 Unauthorized";
    if (status) {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => this.onSocket(ws));
  }

  private onSocket(ws: WebSocket): void {
    // ws answers the client's pings with pongs by itself (autoPong); @slack/socket-mode pings every clientPingTimeout/3
    // and drops a connection that stays unanswered. The fake sends no pings of its own: the client only starts
    // timing the server's pings (serverPingTimeout) after the first one arrives.
    ws.on("message", (data: RawData, isBinary: boolean) => this.onSocketMessage(data, isBinary));
    ws.on("ping", () => this.pingsAnswered++); // ws has already answered it
    ws.on("close", () => this.sockets.delete(ws));
    ws.on("error", () => ws.terminate()); // a protocol error must not surface as an unhandled 'error' event
    this.sockets.add(ws); // before hello goes out: anything socketSend queues after it is ordered after hello
    const hello = {
      type: "hello", num_connections: this.sockets.size,
      debug_info: { host: "applink-fake", build_number: 1, approximate_connection_time: 18_060 },
      connection_info: { app_id: DEFAULT_WORKSPACE.app_id },
    };
    void sendFrame(ws, hello).then(() => {
      const waiters = this.socketWaiters;
      this.socketWaiters = [];
      for (const resolve of waiters) resolve();
    }, () => { /* closed before hello was written: the client never connected */ });
  }

  private onSocketMessage(data: RawData, isBinary: boolean): void {
    if (isBinary) return;
    let message: unknown;
    try { message = JSON.parse(rawText(data)); } catch { return; } // Slack ignores what it cannot parse
    if (typeof message !== "object" || message === null || typeof (message as Params).envelope_id !== "string") return;
    const { envelope_id, payload } = message as { envelope_id: string; payload?: unknown };
    this.socketAcks.push({ envelope_id, ...(payload === undefined ? {} : { payload }) });
  }

  private queueFault(method: string, n: number, fault: Fault): void {
    const list = this.faults.get(method) ?? [];
    for (let i = 0; i < n; i++) list.push(fault);
    this.faults.set(method, list);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? "/", this.origin).pathname;
    const bytes = await readBody(req);
    if (path.startsWith("/upload/v1/") && req.method === "POST") return this.receiveUpload(path.slice("/upload/v1/".length), req.headers["content-type"], bytes, res);
    const raw = bytes.toString("utf8");
    if (path.startsWith("/commands/") && req.method === "POST") {
      this.responses.push({ url: `${this.origin}${path}`, body: parseBody(raw, req.headers["content-type"]) ?? {} });
      send(res, 200, "ok", "text/plain");
      return;
    }
    if (!path.startsWith("/api/")) { send(res, 404, "Not Found", "text/plain"); return; }
    const method = path.slice("/api/".length);
    await this.holds.get(method);
    const params = parseBody(raw, req.headers["content-type"]);
    const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? "");
    // Slack takes the token from the Authorization header or, as @slack/web-api also sends it, the body.
    const { token: bodyToken, ...body } = params ?? {};
    const token = auth?.[1] ?? (typeof bodyToken === "string" ? bodyToken : undefined);
    const call: SlackCall = { method, body, ...(token ? { token } : {}) };
    this.calls.push(call);

    // The first fault queued for this method that applies to this call's channel (most apply to any).
    const queued = this.faults.get(method) ?? [];
    const named = body.channel ?? body.channel_id;
    const channel = typeof named === "string" && USER_ID.test(named) ? this.dmWith(named) : named;
    const at = queued.findIndex((f) => f.kind !== "fail" || f.channel === undefined || f.channel === channel);
    const fault = at >= 0 ? queued.splice(at, 1)[0] : undefined;
    if (fault?.kind === "ratelimit") {
      this.rateLimited++;
      call.error = "ratelimited";
      send(res, 429, { ok: false, error: "ratelimited" }, "application/json", { "Retry-After": String(fault.retryAfter) });
      return;
    }
    let answer: Params;
    try {
      if (params === undefined) throw new SlackRefusal("invalid_form_data");
      if (!METHODS.has(method)) throw new SlackRefusal("unknown_method");
      if (!token) throw new SlackRefusal("not_authed");
      this.checkToken(method, token, auth !== null);
      if (fault?.kind === "fail") throw new SlackRefusal(fault.error);
      answer = { ok: true, ...this.handle(method, body) };
    } catch (e) {
      if (!(e instanceof SlackRefusal)) throw e;
      call.error = e.error;
      answer = { ok: false, error: e.error, ...e.extra };
    }
    send(res, 200, answer);
  }

  /** The bot token for everything but apps.connections.open, which takes only the app-level token, only in the header. */
  private checkToken(method: string, token: string, inHeader: boolean): void {
    const wanted = method === "apps.connections.open" ? this.appToken : this.token;
    const other = method === "apps.connections.open" ? this.token : this.appToken;
    if (token === other) throw new SlackRefusal("not_allowed_token_type");
    if (token !== wanted) throw new SlackRefusal("invalid_auth");
    // Slack's docs: for this method "passing it as a POST parameter will result in an error" (which one, they don't say).
    if (method === "apps.connections.open" && !inHeader) throw new SlackRefusal("not_authed");
  }

  // ---- Methods ----

  private handle(method: string, body: Params): object {
    switch (method) {
      case "apps.connections.open": return this.connectionsOpen();
      case "auth.test": return this.authTest();
      case "chat.postMessage": return this.postMessage(body);
      case "chat.update": return this.update(body);
      case "chat.postEphemeral": return this.postEphemeral(body);
      case "conversations.open": return this.open(body);
      case "users.info": return this.usersInfo(body);
      case "files.getUploadURLExternal": return this.getUploadURL(body);
      case "files.completeUploadExternal": return this.completeUpload(body);
      default: throw new SlackRefusal("unknown_method");
    }
  }

  private nextTs(): string {
    return `${Math.floor(this.now() / 1000)}.${String(++this.seq).padStart(6, "0")}`;
  }

  private channelOf(body: Params): string {
    const channel = body.channel;
    if (typeof channel !== "string" || channel === "") throw new SlackRefusal("channel_not_found");
    if (USER_ID.test(channel)) return this.dmWith(channel); // Slack posts to the app's DM with that user
    if (!CHANNEL_ID.test(channel)) throw new SlackRefusal("channel_not_found");
    return channel;
  }

  private content(body: Params): { text: string; blocks?: unknown[] } {
    const text = typeof body.text === "string" ? body.text : "";
    const blocks = body.blocks;
    if (blocks !== undefined && (!Array.isArray(blocks) || blocks.length > 50 || blocks.some((b) => typeof b !== "object" || b === null || typeof (b as Params).type !== "string"))) {
      throw new SlackRefusal("invalid_blocks");
    }
    if (text.trim() === "" && (!blocks || blocks.length === 0) && body.attachments === undefined) throw new SlackRefusal("no_text");
    if (text.length > 40_000) throw new SlackRefusal("msg_too_long");
    return { text, ...(blocks ? { blocks } : {}) };
  }

  private messageObject(m: PostedMessage): Params {
    return {
      user: m.user, type: "message", ts: m.ts, bot_id: m.bot_id, app_id: DEFAULT_WORKSPACE.app_id, text: m.text,
      team: DEFAULT_WORKSPACE.team_id, ...(m.blocks ? { blocks: m.blocks } : {}), ...(m.thread_ts ? { thread_ts: m.thread_ts } : {}),
      ...(m.edited ? { edited: m.edited } : {}),
      bot_profile: { id: m.bot_id, app_id: DEFAULT_WORKSPACE.app_id, name: "Relay", deleted: false, team_id: DEFAULT_WORKSPACE.team_id },
    };
  }

  private connectionsOpen(): Answer<webApi.AppsConnectionsOpenResponse> {
    const ticket = String(++this.ticketsIssued);
    this.tickets.add(ticket);
    return { url: `${this.origin.replace(/^http:/, "ws:")}/socket?ticket=${ticket}` };
  }

  private authTest(): Answer<webApi.AuthTestResponse> {
    const w = DEFAULT_WORKSPACE;
    return { url: `https://${w.domain}.slack.com/`, team: w.team, user: "relay", team_id: w.team_id, user_id: w.bot_user_id, bot_id: w.bot_id, is_enterprise_install: false };
  }

  private postMessage(body: Params): Answer<webApi.ChatPostMessageResponse> {
    const channel = this.channelOf(body);
    const thread_ts = typeof body.thread_ts === "string" ? body.thread_ts : undefined;
    const m: PostedMessage = { channel, ts: this.nextTs(), ...this.content(body), ...(thread_ts ? { thread_ts } : {}), user: DEFAULT_WORKSPACE.bot_user_id, bot_id: DEFAULT_WORKSPACE.bot_id };
    this.messages.push(m);
    return { channel, ts: m.ts, message: this.messageObject(m) };
  }

  private update(body: Params): Answer<webApi.ChatUpdateResponse> {
    const channel = this.channelOf(body);
    const m = this.messages.find((x) => x.channel === channel && x.ts === body.ts);
    if (!m) throw new SlackRefusal("message_not_found");
    const { text, blocks } = this.content(body);
    m.text = text;
    // Slack keeps the old blocks when an update sends none, and clears them when it sends [].
    if (blocks) m.blocks = blocks.length > 0 ? blocks : undefined;
    if (!m.blocks) delete m.blocks;
    m.edited = { user: DEFAULT_WORKSPACE.bot_user_id, ts: this.nextTs() };
    return { channel, ts: m.ts, text: m.text, message: this.messageObject(m) };
  }

  private postEphemeral(body: Params): Answer<webApi.ChatPostEphemeralResponse> {
    const channel = this.channelOf(body);
    if (typeof body.user !== "string" || !USER_ID.test(body.user)) throw new SlackRefusal("user_not_found");
    const message_ts = this.nextTs();
    this.ephemeralMessages.push({ channel, user: body.user, message_ts, ...this.content(body) });
    return { message_ts };
  }

  private open(body: Params): Answer<webApi.ConversationsOpenResponse> {
    const users = typeof body.users === "string" ? body.users.split(",").map((u) => u.trim()).filter(Boolean) : [];
    if (users.length === 0) throw new SlackRefusal("users_list_not_supplied");
    if (users.some((u) => !USER_ID.test(u))) throw new SlackRefusal("user_not_found");
    if (users.length > 8) throw new SlackRefusal("too_many_users");
    const id = users.length === 1 ? this.dmWith(users[0]!) : `G${[...users].sort().join("").replace(/[^A-Z0-9]/g, "").slice(-10)}`;
    return { channel: { id } };
  }

  // ---- Files ----

  private getUploadURL(body: Params): Answer<webApi.FilesGetUploadURLExternalResponse> {
    const filename = typeof body.filename === "string" ? body.filename.trim() : "";
    const length = Number(body.length);
    if (!filename || body.length === undefined || !Number.isSafeInteger(length) || length < 0) throw new SlackRefusal("invalid_arguments");
    if (length === 0) throw new SlackRefusal("missing_argument"); // Slack's docs: what a length of 0 gets
    if (length > MAX_FILE_BYTES) throw new SlackRefusal("file_upload_size_restricted");
    const id = `F${String(++this.fileSeq).padStart(10, "0")}`;
    const ticket = randomUUID();
    this.uploads.set(id, { id, filename, length, ticket });
    return { file_id: id, upload_url: `${this.origin}/upload/v1/${ticket}` };
  }

  /** The upload URL: the file's bytes, raw or as the one file part of a multipart form; Slack answers "OK - <bytes>". */
  private receiveUpload(ticket: string, contentType: string | undefined, body: Buffer, res: ServerResponse): void {
    const upload = [...this.uploads.values()].find((u) => u.ticket === ticket);
    if (!upload || upload.data) return send(res, 404, "Not Found", "text/plain"); // each URL takes one upload
    let data = body;
    const boundary = multipartBoundary(contentType);
    if (boundary) {
      try {
        const [file] = Object.values(parseMultipart(body, boundary).files);
        if (!file) return send(res, 400, "no file in the form", "text/plain");
        data = file.data;
      } catch {
        return send(res, 400, "malformed multipart body", "text/plain");
      }
    }
    upload.data = Buffer.from(data);
    send(res, 200, `OK - ${data.length}`, "text/plain");
  }

  // Wording of the last two refusals is ours; Slack does not document what a short or missing upload gets.
  private completeUpload(body: Params): Answer<webApi.FilesCompleteUploadExternalResponse> {
    const files = body.files;
    if (!Array.isArray(files) || files.length === 0 || files.some((f) => typeof f !== "object" || f === null || typeof (f as Params).id !== "string")) {
      throw new SlackRefusal("invalid_arguments");
    }
    const pending = files.map((f) => {
      const upload = this.uploads.get((f as Params).id as string);
      if (!upload || !upload.data) throw new SlackRefusal("file_not_found");
      if (upload.data.length !== upload.length) throw new SlackRefusal("file_upload_length_mismatch");
      return { upload, title: typeof (f as Params).title === "string" ? ((f as Params).title as string) : upload.filename };
    });
    const channel = body.channel_id === undefined ? undefined : this.channelOf({ channel: body.channel_id });
    const thread_ts = typeof body.thread_ts === "string" ? body.thread_ts : undefined;
    const comment = typeof body.initial_comment === "string" && body.initial_comment !== "" ? body.initial_comment : undefined;
    const out = pending.map(({ upload, title }) => {
      this.uploads.delete(upload.id);
      const permalink = `https://${DEFAULT_WORKSPACE.domain}.slack.com/files/${DEFAULT_WORKSPACE.bot_user_id}/${upload.id}/${encodeURIComponent(upload.filename)}`;
      if (channel) {
        this.shared.push({ id: upload.id, name: upload.filename, title, channel, ...(thread_ts ? { thread_ts } : {}), ...(comment ? { initial_comment: comment } : {}), permalink, data: upload.data! });
      }
      return { id: upload.id, name: upload.filename, title, size: upload.data!.length, permalink, channels: channel ? [channel] : [] };
    });
    // Shared in a channel, the files appear as one message by the bot, the comment as its text.
    if (channel) {
      this.messages.push({
        channel, ts: this.nextTs(), text: comment ?? "", ...(thread_ts ? { thread_ts } : {}),
        user: DEFAULT_WORKSPACE.bot_user_id, bot_id: DEFAULT_WORKSPACE.bot_id, files: out.map(({ id, name, title }) => ({ id, name, title })),
      });
    }
    return { files: out };
  }

  private usersInfo(body: Params): Answer<webApi.UsersInfoResponse> {
    const id = body.user;
    if (typeof id !== "string" || !USER_ID.test(id)) throw new SlackRefusal("user_not_found");
    const given = this.users[id] ?? {};
    const name = given.name ?? `user.${id.slice(-4).toLowerCase()}`;
    const real_name = given.real_name ?? `Test User ${id.slice(-4)}`;
    const display_name = given.display_name ?? real_name;
    const tz = given.tz ?? "Asia/Shanghai";
    return {
      user: {
        id, team_id: DEFAULT_WORKSPACE.team_id, name, deleted: false, color: "9f69e7", real_name, tz,
        tz_label: tz === "Asia/Shanghai" ? "China Standard Time" : tz, tz_offset: tz === "Asia/Shanghai" ? 28_800 : 0,
        profile: { real_name, real_name_normalized: real_name, display_name, display_name_normalized: display_name, team: DEFAULT_WORKSPACE.team_id },
        is_admin: false, is_owner: false, is_primary_owner: false, is_restricted: false, is_ultra_restricted: false,
        is_bot: given.is_bot ?? false, is_app_user: false, updated: 1_732_700_000,
      },
    };
  }
}


async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Form bodies (what @slack/web-api sends, JSON params as strings) or JSON bodies; undefined if neither parses. */
function parseBody(raw: string, contentType: string | undefined): Params | undefined {
  const type = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  if (type === "application/json") {
    try {
      const parsed: unknown = raw === "" ? {} : JSON.parse(raw);
      return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Params) : undefined;
    } catch { return undefined; }
  }
  if (type === "application/x-www-form-urlencoded" || (type === "" && raw === "")) {
    const out: Params = {};
    for (const [key, value] of new URLSearchParams(raw)) {
      if (JSON_PARAMS.has(key)) {
        try { out[key] = JSON.parse(value); } catch { out[key] = value; }
      } else out[key] = value;
    }
    return out;
  }
  return undefined;
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return (Buffer.isBuffer(data) ? data : Buffer.from(new Uint8Array(data))).toString("utf8");
}

/** Closes with a handshake (1001 "going away"), cutting the socket if the peer has not finished it within a second. */
function closeSocket(ws: WebSocket): Promise<void> {
  if (ws.readyState === ws.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const cut = setTimeout(() => ws.terminate(), 1_000);
    ws.once("close", () => { clearTimeout(cut); resolve(); });
    ws.close(1001);
  });
}

function sendFrame(ws: WebSocket, message: object): Promise<void> {
  return new Promise((resolve, reject) => ws.send(JSON.stringify(message), (e) => (e ? reject(e) : resolve())));
}

function send(res: ServerResponse, status: number, body: unknown, contentType = "application/json", headers: Record<string, string> = {}): void {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  res.writeHead(status, { "content-type": contentType === "application/json" ? "application/json; charset=utf-8" : contentType, ...headers });
  res.end(text);
}
