// Between the adapters and the router: each update is handled once (its id claimed in PostgreSQL), and nothing a
// person says is dropped while PostgreSQL or Redis is down. What cannot be handled now is held in whichever store is
// up, the person is told "系统繁忙，稍后处理。", and it is handled when both are back: in arrival order, once each.
//
// What is held where, and for how long:
// - Redis down: in PostgreSQL (HeldInbound). PostgreSQL down: in Redis (a list under the prefix). Both down: a
//   webhook is refused (503; Telegram keeps the update and delivers it again), anything else (long polling, Slack,
//   the console) is held in this process's memory until a store is back.
// - While anything is held, newer events are held behind it, so a person's messages are handled in order.
// - A held event waits at most HOLD_MS (24 h, as long as Telegram keeps an update); one older than that is not
//   run any more (a "10分钟后" from yesterday would mislead): the person is told, and asked to send it again.
// - A command already running when a store goes away is not started again: the person is told it is busy, and it
//   finishes when the store is back (what it wrote stands; scheduled work is re-created from the rows).
import { randomBytes } from "node:crypto";
import type { RedisConnection } from "../queue/redis.ts";
import type { Logger } from "pino";
import type { Delivery } from "../bot/adapter.ts";
import type { Clock } from "../bot/clock.ts";
import { StoreUnavailableError } from "../bot/errors.ts";
import { t, type Locale } from "../bot/i18n/index.ts";
import type { Handled, Inbound } from "../bot/message.ts";
import { spokenTo } from "../bot/router.ts";
import { formatNear } from "../bot/time-parse.ts";
import type { PrismaClient } from "../db/database.ts";
import { claimUpdate } from "../db/update-dedup.ts";
import { DatabaseHeld, MemoryHeld, RedisHeld, type HeldEvent, type HeldStore, type StoredEvent } from "./held.ts";
import { databaseUnavailable, within } from "./unavailable.ts";

/** A held event older than this is not run any more: Telegram itself keeps an update for 24 hours. */
export const HOLD_MS = 24 * 3600_000;
/** How long one call to a store may take before the store counts as down. */
const STORE_MS = 2000;
/** How long a new event waits for the held ones ahead of it before it is held too. */
const BEHIND_MS = 5000;
/** How long the up-checks may take (as /healthz's). */
const PROBE_MS = 800;

export interface InboxOptions {
  log: Logger;
  clock: Clock;
  prisma: PrismaClient;
  /** A connection whose commands fail at once while Redis is away (connectRequestRedis), never BullMQ's. */
  redis: RedisConnection;
  prefix: string;
  /** The router: handles an event; throws only StoreUnavailableError, when it could not start on it. */
  dispatch(event: Inbound): Promise<Handled>;
  /**
   * Says `text` to the person, straight through the adapter (no queue involved): in the event's chat, or (`direct`)
   * in their direct chat, for a button pressed in a group and answered long after.
   */
  say(event: Inbound, text: string, direct?: boolean): Promise<void>;
  /** The language to tell the person in (their own when the roster can be read, else what their app says). */
  localeOf(event: Inbound): Promise<Locale>;
  /**
   * The database runs in this process (PGlite): it cannot go away, and a probe that waits is only queued behind
   * a command (PGlite runs one statement at a time), so it never counts as down.
   */
  embeddedDatabase?: boolean;
  /** The office time zone, for "你在 … 发的消息". */
  timeZone: string;
  holdMs?: number;
  /** While something is held, how often to look whether the stores are back (default 2 s). */
  retryMs?: number;
  /** While a command runs, how often to check that the stores are still up (default 1 s). */
  watchMs?: number;
  /** How often to look for events another process held, even with nothing held here (default 30 s). */
  sweepMs?: number;
}

type Down = { database?: boolean; redis?: boolean };
type Outcome = { kind: "done"; handled: Handled } | { kind: "unavailable"; store: StoreUnavailableError["store"] } | { kind: "stalled" };

