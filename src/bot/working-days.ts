// Mainland China working days: Monday–Friday, minus official holidays, plus 调休 make-up days (e.g. Saturday
// 2026-10-10 after National Day).
//
// We read chinese-days' published table instead of calling its isWorkday(): that function formats dates with
// the process's local-time getters and parses "YYYY-MM-DD" as UTC midnight, so under TZ=America/New_York it
// calls Saturday 2026-11-28 a working day. The table is keyed by plain dates and has no such problem.
// It covers the State Council's schedule through 2026; later years count as plain Monday–Friday until the
// package is updated with the next year's notice (published each November/December).
import arrangement from "chinese-days/dist/chinese-days.json" with { type: "json" };
import { addDays, fromZoned, isoDate, weekdayOf, zonedParts, type PlainDate } from "./time-zone.ts";

// Values look like "National Day,国庆节,3"; only the keys matter here.
const holidays: Record<string, string> = arrangement.holidays;
const makeUpWorkdays: Record<string, string> = arrangement.workdays;

/** Whether `day` is a working day in mainland China (holidays off, 调休 make-up days on). */
export function isWorkday(day: PlainDate): boolean {
  const key = isoDate(day);
  if (key in makeUpWorkdays) return true;
  if (key in holidays) return false;
  const weekday = weekdayOf(day);
  return weekday >= 1 && weekday <= 5;
}

/** Whether instant `at` falls on a working day in `timeZone`. */
export function isWorkdayAt(at: Date, timeZone: string): boolean {
  return isWorkday(zonedParts(at, timeZone));
}

/** The `n`-th working day after `day` (n ≥ 1); `day` itself never counts. */
export function nextWorkday(day: PlainDate, n = 1): PlainDate {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`nextWorkday needs a positive integer n, got ${n}`);
  let current: PlainDate = { year: day.year, month: day.month, day: day.day };
  for (let left = n; left > 0; ) {
    current = addDays(current, 1);
    if (isWorkday(current)) left--;
  }
  return current;
}

/** The same wall-clock time `n` working days after `at` in `timeZone` (n = 0 gives `at`). */
export function addWorkdays(at: Date, n: number, timeZone: string): Date {
  if (n === 0) return at;
  const wall = zonedParts(at, timeZone);
  const day = nextWorkday(wall, n);
  return fromZoned({ ...day, hour: wall.hour, minute: wall.minute, second: wall.second }, timeZone);
}

/** The holidays of the State Council's calendar, by the short names its table uses. */
export const HOLIDAYS = ["元旦", "春节", "清明", "劳动节", "端午", "中秋", "国庆节"] as const;
export type Holiday = (typeof HOLIDAYS)[number];
/** Ids for message keys ("time.holiday.springFestival"): the table's names are Chinese. */
export const HOLIDAY_IDS: Record<Holiday, string> = {
  元旦: "newYear", 春节: "springFestival", 清明: "qingming", 劳动节: "labourDay", 端午: "dragonBoat", 中秋: "midAutumn", 国庆节: "nationalDay",
};

const holidayName = (key: string) => holidays[key]?.split(",")[1] as Holiday | undefined;

/** The first working day after a day off: the end of the break `day` falls in. */
function breakEnd(day: PlainDate): PlainDate {
  let current = day;
  while (!isWorkday(current)) current = addDays(current, 1);
  return current;
}

/**
 * The first working day after each break of `holiday` (any holiday when undefined) that the table knows, in
 * date order: 国庆节 2026 (10-01 … 10-07) gives 2026-10-08, 元旦 2026 the make-up Sunday 2026-01-04.
 */
export function workdaysAfterBreaks(holiday?: Holiday): PlainDate[] {
  const seen = new Map<string, PlainDate>();
  for (const key of Object.keys(holidays).sort()) {
    if (holiday && holidayName(key) !== holiday) continue;
    const [year, month, day] = key.split("-").map(Number) as [number, number, number];
    const end = breakEnd({ year, month, day });
    seen.set(isoDate(end), end);
  }
  return [...seen.values()];
}

/** The last year the holiday table covers (later years count as plain Monday–Friday). */
export const LAST_KNOWN_YEAR = Math.max(...Object.keys(holidays).map((key) => Number(key.slice(0, 4))));
