// Redis connections for BullMQ: one Redis, or a Redis Cluster (REDIS_URL=redis-cluster://…, see redis-url.ts).
// Start-up checks Redis once and fails with a message a newcomer can act on.
import { Cluster, Redis } from "ioredis";
import { StartupError } from "../startup-error.ts";
import { isClusterUrl, parseClusterUrl, type ClusterTarget } from "./redis-url.ts";

/**
 * What the queues, the rate limiter, the healer and the caches are given. Both speak every command Relay
 * uses; on a cluster each command goes to the node holding its key's slot (and every Relay key shares the
 * prefix's hash tag, so a script's keys are always on one node).
 */
export type RedisConnection = Redis | Cluster;

export class RedisUnavailableError extends StartupError {
  override name = "RedisUnavailableError";
}

/** Resolves if Redis (or every slot of the cluster) answers at `url`; otherwise throws a message saying how to fix it. */
export async function checkRedis(url: string, timeoutMs = 3000): Promise<void> {
  const safe = url.replace(/\/\/([^:/@]*):[^@]*@/, "//$1:***@");
  const cluster = isClusterUrl(url) ? parseClusterUrl(url) : undefined;
  const probe = cluster
    ? new Cluster(cluster.nodes, {
        lazyConnect: true,
        clusterRetryStrategy: () => null,
        slotsRefreshTimeout: timeoutMs,
        redisOptions: { ...credentials(cluster), connectTimeout: timeoutMs, maxRetriesPerRequest: 0 },
      })
    : new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: timeoutMs });
  probe.on("error", () => {}); // reported below, once
  // A cluster client reports only "None of startup nodes is available"; why a node refused is in its own error.
  let nodeError: Error | undefined;
  probe.on("node error", (err: Error) => (nodeError ??= err));
  let timer: NodeJS.Timeout | undefined;
  try {
    // A cluster whose slots are not all served never becomes ready (ioredis waits for CLUSTER INFO to say ok).
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(cluster ? "the cluster did not report state ok" : `no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    await Promise.race([probe.connect().then(() => probe.ping()), late]);
    // A node of a cluster answers a plain client too, but sends it MOVED for most keys: say so now.
    if (!cluster && /cluster_enabled:1/.test(await probe.info("cluster").catch(() => ""))) {
      throw new RedisUnavailableError(
        `Redis at ${safe} is a node of a Redis Cluster: set REDIS_URL=${CLUSTER_EXAMPLE} (a few of its nodes) so Relay talks to the whole cluster.`,
      );
    }
  } catch (error) {
    if (error instanceof RedisUnavailableError) throw error;
    const reason = [(error as Error).message, nodeError?.message].filter(Boolean).join(": ");
    throw new RedisUnavailableError(
      cluster
        ? `Redis Cluster is not reachable at ${safe} (${reason}). Check that its nodes run and \`redis-cli --cluster check HOST:PORT\` finds all 16384 slots covered, or set REDIS_URL to a running cluster.`
        : `Redis is not reachable at ${safe} (${reason}). Start it (e.g. \`redis-server --daemonize yes\`) or set REDIS_URL to a running Redis.`,
    );
  } finally {
    clearTimeout(timer);
    probe.disconnect();
  }
}

const CLUSTER_EXAMPLE = "redis-cluster://host1:6379,host2:6379,host3:6379";

/** A connection BullMQ can block on: it must never give up on a command (maxRetriesPerRequest: null). */
export function connectRedis(url: string): RedisConnection {
  // Reconnect forever with a capped backoff; a Redis restart delays jobs, it does not stop the bot.
  const retry = (times: number) => Math.min(times * 200, 5000);
  if (!isClusterUrl(url)) return new Redis(url, { maxRetriesPerRequest: null, retryStrategy: retry });
  const cluster = parseClusterUrl(url);
  // BullMQ reads the blocking setting from redisOptions, the options of each node's connection.
  return new Cluster(cluster.nodes, { clusterRetryStrategy: retry, redisOptions: { ...credentials(cluster), maxRetriesPerRequest: null } });
}

function credentials(cluster: ClusterTarget): { username?: string; password?: string } {
  return { ...(cluster.username ? { username: cluster.username } : {}), ...(cluster.password ? { password: cluster.password } : {}) };
}

/** How long a command on the request connection may go unanswered before it fails. */
const REQUEST_COMMAND_MS = 1000;

/**
 * A connection for the work of answering people (the inbox, rate limits of replies, Slack's direct chats), never for
 * BullMQ: while Redis is away its commands fail at once (no offline queue), or after REQUEST_COMMAND_MS without an
 * answer, instead of waiting for Redis to come back — so a command can be held and the person told, not left hanging.
 * It reconnects like the others. Resolves once it is ready, or after `waitMs` (it goes on connecting).
 */
export async function connectRequestRedis(url: string, waitMs = 3000): Promise<RedisConnection> {
  const retry = (times: number) => Math.min(times * 200, 5000);
  const failFast = { maxRetriesPerRequest: 0, commandTimeout: REQUEST_COMMAND_MS };
  const cluster = isClusterUrl(url) ? parseClusterUrl(url) : undefined;
  const redis: RedisConnection = cluster
    ? new Cluster(cluster.nodes, { enableOfflineQueue: false, clusterRetryStrategy: retry, redisOptions: { ...credentials(cluster), ...failFast } })
    : new Redis(url, { enableOfflineQueue: false, retryStrategy: retry, ...failFast });
  let timer: NodeJS.Timeout | undefined;
  await new Promise<void>((resolve) => {
    timer = setTimeout(resolve, waitMs);
    redis.once("ready", resolve);
  });
  clearTimeout(timer);
  return redis;
}
