// What a leave request's dates mean: "下周一到周三", "12月3日上午到12月4日", "Dec 3 afternoon to Dec 4" → the
// first and last half-day taken and the working days they cost.
//
// Single days come from parseWhen, which already knows 明天, 下周一, 12月3日, Dec 3, next Monday …; this file
// cuts a part of day off before it becomes 15:00, reads the halves itself and joins two days into a range.
//
// Rules:
// - A day alone is that whole day; 上午/morning/am is its morning only, 下午/afternoon/pm its afternoon only,
//   全天/all day the whole day. A half alone (下午 家里有事) is today's.
// - In a range the start defaults to the morning and the end to the afternoon; 中午/noon starts a range in
//   the afternoon and ends one with the morning (alone it says neither, so it is refused).
// - The end of a range is read from its start unless it names its own day: 下周一到周三 ends that Wednesday,
//   周五到周二 the Tuesday after, 12月28日到1月3日 in January of the next year, "Dec 3-5" on the 5th. Words
//   tied to today (明天, 下周二, next Tue, this Fri) are read from today.
// - A weekday written with a date ("12月3日(周四)", "Thu 3 Dec") must agree with it.
// - Clock times (下午3点, 9:30), evenings and hour durations are not halves: refused, so the flow says why
//   instead of guessing — for hours, with the half days that cover them (下午2点到4点 → 下午). So are ranges
//   that end before they start, spans over a year and open-ended starts (从明天, 明天起, "from Monday").
//   readLeavePeriod says which; parseLeavePeriod only returns null.
// - Floating expressions count today (周五 said on a Friday is today); days already past are returned as
//   written (the flow refuses them, saying so), and a period with no working day in it is still a period
//   (workingDays 0). A date without a year up to 60 days behind today is that past day, not next year's.
// - 到/to/- may also just be words of the reason ("明天到北京出差", "tomorrow to see a doctor"): when no day
//   follows, the period is the first day alone and the rest starts at the separator.
import { normalize, parseWhen, type TimeRef } from "../../bot/time-parse.ts";
import { addDays, daysInMonth, fromZoned, weekdayOf, zonedParts, type PlainDate } from "../../bot/time-zone.ts";
import { packageCalendar, type WorkCalendar } from "../../bot/working-days.ts";

export type HalfDay = "am" | "pm";

/** One half of one day: am = the morning, pm = the afternoon. */
export interface HalfDaySlot {
  date: PlainDate;
  half: HalfDay;
}

export interface LeavePeriod {
  /** First half-day taken (am = the whole day from the morning). */
  start: HalfDaySlot;
  /** Last half-day taken (pm = to the end of that day). */
  end: HalfDaySlot;
  /** Working days it takes, in halves: Saturday/Sunday/holidays are free, 调休 make-up working days count. */
  workingDays: number;
  /** The text it was read from, the rest (e.g. a reason) left over. */
  matched: string;
  rest: string;
}

type HalfWord = HalfDay | "day" | "noon";
interface Point {
  date: PlainDate;
  half?: HalfWord;
  /** Offset just after it in the input. */
  end: number;
  /** Written with a month (12月3日, Dec 3), so a bare "5" after it is a day of that month. */
  hasMonth: boolean;
}
/** A point, "refused" for a time this file will not turn into halves, undefined for no day at all. */
type Read = Point | "refused" | undefined;
interface Scan {
  text: string;
  timeZone: string;
  today: PlainDate;
  calendar: WorkCalendar;
}

const DAY_MS = 86_400_000;
// Longer leave (婚假, 产假) is arranged on paper; a year also keeps counting loops short.
const MAX_SPAN_DAYS = 366;
// A date without a year this far behind today is the past one, not next year's.
const RECENT_DAYS = 60;

// ---- Patterns --------------------------------------------------------------------------------------------

const END = "(?![a-z0-9_'])";
const EN_DAY =
  "monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun";
const EN_MONTH =
  "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
