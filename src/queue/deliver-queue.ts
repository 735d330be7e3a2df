// Fan-out: one BullMQ job per recipient per round ("deliver receipt X for round N"), on one queue per
// platform, so each platform has its own BullMQ rate limiter at its ceiling and a slow or throttled
// platform never holds up another. The receipt row is the truth: the handler re-reads it and records the
// sent message there, so a job that runs twice (retry, stalled worker) finds it sent and skips. The queue
// itself only retries with backoff and never drops a job.
import { DelayedError, Queue, Worker, type Job } from "bullmq";
import type { Logger } from "pino";
import type { Platform } from "../bot/message.ts";
import type { RedisConnection } from "./redis.ts";

export interface DeliverJob {
  receiptId: number;
  round: number;
}

/** What the handler did with the receipt; `skipped` means it was already sent (or is no longer wanted). */
export type DeliverOutcome = "sent" | "skipped" | "failed" | "uncertain" | "unreachable";

/** Where this run stands, so a handler can record `failed` on the last attempt instead of throwing. */
export interface DeliverAttempt {
  platform: Platform;
  jobId: string;
  /** 1 for the first run; a rate-limited or stalled run does not count. */
  attempt: number;
  attempts: number;
}

export type DeliverHandler = (job: DeliverJob, attempt: DeliverAttempt) => Promise<DeliverOutcome>;

/** BullMQ's limiter: at most `max` jobs start per `duration` ms, across every worker of the queue. */
export interface RateLimit {
  max: number;
  duration: number;
}

/**
 * Thrown by a handler when the platform said "too many requests, retry after `ms`". The job goes back
 * without using an attempt. `platform` (default) pauses the whole platform queue for `ms`, which is what
 * a Telegram 429 means (the bot's budget is spent); `job` delays only this job, for a per-chat window.
 */
export class RateLimitedError extends Error {
  override name = "RateLimitedError";
  constructor(
    readonly ms: number,
    readonly scope: "platform" | "job" = "platform",
  ) {
    super(`rate limited: retry after ${ms} ms (${scope})`);
  }
}

export const PLATFORMS = ["telegram", "slack", "console"] as const satisfies readonly Platform[];

/**
 * Defaults at the platforms' bulk ceilings. Telegram: ~30 messages/s per bot. Slack's chat.postMessage is
 * limited to ~1/s per channel and each recipient is its own DM channel, but a workspace allows an app only
 * "several hundred messages a minute" overall, so we stay well under it at 3/s (180/min).
 * `null` means unlimited (console, tests).
 */
export const DEFAULT_LIMITS: Readonly<Record<Platform, RateLimit | null>> = {
  telegram: { max: 30, duration: 1000 },
  slack: { max: 3, duration: 1000 },
  console: null,
};

// BullMQ only honours a manual rate limit (queue.rateLimit) on a worker that has a limiter: it compares
// the limiter key with `limiter.max`. So "unlimited" is a limiter no one reaches; it costs one INCR a job.
const UNLIMITED: RateLimit = { max: 1_000_000, duration: 1000 };
const JOB_NAME = "deliver";
const BULK_CHUNK = 1000;

export interface DeliverQueueOptions {
  connection: RedisConnection;
  prefix: string;
  log: Logger;
  /** Per-platform overrides of DEFAULT_LIMITS; `null` is unlimited. */
  limits?: Partial<Record<Platform, RateLimit | null>>;
  /** Runs before a job fails for good (default 6). */
  attempts?: number;
  /** First backoff delay; it doubles each attempt (default 2000 ms: 2, 4, 8, 16, 32 s). */
  backoffMs?: number;
  /** How long a worker's claim on a job lasts without renewal; a killed worker's jobs rerun after it (default 30 s). */
  lockDuration?: number;
  /** How often workers look for jobs whose worker died (default 30 s). */
  stalledInterval?: number;
  /** How often a job may be recovered from a dead worker before it fails (default 3; BullMQ's is 1). */
  maxStalledCount?: number;
}

/** The deliver queues, one per platform, and (once started) their workers. */
export class DeliverQueue {
  private readonly queues: Record<Platform, Queue<DeliverJob, DeliverOutcome>>;
  private readonly limits: Record<Platform, RateLimit | null>;
  private readonly workers: Worker<DeliverJob, DeliverOutcome>[] = [];
  private handler?: DeliverHandler;

  constructor(private readonly opts: DeliverQueueOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const queue = (platform: Platform) => {
      const q = new Queue<DeliverJob, DeliverOutcome>(queueName(platform), {
        connection: opts.connection,
        prefix: opts.prefix,
        defaultJobOptions: {
          attempts: opts.attempts ?? 6,
          backoff: { type: "exponential", delay: opts.backoffMs ?? 2000 },
          // Finished jobs stay a day so enqueueing the same round again is a no-op in Redis too; after
          // that the receipt row still stops a second send.
          removeOnComplete: { age: 24 * 3600, count: 100_000 },
          removeOnFail: { age: 30 * 24 * 3600 },
        },
      });
      q.on("error", (err) => opts.log.warn({ err, platform }, "deliver queue error"));
      return q;
    };
    this.queues = { telegram: queue("telegram"), slack: queue("slack"), console: queue("console") };
  }

  /** Registers what delivering one receipt means (one handler for every platform). */
  handle(handler: DeliverHandler): void {
    this.handler = handler;
  }

