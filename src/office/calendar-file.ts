// The State Council's holiday arrangement as an office clerk types it from the notice (国务院办公厅关于20XX年部分
// 节假日安排的通知), in Chinese or English: what `relay calendar import FILE` and `/calendar import` read, and the
// line `/calendar add` reads. README.md ("The holiday calendar") documents the format; in short, one line per
// holiday, its days off and its make-up working days, the year first or on a line of its own:
//
//   2026年
//   一、元旦：1月1日（周四）至3日（周六）放假调休，共3天。1月4日（周日）上班。
//   2026 春节 放假 2月15日至2月23日 上班 2月14日、2月28日
//   放假 2026-04-04 至 2026-04-06 清明
//   2026 National Day off Oct 1 - Oct 7 work Sep 20, Oct 10
//
// Rules: `#` starts a comment. A year (a line "2026年", "2026" or the notice's title, or "2026" starting a line)
// holds until the next one. 放假/off and 上班/work come before their dates or after them (as the notice writes),
// never mixed on a line. Weekdays in brackets and 共N天 are checked against the dates; 农历 notes are ignored.
// Anything else that is not a holiday's name is an error: better a line number than a wrong calendar.
import type { Params } from "../bot/i18n/index.ts";
import { normalize } from "../bot/time-parse.ts";
import { addDays, compareDates, daysInMonth, isoDate, weekdayOf, type PlainDate } from "../bot/time-zone.ts";
import { EN_HOLIDAY, ZH_HOLIDAY, type ListedDay } from "../bot/working-days.ts";

export type DayKind = ListedDay["kind"];

/** A day the arrangement lists, with the line it came from. */
export interface ArrangedDay {
  date: PlainDate;
  kind: DayKind;
  name?: string;
  line: number;
}

/** One year's arrangement: the line that named the year and its days. */
export interface YearArrangement {
  year: number;
  line: number;
  days: ArrangedDay[];
}

export const CALENDAR_ERRORS = [
  "emptyFile", "noYear", "badDate", "backwards", "tooLong", "dayAlone", "rangeWithoutStart", "rangeWithoutEnd", "noVerb",
  "verbWithoutDates", "weekdayMismatch", "countMismatch", "unknownText", "twoNames", "duplicateDate", "workdayOnWeekday",
  "farFromYear", "yearWithoutDays", "noDates", "dateTwiceOnLine",
] as const;
export type CalendarErrorCode = (typeof CALENDAR_ERRORS)[number];

export interface CalendarError {
  line: number;
  code: CalendarErrorCode;
  params?: Params;
}

/** Every year the file names with its days; import only when `errors` is empty. */
export interface ParsedArrangement {
  years: YearArrangement[];
  errors: CalendarError[];
}

// A break longer than a month is a typo (the longest, Spring Festival, is nine days).
const MAX_BREAK_DAYS = 31;

const EN_MONTH = "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
const EN_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const EN_DAY = "monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun";
const ZH_WEEKDAY: Record<string, number> = { 日: 0, 天: 0, 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6 };
const EN_WEEKDAY: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const END = "(?![a-z0-9])";
// Holiday names as tokens (十一 is left out: the notice numbers its paragraphs 一、二、…).
const ZH_NAMES = Object.keys(ZH_HOLIDAY).filter((word) => word !== "十一").sort((a, b) => b.length - a.length).join("|");
const EN_NAMES =
  "new\\s+year(?:'s)?(?:\\s+day)?|spring\\s+festival|(?:chinese|lunar)\\s+new\\s+year|qingming(?:\\s+festival)?|tomb[-\\s]sweeping(?:\\s+day|\\s+festival)?|" +
  "labou?r\\s+day|may\\s+day|dragon\\s+boat(?:\\s+festival)?|mid[-\\s]autumn(?:\\s+festival)?|national\\s+day";