const EN_WEEKDAY: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const ZH_WEEKDAY: Record<string, number> = { 日: 0, 天: 0, 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6 };
const ZH_HALF = "上午|早上|早晨|清晨|上半天|下午|午后|下半天|一整天|全天|整天|一天|中午|凌晨|半夜|傍晚|晚上|夜里|夜晚";
const EN_HALF = "a\\.m\\.?|am|morning|p\\.m\\.?|pm|afternoon|(?:the\\s+)?(?:all|full|whole)[\\s-]day|noon|midday|evening|night";

const re = (source: string) => new RegExp(source, "iy");
const RE = {
  spaces: re("\\s*"),
  from: re("(?:从|自)\\s*|from\\s+"),
  // 明天下午, 明天，下午, Dec 3 pm, tomorrow in the afternoon, Dec 3 at noon.
  half: re(`\\s*(?:[,，]\\s*)?(?:(${ZH_HALF})|(?:in\\s+the\\s+|at\\s+)?(${EN_HALF})${END})`),
  // A half with no day before it: 下午 (today's), or in a range's end 今天上午到下午 (the start's day).
  loneHalfZh: re("(上午|早上|上半天|下午|午后|下半天|全天|中午)"),
  loneHalf: re(`(上午|早上|上半天|下午|午后|下半天|全天|中午)|(?:in\\s+the\\s+|at\\s+)?(${EN_HALF})${END}`),
  thisHalf: re(`this\\s+(morning|afternoon)${END}`),
  // 下午3点, pm 3: an hour, not a half.
  clockAhead: re("\\s*(?:\\d|[零〇一二两三四五六七八九十]+\\s*[点时])"),
  separator: re(
    "\\s*(?:起\\s*)?(?:到|至|~|〜|-|–|—|－)\\s*|\\s+(?:to|until|till|through|thru)\\s+",
  ),
  until: re("\\s*为?止"),
  // 明天起, 12月3日开始, Monday onwards: an open-ended start, not a period.
  openEnded: re(`\\s*(?:起|开始|以后|之后|onwards?${END}|and\\s+after${END})`),
  // 12月3日(周四), 12月3日周四, Dec 3 (Thu): a weekday written after a date.
  weekdayNote: re(
    `\\s*[(（]\\s*(?:周|星期|礼拜)([一二三四五六日天])\\s*[)）]|(?:周|星期|礼拜)([一二三四五六日天])|\\s*[(（]\\s*(${EN_DAY})\\.?\\s*[)）]`,
  ),
  // Thu 3 Dec, Thursday, Dec 3: a weekday written before a date.
  enWeekdayBefore: re(`(${EN_DAY})\\.?,?\\s+(?=\\d|(?:${EN_MONTH})${END})`),
  // "Dec 3-5": the 5th, but not 5pm, 5点, 5 days.
  bareDay: re(
    `(\\d{1,2})(?:st|nd|rd|th)?(?![\\d:.])` +
      `(?!\\s*(?:[ap]\\.?m|o'?clock|hours?|hrs?|days?|weeks?|months?|minutes?|mins?)${END})(?!\\s*[点时天个周月年分])`,
  ),
};
// In parseWhen's matched text: clock times, sub-day durations and evenings, which have no half.
const REFUSED_TIME =
  /\d\s*(?:[:：点时]|[ap]\.?m(?![a-z]))|[零〇一二两三四五六七八九十]\s*[点时]|o'?clock|\bat\s+\d|秒|分钟|刻|小时|钟头|凌晨|半夜|晚|夜|\b(?:hours?|hrs?|minutes?|mins?|seconds?|secs?|evening|night|tonight)\b/i;
