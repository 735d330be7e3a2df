// Redis connections for BullMQ. Start-up checks Redis once and fails with a message a newcomer can act on.
import { Redis } from "ioredis";
import { StartupError } from "../startup-error.ts";

export class RedisUnavailableError extends StartupError {
  override name = "RedisUnavailableError";
}

/** Resolves if Redis answers PING at `url`; otherwise throws a message saying how to fix it. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  probe.on("error", () => {}); // reported below, once
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    const safe = url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
    throw new RedisUnavailableError(
      `Redis is not reachable at ${safe} (${(error as Error).message}). Start it (e.g. \`redis-server --daemonize yes\`) or set REDIS_URL to a running Redis.`,
    );
  } finally {
    probe.disconnect();
  }
}

/** A connection BullMQ can block on: it must never give up on a command (maxRetriesPerRequest: null). */
export function connectRedis(url: string): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: null,
    // Reconnect forever with a capped backoff; a Redis restart delays jobs, it does not stop the bot.
    retryStrategy: (times) => Math.min(times * 200, 5000),
  });
  return redis;
}

/** How long a command on the request connection may go unanswered before it fails. */
const REQUEST_COMMAND_MS = 1000;

/**
 * A connection for the work of answering people (the inbox, rate limits of replies, Slack's direct chats), never for
 * BullMQ: while Redis is away its commands fail at once (no offline queue), or after REQUEST_COMMAND_MS without an
 * answer, instead of waiting for Redis to come back — so a command can be held and the person told, not left hanging.
 * It reconnects like the others. Resolves once it is ready, or after `waitMs` (it goes on connecting).
 */
export async function connectRequestRedis(url: string, waitMs = 3000): Promise<Redis> {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: REQUEST_COMMAND_MS,
    retryStrategy: (times) => Math.min(times * 200, 5000),
  });
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
    redis.once("ready", resolve);
  });
  clearTimeout(timer);
  return redis;
}
