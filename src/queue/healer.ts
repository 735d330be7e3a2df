// Notices, while Relay runs, that Redis lost its data (a restart without persistence, a failover, a flush)
// and re-creates the jobs from the database rows, without waiting for the next start. A marker key written
// once the jobs are known to be there is the test: gone means everything stored with it is gone too. It is
// checked whenever the connection comes back and, for a flush that drops no connection, every little while.
import type { RedisConnection } from "./redis.ts";
import type { Logger } from "pino";

export interface HealerOptions {
  redis: RedisConnection;
  prefix: string;
  log: Logger;
  /** Re-creates missing jobs; returns how many. */
  reconcile: () => Promise<number>;
  /** How often to look without a reconnect. */
  everyMs: number;
}

export class Healer {
  private readonly key: string;
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private readonly onReady = () => void this.check();

  constructor(private readonly opts: HealerOptions) {
    // Same prefix as the queues, so on Redis Cluster ({relay}) it lives in their slot and is lost with them.
    this.key = `${opts.prefix}:jobs-present`;
  }

  /** Marks the jobs as present (call after the start-up reconcile) and starts watching. */
  async start(): Promise<void> {
    await this.opts.redis.set(this.key, String(Date.now()));
    this.opts.redis.on("ready", this.onReady);
    this.timer = setInterval(() => void this.check(), this.opts.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.opts.redis.off("ready", this.onReady);
  }

  /** Re-creates the jobs if the marker is gone; one check at a time. Resolves when done. */
  check(): Promise<void> {
    this.running ??= this.heal().finally(() => (this.running = undefined));
    return this.running;
  }

  private async heal(): Promise<void> {
    try {
      if (this.opts.redis.status !== "ready" || (await this.opts.redis.exists(this.key))) return;
      this.opts.log.warn("redis lost its data: re-creating scheduled jobs from the database");
      // The marker first: a flush while the jobs are being re-created takes it away again, and the next look
      // heals again (set after, it would outlive such a flush and hide the loss for good).
      await this.opts.redis.set(this.key, String(Date.now()));
      let recreated: number;
      try {
        recreated = await this.opts.reconcile();
      } catch (err) {
        await this.opts.redis.del(this.key).catch(() => {}); // not healed: the next look tries again
        throw err;
      }
      this.opts.log.info({ recreated }, "re-created scheduled jobs");
    } catch (err) {
      // Redis went away again mid-way: the next reconnect or tick tries again.
      this.opts.log.warn({ err }, "could not check for lost jobs");
    }
  }
}