// The part of day parseWhen keeps with a day ("明天下午", "tomorrow afternoon"); it is cut off and read here.
const PART_OF_DAY = /早上|早晨|清晨|上午|中午|下午|午后|(?:\bat\s+|\bin\s+the\s+)?\b(?:morning|afternoon|noon|midday)\b/i;
// Day words tied to today rather than to a range's start.
const TODAY_RELATIVE = /今|明|后|下|本|这|昨|前天|上周|\b(?:next|this|coming|tomorrow|today|tmrw?|later|from\s+now|in|yesterday|last)\b/i;
// A day named from today (明天, 下周二, tomorrow), not a clock time on the start's day (4点, 下午4点).
const NAMES_DAY = /今|明|后天|昨|前天|[上下本这]一?个?(?:周|星期|礼拜|月)|\d+\s*[月日号/.-]|\b(?:next|this|coming|tomorrow|today|tmrw?|yesterday|last)\b/i;
// Evenings and nights: outside working hours, so no half of a working day.
const EVENING = /晚|夜|\b(?:evening|night|tonight)\b/i;
const HAS_MONTH = new RegExp(`月|\\d{4}[-/.]\\d|\\d{1,2}[/.]\\d{1,2}|\\b(?:${EN_MONTH})\\b`, "i");
const NAMES_WEEKDAY = new RegExp(`周|星期|礼拜|\\b(?:${EN_DAY})\\b`, "i");

function take(pattern: RegExp, text: string, pos: number): { m: RegExpExecArray; end: number } | undefined {
  pattern.lastIndex = pos;
  const m = pattern.exec(text);
  return m ? { m, end: pattern.lastIndex } : undefined;
}

function halfOf(word: string): HalfWord | "refused" {
  const w = word.toLowerCase().replace(/[\s.-]+/g, "");
  if (/^(上午|早上|早晨|清晨|上半天|am|morning)$/.test(w)) return "am";
  if (/^(下午|午后|下半天|pm|afternoon)$/.test(w)) return "pm";
  if (/^(中午|noon|midday)$/.test(w)) return "noon";
  if (/(天|day)$/.test(w)) return "day";
  return "refused"; // 晚上, evening: not a half of a working day
}

// ---- Reading one day -----------------------------------------------------------------------------------

/** A reference at midnight of `date`, so parseWhen's floating days (周五, 5号) count that day itself. */
function refAt(date: PlainDate, scan: Scan): TimeRef {
  return { now: fromZoned({ ...date, hour: 0, minute: 0 }, scan.timeZone), timeZone: scan.timeZone, calendar: scan.calendar };
}

function dateOf(at: Date, timeZone: string): PlainDate {
  const { year, month, day } = zonedParts(at, timeZone);
  return { year, month, day };
}

/** An optional half after a day at `pos` (明天|下午); refused if an hour follows it (下午3点). */
function withHalf(scan: Scan, date: PlainDate, pos: number, hasMonth: boolean, half?: HalfWord): Read {
  const found = take(RE.half, scan.text, pos);
  if (!found) return { date, half, end: pos, hasMonth };
  const word = halfOf(found.m[1] ?? found.m[2] ?? "");
  if (word === "refused" || take(RE.clockAhead, scan.text, found.end)) return "refused";
  return { date, half: word, end: found.end, hasMonth };
}

/** 下午, 全天 (today's), "this afternoon"; in a range's end also "pm" alone (the start's day). */
function readLoneHalf(scan: Scan, pos: number, start?: Point): Read {
  const lone = take(start ? RE.loneHalf : RE.loneHalfZh, scan.text, pos);
  const thisHalf = lone ? undefined : take(RE.thisHalf, scan.text, pos);
  const found = lone ?? thisHalf;
  if (!found) return undefined;
  const half = halfOf(found.m[1] ?? found.m[2] ?? "");
  if (half === "refused" || take(RE.clockAhead, scan.text, found.end)) return "refused";
  const date = thisHalf ? scan.today : (start?.date ?? scan.today);
  return { date, half, end: found.end, hasMonth: false };
}

