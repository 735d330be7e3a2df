// Mainland China working days: Monday–Friday, minus official holidays, plus 调休 make-up days (e.g. Saturday
// 2026-10-10 after National Day).
//
// A WorkCalendar answers from a table of dates. The default one is chinese-days' published table; an office's
// own calendar (src/office/office-calendar.ts) lays the days it loaded from the State Council's notice over it,
// and is passed explicitly to whatever counts working days, so two offices in one process never share state.
//
// We read chinese-days' table instead of calling its isWorkday(): that function formats dates with the
// process's local-time getters and parses "YYYY-MM-DD" as UTC midnight, so under TZ=America/New_York it calls
// Saturday 2026-11-28 a working day. The table is keyed by plain dates and has no such problem.
// A year neither the table nor the office covers counts as plain Monday–Friday; `covers` says which those are,
// so callers can say so instead of pretending to know.
import arrangement from "chinese-days/dist/chinese-days.json" with { type: "json" };
import packageInfo from "chinese-days/package.json" with { type: "json" };
import { addDays, compareDates, fromZoned, isoDate, weekdayOf, zonedParts, type PlainDate } from "./time-zone.ts";

/** The holidays of the State Council's calendar, by the short names its table uses. */
export const HOLIDAYS = ["元旦", "春节", "清明", "劳动节", "端午", "中秋", "国庆节"] as const;
export type Holiday = (typeof HOLIDAYS)[number];
/** Ids for message keys ("time.holiday.springFestival"): the table's names are Chinese. */
export const HOLIDAY_IDS: Record<Holiday, string> = {
  元旦: "newYear", 春节: "springFestival", 清明: "qingming", 劳动节: "labourDay", 端午: "dragonBoat", 中秋: "midAutumn", 国庆节: "nationalDay",
};

// The holidays as people name them: in Chinese (节后 / 假期后: whichever break comes next) and words of English names.
export const ZH_HOLIDAY: Record<string, Holiday> = {
  元旦: "元旦", 新年: "元旦", 春节: "春节", 过年: "春节", 清明: "清明", 清明节: "清明", 劳动节: "劳动节", 五一: "劳动节",
  端午: "端午", 端午节: "端午", 中秋: "中秋", 中秋节: "中秋", 国庆: "国庆节", 国庆节: "国庆节", 十一: "国庆节",
};
export const EN_HOLIDAY: Array<[RegExp, Holiday]> = [
  [/^new/i, "元旦"], [/spring|chinese|lunar/i, "春节"], [/qingming|tomb/i, "清明"], [/labou?r|may/i, "劳动节"],
  [/dragon/i, "端午"], [/autumn/i, "中秋"], [/national/i, "国庆节"],
];

/** A date the calendar lists: a day off (holiday) or a 调休 make-up working day, with the holiday it belongs to. */
export interface ListedDay {
  kind: "holiday" | "workday";
  /** 春节, or 中秋、国庆节 for a joint break; a name the office gave; none when unnamed. */
  name?: string;
  /** Set by the office (it wins over chinese-days for that date). */
  office?: boolean;
}

/** The holidays named in `name` ("中秋、国庆节" names two). */
export function holidaysIn(name: string | undefined): Holiday[] {
  return (name ?? "").split("、").filter((part): part is Holiday => (HOLIDAYS as readonly string[]).includes(part));
}

/** A calendar of working days: a table of listed dates over plain Monday–Friday, and the years it covers. */
export class WorkCalendar {
  private days: ReadonlyMap<string, ListedDay>;
  private years: ReadonlySet<number>;
  /** Dates of listed days off, in order: the breaks "节后第一个工作日" looks through. */
  private holidayDates: string[];

  constructor(days: Iterable<[string, ListedDay]>, years: Iterable<number>) {
    this.days = new Map(days);
    this.years = new Set(years);
    this.holidayDates = [...this.days].filter(([, d]) => d.kind === "holiday").map(([date]) => date).sort();
  }

  /** Takes over `other`'s table (an office calendar that reloaded: whoever holds this object sees the new days). */
  protected adopt(other: WorkCalendar): void {
    this.days = other.days;
    this.years = other.years;
    this.holidayDates = other.holidayDates;
  }

  /** This calendar with `office` days laid over it (each wins for its date) and `years` covered as well. */
  withOffice(office: Iterable<[string, ListedDay]>, years: Iterable<number>): WorkCalendar {
    const days = new Map(this.days);
    for (const [date, day] of office) days.set(date, { ...day, office: true });
    return new WorkCalendar(days, [...this.years, ...years]);
  }