const re = (source: string) => new RegExp(source, "iy");
const RE = {
  space: re("\\s+"),
  bracket: re("\\(([^()]*)\\)"),
  iso: re("(\\d{4})[-/.](\\d{1,2})[-/.](\\d{1,2})(?!\\d)"),
  zhDate: re("(?:(\\d{4})\\s*年\\s*)?(\\d{1,2})\\s*月\\s*(\\d{1,2})\\s*[日号]"),
  zhDay: re("(\\d{1,2})\\s*[日号]"),
  bareDay: re("(\\d{1,2})(?:st|nd|rd|th)?(?!\\d)"),
  enMonthDay: re(`(${EN_MONTH})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?!\\d)(?:,?\\s+(\\d{4})(?!\\d))?`),
  enDayMonth: re(`(\\d{1,2})(?:st|nd|rd|th)?\\s+(${EN_MONTH})\\.?${END}(?:,?\\s+(\\d{4})(?!\\d))?`),
  weekday: re(`(?:周|星期|礼拜)([一二三四五六日天])|(${EN_DAY})\\.?${END}`),
  count: re(`共\\s*(\\d{1,2})\\s*天|(\\d{1,2})\\s+days?(?:\\s+in\\s+(?:all|total))?${END}`),
  off: re(`放假调休|放假|休假|(?:days?\\s+)?off${END}|holidays?${END}`),
  work: re(`调休上班|上班|补班|make-?up(?:\\s+work(?:ing)?)?(?:\\s+days?)?${END}|work(?:ing)?(?:\\s+days?)?${END}|workdays?${END}`),
  range: re(`至|到|~|–|—|-|(?:to|through|thru|until)${END}`),
  list: re(`[、,;]|和|及|(?:and${END})|&`),
  stop: re("[.:。!！]"),
  // Words of the notice that say nothing a calendar needs.
  filler: re("与周末连休|不调休"),
  name: re(`${ZH_NAMES}|(?:${EN_NAMES})${END}`),
};

type Token =
  | { t: "date"; year?: number; month: number; day: number; text: string }
  | { t: "day"; day: number; text: string }
  | { t: "weekday"; value: number; text: string }
  | { t: "count"; n: number }
  | { t: "verb"; kind: DayKind; text: string }
  | { t: "range" }
  | { t: "list" }
  | { t: "stop" }
  | { t: "name"; text: string }
  | { t: "unknown"; text: string };

function enMonth(word: string): number {
  return EN_MONTHS.indexOf(word.slice(0, 3).toLowerCase()) + 1;
}

function weekdayToken(m: RegExpExecArray): Token {
  const value = m[1] ? ZH_WEEKDAY[m[1]]! : EN_WEEKDAY[(m[2] ?? "").slice(0, 3).toLowerCase()]!;
  return { t: "weekday", value, text: m[0] };
}

/** What a bracket says: a weekday or a day count; anything else (农历腊月二十八) is a note. */
function bracketTokens(inside: string): Token[] {
  const tokens: Token[] = [];
  for (const part of inside.split(/[、,，\s]+/)) {
    const weekday = new RegExp(RE.weekday.source, "i").exec(part);
    if (weekday && weekday[0].length === part.length) tokens.push(weekdayToken(weekday));
    const count = new RegExp(RE.count.source, "i").exec(part);
    if (count) tokens.push({ t: "count", n: Number(count[1] ?? count[2]) });
  }
  return tokens;
}