/** A day parseWhen knows (明天, 下周一, 12月3日, Dec 3, next Monday), with its half and weekday note if any. */
function readDay(scan: Scan, pos: number, start?: Point): Read {
  const todayRef = refAt(scan.today, scan);
  const when = parseWhen(scan.text.slice(pos), todayRef);
  if (!when) return undefined;
  if (when.kind !== "once" || REFUSED_TIME.test(when.matched)) return "refused";
  const part = PART_OF_DAY.exec(when.matched);
  const dayText = (part ? when.matched.slice(0, part.index) : when.matched).replace(/[\s,，]+$/, "");
  if (!dayText) return "refused"; // a part of day alone that readLoneHalf does not take (早晨)

  // Read the day without its part of day, and a range's floating end (周三, 5号, 1月3日) from the start.
  const fromStart = start !== undefined && !TODAY_RELATIVE.test(dayText);
  const day = part || fromStart ? parseWhen(dayText, fromStart ? refAt(start.date, scan) : todayRef) : when;
  if (!day || day.kind !== "once" || day.matched !== dayText) return "refused";
  let date = dateOf(day.at, scan.timeZone);
  // 11月20日 said on 25 November is that past day (refused as past), not next year's: leave is rarely asked for
  // almost a year ahead, and a date a few weeks behind is a slip to tell the person about.
  const lastYears = { ...date, year: date.year - 1 };
  if (!fromStart && date.year > scan.today.year && !/\d{4}/.test(dayText) && dayNumber(scan.today) - dayNumber(lastYears) <= RECENT_DAYS) date = lastYears;
  // Read from the start, 12月28日到1月3日 crosses New Year; 12月5日到12月3日 goes backwards rather than a year on.
  if (fromStart && date.year > start.date.year && date.month >= start.date.month) return "refused";

  let end = pos + dayText.length;
  if (!NAMES_WEEKDAY.test(dayText)) {
    const note = take(RE.weekdayNote, scan.text, end);
    if (note) {
      const [, zhParen, zh, en] = note.m;
      const weekday = en ? EN_WEEKDAY[en.slice(0, 3).toLowerCase()] : ZH_WEEKDAY[zhParen ?? zh ?? ""];
      if (weekday !== weekdayOf(date)) return "refused";
      end = note.end;
    }
  }
  return withHalf(scan, date, end, HAS_MONTH.test(dayText), /^[今明]早$/.test(dayText) ? "am" : undefined);
}

/** "Thu 3 Dec", "Thursday, Dec 3": the date, if the weekday agrees. Undefined if no date follows the weekday. */
function readWeekdayThenDate(scan: Scan, pos: number, start?: Point): Read {
  const prefix = take(RE.enWeekdayBefore, scan.text, pos);
  if (!prefix) return undefined;
  const day = readDay(scan, prefix.end, start);
  if (day === undefined || day === "refused" || !day.hasMonth) return undefined; // "Monday 30th": read as Monday
  const weekday = EN_WEEKDAY[(prefix.m[1] ?? "").slice(0, 3).toLowerCase()];
  return weekday === weekdayOf(day.date) ? day : "refused";
}

/** The 5 of "Dec 3-5": that day of the start's month, or of the next month if already past. */
function readBareDay(scan: Scan, pos: number, start: Point): Read {
  const found = take(RE.bareDay, scan.text, pos);
  if (!found) return undefined;
  const day = Number(found.m[1]);
  const { year, month } = start.date;
  const next = month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 };
  const date = [{ year, month, day }, { ...next, day }].find(
    (d) => d.day >= 1 && d.day <= daysInMonth(d.year, d.month) && dayNumber(d) >= dayNumber(start.date),
  );
  return date ? withHalf(scan, date, found.end, true) : "refused";
}

function readPoint(scan: Scan, pos: number, start?: Point): Read {
  const lone = readLoneHalf(scan, pos, start);
  if (lone) return lone;
  const dated = readWeekdayThenDate(scan, pos, start);
  if (dated) return dated;
  const day = readDay(scan, pos, start);
  if (day !== undefined || !start?.hasMonth) return day;
  return readBareDay(scan, pos, start);
}

// ---- Whole periods -------------------------------------------------------------------------------------

function single(p: Point): [HalfDaySlot, HalfDaySlot] | undefined {
  const { date } = p;
  switch (p.half) {
    case undefined:
    case "day":
      return [{ date, half: "am" }, { date, half: "pm" }];
    case "am":
    case "pm":
      return [{ date, half: p.half }, { date, half: p.half }];
    case "noon":
      return undefined; // 明天中午: from noon, or until noon?
  }
}

