// What a chat platform allows, declared by its adapter and enforced by the outbox, so no flow knows a
// platform's numbers. The overall rate paces the platform's send queue (BullMQ's limiter, shared by every
// worker in Redis); per-person caps (WeCom: 30 a minute and 1,000 an hour to one member; DingTalk: 500 a day)
// are windows in the Redis rate limiter; per-chat pacing happens at the wire, in the adapter's own throttle,
// from these same numbers, so immediate answers and later sends draw on one budget.
import type { Window } from "../queue/rate-limiter.ts";
import type { Platform } from "../bot/message.ts";
import type { RateLimit } from "./send-queue.ts";

export interface PlatformLimits {
  /** All chats together, messages per second (Telegram ~30 in bulk). */
  perSecond?: number;
  /** One direct chat, messages per second (Telegram: 1). */
  directPerSecond?: number;
  /** One group: messages per minute, at most `groupBurst` back to back (Telegram: 20 a minute). */
  groupPerMinute?: number;
  groupBurst?: number;
  /** To one person, across all their chats with the bot (WeCom: 30 a minute, 1,000 an hour; DingTalk: 500 a day). */
  personPerMinute?: number;
  personPerHour?: number;
  personPerDay?: number;
  /** Longest text of one message; the adapter splits longer text into several. */
  textLength?: number;
  /** How long after sending a message may still be edited (an older one is left as it is). */
  editableForMs?: number;
}

/** The overall rate of `platform`'s send queue: RELAY_DELIVER_RATE if it names the platform, else the adapter's, else none. */
export function overallRate(limits: PlatformLimits | undefined, configured: RateLimit | undefined): RateLimit | null {
  if (configured) return configured;
  return limits?.perSecond ? { max: limits.perSecond, duration: 1000 } : null;
}

/** The per-person windows a send to `personId` on `platform` must find room in. */
export function personWindows(platform: Platform, personId: number, limits: PlatformLimits | undefined): Window[] {
  const key = `out:${platform}:p${personId}`;
  const windows: Window[] = [];
  // A whole window's quota may go back to back: these are caps on volume, not pacing (the wire paces).
  if (limits?.personPerMinute) windows.push({ key, limit: limits.personPerMinute, windowMs: 60_000, burst: limits.personPerMinute });
  if (limits?.personPerHour) windows.push({ key, limit: limits.personPerHour, windowMs: 3_600_000, burst: limits.personPerHour });
  if (limits?.personPerDay) windows.push({ key, limit: limits.personPerDay, windowMs: 86_400_000, burst: limits.personPerDay });
  return windows;
}