export class Inbox {
  private readonly database: DatabaseHeld;
  private readonly redisHeld: RedisHeld;
  private readonly memory = new MemoryHeld();
  /** Something is (or may be) held: newer events go behind it. True at start, until a drain finds nothing. */
  private backlog = true;
  /** Commands still running that a store went away under; draining waits for them, to keep order. */
  private stalled = 0;
  private draining?: Promise<void>;
  private drainWanted = false;
  private stopped = false;
  private timer?: NodeJS.Timeout;
  /** Refused updates whose person was told already: Telegram delivers them again until one is held. */
  private readonly toldRefused = new Set<string>();
  private readonly onRedisReady = () => this.kick();

  constructor(private readonly opts: InboxOptions) {
    this.database = new DatabaseHeld(opts.prisma);
    this.redisHeld = new RedisHeld(opts.redis, opts.prefix);
  }

  /** Handles what an earlier run held (resolving when done, so new events come after it), then keeps watching. */
  async start(): Promise<void> {
    const retry = this.opts.retryMs ?? 2000;
    const sweepEvery = Math.max(1, Math.round((this.opts.sweepMs ?? 30_000) / retry));
    let ticks = 0;
    this.timer = setInterval(() => {
      if (this.backlog || ++ticks % sweepEvery === 0) this.kick();
    }, retry);
    this.timer.unref();
    this.opts.redis.on("ready", this.onRedisReady);
    this.kick();
    await this.draining;
  }

  /** Whether events are being held (a store is down, or what was held is still being handled). */
  get holding(): boolean {
    return this.backlog;
  }

  /** Stops draining; what is held stays held for the next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.opts.redis.off("ready", this.onRedisReady);
    await this.draining;
  }

  /** How many events are held in each store (memory: this process only); undefined for a store that is down. */
  async held(): Promise<Record<HeldStore["name"], number | undefined>> {
    const count = (store: DatabaseHeld | RedisHeld) => within(store.name, STORE_MS, store.count()).catch(() => undefined);
    return { database: await count(this.database), redis: await count(this.redisHeld), memory: await this.memory.count() };
  }

  /** The intake: handles `event` now, or holds it and says so. Never throws. */
  async accept(event: Inbound, delivery: Delivery = {}): Promise<Handled> {
    try {
      return await this.take(event, delivery);
    } catch (err) {
      this.opts.log.error({ err, platform: event.chat.platform }, "inbox could not take an event");
      return {};
    }
  }

  private async take(event: Inbound, delivery: Delivery): Promise<Handled> {
    // What is held goes first. While it is being handled (at start, or just after an outage) an event waits for
    // that, briefly, rather than being held: the adapter then hears of it only once it is handled, so a reader of
    // a pipe (the console) does not run its next line, or press a button, before this one is answered.
    if (this.backlog && this.draining) await Promise.race([this.draining, delay(BEHIND_MS)]);
    if (this.backlog) return this.holdAndTell(event, delivery, await this.storesDown());
    if (this.opts.redis.status !== "ready") return this.holdAndTell(event, delivery, { redis: true });
    if (delivery.updateId !== undefined) {
      let fresh: boolean;
      try {
        fresh = await within("database", STORE_MS, claimUpdate(this.opts.prisma, event.chat.platform, delivery.updateId));
      } catch (error) {
        if (!databaseUnavailable(error)) throw error;
        return this.holdAndTell(event, delivery, { database: true });
      }
      if (!fresh) {
        this.opts.log.info({ platform: event.chat.platform, update: delivery.updateId }, "duplicate update ignored");
        return {};
      }
    }
    const outcome = await this.run(event);
    if (outcome.kind === "done") return outcome.handled;
    if (outcome.kind === "stalled") return this.busy(event);
    // Nothing was done, but its own id is claimed now: held under a new one, which guards the held copy.
    return this.holdAndTell(event, { redeliverable: delivery.redeliverable }, { [outcome.store]: true });
  }

