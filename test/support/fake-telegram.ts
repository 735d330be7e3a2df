// A fake Telegram Bot API server over real HTTP, for Telegram adapter tests. grammY is pointed at it with
// `client: { apiRoot: fake.url }` and gets Telegram's answers: the same JSON envelope, status codes and error
// descriptions (400 parse errors, 403 blocked, 409 conflicts, 413 too large, 429 flood limits), plus faults on demand.
// sendDocument takes real multipart uploads; the bytes are kept for tests to read back (documents()).
// Only types come from grammY: they are generated from the Bot API docs, so tsc checks our field names.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { multipartBoundary, parseMultipart, type FormFile } from "./multipart.ts";
import type {
  BotCommand, CallbackQuery, Chat, ChatFullInfo, ChatMember, InlineKeyboardButton, InlineKeyboardMarkup,
  Document, Message, MessageEntity, Update, User, UserFromGetMe,
} from "grammy/types";
import { keepIdleConnections } from "./net.ts";

export interface RateLimits {
  globalPerSecond: number; // all chats together (Telegram: ~30/s)
  privatePerSecond: number; // one private chat (Telegram: ~1/s)
  privateBurst: number; // messages a private chat may take at once before the 1/s pace applies
  groupPerMinute: number; // one group (Telegram: 20/min)
}
export const DEFAULT_LIMITS: RateLimits = { globalPerSecond: 30, privatePerSecond: 1, privateBurst: 3, groupPerMinute: 20 };

export interface FakeTelegramOptions {
  token?: string; // default "123456:TEST-token"; the part before ":" is the bot's user id, as on Telegram
  botUsername?: string; // default "relay_bot"
  botName?: string; // default "Relay"
  limits?: false | Partial<RateLimits>;
  now?: () => number; // ms clock for rate limits and message dates, so a test can stand still or jump
  port?: number; // listen here rather than on a free port
}

/** A message the bot sent, as Telegram now shows it (edits applied), with what the bot sent as `source`. */
export interface SentMessage {
  message_id: number;
  from: User;
  chat: Chat;
  date: number;
  edit_date?: number;
  text: string;
  entities?: MessageEntity[];
  reply_markup?: InlineKeyboardMarkup;
  source: string;
  parse_mode?: string;
}

/** A document the bot sent (sendDocument), as Telegram shows it, with the bytes that arrived as `data`. */
export interface SentDocument {
  message_id: number;
  from: User;
  chat: Chat;
  date: number;
  document: Document;
  caption?: string;
  caption_entities?: MessageEntity[];
  reply_markup?: InlineKeyboardMarkup;
  /** The file exactly as uploaded. */
  data: Buffer;
}

/** Bots may upload files of up to 50 MB (https://core.telegram.org/bots/api#senddocument). */
export const MAX_UPLOAD_BYTES = 50 * 1024 * 1024;

export interface CallbackAnswer { callback_query_id: string; text?: string; show_alert?: boolean; url?: string }
export interface WebhookState { url: string; secret_token?: string; allowed_updates?: string[]; max_connections?: number }
type Params = Record<string, unknown>;
/** Files of a multipart request, by part name. */
type Files = Record<string, FormFile>;
type Fault = { kind: "fail"; status: 500 | 502 } | { kind: "hang"; deliver: boolean };

/** What the Bot API answers with `ok: false`; the HTTP status equals `error_code`, as on Telegram. */
class ApiError extends Error {
  constructor(readonly code: number, readonly description: string, readonly parameters?: { retry_after: number }) {
    super(description);
  }
}
const bad = (what: string) => new ApiError(400, `Bad Request: ${what}`);
/** An `ok: true` answer that also carries a description, like setWebhook's "Webhook was set". */
class Described { constructor(readonly result: unknown, readonly description: string) {} }

// Update types Telegram leaves out unless asked for by name in allowed_updates.
const OPT_IN_UPDATES = new Set(["chat_member", "message_reaction", "message_reaction_count"]);
const BAD_GATEWAY = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n";

export class FakeTelegram {
  readonly token: string;
  readonly botUser: { id: number; is_bot: true; first_name: string; username: string };
  url = "";
  calls: { method: string; body: any; at: number }[] = [];
  callbackAnswers: CallbackAnswer[] = [];
  commands = new Map<string, BotCommand[]>(); // key: JSON of { scope, language_code }
  webhook: WebhookState | undefined;
  tooManyRequests = 0;

  private server!: Server;
  private readonly now: () => number;
  private readonly limits: RateLimits | false;
  private readonly buckets = new Map<string, Bucket>();
  private readonly messages: SentMessage[] = [];
  private readonly documentsSent: SentDocument[] = [];
  private readonly queue: Update[] = [];
  private allowedUpdates: string[] = [];
  private poller: { wake: () => void; fail: (e: ApiError) => void } | undefined;
  private readonly blocked = new Set<number>();
  private readonly faults = new Map<string, Fault[]>();
  private readonly hung = new Set<ServerResponse>();
  private readonly chats = new Map<number, Chat>();
  private readonly members = new Map<string, ChatMember>();

  private constructor(opts: FakeTelegramOptions) {
    this.token = opts.token ?? "123456:TEST-token";
    this.botUser = { id: Number(this.token.split(":")[0]), is_bot: true, first_name: opts.botName ?? "Relay", username: opts.botUsername ?? "relay_bot" };
    this.now = opts.now ?? Date.now;
    this.limits = opts.limits === false ? false : { ...DEFAULT_LIMITS, ...opts.limits };
  }

