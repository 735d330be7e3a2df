// Rate-limit tests count grants on the limiter's own clock (the time it decided at, which its windows count by),
// not the arrival times a fake records: on a busy machine a message granted on time may arrive late, or bunched
// with the next, without the limiter having done anything wrong.
import { RateLimiter, type Abortable, type Window } from "../../src/queue/rate-limiter.ts";

/** A RateLimiter that keeps every grant of `acquire`: which windows' keys, and the limiter's time of it. */
export class RecordingLimiter extends RateLimiter {
  readonly grants: { keys: string[]; at: number }[] = [];

  override async acquire(windows: Window[], signal?: Abortable): Promise<number> {
    const at = await super.acquire(windows, signal);
    this.grants.push({ keys: windows.map((w) => w.key), at });
    return at;
  }

  /** The times of the grants that counted against `key`, in order. */
  timesOf(key: string): number[] {
    return this.grants.filter((g) => g.keys.includes(key)).map((g) => g.at).sort((a, b) => a - b);
  }
}

// The limiter's times are milliseconds with three decimals; differences of such doubles near 1.7e12 are off by
// up to ~0.0005 ms. Spacings are compared with this much slack, far below anything a limiter could get wrong.
const ROUNDING_MS = 0.01;

/** The most grants that fall inside any `windowMs` (half-open: [t, t + windowMs)). */
export function mostInAnyWindow(times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b);
  let most = 0;
  for (let i = 0, j = 0; i < sorted.length; i++) {
    while (sorted[i]! - sorted[j]! >= windowMs - ROUNDING_MS) j++;
    most = Math.max(most, i - j + 1);
  }
  return most;
}

/** The smallest gap between consecutive times (Infinity for fewer than two), rounded past float noise. */
export function closestSpacing(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  let closest = Infinity;
  for (let i = 1; i < sorted.length; i++) closest = Math.min(closest, sorted[i]! - sorted[i - 1]!);
  return closest === Infinity ? closest : Math.round(closest / ROUNDING_MS) / (1 / ROUNDING_MS);
}
