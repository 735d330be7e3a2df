// Scheduled work ("look at row X at time T") on a BullMQ queue. The database row is the truth: a job
// only says when to look, handlers re-read the row, and job ids are deterministic so scheduling twice
// is harmless and cancelling is by the same id.
import { Queue, Worker, type Job } from "bullmq";
import type { Logger } from "pino";
import type { Clock } from "../bot/clock.ts";
import type { RedisConnection } from "./redis.ts";

export type JobData = Record<string, string | number | boolean | null>;
export type JobHandler = (data: JobData, job: { id: string; attempt: number }) => Promise<void>;
/** Re-creates jobs for open rows whose job is missing; returns how many it scheduled. */
export type Reconciler = () => Promise<number>;

const QUEUE = "schedule";
// A job is alive while it can still run; anything else (gone, completed, failed) needs re-creating.
const ALIVE = new Set(["delayed", "waiting", "active", "prioritized", "waiting-children"]);
const DUE_PAGE = 50;

export interface SchedulerOptions {
  connection: RedisConnection;
  prefix: string;
  clock: Clock;
  log: Logger;
}

export class Scheduler {
  private readonly queue: Queue;
  private readonly handlers = new Map<string, JobHandler>();
  private readonly reconcilers: Reconciler[] = [];
  private worker?: Worker;

  constructor(private readonly opts: SchedulerOptions) {
    this.queue = new Queue(QUEUE, {
      connection: opts.connection,
      prefix: opts.prefix,
      defaultJobOptions: {
        attempts: 8,
        backoff: { type: "exponential", delay: 2000 },
        removeOnComplete: { age: 7 * 24 * 3600, count: 10_000 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    });
    this.queue.on("error", (err) => opts.log.warn({ err }, "schedule queue error"));
  }

  /** Registers what a job type does when it fires. */
  handle(type: string, handler: JobHandler): void {
    this.handlers.set(type, handler);
  }

  /** Registers a check that re-creates missing jobs (run at worker start). */
  reconcileWith(reconciler: Reconciler): void {
    this.reconcilers.push(reconciler);
  }

  /** Schedules job `id` of `type` to run at `at` (at once if that has passed). An existing id is kept as it is. */
  async schedule(type: string, id: string, data: JobData, at: Date): Promise<void> {
    assertJobId(id);
    const delay = Math.max(0, at.getTime() - this.opts.clock.now().getTime());
    // The intended instant rides along, so what is scheduled can be read back in the office's terms.
    await this.queue.add(type, { ...data, at: at.toISOString() }, { jobId: id, delay });
  }

  /** Jobs of `type` still to run, with the instant each was scheduled for. */
  async upcoming(type: string): Promise<{ id: string; at: Date; data: JobData }[]> {
    const jobs = await this.queue.getJobs(["delayed", "waiting", "prioritized"]);
    return jobs
      .filter((job) => job?.name === type)
      .map((job) => ({ id: String(job.id), at: new Date(String(job.data.at)), data: job.data as JobData }))
      .sort((a, b) => a.at.getTime() - b.at.getTime());
  }

  /** Runs a delayed job now (tests that move their clock; an author's "chase now" could use it too). */
  async promote(id: string): Promise<void> {
    const job = await this.queue.getJob(id);
    if (job && (await job.getState()) === "delayed") await job.promote();
  }

  /** Jobs that are running or whose time has come (waiting, active, delayed until now): work due but not done. */
  async dueCount(): Promise<number> {
    const counts = await this.queue.getJobCounts("waiting", "active", "prioritized");
    let due = Object.values(counts).reduce((a, b) => a + b, 0);
    const now = this.opts.clock.now().getTime();
    // Delayed jobs come soonest first: count pages until one holds a job whose time has not come.
    for (let start = 0; ; start += DUE_PAGE) {
      const page = await this.queue.getJobs(["delayed"], start, start + DUE_PAGE - 1, true);
      const ready = page.filter((job) => job && new Date(String(job.data.at)).getTime() <= now).length;
      due += ready;
      if (ready < page.length || page.length < DUE_PAGE) return due;
    }
  }

  /** Cancels a job by id; a job that is not there counts as cancelled. */
  async cancel(id: string): Promise<void> {
    await this.queue.remove(id);
  }

  /** Whether job `id` will still run. */
  async isScheduled(id: string): Promise<boolean> {
    return ALIVE.has(await this.queue.getJobState(id));
  }

  /** Schedules `id` unless it is alive; a finished or failed job of the same id is replaced. */
  async ensure(type: string, id: string, data: JobData, at: Date): Promise<boolean> {
    const state = await this.queue.getJobState(id);
    if (ALIVE.has(state)) return false;
    if (state !== "unknown") await this.queue.remove(id);
    await this.schedule(type, id, data, at);
    return true;
  }

  /** Runs every reconciler; returns how many jobs were re-created. */
  async reconcile(): Promise<number> {
    let total = 0;
    for (const reconciler of this.reconcilers) total += await reconciler();
    return total;
  }

  /** Starts processing jobs in this process. */
  startWorker(concurrency = 8): void {
    if (this.worker) return;
    this.worker = new Worker(QUEUE, (job) => this.run(job), {
      connection: this.opts.connection,
      prefix: this.opts.prefix,
      concurrency,
    });
    this.worker.on("error", (err) => this.opts.log.warn({ err }, "schedule worker error"));
    this.worker.on("failed", (job, err) =>
      this.opts.log.error({ err, job: job?.id, type: job?.name, attempt: job?.attemptsMade }, "scheduled job failed"),
    );
  }

  /** Stops the worker (active jobs finish first) and the queue. */
  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
  }

  private async run(job: Job): Promise<void> {
    const handler = this.handlers.get(job.name);
    if (!handler) throw new Error(`no handler for job type ${job.name}`);
    await handler(job.data as JobData, { id: String(job.id), attempt: job.attemptsMade + 1 });
  }
}

/** BullMQ job ids must not contain ":" nor be all digits (those are its own ids). */
function assertJobId(id: string): void {
  if (id.includes(":") || /^\d+$/.test(id)) throw new Error(`invalid job id "${id}"`);
}