/** The tokens of one line (already without its comment, ordinal and year). */
function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let pending = "";
  let pos = 0;
  const take = (pattern: RegExp) => {
    pattern.lastIndex = pos;
    const m = pattern.exec(text);
    if (m) pos = pattern.lastIndex;
    return m;
  };
  const flush = () => {
    if (pending.trim()) tokens.push({ t: "unknown", text: pending.trim() });
    pending = "";
  };
  const push = (token: Token) => {
    flush();
    tokens.push(token);
  };
  while (pos < text.length) {
    let m: RegExpExecArray | null;
    if ((m = take(RE.space))) {
      if (pending) pending += " ";
    } else if ((m = take(RE.bracket))) {
      flush();
      tokens.push(...bracketTokens(m[1] ?? ""));
    } else if ((m = take(RE.iso))) push({ t: "date", year: Number(m[1]), month: Number(m[2]), day: Number(m[3]), text: m[0] });
    else if ((m = take(RE.zhDate))) push({ t: "date", year: m[1] ? Number(m[1]) : undefined, month: Number(m[2]), day: Number(m[3]), text: m[0] });
    else if ((m = take(RE.enMonthDay))) push({ t: "date", year: m[3] ? Number(m[3]) : undefined, month: enMonth(m[1]!), day: Number(m[2]), text: m[0] });
    else if ((m = take(RE.enDayMonth))) push({ t: "date", year: m[3] ? Number(m[3]) : undefined, month: enMonth(m[2]!), day: Number(m[1]), text: m[0] });
    else if ((m = take(RE.zhDay))) push({ t: "day", day: Number(m[1]), text: m[0] });
    // "Feb 6 - 12": a bare number ends a range in the start's month.
    else if (tokens.at(-1)?.t === "range" && !pending.trim() && (m = take(RE.bareDay))) push({ t: "day", day: Number(m[1]), text: m[0] });
    else if ((m = take(RE.count))) push({ t: "count", n: Number(m[1] ?? m[2]) });
    else if ((m = take(RE.weekday))) push(weekdayToken(m));
    else if ((m = take(RE.off))) push({ t: "verb", kind: "holiday", text: m[0] });
    else if ((m = take(RE.work))) push({ t: "verb", kind: "workday", text: m[0] });
    else if ((m = take(RE.name))) push({ t: "name", text: m[0] });
    else if ((m = take(RE.filler))) continue;
    else if ((m = take(RE.range))) push({ t: "range" });
    else if ((m = take(RE.list))) push({ t: "list" });
    else if ((m = take(RE.stop))) push({ t: "stop" });
    else {
      // Not a word of the format: a holiday's own name (泼水节), or a slip the line will be refused for.
      pending += text[pos];
      pos++;
    }
  }
  if (pending.trim()) tokens.push({ t: "unknown", text: pending.trim() });
  return tokens;
}

/** A holiday's name as the calendar stores it: 春节, 中秋、国庆节 for a joint break, or an office's own name as written. */
function canonicalName(parts: string[]): string {
  return parts
    .map((part) => ZH_HOLIDAY[part] ?? EN_HOLIDAY.find(([word]) => word.test(part))?.[1] ?? part)
    .filter((name, i, all) => all.indexOf(name) === i)
    .join("、");
}

/** How a line names its dates' year: the year in force, or (none given) the date's own. */
interface LineContext {
  line: number;
  year?: number;
  /** For chat, where no year is declared: a date without a year is its next occurrence from this day. */
  today?: PlainDate;
}

type DateToken = Extract<Token, { t: "date" }>;
type Weekday = { value: number; text: string };
/** One day or a range, with the weekdays written beside its ends (checked against the dates). */
type Item = { from: DateToken; fromWeekday?: Weekday; to?: DateToken | Extract<Token, { t: "day" }>; toWeekday?: Weekday };
type Fail = { error: CalendarError };
type LineDays = { days: ArrangedDay[]; year?: number };

function fail(line: number, code: CalendarErrorCode, params?: Params): Fail {
  return { error: { line, code, ...(params ? { params } : {}) } };
}

function validDate(year: number, month: number, day: number): PlainDate | undefined {
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  return { year, month, day };
}

/** The year of a date written without one: the line's, or in chat the next such day's. */
function yearFor(token: DateToken, ctx: LineContext): number | undefined {
  if (token.year !== undefined) return token.year;
  if (ctx.year !== undefined) return ctx.year;
  if (!ctx.today) return undefined;
  const thisYear = validDate(ctx.today.year, token.month, token.day);
  return thisYear && compareDates(thisYear, ctx.today) >= 0 ? ctx.today.year : ctx.today.year + 1;
}

