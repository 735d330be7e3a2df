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
