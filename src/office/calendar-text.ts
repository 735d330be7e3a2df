// The holiday calendar in words, for `/calendar`, `relay calendar` and the replies to changes: which years are
// covered by what, the breaks ahead, what an import did, and what is wrong with a line.
import { t, type Locale, type MessageKey } from "../bot/i18n/index.ts";
import { addDays, compareDates, weekdayOf, type PlainDate } from "../bot/time-zone.ts";
import { HOLIDAY_IDS, holidaysIn, PACKAGE_TABLE, type ListedDay } from "../bot/working-days.ts";
import type { ArrangedDay, CalendarError } from "./calendar-file.ts";
import type { YearImported } from "./calendar-store.ts";
import type { OfficeCalendar } from "./office-calendar.ts";

const EN_WEEKDAYS = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const EN_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** "2月15日(周日)" / "Sun 15 Feb", with the year when it is not `currentYear`. */
export function formatDay(date: PlainDate, locale: Locale, currentYear?: number): string {
  const year = date.year !== currentYear;
  if (locale === "zh-CN") return `${year ? `${date.year}年` : ""}${date.month}月${date.day}日(${t(locale, `calendar.weekday.${weekdayOf(date)}` as MessageKey)})`;
  return `${EN_WEEKDAYS[weekdayOf(date)]} ${date.day} ${EN_MONTHS[date.month - 1]}${year ? ` ${date.year}` : ""}`;
}

/** A holiday's name in `locale`: 春节 / Spring Festival; an office's own name as it was written. */
export function holidayName(name: string | undefined, locale: Locale): string {
  if (!name) return t(locale, "calendar.unnamed");
  if (locale === "zh-CN") return name;
  const known = holidaysIn(name);
  return known.length === name.split("、").length ? known.map((h) => t(locale, `time.holiday.${HOLIDAY_IDS[h]}` as MessageKey)).join(", ") : name;
}

/** Consecutive dates as ranges: 2月15日(周日)至2月23日(周一)、2月28日(周六). */
function dateRanges(dates: PlainDate[], locale: Locale, currentYear?: number): string {
  const sorted = [...dates].sort(compareDates);
  const runs: Array<[PlainDate, PlainDate]> = [];
  for (const date of sorted) {
    const last = runs.at(-1);
    if (last && compareDates(addDays(last[1], 1), date) === 0) last[1] = date;
    else runs.push([date, date]);
  }
  return runs
    .map(([from, to]) => (compareDates(from, to) === 0 ? formatDay(from, locale, currentYear) : t(locale, "calendar.range", { from: formatDay(from, locale, currentYear), to: formatDay(to, locale, currentYear) })))
    .join(locale === "zh-CN" ? "、" : ", ");
}

/** "2月15日(周日)至2月23日(周一)放假；2月14日(周六)上班": one holiday's days, off first as the notice puts them. */
function breakText(days: Array<{ date: PlainDate; kind: ListedDay["kind"] }>, locale: Locale, currentYear?: number): string {
  const off = days.filter((d) => d.kind === "holiday").map((d) => d.date);
  const work = days.filter((d) => d.kind === "workday").map((d) => d.date);
  return [
    ...(off.length ? [t(locale, "calendar.offDays", { dates: dateRanges(off, locale, currentYear) })] : []),
    ...(work.length ? [t(locale, "calendar.workDays", { dates: dateRanges(work, locale, currentYear) })] : []),
  ].join(locale === "zh-CN" ? "；" : "; ");
}

/** The days just set, for the reply: "2026-02-15 至 2026-02-23 放假（春节）". */
export function describeDays(days: ArrangedDay[], locale: Locale, currentYear: number): string {
  const byKind = (kind: ArrangedDay["kind"]) => days.filter((d) => d.kind === kind);
  const named = (name: string | undefined) => (name ? (locale === "zh-CN" ? `（${name}）` : ` (${holidayName(name, locale)})`) : "");
  return (["holiday", "workday"] as const)
    .filter((kind) => byKind(kind).length > 0)
    .map((kind) => t(locale, kind === "holiday" ? "calendar.setHoliday" : "calendar.setWorkday", { dates: dateRanges(byKind(kind).map((d) => d.date), locale, currentYear), name: named(byKind(kind)[0]!.name) }))
    .join(locale === "zh-CN" ? "；" : "; ");
}