function checkWeekday(date: PlainDate, written: Weekday | undefined, ctx: LineContext): Fail | undefined {
  if (!written || written.value === weekdayOf(date)) return undefined;
  return fail(ctx.line, "weekdayMismatch", { date: isoDate(date), written: written.text, weekday: weekdayOf(date) });
}

/** The dates an item covers: one day, or a range (an end without a year follows its start, into January if need be). */
function itemDates(item: Item, ctx: LineContext): PlainDate[] | Fail {
  const year = yearFor(item.from, ctx);
  if (year === undefined) return fail(ctx.line, "noYear", { text: item.from.text });
  const from = validDate(year, item.from.month, item.from.day);
  if (!from) return fail(ctx.line, "badDate", { text: item.from.text });
  const wrongStart = checkWeekday(from, item.fromWeekday, ctx);
  if (wrongStart) return wrongStart;
  if (!item.to) return [from];
  const end = item.to;
  const to =
    end.t === "day"
      ? validDate(from.year, from.month, end.day)
      : validDate(end.year ?? (end.month < from.month ? from.year + 1 : from.year), end.month, end.day);
  if (!to) return fail(ctx.line, "badDate", { text: end.t === "day" ? `${item.from.text}-${end.text}` : end.text });
  const wrongEnd = checkWeekday(to, item.toWeekday, ctx);
  if (wrongEnd) return wrongEnd;
  if (compareDates(to, from) < 0) return fail(ctx.line, "backwards", { from: isoDate(from), to: isoDate(to) });
  const days: PlainDate[] = [];
  for (let d = from; compareDates(d, to) <= 0; d = addDays(d, 1)) {
    if (days.length === MAX_BREAK_DAYS) return fail(ctx.line, "tooLong", { from: isoDate(from), to: isoDate(to), max: MAX_BREAK_DAYS });
    days.push(d);
  }
  return days;
}

