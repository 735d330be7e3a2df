// Every Web API call Relay makes passes here: posts and edits wait for room in Slack's limits (1 message a
// second in a channel, and a workspace budget), kept in Redis so every Relay process on one token shares them;
// a 429 makes everyone wait its Retry-After and is retried, never dropped; failures Slack surely did not act
// on are retried with backoff; a post whose outcome is unknown is never resent but reported as uncertain.
import { webApi } from "@slack/bolt";
import { DeliveryUncertainError, RecipientUnreachableError } from "../../src/bot/delivery-errors.ts";
import { sleep, type RateLimiter, type Window } from "../../src/queue/rate-limiter.ts";

export interface SlackLimits {
  /** The workspace budget for posts (Slack publishes none; "several hundred a minute" is its guidance). */
  workspace: { limit: number; windowMs: number; burst: number };
  /** One channel (Slack: 1 message a second, short bursts tolerated, which we do not rely on). */
  channelPerSecond: number;
  /** Tries for a failure Slack did not act on (5xx, connection refused) before giving up. */
  maxAttempts: number;
  /** First backoff after such a failure; it doubles each time, with ±20% jitter. */
  backoffMs: number;
  maxBackoffMs: number;
}

export const DEFAULT_SLACK_LIMITS: SlackLimits = {
  workspace: { limit: 5, windowMs: 6000, burst: 5 },
  channelPerSecond: 1,
  maxAttempts: 6,
  backoffMs: 500,
  maxBackoffMs: 8000,
};

export interface SlackApiStats {
  sent: number; // posts and edits Slack accepted
  retried429: number;
  retriedOther: number;
  uncertain: number;
  unreachable: number;
}

export const WORKSPACE_KEY = "slack:workspace";
export const channelKey = (channel: string): string => `slack:chat:${channel}`;

// Posts count against the message limits (sharing a file posts it in the channel); lookups (users.info,
// conversations.open) have their own tiers.
const COUNTED = new Set(["chat.postMessage", "chat.update", "chat.postEphemeral", "files.completeUploadExternal"]);
// Methods with a tier of their own (https://api.slack.com/docs/rate-limits): conversations.open is Tier 3,
// "50+ a minute"; paced so a fan-out to people Relay has never written to does not meet a wall of 429s.
const TIERED: Record<string, Omit<Window, "key">> = { "conversations.open": { limit: 50, windowMs: 60_000, burst: 50 } };
// Calls that change nothing when repeated: safe to resend when we do not know whether the first one arrived.
// (An upload URL nobody uploads to expires unused.)
const IDEMPOTENT = new Set(["chat.update", "conversations.open", "users.info", "auth.test", "files.getUploadURLExternal"]);
// Errors that mean a person cannot be written to any more (deactivated, DMs with apps turned off, …).
const UNREACHABLE = new Set(["user_not_found", "user_not_visible", "user_disabled", "account_inactive", "cannot_dm_bot", "messages_tab_disabled"]);
// Connection errors that happen before a byte of the request reaches Slack.
const NOT_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

type Args = Record<string, unknown> & { channel?: string; channel_id?: string };

export class SlackApi {
  readonly stats: SlackApiStats = { sent: 0, retried429: 0, retriedOther: 0, uncertain: 0, unreachable: 0 };
  private readonly limits: SlackLimits;
  /** Slots taken ahead by pace(), per channel, for the next counted call of this process there. */
  private readonly prepaid = new Map<string, number>();

  constructor(
    readonly client: webApi.WebClient,
    private readonly limiter: RateLimiter | undefined,
    limits: Partial<SlackLimits> = {},
  ) {
    this.limits = { ...DEFAULT_SLACK_LIMITS, ...limits };
  }

  /** Waits for a slot to post in `channel` now and holds it for the next counted call there. */
  async pace(channel: string): Promise<void> {
    await this.limiter?.acquire(this.windows(channel));
    this.prepaid.set(channel, (this.prepaid.get(channel) ?? 0) + 1);
  }