  /** Runs the router on `event`, watching the stores while it takes long: a store going away stalls it. */
  private async run(event: Inbound): Promise<Outcome> {
    const running: Promise<Outcome> = this.opts.dispatch(event).then(
      (handled) => ({ kind: "done", handled }),
      (error: unknown) => {
        if (error instanceof StoreUnavailableError) return { kind: "unavailable", store: error.store };
        throw error;
      },
    );
    const watchMs = this.opts.watchMs ?? 1000;
    for (;;) {
      const settled = await Promise.race([running, delay(watchMs)]);
      if (settled) return settled;
      const down = await this.storesDown();
      if (!down.database && !down.redis) continue; // just slow: a notice to many, an export
      // It waits on the store (ioredis holds its commands until Redis is back) and finishes then; meanwhile newer
      // events are held behind it rather than queueing in memory behind it.
      this.opts.log.warn({ down, event: event.kind }, "a store went away under a running command: it finishes when the store is back");
      this.stalled++;
      this.backlog = true;
      void running
        .then((late) => (late.kind === "done" ? this.toastLate(event, late.handled) : undefined))
        .catch((err: unknown) => this.opts.log.error({ err }, "a stalled command failed"))
        .finally(() => {
          this.stalled--;
          this.kick();
        });
      return { kind: "stalled" };
    }
  }

  /** Holds `event` in the first store that takes it; tells the person when a store being down is why. */
  private async holdAndTell(event: Inbound, delivery: Delivery, down: Down): Promise<Handled> {
    const held: HeldEvent = { platform: event.chat.platform, claimId: delivery.updateId ?? `held-${randomBytes(9).toString("base64url")}`, event, receivedAt: this.opts.clock.now() };
    const where = await this.hold(held, down, delivery.redeliverable === true);
    if (where === "duplicate") return {};
    const outage = down.database === true || down.redis === true;
    if (where === "refused") {
      const key = `${held.platform}:${held.claimId}`;
      if (this.toldRefused.has(key)) return { refused: true };
      if (this.toldRefused.size > 10_000) this.toldRefused.clear();
      this.toldRefused.add(key);
      return { ...(await this.busy(event)), refused: true };
    }
    this.backlog = true;
    this.kick();
    if (!outage) return {}; // only behind others: handled in a moment
    this.opts.log.info({ where, down, platform: held.platform, update: delivery.updateId }, "held an event while a store is down");
    return this.busy(event);
  }

  /** Keeps `held` in the database or Redis, whichever is up, or in memory; "refused" when only memory is left for a redeliverable update. */
  private async hold(held: HeldEvent, down: Down, redeliverable: boolean): Promise<"held" | "duplicate" | "refused"> {
    for (const store of [this.database, this.redisHeld]) {
      if (down[store.name]) continue;
      try {
        return (await within(store.name, STORE_MS, store.hold(held))) ? "held" : "duplicate";
      } catch (err) {
        // Whatever the reason, this store cannot keep it now: the next one may.
        this.opts.log.warn({ err, store: store.name }, "could not hold an event there");
        down[store.name] = true;
      }
    }
    if (redeliverable) return "refused";
    return (await this.memory.hold(held)) ? "held" : "duplicate";
  }

  /** "系统繁忙，稍后处理。" — as a toast for a button press, as a message for what was said to Relay. */
  private async busy(event: Inbound): Promise<Handled> {
    if (!tellable(event)) return {};
    const text = t(await this.opts.localeOf(event), "inbox.busy");
    if (event.kind === "action") return { toast: text };
    await this.opts.say(event, text).catch((err: unknown) => this.opts.log.warn({ err }, "could not say that Relay is busy"));
    return {};
  }

  /** Which stores do not answer now. */
  private async storesDown(): Promise<Down> {
    const redis = this.opts.redis.status === "ready" && (await within("redis", PROBE_MS, this.opts.redis.ping()).then(() => true, () => false));
    const database = this.opts.embeddedDatabase || (await within("database", PROBE_MS, this.opts.prisma.$queryRawUnsafe("SELECT 1")).then(() => true, () => false));
    return { database: !database, redis: !redis };
  }

  /** Drains soon: one drain at a time; a call during one makes it look again when done. */
  private kick(): void {
    this.drainWanted = true;
    if (this.draining || this.stopped) return;
    this.draining = (async () => {
      while (this.drainWanted && !this.stopped) {
        this.drainWanted = false;
        await this.drain();
      }
    })()
      .catch((err: unknown) => this.opts.log.error({ err }, "inbox drain failed"))
      .finally(() => (this.draining = undefined));
  }