/** Line-numbered (for a file or pasted lines) or not (one line in chat). */
export function calendarErrorText(error: CalendarError, locale: Locale, numbered = true): string {
  const params = { ...error.params };
  if (typeof params.weekday === "number") params.weekday = t(locale, `calendar.weekday.${params.weekday}` as MessageKey);
  const text = t(locale, `calendar.error.${error.code}` as MessageKey, params);
  return numbered ? t(locale, "calendar.lineError", { line: error.line, text }) : text;
}

/** Why nothing was stored: every bad line. */
export function describeErrors(errors: CalendarError[], locale: Locale): string {
  return [t(locale, "calendar.importFailed", { count: errors.length }), ...errors.map((e) => calendarErrorText(e, locale))].join("\n");
}

/** What an import did, a line a year. */
export function describeImport(done: YearImported[], locale: Locale): string {
  return done
    .flatMap(({ year, holidays, workdays, replaced }) => {
      const counts = new Map<string, number>();
      for (const d of holidays) counts.set(holidayName(d.name, locale), (counts.get(holidayName(d.name, locale)) ?? 0) + 1);
      const list = [...counts].map(([name, n]) => (locale === "zh-CN" ? `${name} ${n} 天` : `${name} ${n}`)).join(locale === "zh-CN" ? "、" : ", ");
      const names = list ? (locale === "zh-CN" ? `（${list}）` : ` (${list})`) : "";
      const line = t(locale, "calendar.imported", { year, holidays: holidays.length, workdays: workdays.length, names });
      return replaced > 0 ? [line, t(locale, "calendar.replaced", { year, count: replaced })] : [line];
    })
    .join("\n");
}

/** How far ahead /calendar lists the breaks: the rest of this year and all of the next. */
function horizon(today: PlainDate): PlainDate {
  return { year: today.year + 1, month: 12, day: 31 };
}

/** /calendar: where each year's holidays come from (and which are missing), then the breaks ahead. */
export function describeCalendar(calendar: OfficeCalendar, today: PlainDate, locale: Locale, format: (at: Date) => string): string {
  const lines = [t(locale, "calendar.heading")];
  lines.push(t(locale, "calendar.coveredPackage", { from: PACKAGE_TABLE.firstYear, to: PACKAGE_TABLE.lastYear, name: PACKAGE_TABLE.name, version: PACKAGE_TABLE.version }));
  const office = calendar.officeYears();
  for (const y of office) {
    const source = y.source === "chat" ? t(locale, "calendar.sourceChat") : y.source;
    lines.push(t(locale, "calendar.coveredOffice", { year: y.year, source, when: format(y.importedAt) }));
  }
  const end = horizon(today);
  const missing = calendar.uncoveredYears(today, end);
  for (const year of missing) lines.push(t(locale, "calendar.uncoveredYear", { year }));
  if (missing.length) lines.push(t(locale, "calendar.uncoveredHint", { year: missing[0]! }));

  // One line per holiday and year, in the order the breaks come.
  const groups = new Map<string, Array<ListedDay & { date: PlainDate }>>();
  for (const day of calendar.listed(today, end)) {
    const key = `${day.date.year}|${day.name ?? ""}`;
    groups.set(key, [...(groups.get(key) ?? []), day]);
  }
  lines.push("", groups.size ? t(locale, "calendar.ahead") : t(locale, "calendar.nothingAhead"));
  const imported = new Set(office.map((y) => y.year));
  for (const days of groups.values()) {
    const first = days[0]!;
    // In a year the office loaded whole, every day is the office's: only overrides of chinese-days are marked.
    const mark = days.some((d) => d.office) && !imported.has(first.date.year) ? t(locale, "calendar.officeMark") : "";
    lines.push(t(locale, "calendar.group", { name: holidayName(first.name, locale), days: breakText(days, locale, today.year) }) + mark);
  }
  return lines.join("\n");
}
