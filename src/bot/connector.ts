// Connecting an adapter to its chat platform. A platform that cannot be reached (no DNS, no network, nothing
// listening) must not hold up the rest of Relay: the first failure is said in one log line, connecting goes on
// in the background with backoff, and the adapter reports itself not connected (GET /healthz) meanwhile.
// A platform that answers and refuses (a wrong token) is the operator's to fix: that is final, not retried.
import type { Logger } from "pino";

/** Whether an adapter is connected to its platform now, and if not, why. */
export interface Connection {
  connected: boolean;
  error?: string;
}

export interface RetryPolicy {
  /** How long start() waits for the platform's first answer before going on without it. */
  waitMs: number;
  /** The pause after the first failure; it doubles after each further one, up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { waitMs: 5000, firstDelayMs: 1000, maxDelayMs: 60_000 };

/** Thrown by an attempt when the platform could not be reached (or failed on its side): worth trying again. */
export class UnreachableError extends Error {
  override name = "UnreachableError";
  constructor(
    /** Short, for the log line: "ENOTFOUND", "502 Bad Gateway", "timed out". */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(reason, options);
  }
}

/** What went wrong on the way to a platform, in a word: "ENOTFOUND", "ECONNREFUSED", "timed out". */
export function networkReason(error: unknown): string {
  const e = error as { code?: unknown; name?: unknown; message?: unknown; cause?: { code?: unknown } } | undefined;
  const code = e?.code ?? e?.cause?.code;
  if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return code;
  if (e?.name === "AbortError" || e?.name === "TimeoutError") return "timed out";
  return typeof e?.message === "string" ? e.message : String(error);
}

export interface ConnectorOptions {
  /** The platform, which starts every log line: "telegram". */
  name: string;
  /** What is being reached, as the log line names it: "api.telegram.org". */
  host: string;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  /** One try: resolves once connected; UnreachableError to try again later; any other error is final. */
  attempt: () => Promise<void>;
}

type Outcome = "connected" | UnreachableError;

export class Connector {
  private state: Connection = { connected: false, error: "connecting" };
  private readonly retry: RetryPolicy;
  private stopped = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  private warned?: string;
  private failures = 0;
  private readyResolve!: () => void;
  /** Resolves once connected (and never, if that never happens). */
  readonly ready = new Promise<void>((resolve) => (this.readyResolve = resolve));

  constructor(private readonly opts: ConnectorOptions) {
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
  }

  connection(): Connection {
    return { ...this.state };
  }

  /**
   * Resolves once connected or, when the platform cannot be reached, after the first failure or `waitMs`
   * without an answer, connecting on in the background. Rejects when the platform's first answer is final
   * (a refused token), so start-up stops with it.
   */
  async start(): Promise<void> {
    const first = this.tryOnce();
    const early = await Promise.race([first, this.delay(this.retry.waitMs).then(() => "waiting" as const)]);
    if (early === "connected") return;
    if (early === "waiting") this.unreachable(`no answer in ${this.retry.waitMs / 1000} s`);
    void this.keepTrying(early === "waiting" ? first : Promise.resolve(early));
  }

  stop(): void {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private async keepTrying(pending: Promise<Outcome>): Promise<void> {
    for (;;) {
      let outcome: Outcome;
      try {
        outcome = await pending;
      } catch (error) {
        // Reached at last, and refused: nothing to retry. Said once, at error level; /healthz keeps saying it.
        const message = error instanceof Error ? error.message : String(error);
        this.state = { connected: false, error: message };
        this.opts.log.error({ err: error }, `${this.opts.name}: ${message}`);
        return;
      }
      if (outcome === "connected" || this.stopped) return;
      this.unreachable(outcome.reason);
      const pause = Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** (this.failures - 1));
      await this.delay(pause);
      if (this.stopped) return;
      pending = this.tryOnce();
    }
  }

  private async tryOnce(): Promise<Outcome> {
    try {
      await this.opts.attempt();
    } catch (error) {
      if (error instanceof UnreachableError) return error;
      throw error;
    }
    // As loud as the warning it ends, so whoever saw that one sees this one.
    if (this.failures) this.opts.log.warn({ attempts: this.failures + 1 }, `${this.opts.name}: connected to ${this.opts.host}`);
    this.state = { connected: true };
    this.readyResolve();
    return "connected";
  }

  /** One line when the trouble starts or changes; the same trouble again is only a debug line. */
  private unreachable(reason: string): void {
    this.failures++;
    const error = `cannot reach ${this.opts.host} (${reason})`;
    this.state = { connected: false, error };
    if (this.warned === error) this.opts.log.debug({ attempt: this.failures }, `${this.opts.name}: ${error} — retrying`);
    else this.opts.log.warn(`${this.opts.name}: ${error} — retrying`);
    this.warned = error;
  }

  private delay(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      timer.unref(); // a pending retry does not keep a stopping process alive
      this.timers.add(timer);
    });
  }
}
