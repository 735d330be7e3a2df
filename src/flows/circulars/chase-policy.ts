// When Relay may chase people who have not confirmed a circular, as pure functions of an instant, a policy
// and the office's time zone (never the process's: every wall-clock reading goes through time-zone.ts).
//
// Rules at the edges:
// - Allowed time is: a Chinese working day of the office's calendar (holidays off, 调休 make-up days on), inside
//   workHours, outside lunch and outside quietHours, all read on the office's wall clock.
// - Every interval is half-open, [start, end): 09:00 is inside 09:00–18:00 and 18:00 is not; lunch 12:00–14:00
//   blocks 12:00 but not 14:00; quiet hours 21:00–08:00 block 21:00 and 07:59 but not 08:00.
// - Quiet hours whose start is after their end wrap past midnight; equal start and end are refused (empty, or
//   the whole day?). A policy that leaves no minute to chase on a working day is refused too.
// - Counting working hours that run out exactly where allowed time stops (2 h after 10:00 reaching lunch at
//   12:00, or 7 h after 09:00 reaching 18:00) lands at the start of the next allowed stretch (14:00, the next
//   working day 09:00): the count is done, but nobody should be messaged at lunch or closing time.
// - Later chases come at most once a working day, at dailyAt on the first working day after the previous
//   chase's day; a dailyAt outside allowed time moves forward to the next allowed moment (which may be the
//   working day after, if dailyAt is after closing time).
// - Escalation waits one working day after the last chase (the same wall-clock time on the next working day),
//   or until the deadline if that is earlier (but never before publishing), then moves into allowed time.
// - Overrides replace top-level settings; workHours and quietHours are replaced whole, so an override of
//   workHours without lunch means no lunch break. Null or undefined settings leave the earlier value.
import { addDays, fromZoned, zonedParts, type PlainDate } from "../../bot/time-zone.ts";
import type { WorkCalendar } from "../../bot/working-days.ts";

export interface ChasePolicy {
  /** First chase this many working hours after publishing (working hours only count inside workHours on working days). */
  firstAfterWorkingHours: number;
  /** Later chases: once a working day at this time. */
  dailyAt: string;
  /** At most this many chases per person per circular. */
  maxChases: number;
  /** Office hours on working days; chases only happen inside them (lunch break excluded). */
  workHours: { start: string; end: string; lunch?: { start: string; end: string } };
  /** Never send in these hours even on working days (belt and braces for odd workHours). */
  quietHours: { start: string; end: string };
}

/** 09:00–18:00 with a 12:00–14:00 lunch break (common in township offices); first chase after 2 working hours. */
export const DEFAULT_CHASE_POLICY: ChasePolicy = Object.freeze({
  firstAfterWorkingHours: 2,
  dailyAt: "09:30",
  maxChases: 3,
  workHours: Object.freeze({
    start: "09:00",
    end: "18:00",
    lunch: Object.freeze({ start: "12:00", end: "14:00" }),
  }),
  quietHours: Object.freeze({ start: "21:00", end: "08:00" }),
});

const HOUR_MS = 3_600_000;
const DAY_MINUTES = 1440;
// Spring Festival is the longest stretch without a working day (nine days); more means a broken calendar.
const MAX_DAYS_WITHOUT_WORK = 31;
const HHMM = /^([01]\d|2[0-3]):([0-5]\d)$/;
const SETTINGS = new Set<string>(["firstAfterWorkingHours", "dailyAt", "maxChases", "workHours", "quietHours"]);

/** Minutes of the day [start, end), half-open. */
interface Span {
  start: number;
  end: number;
}

/** A validated policy with its allowed time on a working day worked out. */
interface Compiled {
  policy: ChasePolicy;
  /** Allowed stretches of a working day, in order. */
  spans: Span[];
  dailyAt: number;
}

class PolicyError extends Error {
  constructor(message: string) {
    super(`Invalid chase policy: ${message}`);
    this.name = "PolicyError";
  }
}

const show = (value: unknown) => (value === undefined ? "nothing" : JSON.stringify(value));

