// The outbox's queues: one BullMQ job per send ("look at outbox row X now"), on one queue per platform, so
// each platform has its own BullMQ rate limiter at its overall ceiling and a slow or throttled platform
// never holds up another. BullMQ's priorities order the wait list (a person's reminder before copy 9,000 of
// a fan-out). The outbox row is the truth: the handler re-reads it and records the outcome there, so a job
// that runs twice (retry, stalled worker) finds it done and skips. The queue itself only retries with
// backoff and never drops a job.
import { DelayedError, Queue, Worker, type Job } from "bullmq";
import type { Logger } from "pino";
import type { Platform } from "../bot/message.ts";
import type { RedisConnection } from "../queue/redis.ts";

/** One send: the outbox row it is for, its BullMQ priority (1 goes first) and when it may go. */
export interface SendJob {
  sendId: number;
  priority: number;
  /** Milliseconds from now (BullMQ delays by the machine's clock). */
  delay?: number;
}

/** What the handler did with the send; `skipped` means it was already sent (or is no longer wanted). */
export type DeliverOutcome = "sent" | "skipped" | "failed" | "uncertain" | "unreachable";

/** Where this run stands, so a handler can record `failed` on the last attempt instead of throwing. */
export interface DeliverAttempt {
  platform: Platform;
  jobId: string;
  /** 1 for the first run; a rate-limited or stalled run does not count. */
  attempt: number;
  attempts: number;
}

export type DeliverHandler = (sendId: number, attempt: DeliverAttempt) => Promise<DeliverOutcome>;

/**
 * What a tick does: it wakes at `at` (ms since the epoch) for every send of `platform` due then (10,000 reminders
 * at 8:30 are one tick, not 10,000 delayed jobs). `jobId` is the tick's own, stable across its reruns.
 */
export type TickHandler = (platform: Platform, at: number, jobId: string) => Promise<void>;

type JobData = { sendId: number } | { tickAt: number };
type JobResult = DeliverOutcome | "ticked";

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


const JOB_NAME = "send";
const TICK_NAME = "tick";
const ALIVE = new Set(["delayed", "waiting", "active", "prioritized", "waiting-children"]);
/**
 * Jobs one worker runs at once. Most of a send is waiting (for the platform, for a shared statement), and the
 * outbox's statements are shared by the jobs running at once, so more at once means fewer commits per send.
 */
export const SEND_CONCURRENCY = 64;
/** BullMQ's largest priority (2^21 - 1). */
export const LOWEST_PRIORITY = 2_097_151;
const BULK_CHUNK = 1000;

export interface SendQueueOptions {
  connection: RedisConnection;
  prefix: string;
  log: Logger;
  /** Each platform's overall rate (from its adapter's declared limits or RELAY_DELIVER_RATE); missing or `null` is unlimited. */
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
  /** Keep completed jobs (up to 100,000), for tests and benchmarks that count them. */
  keepCompleted?: boolean;
}

/** The send queues, one per platform, and (once started) their workers. */
export class SendQueue {
  private readonly queues: Record<Platform, Queue<JobData, JobResult>>;
  private readonly limits: Record<Platform, RateLimit | null>;
  private readonly workers: Worker<JobData, JobResult>[] = [];
  private handler?: DeliverHandler;
  private tickHandler?: TickHandler;

  constructor(private readonly opts: SendQueueOptions) {
    this.limits = { telegram: null, slack: null, console: null, ...opts.limits };
    const queue = (platform: Platform) => {
      const q = new Queue<JobData, JobResult>(queueName(platform), {
        connection: opts.connection,
        prefix: opts.prefix,
        defaultJobOptions: {
          attempts: opts.attempts ?? 6,
          backoff: { type: "exponential", delay: opts.backoffMs ?? 2000 },
          // A finished job goes at once (the cheapest finish for Redis): its row says it is done, so a job
          // added again for it (a reconcile) finds that and sends nothing.
          removeOnComplete: opts.keepCompleted ? { count: 100_000 } : true,
          removeOnFail: { age: 30 * 24 * 3600 },
        },
      });
      q.on("error", (err) => opts.log.warn({ err, platform }, "send queue error"));
      return q;
    };
    this.queues = { telegram: queue("telegram"), slack: queue("slack"), console: queue("console") };
  }

  /** Registers what delivering one receipt means (one handler for every platform). */
  handle(handler: DeliverHandler): void {
    this.handler = handler;
  }

  /** Whether `platform` has an overall ceiling (then only its jobs, paced by the limiter, may send). */
  limited(platform: Platform): boolean {
    return this.limits[platform] !== null;
  }

  /** Registers what a tick does. */
  handleTicks(handler: TickHandler): void {
    this.tickHandler = handler;
  }