function range(a: Point, b: Point): [HalfDaySlot, HalfDaySlot] {
  const startHalf: HalfDay = a.half === "pm" || a.half === "noon" ? "pm" : "am";
  const endHalf: HalfDay = b.half === "am" || b.half === "noon" ? "am" : "pm";
  return [{ date: a.date, half: startHalf }, { date: b.date, half: endHalf }];
}

function validRef(ref: TimeRef): PlainDate | undefined {
  if (!ref || !(ref.now instanceof Date) || Number.isNaN(ref.now.getTime()) || typeof ref.timeZone !== "string") {
    return undefined;
  }
  try {
    return dateOf(ref.now, ref.timeZone);
  } catch {
    return undefined; // not an IANA zone: Intl throws RangeError
  }
}

/** Why a leave period could not be read. `hours`: clock times, with the half days that cover them. */
export type LeaveRefusal =
  | { why: "unreadable" | "evening" | "noon" | "backwards" | "openEnded" | "tooLong" }
  | { why: "hours"; from: Date; to?: Date; halves: Pick<LeavePeriod, "start" | "end" | "workingDays">; rest: string };

/** Reads a leave period at the start of `input` ("下周一到周三 家里有事" → period + rest "家里有事"), or says why not. */
export function readLeavePeriod(input: string, ref: TimeRef): { period: LeavePeriod } | { refused: LeaveRefusal } {
  const today = typeof input === "string" ? validRef(ref) : undefined;
  if (!today) return { refused: { why: "unreadable" } };
  const scan: Scan = { text: normalize(input), timeZone: ref.timeZone, today, calendar: ref.calendar ?? packageCalendar };
  const begin = take(RE.spaces, scan.text, 0)?.end ?? 0;
  const from = take(RE.from, scan.text, begin);
  const refuse = (why: "unreadable" | "evening" | "noon" | "backwards" | "openEnded" | "tooLong") => ({ refused: { why } });
  const refusedTime = (start?: Point, endAt?: number) => {
    const hours = readHours(scan, from?.end ?? begin);
    if (hours) return { refused: hours };
    // 12月5日到12月3日: the end, read from today, is before the start.
    const end = start && endAt !== undefined ? parseWhen(scan.text.slice(endAt), refAt(scan.today, scan)) : null;
    if (start && end?.kind === "once" && dayNumber(dateOf(end.at, scan.timeZone)) < dayNumber(start.date)) return refuse("backwards");
    return refuse("unreadable");
  };

  const first = readPoint(scan, from?.end ?? begin);
  if (first === undefined) return refuse("unreadable");
  if (first === "refused") return refusedTime();
  let last: Point | undefined;
  const separator = take(RE.separator, scan.text, first.end);
  if (separator) {
    const second = readPoint(scan, separator.end, first);
    if (second === "refused") return refusedTime(first, separator.end);
    if (second) last = { ...second, end: take(RE.until, scan.text, second.end)?.end ?? second.end };
  }
  if (!last && (from || take(RE.openEnded, scan.text, first.end))) return refuse("openEnded"); // 从明天, 明天起

  const slots = last ? range(first, last) : single(first);
  if (!slots) return refuse("noon");
  const [start, end] = slots;
  if (halfIndex(end) < halfIndex(start)) return refuse("backwards");
  if (dayNumber(end.date) - dayNumber(start.date) >= MAX_SPAN_DAYS) return refuse("tooLong");
  const stop = (last ?? first).end;
  return {
    period: {
      start,
      end,
      workingDays: countWorkingDays(start, end, scan.calendar),
      matched: input.slice(begin, stop).trim(),
      rest: restAfter(input, stop),
    },
  };
}

/** Reads a leave period at the start of `input` ("下周一到周三 家里有事" → period + rest "家里有事"); null if none. */
export function parseLeavePeriod(input: string, ref: TimeRef): LeavePeriod | null {
  const read = readLeavePeriod(input, ref);
  return "period" in read ? read.period : null;
}

const restAfter = (input: string, stop: number) => input.slice(stop).replace(/^[\s,，:：;；、.。\-–—]+/, "").trim();

/**
 * Clock times where halves were expected ("明天下午2点到4点", "9:30", "明天晚上"): the evening, or the hours
 * with the half days covering them (a start before noon takes the morning, an end after noon the afternoon).
 * Undefined when no time is there to read.
 */