function minutesOf(value: unknown, field: string): number {
  const match = typeof value === "string" ? HHMM.exec(value) : null;
  if (!match) throw new PolicyError(`${field} must be HH:MM (00:00–23:59), got ${show(value)}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

function objectOf(value: unknown, field: string, keys: string[]): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new PolicyError(`${field} must be an object with ${keys.join(" and ")}, got ${show(value)}`);
  }
  for (const key of Object.keys(value)) {
    if (!keys.includes(key)) throw new PolicyError(`unknown setting ${field}.${key}`);
  }
  return value as Record<string, unknown>;
}

function interval(value: unknown, field: string, keys = ["start", "end"]): Span & { raw: Record<string, unknown> } {
  const raw = objectOf(value, field, keys);
  return { start: minutesOf(raw.start, `${field}.start`), end: minutesOf(raw.end, `${field}.end`), raw };
}

function subtract(spans: Span[], start: number, end: number): Span[] {
  return spans.flatMap((span) => {
    if (end <= span.start || start >= span.end) return [span];
    const left = span.start < start ? [{ start: span.start, end: start }] : [];
    const right = end < span.end ? [{ start: end, end: span.end }] : [];
    return [...left, ...right];
  });
}

const clock = (minutes: number) =>
  `${String(Math.floor(minutes / 60)).padStart(2, "0")}:${String(minutes % 60).padStart(2, "0")}`;

/** Checks a whole policy (it may come from JSON) and returns a clean copy with its allowed time. */
function compile(input: object): Compiled {
  const raw = input as Record<string, unknown>;
  const first = raw.firstAfterWorkingHours;
  if (typeof first !== "number" || !Number.isFinite(first) || first < 0) {
    throw new PolicyError(`firstAfterWorkingHours must be a number of hours ≥ 0, got ${show(first)}`);
  }
  const max = raw.maxChases;
  if (typeof max !== "number" || !Number.isInteger(max) || max < 0) {
    throw new PolicyError(`maxChases must be a whole number ≥ 0, got ${show(max)}`);
  }
  const dailyAt = minutesOf(raw.dailyAt, "dailyAt");

  const work = interval(raw.workHours, "workHours", ["start", "end", "lunch"]);
  if (work.start >= work.end) {
    throw new PolicyError(`workHours must end after they start, got ${clock(work.start)}–${clock(work.end)}`);
  }
  // JSON cannot say undefined, so a stored null also means "no lunch break".
  const lunch = work.raw.lunch == null ? undefined : interval(work.raw.lunch, "workHours.lunch");
  if (lunch && !(work.start <= lunch.start && lunch.start < lunch.end && lunch.end <= work.end)) {
    throw new PolicyError(
      `workHours.lunch must be a stretch inside workHours ${clock(work.start)}–${clock(work.end)}, ` +
        `got ${clock(lunch.start)}–${clock(lunch.end)}`,
    );
  }
  const quiet = interval(raw.quietHours, "quietHours");
  if (quiet.start === quiet.end) {
    throw new PolicyError(`quietHours must not start and end at the same time (${clock(quiet.start)})`);
  }

  let spans: Span[] = [{ start: work.start, end: work.end }];
  if (lunch) spans = subtract(spans, lunch.start, lunch.end);
  spans =
    quiet.start < quiet.end
      ? subtract(spans, quiet.start, quiet.end)
      : subtract(subtract(spans, quiet.start, DAY_MINUTES), 0, quiet.end);
  if (spans.length === 0) {
    throw new PolicyError(
      `no time left to chase: workHours ${clock(work.start)}–${clock(work.end)} fall inside lunch or ` +
        `quietHours ${clock(quiet.start)}–${clock(quiet.end)}`,
    );
  }

  const policy: ChasePolicy = {
    firstAfterWorkingHours: first,
    dailyAt: clock(dailyAt),
    maxChases: max,
    workHours: {
      start: clock(work.start),
      end: clock(work.end),
      ...(lunch ? { lunch: { start: clock(lunch.start), end: clock(lunch.end) } } : {}),
    },
    quietHours: { start: clock(quiet.start), end: clock(quiet.end) },
  };
  return { policy, spans, dailyAt };
}

/** Merges partial overrides (office-level, then per-circular) onto the defaults, validating times ("HH:MM"); throws a clear Error on nonsense. */
export function resolvePolicy(...overrides: (Partial<ChasePolicy> | null | undefined)[]): ChasePolicy {
  const merged: Record<string, unknown> = { ...DEFAULT_CHASE_POLICY };
  for (const override of overrides) {
    if (override == null) continue;
    if (typeof override !== "object" || Array.isArray(override)) {
      throw new PolicyError(`an override must be an object, got ${show(override)}`);
    }
    for (const [key, value] of Object.entries(override)) {
      if (!SETTINGS.has(key)) throw new PolicyError(`unknown setting ${key}`);
      if (value != null) merged[key] = value;
    }
  }
  return compile(merged).policy;
}

const instantOf = (day: PlainDate, minutes: number, timeZone: string): number =>
  fromZoned({ ...day, hour: Math.floor(minutes / 60), minute: minutes % 60 }, timeZone).getTime();

/** Allowed stretches [start, end) in epoch ms that end after `from`, in order, the first clipped to `from`. */
function* allowedStretches(from: Date, compiled: Compiled, timeZone: string, calendar: WorkCalendar): Generator<[number, number]> {
  const fromMs = from.getTime();
  const { year, month, day: date } = zonedParts(from, timeZone);
  let idle = 0;
  for (let day: PlainDate = { year, month, day: date }; ; day = addDays(day, 1)) {
    if (!calendar.isWorkday(day)) {
      if (++idle > MAX_DAYS_WITHOUT_WORK) {
        throw new Error(`No working day in the ${idle} days after ${from.toISOString()}`);
      }
      continue;
    }
    idle = 0;
    for (const span of compiled.spans) {
      const end = instantOf(day, span.end, timeZone);
      if (end <= fromMs) continue;
      yield [Math.max(fromMs, instantOf(day, span.start, timeZone)), end];
    }
  }
}

function firstStretch(from: Date, compiled: Compiled, timeZone: string, calendar: WorkCalendar): [number, number] {
  const next = allowedStretches(from, compiled, timeZone, calendar).next();
  if (next.done) throw new Error("unreachable: allowed time never ends");
  return next.value;
}

/** Whether `at` is a moment Relay may chase in `timeZone`: a working day, inside workHours, outside lunch and quiet hours. */
export function mayChaseAt(at: Date, policy: ChasePolicy, timeZone: string, calendar: WorkCalendar): boolean {
  return firstStretch(at, compile(policy), timeZone, calendar)[0] === at.getTime();
}

/** The first moment at or after `at` when chasing is allowed. */
export function nextChaseWindow(at: Date, policy: ChasePolicy, timeZone: string, calendar: WorkCalendar): Date {
  return new Date(firstStretch(at, compile(policy), timeZone, calendar)[0]);
}

/** Adds working hours (counting only allowed time) to `from`: "2 working hours after Friday 17:00 before a holiday" lands on the next working day 10:00 (with 09:00 start), skipping lunch. */
export function addWorkingHours(from: Date, hours: number, policy: ChasePolicy, timeZone: string, calendar: WorkCalendar): Date {
  if (!Number.isFinite(hours) || hours < 0) throw new RangeError(`addWorkingHours needs hours ≥ 0, got ${hours}`);
  let left = Math.round(hours * HOUR_MS);
  for (const [start, end] of allowedStretches(from, compile(policy), timeZone, calendar)) {
    // Strictly less: running out exactly at a stretch's end means the start of the next one.
    if (left < end - start) return new Date(start + left);
    left -= end - start;
  }
  throw new Error("unreachable: allowed time never ends");
}

/**
 * When chase number `n` (1-based) of a circular published at `publishedAt` is due:
 * n = 1 → addWorkingHours(publishedAt, firstAfterWorkingHours), unless that runs past the day it was published:
 * then `dailyAt` on the first working day after (published Friday evening before a holiday → 09:30 on the day
 * work resumes: people are chased at the usual hour, not at whatever minute the count happened to end);
 * n ≥ 2 → `dailyAt` on the first working day strictly after the day chase n-1 happened (`previous`), moved
 * into an allowed window if dailyAt itself is not allowed.
 * Returns null when n > maxChases.
 */
export function chaseDueAt(
  n: number,
  publishedAt: Date,
  previous: Date | null,
  policy: ChasePolicy,
  timeZone: string,
  calendar: WorkCalendar,
): Date | null {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`Chase numbers start at 1, got ${n}`);
  const compiled = compile(policy);
  if (n > compiled.policy.maxChases) return null;
  if (n === 1) {
    const due = addWorkingHours(publishedAt, compiled.policy.firstAfterWorkingHours, policy, timeZone, calendar);
    if (sameDay(zonedParts(due, timeZone), zonedParts(publishedAt, timeZone))) return due;
  }
  if (n > 1 && !previous) throw new Error(`Chase ${n} is timed from chase ${n - 1}, but no time was given for it`);
  const day = calendar.nextWorkday(zonedParts(n === 1 ? publishedAt : previous!, timeZone));
  const wanted = instantOf(day, compiled.dailyAt, timeZone);
  return new Date(firstStretch(new Date(wanted), compiled, timeZone, calendar)[0]);
}

function sameDay(a: PlainDate, b: PlainDate): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day;
}

/** When to escalate to supervisors: after the last chase has had one working day to work, or at the deadline if earlier; never outside an allowed window. */
export function escalationDueAt(
  lastChase: Date | null,
  deadline: Date | null,
  publishedAt: Date,
  policy: ChasePolicy,
  timeZone: string,
  calendar: WorkCalendar,
): Date {
  // Nobody chased (maxChases 0): the circular itself gets the working day.
  let due = calendar.addWorkdays(lastChase ?? publishedAt, 1, timeZone).getTime();
  if (deadline) due = Math.min(due, Math.max(deadline.getTime(), publishedAt.getTime()));
  return new Date(firstStretch(new Date(due), compile(policy), timeZone, calendar)[0]);
}
