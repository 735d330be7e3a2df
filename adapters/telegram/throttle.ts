// Every outgoing Bot API call passes here (`bot.api.config.use(throttle(limiter))`): sends and edits wait for
// room in Telegram's limits, kept in Redis so all Relay processes on one token share them; 429s make everyone
// back off and are retried, never dropped; failures Telegram surely did not act on are retried with backoff;
// a send whose outcome is unknown is never resent (that would duplicate it) but reported as uncertain.
import { HttpError, type Transformer } from "grammy";
import type { ApiError } from "grammy/types";
import { DeliveryUncertainError, RecipientUnreachableError } from "../../src/bot/delivery-errors.ts";
import { sleep, type Abortable, type RateLimiter, type Window } from "../../src/queue/rate-limiter.ts";

export interface ThrottleOptions {
  /** All chats together (Telegram: ~30 messages/s in bulk). */
  globalPerSecond: number;
  /** One private chat (Telegram: ~1/s; it tolerates short bursts, which we do not rely on). */
  privatePerSecond: number;
  /** One group or channel (Telegram: 20/min)... */
  groupPerMinute: number;
  /** ...of which at most this many back to back, */
  groupBurst: number;
  /** ...and then no faster than this. */
  groupPerSecond: number;
  /** Tries for a failure Telegram did not act on (5xx, connection refused) before giving up. */
  maxAttempts: number;
  /** First backoff after such a failure; it doubles each time, with ±20% jitter. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_THROTTLE: ThrottleOptions = {
  globalPerSecond: 30,
  privatePerSecond: 1,
  groupPerMinute: 20,
  groupBurst: 3,
  groupPerSecond: 1,
  maxAttempts: 6,
  backoffMs: 500,
  maxBackoffMs: 8_000,
};

/** What the throttle did, for benchmarks and metrics. */
export interface ThrottleStats {
  sent: number; // sends and edits Telegram accepted
  retried429: number;
  retriedOther: number;
  uncertain: number;
  unreachable: number;
}

export type Throttle = Transformer & {
  readonly stats: ThrottleStats;
  /**
   * Waits for a slot to send to `chatId` now and holds it for the next counted call to that chat, which
   * then goes straight out. Lets a caller record "sending" only once nothing stands between it and the wire.
   */
  pace(chatId: number | string, signal?: Abortable): Promise<void>;
};

export const GLOBAL_KEY = "tg:global";
/** The limiter key of one chat's windows (what a 429 for that chat penalizes). */
export const chatKey = (chatId: number | string): string => `tg:chat:${chatId}`;

// Sends and edits count against Telegram's message limits; sendChatAction ("typing…") does not.
const COUNTED = /^(send(?!ChatAction$)|copyMessages?$|forwardMessages?$|editMessage|stopPoll$)/;
// Calls that change nothing when repeated (or whose repeat Telegram refuses harmlessly): safe to resend when
// we do not know whether the first one arrived. Anything else (sendMessage…) is assumed to duplicate.
const IDEMPOTENT = /^(get|set|delete|edit|answer|pin|unpin|sendChatAction$|logOut$|close$)/;
// 403s that mean the recipient is gone for good, as opposed to a missing permission in a group.
const UNREACHABLE = /blocked by the user|user is deactivated|bot was kicked|bot is not a member|can't initiate conversation/i;
// After an uncertain first try, these answers to an idempotent retry mean the first try did land.
const ALREADY_DONE = /message is not modified|message to delete not found/i;
// Connection errors that happen before a byte of the request reaches the server.
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

type Outcome = "not-sent" | "failed" | "unknown" | "not-http";

/** The windows a counted call to `chatId` draws on (undefined: an inline message, with no chat to count against). */
export function telegramWindows(o: ThrottleOptions, chatId: number | string | undefined): Window[] {
  const global: Window = { key: GLOBAL_KEY, limit: o.globalPerSecond, windowMs: 1000 };
  if (chatId === undefined) return [global];
  const key = chatKey(chatId);
  if (Number(chatId) > 0) return [global, { key, limit: o.privatePerSecond, windowMs: 1000 }];
  // Groups, supergroups and channels (negative ids or "@channel").
  return [global, { key, limit: o.groupPerMinute, windowMs: 60_000, burst: o.groupBurst }, { key, limit: o.groupPerSecond, windowMs: 1000 }];
}

/** A grammY API transformer that applies Telegram's rate limits (shared in Redis) and its retry policy. */
export function throttle(limiter: RateLimiter, options: Partial<ThrottleOptions> = {}): Throttle {
  const o = { ...DEFAULT_THROTTLE, ...options };
  const stats: ThrottleStats = { sent: 0, retried429: 0, retriedOther: 0, uncertain: 0, unreachable: 0 };
  const recent429s: { at: number; chat: string }[] = [];


  // Telegram's 429 does not say which limit was hit. Blame the chat, unless several chats were refused
  // within a second: then it is the bot-wide limit and everyone must stop, not just this chat.
  const floodKey = (chat: string | undefined, description: string): string => {
    if (chat === undefined || /global/i.test(description)) return GLOBAL_KEY;
    const now = Date.now();
    while (recent429s.length && recent429s[0]!.at < now - 1000) recent429s.shift();
    recent429s.push({ at: now, chat });
    return new Set(recent429s.map((r) => r.chat)).size >= 3 ? GLOBAL_KEY : chatKey(chat);
  };

  const backoff = (failures: number) =>
    Math.min(o.maxBackoffMs, o.backoffMs * 2 ** (failures - 1)) * (0.8 + 0.4 * Math.random());

  // Slots taken ahead by pace(), per chat, for the next counted call of this process to that chat.
  const prepaid = new Map<string, number>();
  const takePrepaid = (chat: string | undefined): boolean => {
    const n = chat === undefined ? 0 : (prepaid.get(chat) ?? 0);
    if (n === 0) return false;
    if (n === 1) prepaid.delete(chat!);
    else prepaid.set(chat!, n - 1);
    return true;
  };

  const transformer: Transformer = async (prev, method, payload, signal) => {
    const p = payload as { chat_id?: number | string; inline_message_id?: string };
    const chat = p.chat_id === undefined ? undefined : String(p.chat_id);
    const windows = COUNTED.test(method) ? telegramWindows(o, p.chat_id) : undefined;
    const idempotent = IDEMPOTENT.test(method);
    let failures = 0;
    let triedUncertain = false;
    let paid = windows !== undefined && takePrepaid(chat);
    for (;;) {
      if (windows && !paid) await limiter.acquire(windows, signal);
      paid = false; // a retry waits its turn again
      let res: ApiError | { ok: true };
      try {
        res = await prev(method, payload, signal);
      } catch (error) {
        const outcome = classify(error);
        // An abort is the caller's; anything but an HttpError came from code between us and the network.
        if (signal?.aborted || outcome === "not-http") throw error;
        if (outcome === "unknown" && !idempotent) {
          stats.uncertain++;
          throw new DeliveryUncertainError(chat ?? p.inline_message_id ?? "", method, { cause: error });
        }
        if (outcome === "unknown") triedUncertain = true;
        if (++failures >= o.maxAttempts) throw error;
        stats.retriedOther++;
        await sleep(backoff(failures), signal);
        continue;
      }
      if (res.ok) {
        if (windows) stats.sent++;
        return res as Awaited<ReturnType<typeof prev>>;
      }
      const { error_code: code, description } = res;
      if (code === 429) {
        // Never dropped: wait as long as Telegram says (everyone, through the shared block), then try again.
        const ms = (res.parameters?.retry_after ?? 1) * 1000;
        stats.retried429++;
        if (windows) await limiter.penalize(floodKey(chat, description), ms);
        else await sleep(ms, signal);
        continue;
      }
      if (code >= 500) {
        // Telegram answered that it failed: nothing was sent, so even a send may be retried.
        if (++failures >= o.maxAttempts) return res as never; // grammY turns it into a GrammyError
        stats.retriedOther++;
        await sleep(backoff(failures), signal);
        continue;
      }
      if (code === 403 && chat !== undefined && UNREACHABLE.test(description)) {
        stats.unreachable++;
        throw new RecipientUnreachableError(chat, description);
      }
      if (code === 400 && triedUncertain && ALREADY_DONE.test(description)) {
        // The try that timed out did land; Telegram answers `true` for such calls on inline messages too.
        if (windows) stats.sent++;
        return { ok: true, result: true } as never;
      }
      return res as never; // other 4xx: a programming error, thrown by grammY as a GrammyError
    }
  };
  const pace = async (chatId: number | string, signal?: Abortable) => {
    await limiter.acquire(telegramWindows(o, chatId), signal);
    prepaid.set(String(chatId), (prepaid.get(String(chatId)) ?? 0) + 1);
  };
  return Object.assign(transformer, { stats, pace });
}

/** Whether a failed HTTP call surely did not reach Telegram, reached it and failed, or may have been acted on. */
function classify(error: unknown): Outcome {
  if (!(error instanceof HttpError)) return "not-http";
  const cause = error.error as { type?: string; code?: string; cause?: { code?: string } } | undefined;
  const code = cause?.code ?? cause?.cause?.code; // node-fetch puts it on the error, undici on its cause
  if (code && NOT_SENT.has(code)) return "not-sent";
  // A whole HTTP answer that is not the Bot API's JSON: a gateway's error page (nginx 502), Telegram did not act.
  if (cause?.type === "invalid-json") return "failed";
  return "unknown"; // timeouts, resets after the request was written, …
}