function readHours(scan: Scan, pos: number): LeaveRefusal | undefined {
  const todayRef = refAt(scan.today, scan);
  const start = parseWhen(scan.text.slice(pos), todayRef);
  if (!start || start.kind !== "once") return undefined;
  const timed = REFUSED_TIME.test(start.matched);
  if (EVENING.test(start.matched) && !/\d|[点时]/.test(start.matched.replace(EVENING, ""))) return { why: "evening" };
  let stop = pos + start.matched.length;
  let to: Date | undefined;
  const separator = take(RE.separator, scan.text, stop);
  if (separator) {
    // "到4点" is read on the start's day; "到后天上午10点" from today.
    const endText = scan.text.slice(separator.end);
    const onStartDay = parseWhen(endText, { now: start.at, timeZone: scan.timeZone, calendar: scan.calendar });
    const end = onStartDay && NAMES_DAY.test(onStartDay.matched) ? parseWhen(endText, todayRef) : onStartDay;
    if (end?.kind === "once" && end.at > start.at && (timed || REFUSED_TIME.test(end.matched))) {
      to = end.at;
      stop = separator.end + end.matched.length;
    }
  }
  if (!timed && !to) return undefined; // days only: refused for another reason
  const slot = (at: Date, isEnd: boolean): HalfDaySlot => {
    const p = zonedParts(at, scan.timeZone);
    const minutes = p.hour * 60 + p.minute;
    const date = { year: p.year, month: p.month, day: p.day };
    // An end at or before noon is still the morning; a start from noon on is the afternoon.
    return { date, half: isEnd ? (minutes <= 12 * 60 ? "am" : "pm") : minutes < 12 * 60 ? "am" : "pm" };
  };
  const first = slot(start.at, false);
  const last = to ? slot(to, true) : { ...first };
  const halves = { start: first, end: last, workingDays: countWorkingDays(first, last, scan.calendar) };
  return { why: "hours", from: start.at, ...(to ? { to } : {}), halves, rest: restAfter(scan.text, stop) };
}

// ---- Arithmetic ----------------------------------------------------------------------------------------

function dayNumber(date: PlainDate): number {
  return Date.UTC(date.year, date.month - 1, date.day) / DAY_MS;
}

/** Half-days since 1970-01-01 am: consecutive halves differ by one. */
function halfIndex(slot: HalfDaySlot): number {
  return dayNumber(slot.date) * 2 + (slot.half === "pm" ? 1 : 0);
}

/** Working days between two half-days inclusive, in steps of 0.5. */
export function countWorkingDays(start: HalfDaySlot, end: HalfDaySlot, calendar: WorkCalendar = packageCalendar): number {
  const first = dayNumber(start.date);
  const last = dayNumber(end.date);
  if (!Number.isFinite(first) || !Number.isFinite(last) || halfIndex(end) < halfIndex(start)) return 0;
  let halves = 0;
  for (let n = first; n <= last; n++) {
    const t = new Date(n * DAY_MS);
    if (!calendar.isWorkday({ year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() })) continue;
    halves += 2;
    if (n === first && start.half === "pm") halves--;
    if (n === last && end.half === "am") halves--;
  }
  return halves / 2;
}

/** Whether two periods overlap at half-day resolution. */
export function overlaps(a: Pick<LeavePeriod, "start" | "end">, b: Pick<LeavePeriod, "start" | "end">): boolean {
  return halfIndex(a.start) <= halfIndex(b.end) && halfIndex(b.start) <= halfIndex(a.end);
}

/**
 * The instants a period covers in `timeZone` (am = 00:00 of the start date, pm start = 12:00; end am = 12:00,
 * end pm = 24:00), for storing in the database.
 */
export function periodInstants(p: Pick<LeavePeriod, "start" | "end">, timeZone: string): { from: Date; to: Date } {
  const from = fromZoned({ ...p.start.date, hour: p.start.half === "am" ? 0 : 12, minute: 0 }, timeZone);
  const to =
    p.end.half === "am"
      ? fromZoned({ ...p.end.date, hour: 12, minute: 0 }, timeZone)
      : fromZoned({ ...addDays(p.end.date, 1), hour: 0, minute: 0 }, timeZone);
  return { from, to };
}