/** Reads one line's days: its dates, which are off and which are worked, and the holiday they belong to. */
function readLine(text: string, ctx: LineContext): LineDays | Fail {
  const tokens = tokenize(text);
  const names: string[][] = [];
  const elements: Array<{ verb: Extract<Token, { t: "verb" }> } | { item: Item }> = [];
  let count: number | undefined;
  let open: Item | undefined;
  let ranging = false;
  let previous: Token | undefined;
  let beforePrevious: Token | undefined;
  const close = (): Fail | undefined => {
    if (ranging) return fail(ctx.line, "rangeWithoutEnd");
    if (open) elements.push({ item: open });
    open = undefined;
    return undefined;
  };
  for (const token of tokens) {
    switch (token.t) {
      case "date":
        if (ranging && open) {
          open.to = token;
          ranging = false;
        } else {
          const closed = close();
          if (closed) return closed;
          open = { from: token };
        }
        break;
      case "day":
        if (!ranging || !open) return fail(ctx.line, "dayAlone", { text: token.text });
        open.to = token;
        ranging = false;
        break;
      case "weekday":
        // 1月1日（周四）至3日（周六）: the weekday of the end just written.
        if (!open || (previous?.t !== "date" && previous?.t !== "day")) return fail(ctx.line, "unknownText", { text: token.text });
        if (open.to) open.toWeekday = { value: token.value, text: token.text };
        else open.fromWeekday = { value: token.value, text: token.text };
        break;
      case "range":
        if (!open || open.to) return fail(ctx.line, "rangeWithoutStart");
        ranging = true;
        break;
      case "verb": {
        const closed = close();
        if (closed) return closed;
        elements.push({ verb: token });
        break;
      }
      case "count":
        count = token.n;
        break;
      case "name":
        // 中秋节、国庆节: one joint break.
        if (previous?.t === "list" && beforePrevious?.t === "name") names.at(-1)!.push(token.text);
        else names.push([token.text]);
        break;
      case "unknown":
        names.push([token.text]);
        break;
      case "list":
      case "stop": {
        const closed = close();
        if (closed) return closed;
        break;
      }
    }
    beforePrevious = previous;
    previous = token;
  }
  const closed = close();
  if (closed) return closed;

  // A name of its own (泼水节) is taken only alone: beside a known holiday, or after another such word (taken as
  // the name), it is a slip.
  const unknown = tokens.flatMap((t) => (t.t === "unknown" ? [t.text] : []));
  const known = tokens.some((t) => t.t === "name");
  const slips = known ? unknown : unknown.slice(1);
  if (slips.length > 0) return fail(ctx.line, "unknownText", { text: slips.join(" / ") });
  if (names.length > 1) return fail(ctx.line, "twoNames", { first: names[0]!.join("、"), second: names[1]!.join("、") });
  const name = names[0] ? canonicalName(names[0]) : undefined;

  const items = elements.filter((e): e is { item: Item } => "item" in e);
  const verbs = elements.filter((e): e is { verb: Extract<Token, { t: "verb" }> } => "verb" in e);
  if (items.length === 0) return verbs.length > 0 ? fail(ctx.line, "verbWithoutDates", { verb: verbs[0]!.verb.text }) : fail(ctx.line, "noDates");
  if (verbs.length === 0) return fail(ctx.line, "noVerb", { dates: items.map((i) => i.item.from.text).join("、") });

  // "放假 2月6日至12日 上班 2月14日" (the verb first) or "2月6日至12日放假，2月14日上班" (as the notice writes it).
  const verbFirst = "verb" in elements[0]!;
  const kinds: Array<{ kind: DayKind; item: Item }> = [];
  let current: Extract<Token, { t: "verb" }> | undefined;
  let owned = 0;
  const ordered = verbFirst ? elements : [...elements].reverse();
  for (const element of ordered) {
    if ("verb" in element) {
      if (current && owned === 0) return fail(ctx.line, "verbWithoutDates", { verb: current.text });
      current = element.verb;
      owned = 0;
    } else if (!current) return fail(ctx.line, "noVerb", { dates: element.item.from.text });
    else {
      kinds.push({ kind: current.kind, item: element.item });
      owned++;
    }
  }
  if (current && owned === 0) return fail(ctx.line, "verbWithoutDates", { verb: current.text });

  const days: ArrangedDay[] = [];
  let firstYear: number | undefined;
  for (const { kind, item } of verbFirst ? kinds : kinds.reverse()) {
    const dates = itemDates(item, ctx);
    if ("error" in dates) return dates;
    firstYear ??= dates[0]!.year;
    for (const date of dates) days.push({ date, kind, ...(name ? { name } : {}), line: ctx.line });
  }
  const off = days.filter((d) => d.kind === "holiday").length;
  if (count !== undefined && count !== off) return fail(ctx.line, "countMismatch", { written: count, actual: off });
  return { days, year: ctx.year ?? firstYear };
}

// A line that only names the year: "2026年", "2026", "year 2026", or the notice's title.
const YEAR_LINE = /^(?:(?:year|年份)\s*[:：]?\s*)?(\d{4})\s*年?\s*[:：]?$|^(?:国务院办公厅)?关于\s*(\d{4})\s*年部分节假日安排的通知$/i;
// A year that starts a line of days: "2026 春节 …", "2026年春节 …" (not "2026年2月15日", a date).
const YEAR_PREFIX = /^(\d{4})(?:\s*年(?!\s*\d{1,2}\s*月)|(?=\s))\s*/;
// The notice numbers its paragraphs: "一、", "二、"; a list may too: "1.", "2)".
const ORDINAL = /^(?:[一二三四五六七八九十]+|\d{1,2})\s*[、.)](?!\d)\s*/;