  /** Calls `method`, waiting for rate-limit room and retrying what is safe to retry. */
  async call<T extends webApi.WebAPICallResult>(method: string, args: Args): Promise<T> {
    const channel = typeof args.channel === "string" ? args.channel : typeof args.channel_id === "string" ? args.channel_id : undefined;
    const counted = COUNTED.has(method) && channel !== undefined;
    let paid = counted && this.takePrepaid(channel!);
    let failures = 0;
    const tier = TIERED[method] && { key: `slack:method:${method}`, ...TIERED[method] };
    for (;;) {
      if (counted && !paid) await this.limiter?.acquire(this.windows(channel!));
      if (tier) await this.limiter?.acquire([tier]);
      paid = false; // a retry waits its turn again
      try {
        const result = (await this.client.apiCall(method, args)) as T;
        if (counted) this.stats.sent++;
        return result;
      } catch (error) {
        if (error instanceof webApi.WebAPIRateLimitedError) {
          // Never dropped: wait as long as Slack says, every process together, then try again.
          const ms = Math.max(error.retryAfter, 1) * 1000;
          this.stats.retried429++;
          const blocked = counted ? WORKSPACE_KEY : tier?.key;
          if (blocked && this.limiter) await this.limiter.penalize(blocked, ms);
          else await sleep(ms);
          continue;
        }
        if (error instanceof webApi.WebAPIPlatformError) throw this.platformError(error, method, channel ?? (typeof args.users === "string" ? args.users : undefined));
        const sent = error instanceof webApi.WebAPIHTTPError ? "failed" : error instanceof webApi.WebAPIRequestError ? requestOutcome(error) : undefined;
        if (sent === undefined) throw error;
        if (sent === "unknown" && !IDEMPOTENT.has(method)) {
          this.stats.uncertain++;
          throw new DeliveryUncertainError(channel ?? "", method, { cause: error });
        }
        if (++failures >= this.limits.maxAttempts) throw error;
        this.stats.retriedOther++;
        await sleep(this.backoff(failures));
      }
    }
  }

  private windows(channel: string): Window[] {
    const w = this.limits.workspace;
    return [
      { key: WORKSPACE_KEY, limit: w.limit, windowMs: w.windowMs, burst: w.burst },
      { key: channelKey(channel), limit: this.limits.channelPerSecond, windowMs: 1000 },
    ];
  }

  private takePrepaid(channel: string): boolean {
    const n = this.prepaid.get(channel) ?? 0;
    if (n === 0) return false;
    if (n === 1) this.prepaid.delete(channel);
    else this.prepaid.set(channel, n - 1);
    return true;
  }

  /** A refusal about a person (or their direct chat) means they cannot be reached; others are the caller's. */
  private platformError(error: webApi.WebAPIPlatformError, method: string, target: string | undefined): Error {
    const code = String(error.data.error);
    const direct = target?.startsWith("D") || method === "conversations.open";
    if (UNREACHABLE.has(code) || (direct && (code === "channel_not_found" || code === "is_archived"))) {
      this.stats.unreachable++;
      return new RecipientUnreachableError(target ?? "", code);
    }
    return error;
  }

  private backoff(failures: number): number {
    const { backoffMs, maxBackoffMs } = this.limits;
    return Math.min(maxBackoffMs, backoffMs * 2 ** (failures - 1)) * (0.8 + 0.4 * Math.random());
  }
}

/** Whether a request that failed without an HTTP answer surely never reached Slack. */
function requestOutcome(error: webApi.WebAPIRequestError): "not-sent" | "unknown" {
  const original = error.original as { code?: string; cause?: { code?: string } } | undefined;
  const code = original?.code ?? original?.cause?.code;
  return code && NOT_SENT.has(code) ? "not-sent" : "unknown";
}

/** Whether an error is Slack refusing with this code (e.g. "not_in_channel"). */
export function isSlackRefusal(error: unknown, ...codes: string[]): boolean {
  return error instanceof webApi.WebAPIPlatformError && codes.includes(String(error.data.error));
}