  /** Starts a fake on a free port of 127.0.0.1, or on `port` (where Relay was told to look before it came up). */
  static async start(opts: FakeTelegramOptions = {}): Promise<FakeTelegram> {
    const fake = new FakeTelegram(opts);
    fake.server = keepIdleConnections(createServer((req, res) => {
      // A bug in the fake must fail the test loudly, not crash the worker with an unhandled rejection.
      fake.onRequest(req, res).catch((e: unknown) => reply(res, new ApiError(500, `Internal Server Error: fake bug: ${String(e)}`)));
    }));
    await new Promise<void>((resolve) => fake.server.listen(opts.port ?? 0, "127.0.0.1", resolve));
    fake.url = `http://127.0.0.1:${(fake.server.address() as AddressInfo).port}`;
    return fake;
  }

  /** Stops the server, cutting hung requests and pending long polls (the client sees a network error). */
  async close(): Promise<void> {
    this.poller?.wake();
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Messages the bot sent (to one chat, or all), edits applied, deleted ones gone. */
  sent(chatId?: number | string): SentMessage[] {
    return this.messages.filter((m) => chatId === undefined || m.chat.id === Number(chatId));
  }

  /** Documents the bot sent (to one chat, or all), oldest first. */
  documents(chatId?: number | string): SentDocument[] {
    return this.documentsSent.filter((d) => chatId === undefined || d.chat.id === Number(chatId));
  }

  /** Calls made to one method, in order. */
  callsTo(method: string): { method: string; body: any; at: number }[] {
    return this.calls.filter((c) => c.method.toLowerCase() === method.toLowerCase());
  }

  /** Updates pushed that the bot has not confirmed yet (it confirms a batch by asking for the next one). */
  get unconfirmedUpdates(): number {
    return this.deliverable().length;
  }

  /** Queues an update for getUpdates; wakes a waiting long poll. */
  pushUpdate(update: object): void {
    const u = update as Update;
    if (typeof u.update_id !== "number") u.update_id = nextUpdateId();
    else lastUpdateId = Math.max(lastUpdateId, u.update_id);
    this.observe(u);
    this.queue.push(u);
    this.queue.sort((a, b) => a.update_id - b.update_id);
    if (this.deliverable().length > 0) this.poller?.wake();
  }

  /** sendMessage to this chat answers 403 from now on (user blocked the bot / bot kicked from the group). */
  blockUser(chatId: number): void { this.blocked.add(chatId); }
  /** The next n calls of `method` fail without effect: 500 as Telegram's JSON, 502 as nginx's HTML page. */
  failNext(method: string, n: number, status: 500 | 502): void { this.addFaults(method, n, { kind: "fail", status }); }
  /** The next n calls of `method` never get an answer (until close); with `deliver` they still take effect. */
  hangNext(method: string, n: number, opts: { deliver?: boolean } = {}): void {
    this.addFaults(method, n, { kind: "hang", deliver: opts.deliver ?? false });
  }
  /** Sets what getChatMember answers for this user in this chat. */
  setMember(chatId: number, member: ChatMember): void { this.members.set(`${chatId}:${member.user.id}`, member); }

  private addFaults(method: string, n: number, fault: Fault): void {
    const list = this.faults.get(method.toLowerCase()) ?? [];
    for (let i = 0; i < n; i++) list.push(fault);
    this.faults.set(method.toLowerCase(), list);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", this.url);
    const raw = await readBody(req);
    const match = /^\/bot([^/]*)\/([^/]+)$/.exec(url.pathname);
    if (!match) return reply(res, new ApiError(404, "Not Found"));
    const [, token, method] = match as unknown as [string, string, string];
    let params: Params = {};
    let files: Files = {};
    let parseError: ApiError | undefined;
    try { ({ params, files } = parseParams(String(req.headers["content-type"] ?? ""), raw, url.searchParams)); } catch (e) { parseError = e as ApiError; }
    this.calls.push({ method, body: params, at: this.now() });
    if (token !== this.token) return reply(res, new ApiError(401, "Unauthorized"));
    if (parseError) return reply(res, parseError);
    const handler = this.handlers[method.toLowerCase()];
    if (!handler) return reply(res, new ApiError(404, "Not Found"));

    const fault = this.faults.get(method.toLowerCase())?.shift();
    if (fault?.kind === "fail") {
      if (fault.status === 502) return void res.writeHead(502, { "content-type": "text/html" }).end(BAD_GATEWAY);
      return reply(res, new ApiError(500, "Internal Server Error"));
    }
    if (fault?.kind === "hang") {
      this.hung.add(res);
      if (fault.deliver) await Promise.resolve(handler(params, res, files)).catch(() => undefined);
      return;
    }
    try {
      reply(res, await handler(params, res, files));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      reply(res, e);
    }
  }

  private readonly handlers: Record<string, (p: Params, res: ServerResponse, files: Files) => unknown> = {
    getme: (): UserFromGetMe => ({
      ...this.botUser, can_join_groups: true, can_read_all_group_messages: false, supports_inline_queries: false,
      can_connect_to_business: false, has_main_web_app: false, has_topics_enabled: false,
      allows_users_to_create_topics: false, can_manage_bots: false, supports_join_request_queries: false,
    }),
    sendmessage: (p) => this.sendMessage(p),
    senddocument: (p, _res, files) => this.sendDocument(p, files),
    editmessagetext: (p) => this.editMessageText(p),
    editmessagereplymarkup: (p) => {
      const message = this.findMessage(p, "message to edit not found");
      const markup = inlineMarkup(p.reply_markup);
      if (same(markup, message.reply_markup)) throw bad(NOT_MODIFIED);
      return this.apply(message, { reply_markup: markup });
    },
    deletemessage: (p) => {
      const message = this.findMessage(p, "message to delete not found");
      this.messages.splice(this.messages.indexOf(message), 1);
      return true;
    },
    sendchataction: (p) => {
      this.chatId(p);
      return true;
    },
    answercallbackquery: (p) => {
      const id = String(p.callback_query_id ?? "");
      // Telegram takes one answer per query; a second one (or a made-up id) gets this error.
      if (!id || this.callbackAnswers.some((a) => a.callback_query_id === id)) throw bad("query is too old and response timeout expired or query ID is invalid");
      this.callbackAnswers.push({ callback_query_id: id, text: p.text as string | undefined, show_alert: p.show_alert as boolean | undefined, url: p.url as string | undefined });
      return true;
    },
    setwebhook: (p) => this.setWebhook(p),
    deletewebhook: (p) => this.deleteWebhook(p),
    getwebhookinfo: () => ({
      url: this.webhook?.url ?? "", has_custom_certificate: false, pending_update_count: this.queue.length,
      ...(this.webhook ? { max_connections: this.webhook.max_connections ?? 40, ip_address: "127.0.0.1" } : {}),
      ...(this.webhook?.allowed_updates ? { allowed_updates: this.webhook.allowed_updates } : {}),
    }),
    getupdates: (p, res) => this.getUpdates(p, res),
    setmycommands: (p) => {
      const commands = (parseJson(p.commands) ?? []) as BotCommand[];
      if (!Array.isArray(commands) || commands.length > 100) throw bad("BOT_COMMANDS_TOO_MUCH");
      if (commands.some((c) => !/^[a-z0-9_]{1,32}$/.test(String(c.command)))) throw bad("BOT_COMMAND_INVALID");
      this.commands.set(commandsKey(p), commands.map((c) => ({ command: c.command, description: c.description })));
      return true;
    },
    getmycommands: (p) => this.commands.get(commandsKey(p)) ?? [],
    deletemycommands: (p) => {
      this.commands.delete(commandsKey(p));
      return true;
    },
    getchat: (p): ChatFullInfo => ({
      ...this.chatFor(this.chatId(p)), accent_color_id: 0, max_reaction_count: 11,
      accepted_gift_types: { unlimited_gifts: false, limited_gifts: false, unique_gifts: false, premium_subscription: false, gifts_from_channels: false },
    }) as ChatFullInfo, // Chat and ChatFullInfo are unions by type; the spread loses the pairing
    getchatmember: (p): ChatMember => {
      const chatId = this.chatId(p);
      const userId = Number(p.user_id);
      if (!Number.isSafeInteger(userId) || userId === 0) throw bad("invalid user_id specified");
      const known = this.members.get(`${chatId}:${userId}`);
      if (known) return known;
      if (userId === this.botUser.id) return { status: "member", user: this.botAsUser() };
      const chat = this.chats.get(userId); // a private chat carries the user's names
      const name = chat?.type === "private" ? chat.first_name : `User ${userId}`;
      return { status: "member", user: user(userId, name, chat?.type === "private" && chat.username ? { username: chat.username } : {}) };
    },
  };

  private sendMessage(p: Params): SentMessage {
    const chatId = this.chatId(p);
    const { text, entities } = formatText(p);
    const markup = inlineMarkup(p.reply_markup);
    if (this.blocked.has(chatId)) {
      throw new ApiError(403, chatId > 0 ? "Forbidden: bot was blocked by the user" : "Forbidden: bot was kicked from the supergroup chat");
    }
    this.spend(chatId);
    const message: SentMessage = {
      message_id: nextMessageId(chatId), from: this.botAsUser(), chat: this.chatFor(chatId), date: this.seconds(), text,
      ...(entities.length ? { entities } : {}), ...(markup ? { reply_markup: markup } : {}),
      source: String(p.text), ...(typeof p.parse_mode === "string" ? { parse_mode: p.parse_mode } : {}),
    };
    this.messages.push(message);
    return message;
  }

  // Telegram takes the file as the part named in "attach://<name>" (what grammY sends), as a part named
  // "document", or as the file_id of a file it already has; a bare string that is none of those is refused.
  private sendDocument(p: Params, files: Files): SentDocument {
    const chatId = this.chatId(p);
    const ref = typeof p.document === "string" ? p.document : undefined;
    const part = ref?.startsWith("attach://") ? files[ref.slice("attach://".length)] : ref === undefined ? files.document : undefined;
    const earlier = ref !== undefined && !ref.startsWith("attach://") ? this.documentsSent.find((d) => d.document.file_id === ref) : undefined;
    if (ref !== undefined && !ref.startsWith("attach://") && !earlier) throw bad("wrong file identifier/HTTP URL specified");
    if (!part && !earlier) throw bad("there is no document in the request");
    // Telegram's front end refuses the request itself, with 413 and this description.
    if (part && part.data.length > MAX_UPLOAD_BYTES) throw new ApiError(413, "Request Entity Too Large");
    if (part && part.data.length === 0) throw bad("file must be non-empty");
    const caption = typeof p.caption === "string" && p.caption !== "" ? formatText({ ...p, text: p.caption }, "caption") : undefined;
    const markup = inlineMarkup(p.reply_markup);
    if (this.blocked.has(chatId)) {
      throw new ApiError(403, chatId > 0 ? "Forbidden: bot was blocked by the user" : "Forbidden: bot was kicked from the supergroup chat");
    }
    this.spend(chatId);
    const data = part ? part.data : earlier!.data;
    const n = ++fileSeq;
    const document: Document = earlier?.document ?? {
      file_id: `BQACAgIAAxkBAAIB${String(n).padStart(6, "0")}FakeDocumentFileId`, file_unique_id: `AgAD${String(n).padStart(6, "0")}`,
      file_name: part!.filename, mime_type: mimeOf(part!.filename), file_size: data.length,
    };
    const sent: SentDocument = {
      message_id: nextMessageId(chatId), from: this.botAsUser(), chat: this.chatFor(chatId), date: this.seconds(), document,
      ...(caption ? { caption: caption.text, ...(caption.entities.length ? { caption_entities: caption.entities } : {}) } : {}),
      ...(markup ? { reply_markup: markup } : {}), data,
    };
    this.documentsSent.push(sent);
    return sent;
  }

  private editMessageText(p: Params): SentMessage | true {
    if (p.inline_message_id !== undefined) {
      formatText(p); // validated, but inline messages are not tracked: Telegram answers true for them
      inlineMarkup(p.reply_markup);
      return true;
    }
    const message = this.findMessage(p, "message to edit not found");
    const { text, entities } = formatText(p);
    // Telegram drops the inline keyboard when an edit omits reply_markup, so "unchanged" compares with none.
    const markup = inlineMarkup(p.reply_markup);
    if (text === message.text && same(entities, message.entities ?? []) && same(markup, message.reply_markup)) throw bad(NOT_MODIFIED);
    this.spend(message.chat.id);
    return this.apply(message, {
      text, entities: entities.length ? entities : undefined, reply_markup: markup,
      source: String(p.text), parse_mode: typeof p.parse_mode === "string" ? p.parse_mode : undefined,
    });
  }

  private apply(message: SentMessage, change: Partial<SentMessage>): SentMessage {
    for (const [k, v] of Object.entries(change)) {
      if (v === undefined) delete (message as unknown as Params)[k];
      else (message as unknown as Params)[k] = v;
    }
    message.edit_date = this.seconds();
    return message;
  }

  private findMessage(p: Params, notFound: string): SentMessage {
    const chatId = this.chatId(p);
    const found = this.messages.find((m) => m.chat.id === chatId && m.message_id === Number(p.message_id));
    if (!found) throw bad(notFound);
    return found;
  }

  private setWebhook(p: Params): Described {
    const url = String(p.url ?? "");
    if (!url) return this.deleteWebhook(p); // Telegram: setWebhook with an empty url removes the webhook
    if (!url.startsWith("https://")) throw bad("bad webhook: An HTTPS URL must be provided for webhook");
    // Wording approximate; the rule (1-256 of A-Z a-z 0-9 _ -) is Telegram's.
    if (p.secret_token !== undefined && !/^[A-Za-z0-9_-]{1,256}$/.test(String(p.secret_token))) throw bad("secret token contains unallowed characters");
    if (p.drop_pending_updates) this.queue.length = 0;
    const allowed = parseJson(p.allowed_updates) as string[] | undefined;
    this.webhook = {
      url, ...(p.secret_token !== undefined ? { secret_token: String(p.secret_token) } : {}),
      ...(allowed ? { allowed_updates: allowed } : {}), ...(p.max_connections ? { max_connections: Number(p.max_connections) } : {}),
    };
    this.poller?.fail(new ApiError(409, "Conflict: terminated by setWebhook request"));
    return new Described(true, "Webhook was set");
  }

  private deleteWebhook(p: Params): Described {
    if (p.drop_pending_updates) this.queue.length = 0;
    const had = this.webhook !== undefined;
    this.webhook = undefined;
    return new Described(true, had ? "Webhook was deleted" : "Webhook is already deleted");
  }

  private async getUpdates(p: Params, res: ServerResponse): Promise<Update[]> {
    if (this.webhook) throw new ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first");
    // A newer getUpdates ends the one still waiting: that is how Telegram tells two running instances apart.
    this.poller?.fail(new ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"));
    const offset = p.offset === undefined ? undefined : Number(p.offset);
    if (offset !== undefined && offset < 0) this.queue.splice(0, Math.max(0, this.queue.length + offset));
    else if (offset !== undefined) this.queue.splice(0, this.queue.filter((u) => u.update_id < offset).length);
    const allowed = parseJson(p.allowed_updates) as string[] | undefined;
    if (allowed) this.allowedUpdates = allowed; // omitted: Telegram keeps the previous setting
    const limit = Math.min(100, Math.max(1, Number(p.limit ?? 100)));
    const timeout = Math.max(0, Number(p.timeout ?? 0));
    if (this.deliverable().length === 0 && timeout > 0) {
      await new Promise<void>((resolve, reject) => {
        const done = () => { cleanup(); resolve(); };
        const poller = { wake: done, fail: (e: ApiError) => { cleanup(); reject(e); } };
        const timer = setTimeout(done, timeout * 1000);
        const cleanup = () => {
          clearTimeout(timer);
          res.off("close", done);
          if (this.poller === poller) this.poller = undefined;
        };
        res.once("close", done); // the client gave up (grammY's bot.stop() aborts its poll)
        this.poller = poller;
      });
    }
    return this.deliverable().slice(0, limit);
  }

  private deliverable(): Update[] {
    const wanted = (type: string) => (this.allowedUpdates.length ? this.allowedUpdates.includes(type) : !OPT_IN_UPDATES.has(type));
    return this.queue.filter((u) => Object.keys(u).some((k) => k !== "update_id" && wanted(k)));
  }

  // Token buckets: a chat may spend its burst at once, then refills at its pace; the global bucket likewise.
  private spend(chatId: number): void {
    if (!this.limits) return;
    const l = this.limits;
    const now = this.now();
    const bucket = (key: string, capacity: number, perMs: number) => {
      let b = this.buckets.get(key);
      if (!b) this.buckets.set(key, (b = new Bucket(capacity, perMs, now)));
      return b;
    };
    const buckets = [
      bucket("global", l.globalPerSecond, l.globalPerSecond / 1000),
      chatId > 0 ? bucket(`chat:${chatId}`, l.privateBurst, l.privatePerSecond / 1000) : bucket(`chat:${chatId}`, l.groupPerMinute, l.groupPerMinute / 60_000),
    ];
    const waitMs = Math.max(...buckets.map((b) => b.waitMs(now)));
    if (waitMs > 0) {
      this.tooManyRequests++;
      const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
      throw new ApiError(429, `Too Many Requests: retry after ${retryAfter}`, { retry_after: retryAfter });
    }
    for (const b of buckets) b.take();
  }

  private chatId(p: Params): number {
    if (p.chat_id === undefined || p.chat_id === "") throw bad("chat_id is empty");
    const id = Number(p.chat_id);
    if (!Number.isSafeInteger(id) || id === 0) throw bad("chat not found"); // "@username" chats are not modelled
    return id;
  }

  private chatFor(id: number): Chat {
    const known = this.chats.get(id);
    if (known) return known;
    return id > 0 ? { id, type: "private", first_name: `User ${id}` } : { id, type: "supergroup", title: `Group ${id}` };
  }

  // Remember chats and people seen in pushed updates, so replies and getChat use the same names.
  private observe(u: Update): void {
    const seen = [u.message, u.edited_message, u.channel_post, u.callback_query?.message, u.my_chat_member, u.chat_member];
    for (const m of seen) if (m && "chat" in m && m.chat) this.chats.set(m.chat.id, m.chat);
    for (const change of [u.my_chat_member, u.chat_member]) if (change) this.setMember(change.chat.id, change.new_chat_member);
  }

  private botAsUser(): User { return { ...this.botUser }; }
  private seconds(): number { return Math.floor(this.now() / 1000); }
}

class Bucket {
  private tokens: number;
  constructor(private readonly capacity: number, private readonly perMs: number, private last: number) { this.tokens = capacity; }
  waitMs(now: number): number {
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.last) * this.perMs);
    this.last = now;
    return this.tokens >= 1 ? 0 : (1 - this.tokens) / this.perMs;
  }
  take(): void { this.tokens -= 1; }
}