  /** Handles held events, oldest first, while both stores are up and nothing is stalled. */
  private async drain(): Promise<void> {
    let handled = 0;
    while (!this.stopped && this.stalled === 0) {
      const down = await this.storesDown();
      if (down.database || down.redis) return;
      const next = await this.oldest();
      if (!next) {
        if (handled) this.opts.log.info({ handled }, "handled the events held while a store was down");
        this.backlog = this.stalled > 0;
        return;
      }
      if (!(await this.handleHeld(next))) return;
      handled++;
    }
  }

  /** The longest-held event across the stores. */
  private async oldest(): Promise<StoredEvent | undefined> {
    const heads = [await this.memory.oldest(), await within("redis", STORE_MS, this.redisHeld.oldest()), await within("database", STORE_MS, this.database.oldest())];
    return heads.filter((h): h is StoredEvent => h !== undefined).sort((a, b) => a.receivedAt.getTime() - b.receivedAt.getTime())[0];
  }

  /** Handles one held event; false when draining must stop (a store went away again). */
  private async handleHeld(held: StoredEvent): Promise<boolean> {
    const now = this.opts.clock.now();
    const fresh = await within("database", STORE_MS, claimUpdate(this.opts.prisma, held.platform, held.claimId)).catch((err: unknown) => {
      this.opts.log.warn({ err }, "could not claim a held event; trying again later");
      return undefined;
    });
    if (fresh === undefined) return false;
    if (fresh && now.getTime() - held.receivedAt.getTime() > (this.opts.holdMs ?? HOLD_MS)) {
      this.opts.log.warn({ platform: held.platform, update: held.claimId, receivedAt: held.receivedAt }, "a held event waited too long: not run, the person is asked to send it again");
      await this.tellExpired(held, now);
    } else if (fresh) {
      const outcome = await this.run(held.event);
      if (outcome.kind === "stalled") {
        // Its claim stands: it finishes in memory when the store is back, and is not run again. (Said again to
        // whoever was told already when it was held: the drain does not know who was.)
        const { toast } = await this.busy(held.event);
        if (toast) await this.toastLate(held.event, { toast });
        return false;
      }
      if (outcome.kind === "done") await this.toastLate(held.event, outcome.handled);
      if (outcome.kind === "unavailable") {
        // Claimed, but nothing was done: held again under a new id, then this copy goes.
        await this.hold({ ...held, claimId: `held-${randomBytes(9).toString("base64url")}` }, { [outcome.store]: true }, false);
        await this.removeHeld(held);
        return false;
      }
    }
    // Left behind if the store went away just now: its claim stops it from running again, the next drain removes it.
    await this.removeHeld(held);
    return true;
  }

  /** A button's note ("已记录：收到") that comes after the button was answered: as a message, to the presser alone. */
  private async toastLate(event: Inbound, handled: Handled): Promise<void> {
    if (event.kind !== "action" || !handled.toast) return;
    await this.opts.say(event, handled.toast, event.chat.kind === "group").catch((err: unknown) => this.opts.log.warn({ err }, "could not pass on a button's note"));
  }

  private async removeHeld(held: StoredEvent): Promise<void> {
    const { store } = held;
    const removing = store.remove(held);
    await (store.name === "memory" ? removing : within(store.name, STORE_MS, removing)).catch((err: unknown) => this.opts.log.warn({ err, store: store.name }, "could not remove a handled event"));
  }

  private async tellExpired(held: StoredEvent, now: Date): Promise<void> {
    const { event } = held;
    if (!tellable(event)) return;
    const locale = await this.opts.localeOf(event);
    const what = event.kind === "action" ? t(locale, "inbox.aButtonPress") : event.kind === "command" ? `/${event.name} ${event.args}`.trim() : event.kind === "text" ? event.text : "";
    const text = t(locale, "inbox.expired", { when: formatNear(held.receivedAt, this.opts.timeZone, locale, now), what });
    await this.opts.say(event, text, event.chat.kind === "group" && event.kind === "action").catch((err: unknown) => this.opts.log.warn({ err }, "could not say that a held message expired"));
  }
}

/** Whether the person expects an answer: a command, a button, or text said to Relay (not colleagues talking in a group). */
function tellable(event: Inbound): boolean {
  return event.kind === "command" || event.kind === "action" || (event.kind === "text" && spokenTo(event));
}

function delay(ms: number): Promise<undefined> {
  return new Promise((resolve) => setTimeout(() => resolve(undefined), ms));
}