/** Reads a whole arrangement file (or pasted text): every error, each with its line, and the days of each year it names. */
export function parseArrangement(text: string): ParsedArrangement {
  const errors: CalendarError[] = [];
  const years = new Map<number, YearArrangement>();
  const seen = new Map<string, number>();
  // Years with lines under them: one whose lines were all wrong is not also "empty".
  const written = new Set<number>();
  let year: number | undefined;
  const named = (y: number, line: number) => {
    if (!years.has(y)) years.set(y, { year: y, line, days: [] });
    return years.get(y)!;
  };
  text.split(/\r\n|\r|\n/).forEach((raw, index) => {
    const line = index + 1;
    let rest = normalize(raw).replace(/#.*$/, "").trim();
    if (!rest) return;
    const title = YEAR_LINE.exec(rest);
    if (title) {
      year = Number(title[1] ?? title[2]);
      named(year, line);
      return;
    }
    rest = rest.replace(ORDINAL, "");
    const prefix = YEAR_PREFIX.exec(rest);
    if (prefix) {
      year = Number(prefix[1]);
      named(year, line);
      rest = rest.slice(prefix[0].length);
    }
    if (year !== undefined) written.add(year);
    const read = readLine(rest, { line, year });
    if ("error" in read) return void errors.push(read.error);
    const arrangement = named(read.year!, line);
    for (const day of read.days) {
      const key = isoDate(day.date);
      const other = seen.get(key);
      if (other === line) return void errors.push({ line, code: "dateTwiceOnLine", params: { date: key } });
      if (other !== undefined) return void errors.push({ line, code: "duplicateDate", params: { date: key, other } });
      if (!nearYear(day.date, arrangement.year)) return void errors.push({ line, code: "farFromYear", params: { date: key, year: arrangement.year } });
      const weekday = weekdayOf(day.date);
      // A make-up working day is a weekend day: a weekday would change nothing, so it is a slip.
      if (day.kind === "workday" && weekday >= 1 && weekday <= 5) return void errors.push({ line, code: "workdayOnWeekday", params: { date: key, weekday } });
      seen.set(key, line);
    }
    arrangement.days.push(...read.days);
  });
  for (const y of years.values()) if (y.days.length === 0 && !written.has(y.year)) errors.push({ line: y.line, code: "yearWithoutDays", params: { year: y.year } });
  if (years.size === 0 && errors.length === 0) errors.push({ line: 1, code: "emptyFile" });
  errors.sort((a, b) => a.line - b.line);
  return { years: [...years.values()], errors };
}

/** A year's arrangement holds its own days and, for a break across New Year, a few of the neighbouring month's. */
function nearYear(date: PlainDate, year: number): boolean {
  return date.year === year || (date.year === year - 1 && date.month === 12) || (date.year === year + 1 && date.month === 1);
}

/** One line of days as `/calendar add` takes it ("放假 2026-02-15 至 2026-02-23 春节"); a date without a year is the next such day. */
export function parseDaysLine(text: string, today: PlainDate): { days: ArrangedDay[] } | Fail {
  const line = normalize(text).trim();
  const prefix = YEAR_PREFIX.exec(line);
  const read = readLine(prefix ? line.slice(prefix[0].length) : line, { line: 1, today, year: prefix ? Number(prefix[1]) : undefined });
  return "error" in read ? read : { days: read.days };
}

/** The dates `/calendar remove` names: "2026-02-15", "2月15日至23日", "Feb 15, Feb 16". */
export function parseDates(text: string, today: PlainDate): { dates: PlainDate[] } | Fail {
  // Read as days off: the kind does not matter here, the dates do.
  const read = readLine(`放假 ${normalize(text).trim()}`, { line: 1, today });
  if ("error" in read) return read.error.code === "verbWithoutDates" ? fail(1, "noDates") : read;
  return { dates: read.days.map((d) => d.date) };
}