const NOT_MODIFIED = "message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message";
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
const commandsKey = (p: Params) => JSON.stringify({ scope: parseJson(p.scope) ?? { type: "default" }, language_code: p.language_code ?? "" });

function reply(res: ServerResponse, outcome: unknown): void {
  const [status, body] = outcome instanceof ApiError
    ? [outcome.code, { ok: false, error_code: outcome.code, description: outcome.description, ...(outcome.parameters ? { parameters: outcome.parameters } : {}) }]
    : outcome instanceof Described
      ? [200, { ok: true, result: outcome.result, description: outcome.description }]
      : [200, { ok: true, result: stripPrivate(outcome) }];
  if (!res.destroyed) res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
}

// `source` and `parse_mode` are bookkeeping for tests; Telegram's Message has neither.
function stripPrivate(result: unknown): unknown {
  if (result && typeof result === "object" && "document" in result && "data" in result) {
    const { data: _d, ...message } = result as SentDocument;
    return message;
  }
  if (!result || typeof result !== "object" || !("source" in result)) return result;
  const { source: _s, parse_mode: _p, ...message } = result as SentMessage;
  return message;
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

// grammY sends JSON, and multipart/form-data for uploads; Telegram also takes query strings and url-encoded forms.
function parseParams(contentType: string, body: Buffer, query: URLSearchParams): { params: Params; files: Files } {
  const params: Params = Object.fromEntries(query);
  const boundary = multipartBoundary(contentType);
  if (contentType.startsWith("multipart/form-data")) {
    if (!boundary) throw bad("can't parse multipart/form-data request: no boundary");
    let form: ReturnType<typeof parseMultipart>;
    try { form = parseMultipart(body, boundary); } catch { throw bad("can't parse multipart/form-data request"); }
    return { params: { ...params, ...form.fields }, files: form.files };
  }
  const raw = body.toString("utf8");
  if (contentType.startsWith("application/x-www-form-urlencoded")) return { params: { ...params, ...Object.fromEntries(new URLSearchParams(raw)) }, files: {} };
  if (!raw.trim()) return { params, files: {} };
  try {
    return { params: { ...params, ...(JSON.parse(raw) as Params) }, files: {} };
  } catch {
    throw bad("can't parse JSON encoded request parameters");
  }
}

let fileSeq = 0;
const MIME: Record<string, string> = { csv: "text/csv", txt: "text/plain", pdf: "application/pdf", json: "application/json", xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" };
/** Telegram guesses a document's MIME type from its name. */
function mimeOf(filename: string): string {
  return MIME[/\.([^.]+)$/.exec(filename)?.[1]?.toLowerCase() ?? ""] ?? "application/octet-stream";
}

function parseJson(value: unknown): unknown {
  if (typeof value !== "string") return value;
  try { return JSON.parse(value); } catch { throw bad("can't parse JSON object"); }
}

// ---- Text and keyboards, validated as Telegram does ----

/** A message's text, or (kind "caption") a document's caption, parsed and checked as Telegram does. */
function formatText(p: Params, kind: "text" | "caption" = "text"): { text: string; entities: MessageEntity[] } {
  if (typeof p.text !== "string" || p.text.length === 0) throw bad("message text is empty");
  const mode = typeof p.parse_mode === "string" ? p.parse_mode.toLowerCase() : "";
  let parsed: { text: string; entities: MessageEntity[] };
  if (mode === "html") parsed = parseHtml(p.text);
  else if (mode === "") parsed = { text: p.text, entities: (parseJson(kind === "caption" ? p.caption_entities : p.entities) as MessageEntity[] | undefined) ?? [] };
  else if (mode === "markdown" || mode === "markdownv2") throw bad(`the fake Telegram parses only HTML, not ${p.parse_mode}`);
  else throw bad("unsupported parse_mode");
  // Telegram trims the text; a message of only whitespace is empty.
  const lead = parsed.text.length - parsed.text.trimStart().length;
  const text = parsed.text.trim();
  if (!text && kind === "text") throw bad("message text is empty");
  // The 4096 limit counts Unicode code points of the text after entity parsing, not tags or UTF-16 units.
  if (kind === "text" && [...text].length > 4096) throw bad("message is too long");
  if (kind === "caption" && [...text].length > 1024) throw bad("message caption is too long");
  const entities = parsed.entities
    .map((e) => {
      const start = Math.max(0, e.offset - lead);
      const end = Math.min(text.length, e.offset + e.length - lead);
      return { ...e, offset: start, length: end - start };
    })
    .filter((e) => e.length > 0);
  return { text, entities };
}

function inlineMarkup(value: unknown): InlineKeyboardMarkup | undefined {
  const markup = parseJson(value) as Partial<InlineKeyboardMarkup> | undefined;
  if (!markup || !("inline_keyboard" in markup)) return undefined; // reply keyboards are not echoed in the Message
  if (!Array.isArray(markup.inline_keyboard) || markup.inline_keyboard.some((row) => !Array.isArray(row))) {
    throw bad("can't parse reply keyboard markup JSON object");
  }
  for (const button of markup.inline_keyboard.flat() as (InlineKeyboardButton & Params)[]) {
    if (typeof button.text !== "string") throw bad("can't parse inline keyboard button: Text must be specified");
    const actions = ["url", "callback_data", "web_app", "login_url", "switch_inline_query", "switch_inline_query_current_chat",
      "switch_inline_query_chosen_chat", "copy_text", "callback_game", "pay"].filter((k) => button[k] !== undefined);
    if (actions.length === 0) throw bad("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard");
    // 1-64 bytes of UTF-8: 64 ASCII characters, but only 21 Chinese ones.
    const data = button.callback_data;
    if (data !== undefined && (typeof data !== "string" || Buffer.byteLength(data, "utf8") < 1 || Buffer.byteLength(data, "utf8") > 64)) {
      throw bad("BUTTON_DATA_INVALID");
    }
    if (button.url !== undefined && !URL.canParse(String(button.url))) throw bad("BUTTON_URL_INVALID");
  }
  return markup as InlineKeyboardMarkup;
}

const HTML_TAGS = new Set(["a", "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
  "tg-emoji", "tg-time", "code", "pre", "blockquote"]);
const ENTITY_OF: Record<string, string> = { b: "bold", strong: "bold", i: "italic", em: "italic", u: "underline", ins: "underline",
  s: "strikethrough", strike: "strikethrough", del: "strikethrough", span: "spoiler", "tg-spoiler": "spoiler", code: "code", pre: "pre" };
const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

/** Parses Telegram's HTML subset into text and entities (UTF-16 offsets), failing with Telegram's messages. */
export function parseHtml(html: string): { text: string; entities: MessageEntity[] } {
  const fail = (what: string): never => { throw bad(`can't parse entities: ${what}`); };
  const byteAt = (i: number) => Buffer.byteLength(html.slice(0, i), "utf8");
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
  const stack: { name: string; attrs: Record<string, string>; start: number }[] = [];
  const entities: MessageEntity[] = [];
  let text = "";
  let i = 0;
  while (i < html.length) {
    const c = html[i]!;
    if (c === "&") {
      const m = /^&(?:#x([0-9a-f]+)|#(\d+)|([a-z]+));/i.exec(html.slice(i, i + 12));
      const ch = m && (m[1] ? String.fromCodePoint(parseInt(m[1], 16)) : m[2] ? String.fromCodePoint(Number(m[2])) : NAMED_ENTITIES[m[3]!.toLowerCase()]);
      if (m && ch) { text += ch; i += m[0].length; continue; }
      text += c; i++; continue; // an unknown entity stays as typed, like Telegram
    }
    if (c !== "<") { text += c; i++; continue; }
    const begin = i++;
    if (html[i] !== "/") {
      let j = i;
      while (j < html.length && !isSpace(html[j]) && html[j] !== ">") j++;
      if (j >= html.length) fail(`Unclosed start tag at byte offset ${byteAt(begin)}`);
      const name = html.slice(i, j).toLowerCase();
      if (!HTML_TAGS.has(name)) fail(`Unsupported start tag "${name}" at byte offset ${byteAt(begin)}`);
      const attrs: Record<string, string> = {};
      i = j;
      for (;;) {
        while (isSpace(html[i])) i++;
        if (i >= html.length) fail(`Unclosed start tag at byte offset ${byteAt(begin)}`);
        if (html[i] === ">") break;
        const nameStart = i;
        while (i < html.length && !isSpace(html[i]) && html[i] !== "=" && html[i] !== ">") i++;
        const attr = html.slice(nameStart, i).toLowerCase();
        while (isSpace(html[i])) i++;
        // `<blockquote expandable>` is the one attribute Telegram takes without a value.
        if (html[i] !== "=") { if (attr === "expandable") { attrs[attr] = ""; continue; } fail(`Expected equal sign in declaration of an attribute of the tag "${name}" at byte offset ${byteAt(begin)}`); }
        i++;
        while (isSpace(html[i])) i++;
        const quote = html[i];
        if (quote === '"' || quote === "'") {
          const end = html.indexOf(quote, i + 1);
          if (end < 0) fail(`Unclosed start tag at byte offset ${byteAt(begin)}`);
          attrs[attr] = parseHtml(html.slice(i + 1, end)).text; // entities decoded
          i = end + 1;
        } else {
          const valueStart = i;
          while (i < html.length && !isSpace(html[i]) && html[i] !== ">") i++;
          attrs[attr] = html.slice(valueStart, i);
        }
      }
      i++;
      if (name === "span" && attrs.class !== "tg-spoiler") fail(`Tag "span" must have class "tg-spoiler" at byte offset ${byteAt(begin)}`);
      stack.push({ name, attrs, start: text.length });
      continue;
    }
    if (stack.length === 0) fail(`Unexpected end tag at byte offset ${byteAt(begin)}`);
    let j = ++i;
    while (j < html.length && !isSpace(html[j]) && html[j] !== ">") j++;
    const endName = html.slice(i, j).toLowerCase();
    i = j;
    while (isSpace(html[i])) i++;
    if (html[i] !== ">") fail(`Unclosed end tag at byte offset ${byteAt(begin)}`);
    i++;
    const open = stack.pop()!;
    if (endName && endName !== open.name) fail(`Unmatched end tag at byte offset ${byteAt(begin)}, expected "</${open.name}>", found "</${endName}>"`);
    const length = text.length - open.start;
    if (length === 0) continue;
    const parent = stack[stack.length - 1];
    const language = open.attrs.class?.startsWith("language-") ? open.attrs.class.slice(9) : undefined;
    // <pre><code class="language-x"> is one pre entity with a language, not a code inside a pre.
    if (open.name === "code" && parent?.name === "pre" && language) { parent.attrs.language = language; continue; }
    let entity: Params | undefined;
    if (open.name === "a") entity = open.attrs.href ? { type: "text_link", url: open.attrs.href } : undefined;
    else if (open.name === "blockquote") entity = { type: "expandable" in open.attrs ? "expandable_blockquote" : "blockquote" };
    else if (open.name === "tg-emoji") entity = { type: "custom_emoji", custom_emoji_id: open.attrs["emoji-id"] ?? "" };
    else if (open.name === "pre") entity = { type: "pre", ...(open.attrs.language ? { language: open.attrs.language } : {}) };
    else if (ENTITY_OF[open.name]) entity = { type: ENTITY_OF[open.name] }; // tg-time is accepted without an entity here
    if (entity) entities.push({ ...entity, offset: open.start, length } as unknown as MessageEntity);
  }
  if (stack.length > 0) fail(`Can't find end tag corresponding to start tag "${stack[stack.length - 1]!.name}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { text, entities };
}

// ---- Updates in the shape Telegram sends them ----

// Shared by helpers and fakes: in a Telegram chat, incoming and outgoing messages draw ids from one sequence.
const lastMessageIds = new Map<number, number>();
let lastUpdateId = 100_000;
let lastCallbackId = 0;
function nextMessageId(chatId: number): number {
  const id = (lastMessageIds.get(chatId) ?? 0) + 1;
  lastMessageIds.set(chatId, id);
  return id;
}
function nextUpdateId(): number { return ++lastUpdateId; }
const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The bot user of a fake started with default options (token "123456:TEST-token"). */
export const DEFAULT_BOT: User = { id: 123456, is_bot: true, first_name: "Relay", username: "relay_bot" };
/** The sender Telegram shows for a message an anonymous group admin posted "as the group". */
export const GROUP_ANONYMOUS_BOT: User = { id: 1087968824, is_bot: true, first_name: "Group", username: "GroupAnonymousBot" };

/** A Telegram user (a person unless `is_bot`). */
export function user(id: number, first_name: string, opts: { last_name?: string; username?: string; language_code?: string; is_bot?: boolean } = {}): User {
  const { is_bot = false, ...rest } = opts;
  return { id, is_bot, first_name, ...rest };
}
/** The private chat with a user (its id is the user's id). */
export function privateChat(u: User): Chat.PrivateChat {
  return { id: u.id, type: "private", first_name: u.first_name, ...(u.last_name ? { last_name: u.last_name } : {}), ...(u.username ? { username: u.username } : {}) };
}
/** A supergroup; Telegram's supergroup ids look like -100xxxxxxxxxx. */
export function group(id: number, title: string): Chat.SupergroupChat {
  return { id, type: "supergroup", title };
}
/** A channel (posts arrive as channel_post, with no `from`). */
export function channel(id: number, title: string): Chat.ChannelChat {
  return { id, type: "channel", title };
}

// Telegram marks a leading /command (optionally /command@bot) with a bot_command entity.
function textMessage<C extends Chat>(chat: C, from: User | undefined, text: string, sender_chat?: Chat): Message.TextMessage & { chat: C } {
  const command = /^\/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?(?![^\s])/.exec(text);
  return {
    message_id: nextMessageId(chat.id), ...(from ? { from } : {}), ...(sender_chat ? { sender_chat } : {}), chat, date: nowSeconds(), text,
    ...(command ? { entities: [{ type: "bot_command", offset: 0, length: command[0].length }] } : {}),
  };
}

type GroupLike = Chat.SupergroupChat | Chat.GroupChat;

/** A user writing to the bot in private. */
export function privateMessage(from: User, text: string): Update {
  return { update_id: nextUpdateId(), message: { ...textMessage(privateChat(from), from, text), from } };
}
/** A user writing in a group; pass a group Chat for its title, or just the id. */
export function groupMessage(from: User, chat: number | GroupLike, text: string): Update {
  const c = typeof chat === "number" ? group(chat, `Group ${chat}`) : chat;
  return { update_id: nextUpdateId(), message: { ...textMessage(c, from, text), from } };
}
/** "@relay_bot text" in a group, with the mention entity Telegram adds. */
export function mentionInGroup(from: User, chat: GroupLike, text: string, bot: User = DEFAULT_BOT): Update {
  const update = groupMessage(from, chat, `@${bot.username} ${text}`);
  update.message!.entities = [{ type: "mention", offset: 0, length: bot.username!.length + 1 }];
  return update;
}

/** A reply in a group to a message the bot sent (answering its question). */
export function replyTo(from: User, message: SentMessage, text: string): Update {
  const update = groupMessage(from, message.chat as GroupLike, text);
  (update.message as { reply_to_message?: unknown }).reply_to_message = { message_id: message.message_id, date: message.date, chat: message.chat, from: message.from, text: message.text };
  return update;
}

/** A command in a group: "/notice@relay_bot text" (the bot_command entity covers "/notice@relay_bot"). */
export function groupCommand(from: User, chat: number | GroupLike, text: string): Update {
  if (!text.startsWith("/")) throw new Error(`groupCommand needs a /command, got ${JSON.stringify(text)}`);
  return groupMessage(from, chat, text);
}
/** A message by an anonymous group admin: from GroupAnonymousBot, with sender_chat = the group. */
export function anonymousAdminMessage(chat: GroupLike, text: string): Update {
  return { update_id: nextUpdateId(), message: { ...textMessage(chat, GROUP_ANONYMOUS_BOT, text, chat), from: GROUP_ANONYMOUS_BOT } };
}
/** A press on an inline button of `message` (usually one the bot sent, e.g. `fake.sent(id)[0]`). */
export function callbackQuery(from: User, message: Message | SentMessage, data: string): Update {
  const { source: _s, parse_mode: _p, ...clean } = message as SentMessage;
  const query: CallbackQuery = {
    id: `${4_000_000_000 + ++lastCallbackId}${String(from.id).slice(-4)}`, from, message: clean as Message,
    chat_instance: String(-(BigInt(message.chat.id) * 7919n) - 4242n), data,
  };
  return { update_id: nextUpdateId(), callback_query: query };
}
/** The bot's own membership changed in a chat: "member"/"administrator" = added, "left"/"kicked" = removed. */
export function myChatMember(chat: Chat, from: User, status: "member" | "administrator" | "left" | "kicked", bot: User = DEFAULT_BOT): Update {
  const joined = status === "member" || status === "administrator";
  return {
    update_id: nextUpdateId(),
    my_chat_member: {
      chat, from, date: nowSeconds(),
      old_chat_member: chatMember(bot, joined ? "left" : "member"),
      new_chat_member: chatMember(bot, status),
    },
  };
}
/** A ChatMember object with the fields Telegram sends for each status. */
export function chatMember(u: User, status: "creator" | "administrator" | "member" | "left" | "kicked"): ChatMember {
  switch (status) {
    case "creator": return { status, user: u, is_anonymous: false };
    case "administrator": return {
      status, user: u, can_be_edited: false, is_anonymous: false, can_manage_chat: true, can_delete_messages: true,
      can_manage_video_chats: true, can_restrict_members: true, can_promote_members: false, can_change_info: true,
      can_invite_users: true, can_post_stories: false, can_edit_stories: false, can_delete_stories: false,
      can_pin_messages: true, can_manage_topics: false, can_send_welcome_messages: false,
    };
    case "kicked": return { status, user: u, until_date: 0 };
    case "member": return { status, user: u };
    case "left": return { status, user: u };
  }
}
/** A user edited an earlier message (pass the `message` of an update built above). */
export function editedMessage(original: Message, text: string): Update {
  if (!original.from || original.chat.type === "channel") throw new Error("editedMessage needs a user's message");
  const edited = { ...textMessage(original.chat, original.from, text), from: original.from, message_id: original.message_id, date: original.date, edit_date: nowSeconds() };
  return { update_id: nextUpdateId(), edited_message: edited };
}
/** A post in a channel the bot administers. */
export function channelPost(chat: Chat.ChannelChat, text: string): Update {
  return { update_id: nextUpdateId(), channel_post: { ...textMessage(chat, undefined, text, chat), sender_chat: chat } };
}
/** A user sending a sticker (a message with no text), in private unless a chat is given. */
export function sticker(from: User, chat: Chat.PrivateChat | GroupLike = privateChat(from)): Update {
  const id = nextMessageId(chat.id);
  const message: Message.StickerMessage & Update.NonChannel = {
    message_id: id, from, chat, date: nowSeconds(),
    sticker: {
      file_id: `CAACAgIAAxkBAAE${id}AAFakeStickerFileId`, file_unique_id: `AgADFake${id}`, type: "regular",
      width: 512, height: 512, is_animated: false, is_video: false, emoji: "👍", set_name: "RelayTest", file_size: 20_000,
    },
  };
  return { update_id: nextUpdateId(), message };
}
