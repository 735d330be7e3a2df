// Where the inbox keeps events it cannot handle now: a table in PostgreSQL while Redis is down, a list in Redis while
// PostgreSQL is down, and (only when both are down and the platform would not deliver again) this process's memory.
// Each keeps arrival order and refuses a second copy of the same update, so a redelivery is not held twice.
import type { RedisConnection } from "../queue/redis.ts";
import type { Inbound, Platform } from "../bot/message.ts";
import type { PrismaClient } from "../db/database.ts";

export interface HeldEvent {
  platform: Platform;
  /** The platform's update id, or `held-…` for an event that has none (or whose own id was claimed already). */
  claimId: string;
  event: Inbound;
  /** When it arrived (the office clock): order across stores, and how long it has waited. */
  receivedAt: Date;
}

/** A held event as read back, with what its store needs to remove it. */
export interface StoredEvent extends HeldEvent {
  store: HeldStore;
  ref: string;
}

export interface HeldStore {
  readonly name: "database" | "redis" | "memory";
  /** Keeps `held`; false when the same update (platform and claimId) is held already. Rejects when the store is down. */
  hold(held: HeldEvent): Promise<boolean>;
  /** The longest-held event, if any. */
  oldest(): Promise<StoredEvent | undefined>;
  remove(stored: StoredEvent): Promise<void>;
  count(): Promise<number>;
}

/** PostgreSQL: the HeldInbound table (used while Redis is down). */
export class DatabaseHeld implements HeldStore {
  readonly name = "database";
  constructor(private readonly prisma: PrismaClient) {}

  async hold(held: HeldEvent): Promise<boolean> {
    const { count } = await this.prisma.heldInbound.createMany({
      data: [{ platform: held.platform, claimId: held.claimId, event: held.event as object, receivedAt: held.receivedAt }],
      skipDuplicates: true,
    });
    return count === 1;
  }

  async oldest(): Promise<StoredEvent | undefined> {
    const row = await this.prisma.heldInbound.findFirst({ orderBy: [{ receivedAt: "asc" }, { id: "asc" }] });
    if (!row) return undefined;
    return { platform: row.platform, claimId: row.claimId, event: row.event as unknown as Inbound, receivedAt: row.receivedAt, store: this, ref: String(row.id) };
  }

  async remove(stored: StoredEvent): Promise<void> {
    await this.prisma.heldInbound.deleteMany({ where: { id: Number(stored.ref) } });
  }

  count(): Promise<number> {
    return this.prisma.heldInbound.count();
  }
}

// A hash of held events by key and a list of keys in arrival order; both under the same prefix, so on Redis Cluster
// ({relay} hash tag) they share a slot and one script can touch both.
const HOLD = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('RPUSH', KEYS[2], ARGV[1])
return 1
`;
const REMOVE = `
redis.call('LREM', KEYS[2], 1, ARGV[1])
redis.call('HDEL', KEYS[1], ARGV[1])
return 1
`;
type Scripts = {
  relayInboxHold(numKeys: number, ...args: string[]): Promise<number>;
  relayInboxRemove(numKeys: number, ...args: string[]): Promise<number>;
};

/** Redis: used while PostgreSQL is down. */
export class RedisHeld implements HeldStore {
  readonly name = "redis";
  private readonly redis: RedisConnection & Scripts;
  private readonly keys: [string, string];

  constructor(redis: RedisConnection, prefix: string) {
    const scripts = redis as RedisConnection & Partial<Scripts>;
    if (typeof scripts.relayInboxHold !== "function") redis.defineCommand("relayInboxHold", { lua: HOLD });
    if (typeof scripts.relayInboxRemove !== "function") redis.defineCommand("relayInboxRemove", { lua: REMOVE });
    this.redis = redis as RedisConnection & Scripts;
    this.keys = [`${prefix}:inbox:held`, `${prefix}:inbox:order`];
  }

  async hold(held: HeldEvent): Promise<boolean> {
    const value = JSON.stringify({ ...held, receivedAt: held.receivedAt.toISOString() });
    return (await this.redis.relayInboxHold(2, ...this.keys, keyOf(held), value)) === 1;
  }

  async oldest(): Promise<StoredEvent | undefined> {
    for (;;) {
      const [key] = await this.redis.lrange(this.keys[1], 0, 0);
      if (key === undefined) return undefined;
      const value = await this.redis.hget(this.keys[0], key);
      if (value === null) {
        await this.redis.lrem(this.keys[1], 1, key); // its event was removed by another process mid-way
        continue;
      }
      const parsed = JSON.parse(value) as Omit<HeldEvent, "receivedAt"> & { receivedAt: string };
      return { ...parsed, receivedAt: new Date(parsed.receivedAt), store: this, ref: key };
    }
  }

  async remove(stored: StoredEvent): Promise<void> {
    await this.redis.relayInboxRemove(2, ...this.keys, stored.ref);
  }

  count(): Promise<number> {
    return this.redis.llen(this.keys[1]);
  }
}

/** This process's memory: only while neither store is up, for an event its platform would not deliver again. */
export class MemoryHeld implements HeldStore {
  readonly name = "memory";
  private readonly events: StoredEvent[] = [];

  async hold(held: HeldEvent): Promise<boolean> {
    const key = keyOf(held);
    if (this.events.some((e) => e.ref === key)) return false;
    this.events.push({ ...held, store: this, ref: key });
    return true;
  }

  async oldest(): Promise<StoredEvent | undefined> {
    return this.events[0];
  }

  async remove(stored: StoredEvent): Promise<void> {
    const i = this.events.indexOf(stored);
    if (i >= 0) this.events.splice(i, 1);
  }

  async count(): Promise<number> {
    return this.events.length;
  }
}

function keyOf(held: HeldEvent): string {
  return `${held.platform}:${held.claimId}`;
}