  /** Adds one job per receipt, with id `deliver-r<receiptId>-<round>`, so adding the same round twice is harmless. */
  async enqueue(platform: Platform, jobs: DeliverJob[]): Promise<void> {
    for (const job of jobs) {
      if (!Number.isSafeInteger(job.receiptId) || !Number.isSafeInteger(job.round)) throw new Error(`invalid deliver job ${JSON.stringify(job)}`);
    }
    // addBulk is one MULTI per call; chunks keep a 10,000-recipient notice from becoming one huge command.
    for (let i = 0; i < jobs.length; i += BULK_CHUNK) {
      await this.queues[platform].addBulk(
        jobs.slice(i, i + BULK_CHUNK).map((job) => ({
          name: JOB_NAME,
          data: { receiptId: job.receiptId, round: job.round },
          opts: { jobId: deliverJobId(job) },
        })),
      );
    }
  }

  /** Starts one worker per platform in this process, each running up to `concurrency` jobs at once. */
  startWorkers(concurrency = 16): void {
    if (this.workers.length) return;
    if (!this.handler) throw new Error("DeliverQueue.startWorkers: register a handler with handle() first");
    for (const platform of PLATFORMS) {
      const worker = new Worker<DeliverJob, DeliverOutcome>(queueName(platform), (job, token) => this.run(platform, job, token), {
        connection: this.opts.connection,
        prefix: this.opts.prefix,
        concurrency,
        limiter: this.limits[platform] ?? UNLIMITED,
        lockDuration: this.opts.lockDuration ?? 30_000,
        stalledInterval: this.opts.stalledInterval ?? 30_000,
        maxStalledCount: this.opts.maxStalledCount ?? 3,
      });
      worker.on("error", (err) => this.opts.log.warn({ err, platform }, "deliver worker error"));
      worker.on("failed", (job, err) => {
        const final = job !== undefined && job.attemptsMade >= (job.opts.attempts ?? 1);
        const context = { err, platform, job: job?.id, attempt: job?.attemptsMade };
        if (final) this.opts.log.error(context, "delivery failed for good; the job stays in the failed set");
        else this.opts.log.warn(context, "delivery failed; will retry");
      });
      worker.on("stalled", (jobId) => this.opts.log.warn({ platform, job: jobId }, "delivery job stalled (its worker died); running it again"));
      this.workers.push(worker);
    }
  }

  /** Counts for one platform's queue: waiting, active, delayed, prioritized, completed, failed. */
  async counts(platform: Platform): Promise<Record<string, number>> {
    // BullMQ 6 has no "paused" list any more: a paused queue's jobs stay in "waiting".
    return this.queues[platform].getJobCounts("waiting", "active", "delayed", "prioritized", "completed", "failed");
  }

  /** Deliveries not done yet, on every platform: waiting, running, or back off until a retry or a rate-limit window. */
  async unfinished(): Promise<number> {
    const counts = await Promise.all(PLATFORMS.map((p) => this.queues[p].getJobCounts("waiting", "active", "delayed", "prioritized")));
    return counts.reduce((sum, c) => sum + Object.values(c).reduce((a, b) => a + b, 0), 0);
  }

  /** Stops the workers (active jobs finish first), then the queues. The Redis connection stays open. */
  async close(): Promise<void> {
    await Promise.all(this.workers.splice(0).map((w) => w.close()));
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
  }

  private async run(platform: Platform, job: Job<DeliverJob, DeliverOutcome>, token?: string): Promise<DeliverOutcome> {
    const handler = this.handler;
    if (!handler) throw new Error("no deliver handler registered");
    const attempts = job.opts.attempts ?? 1;
    try {
      return await handler(job.data, { platform, jobId: String(job.id), attempt: job.attemptsMade + 1, attempts });
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      const ms = Math.max(1, Math.ceil(error.ms));
      if (error.scope === "job") {
        // DelayedError tells BullMQ the job moved itself; attemptsMade is not incremented.
        await job.moveToDelayed(Date.now() + ms, token);
        throw new DelayedError();
      }
      // queue.rateLimit(ms) (the same call as worker.rateLimit, which BullMQ 6 marks deprecated) overwrites
      // the limiter's window key with "full" for `ms`: every worker of this platform waits, in every process.
      // It would also cut a longer current window short, and a 5 ms 429 would then open a fresh window of
      // `max` at once, so the pause is never shorter than what is left of the window.
      // (An unlimited platform's window means nothing, so there the pause is exactly `ms`.)
      const queue = this.queues[platform];
      const limiterKey = queue.keys.limiter; // BullMQ's own key: a counter that expires with the window
      const windowLeft = limiterKey && this.limits[platform] ? await this.opts.connection.pttl(limiterKey) : 0;
      this.opts.log.info({ platform, ms, job: job.id }, "platform rate limit: pausing deliveries");
      await queue.rateLimit(Math.max(ms, windowLeft));
      // Puts the job back at the head of the wait list without using an attempt.
      throw Worker.RateLimitError();
    }
  }
}

/** The deterministic job id of a delivery (no ":" and not all digits, as BullMQ requires). */
export function deliverJobId(job: DeliverJob): string {
  return `deliver-r${job.receiptId}-${job.round}`;
}

function queueName(platform: Platform): string {
  return `deliver-${platform}`;
}
