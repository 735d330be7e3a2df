// The two forms of REDIS_URL: one Redis (redis:// or rediss://, read by ioredis itself), or a Redis Cluster
// given by a few of its nodes, `redis-cluster://[user:password@]host:port,host:port,…` (the client learns
// the rest from them). No ioredis here: the configuration checks a URL without loading the client.

export const CLUSTER_SCHEME = "redis-cluster://";

export interface ClusterTarget {
  /** Seed nodes: any reachable one tells the client where every slot lives. */
  nodes: { host: string; port: number }[];
  username?: string;
  password?: string;
}

/** Whether `url` names a Redis Cluster (the redis-cluster:// form). */
export function isClusterUrl(url: string): boolean {
  return url.startsWith(CLUSTER_SCHEME);
}

/** The nodes and credentials of a redis-cluster:// URL; throws RangeError saying what is wrong with it. */
export function parseClusterUrl(url: string): ClusterTarget {
  if (!isClusterUrl(url)) throw new RangeError(`not a ${CLUSTER_SCHEME} URL`);
  let rest = url.slice(CLUSTER_SCHEME.length);
  const at = rest.lastIndexOf("@"); // a password may hold "@" only percent-encoded, but be lenient
  const target: ClusterTarget = { nodes: [] };
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = userinfo.indexOf(":");
    const [user, password] = colon >= 0 ? [userinfo.slice(0, colon), userinfo.slice(colon + 1)] : ["", userinfo];
    if (user) target.username = decodeURIComponent(user);
    if (password) target.password = decodeURIComponent(password);
  }
  for (const node of rest.split(",")) {
    // host:port, [v6]:port; the port may be left out (6379).
    const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?$/.exec(node);
    const port = Number(m?.[2] ?? 6379);
    if (!m || port < 1 || port > 65535) throw new RangeError(`"${node}" is not a host:port`);
    target.nodes.push({ host: m[1]!.replace(/^\[|\]$/g, ""), port });
  }
  return target;
}

/**
 * Whether keys starting with `prefix` all hash to one cluster slot: Redis hashes only what stands between the
 * first "{" and the next "}", when that is not empty. BullMQ's scripts touch several keys of a queue at once,
 * and Redis Cluster refuses a script whose keys lie in different slots (CROSSSLOT).
 */
export function hasHashTag(prefix: string): boolean {
  const open = prefix.indexOf("{");
  if (open < 0) return false;
  const close = prefix.indexOf("}", open + 1);
  return close > open + 1;
}