  /** Adds the tick of `platform` at `at` (ms), id `tick-<at>`: adding it again for another send due then is a no-op. */
  async enqueueTick(platform: Platform, at: number, delay: number): Promise<void> {
    await this.queues[platform].add(TICK_NAME, { tickAt: at }, { jobId: tickJobId(at), priority: 1, delay: delay > 0 ? Math.ceil(delay) : undefined });
  }

  /** Whether the tick of `platform` at `at` will still run. */
  async tickAlive(platform: Platform, at: number): Promise<boolean> {
    return ALIVE.has(await this.queues[platform].getJobState(tickJobId(at)));
  }

  /** Runs the tick at `at` now, if it is waiting for its time. */
  async promoteTick(platform: Platform, at: number): Promise<void> {
    const job = await this.queues[platform].getJob(tickJobId(at));
    if (job && (await job.getState()) === "delayed") await job.promote();
  }

  /** Adds one job per send, with id `send-<id>`, so adding the same send twice is harmless. */
  async enqueue(platform: Platform, jobs: SendJob[]): Promise<void> {
    for (const job of jobs) {
      if (!Number.isSafeInteger(job.sendId) || !(job.priority >= 1 && job.priority <= LOWEST_PRIORITY)) throw new Error(`invalid send job ${JSON.stringify(job)}`);
    }
    // addBulk is one MULTI per call; chunks keep a 10,000-recipient notice from becoming one huge command.
    for (let i = 0; i < jobs.length; i += BULK_CHUNK) {
      await this.queues[platform].addBulk(
        jobs.slice(i, i + BULK_CHUNK).map((job) => ({
          name: JOB_NAME,
          data: { sendId: job.sendId },
          opts: { jobId: sendJobId(job.sendId), priority: job.priority, delay: job.delay && job.delay > 0 ? Math.ceil(job.delay) : undefined },
        })),
      );
    }
  }

  /** Drops the job of a withdrawn send (a job already running finishes; its handler finds the row cancelled). */
  async remove(platform: Platform, sendId: number): Promise<void> {
    await this.queues[platform].remove(sendJobId(sendId));
  }

  /** Runs a delayed send now. */
  async promote(platform: Platform, sendId: number): Promise<void> {
    const job = await this.queues[platform].getJob(sendJobId(sendId));
    if (job && (await job.getState()) === "delayed") await job.promote();
  }

  /** Whether the job of a send will still run. */
  async alive(platform: Platform, sendId: number): Promise<boolean> {
    return ALIVE.has(await this.queues[platform].getJobState(sendJobId(sendId)));
  }

  /** Starts one worker per platform in this process, each running up to `concurrency` jobs at once. */
  startWorkers(concurrency = SEND_CONCURRENCY): void {
    if (this.workers.length) return;
    if (!this.handler) throw new Error("SendQueue.startWorkers: register a handler with handle() first");
    for (const platform of PLATFORMS) {
      const worker = new Worker<JobData, JobResult>(queueName(platform), (job, token) => this.run(platform, job, token), {
        connection: this.opts.connection,
        prefix: this.opts.prefix,
        concurrency,
        // No limiter at all for an unlimited platform: BullMQ's costs a Redis call a job.
        limiter: this.limits[platform] ?? undefined,
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

  private async run(platform: Platform, job: Job<JobData, JobResult>, token?: string): Promise<JobResult> {
    const handler = this.handler;
    if (!handler) throw new Error("no deliver handler registered");
    if ("tickAt" in job.data) {
      if (!this.tickHandler) throw new Error("no tick handler registered");
      await this.tickHandler(platform, job.data.tickAt, String(job.id));
      return "ticked";
    }
    const attempts = job.opts.attempts ?? 1;
    try {
      return await handler(job.data.sendId, { platform, jobId: String(job.id), attempt: job.attemptsMade + 1, attempts });
    } catch (error) {
      if (!(error instanceof RateLimitedError)) throw error;
      const ms = Math.max(1, Math.ceil(error.ms));
      // Without a limiter (an unlimited platform) there is no platform-wide pause to take: this job waits alone.
      if (error.scope === "job" || !this.limits[platform]) {
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
      const pauseMs = Math.max(ms, windowLeft);
      this.opts.log.info({ platform, ms, pauseMs, job: job.id }, "platform rate limit: pausing deliveries");
      await queue.rateLimit(pauseMs);
      // Puts the job back at the head of the wait list without using an attempt.
      throw Worker.RateLimitError();
    }
  }
}

/** The job id of the tick at `at` ms. */
export function tickJobId(at: number): string {
  return `tick-${at}`;
}

/** The deterministic job id of a send (no ":" and not all digits, as BullMQ requires). */
export function sendJobId(sendId: number): string {
  return `send-${sendId}`;
}

function queueName(platform: Platform): string {
  return `outbox-${platform}`;
}