  /** Whether `day` is a working day (holidays off, 调休 make-up days on). */
  isWorkday(day: PlainDate): boolean {
    const listed = this.days.get(isoDate(day));
    if (listed) return listed.kind === "workday";
    const weekday = weekdayOf(day);
    return weekday >= 1 && weekday <= 5;
  }

  /** What the calendar lists for `day`, if anything (a plain weekday or weekend is not listed). */
  dayOf(day: PlainDate): ListedDay | undefined {
    return this.days.get(isoDate(day));
  }

  /** Whether the State Council's arrangement for `year` is known: in chinese-days' table or loaded by the office. */
  covers(year: number): boolean {
    return this.years.has(year);
  }

  /** The years from `from` to `to` (inclusive) that the calendar does not cover, where it counts plain Monday–Friday. */
  uncoveredYears(from: PlainDate, to: PlainDate): number[] {
    const years: number[] = [];
    for (let year = from.year; year <= to.year; year++) if (!this.covers(year)) years.push(year);
    return years;
  }

  /** The listed days from `from` to `to` inclusive, in date order. */
  listed(from: PlainDate, to: PlainDate): Array<ListedDay & { date: PlainDate }> {
    const [start, end] = [isoDate(from), isoDate(to)];
    return [...this.days]
      .filter(([date]) => date >= start && date <= end)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([date, day]) => ({ ...day, date: parseIso(date) }));
  }

  /** Whether instant `at` falls on a working day in `timeZone`. */
  isWorkdayAt(at: Date, timeZone: string): boolean {
    return this.isWorkday(zonedParts(at, timeZone));
  }

  /** The `n`-th working day after `day` (n ≥ 1); `day` itself never counts. */
  nextWorkday(day: PlainDate, n = 1): PlainDate {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`nextWorkday needs a positive integer n, got ${n}`);
    let current: PlainDate = { year: day.year, month: day.month, day: day.day };
    for (let left = n; left > 0; ) {
      current = addDays(current, 1);
      if (this.isWorkday(current)) left--;
    }
    return current;
  }

  /** The same wall-clock time `n` working days after `at` in `timeZone` (n = 0 gives `at`). */
  addWorkdays(at: Date, n: number, timeZone: string): Date {
    if (n === 0) return at;
    const wall = zonedParts(at, timeZone);
    const day = this.nextWorkday(wall, n);
    return fromZoned({ ...day, hour: wall.hour, minute: wall.minute, second: wall.second }, timeZone);
  }

  /**
   * The first working day after each break of `holiday` (any holiday when undefined) that the calendar lists, in
   * date order: 国庆节 2026 (10-01 … 10-07) gives 2026-10-08, 元旦 2026 the make-up Sunday 2026-01-04.
   */
  workdaysAfterBreaks(holiday?: Holiday): PlainDate[] {
    const seen = new Map<string, PlainDate>();
    for (const date of this.holidayDates) {
      if (holiday && !holidaysIn(this.days.get(date)?.name).includes(holiday)) continue;
      let end = parseIso(date);
      while (!this.isWorkday(end)) end = addDays(end, 1);
      seen.set(isoDate(end), end);
    }
    return [...seen.values()].sort(compareDates);
  }
}

/** "2026-10-01" → the date. */
export function parseIso(date: string): PlainDate {
  const [year = 0, month = 0, day = 0] = date.split("-").map(Number);
  return { year, month, day };
}

// chinese-days' values look like "National Day,国庆节,3": the second field is the holiday's short name.
function packageDays(): Array<[string, ListedDay]> {
  const named = (kind: ListedDay["kind"]) => ([date, value]: [string, string]): [string, ListedDay] => [date, { kind, name: value.split(",")[1] }];
  return [...Object.entries(arrangement.holidays).map(named("holiday")), ...Object.entries(arrangement.workdays).map(named("workday"))];
}

const packageYears = Object.keys(arrangement.holidays).map((date) => Number(date.slice(0, 4)));

/** What chinese-days covers, for saying where the calendar comes from: "chinese-days 1.5.7, 2004–2026". */
export const PACKAGE_TABLE = {
  name: "chinese-days",
  version: packageInfo.version,
  firstYear: Math.min(...packageYears),
  lastYear: Math.max(...packageYears),
} as const;

/** The State Council's calendar as chinese-days publishes it: the default wherever no office calendar is given. */
export const packageCalendar = new WorkCalendar(packageDays(), new Set(packageYears));