// ---- Words ---------------------------------------------------------------------------------------------

const ZH_WEEKDAY_NAMES = ["日", "一", "二", "三", "四", "五", "六"];
const EN_WEEKDAY_NAMES = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const EN_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/**
 * "12月3日(周四)上午 至 12月4日(周五)下午，共 2 个工作日" / "Thu 3 Dec am – Fri 4 Dec pm, 2 working days"; a single day
 * reads "12月3日(周四)全天…" / "Thu 3 Dec all day…". Years are shown when a date's differs from `currentYear`
 * (without it: when the two ends are in different years).
 */
export function describePeriod(
  p: Pick<LeavePeriod, "start" | "end" | "workingDays">,
  locale: "zh-CN" | "en",
  currentYear?: number,
): string {
  const { start, end } = p;
  const showYear =
    currentYear === undefined
      ? start.date.year !== end.date.year
      : start.date.year !== currentYear || end.date.year !== currentYear;
  const sameDay = dayNumber(start.date) === dayNumber(end.date);
  const days = String(p.workingDays);
  if (locale === "zh-CN") {
    const day = (d: PlainDate) =>
      `${showYear ? `${d.year}年` : ""}${d.month}月${d.day}日(周${ZH_WEEKDAY_NAMES[weekdayOf(d)]})`;
    const half = (h: HalfDay) => (h === "am" ? "上午" : "下午");
    const total = `，共 ${days} 个工作日`;
    if (!sameDay) return `${day(start.date)}${half(start.half)} 至 ${day(end.date)}${half(end.half)}${total}`;
    return `${day(start.date)}${start.half === end.half ? half(start.half) : "全天"}${total}`;
  }
  const day = (d: PlainDate) =>
    `${EN_WEEKDAY_NAMES[weekdayOf(d)]} ${d.day} ${EN_MONTH_NAMES[d.month - 1]}${showYear ? ` ${d.year}` : ""}`;
  const total = `, ${days} working day${p.workingDays === 1 ? "" : "s"}`;
  if (!sameDay) return `${day(start.date)} ${start.half} – ${day(end.date)} ${end.half}${total}`;
  return `${day(start.date)} ${start.half === end.half ? start.half : "all day"}${total}`;
}

/**
 * A period as someone would type it, which readLeavePeriod reads back: "明天下午", "12月3日上午到12月4日",
 * "tomorrow afternoon", "Dec 3 morning to Dec 4". Days near `today` by their word (今天/明天/后天).
 */
export function periodPhrase(p: Pick<LeavePeriod, "start" | "end">, locale: "zh-CN" | "en", today: PlainDate): string {
  const offset = (d: PlainDate) => dayNumber(d) - dayNumber(today);
  const zh = locale === "zh-CN";
  const day = (d: PlainDate) => {
    const near = (zh ? { 0: "今天", 1: "明天", 2: "后天" } : { 0: "today", 1: "tomorrow" } as Record<number, string>)[offset(d)];
    if (near) return near;
    const otherYear = d.year !== today.year;
    return zh ? `${otherYear ? `${d.year}年` : ""}${d.month}月${d.day}日` : `${EN_MONTH_NAMES[d.month - 1]} ${d.day}${otherYear ? ` ${d.year}` : ""}`;
  };
  const half = (h: HalfDay | undefined) => (!h ? "" : zh ? (h === "am" ? "上午" : "下午") : h === "am" ? " morning" : " afternoon");
  const { start, end } = p;
  if (dayNumber(start.date) === dayNumber(end.date)) return `${day(start.date)}${half(start.half === end.half ? start.half : undefined)}`;
  const from = `${day(start.date)}${half(start.half === "pm" ? "pm" : undefined)}`;
  const to = `${day(end.date)}${half(end.half === "am" ? "am" : undefined)}`;
  return zh ? `${from}到${to}` : `${from} to ${to}`;
}
