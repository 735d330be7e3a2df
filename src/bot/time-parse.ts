// Reads a time expression at the start of a message ("明天下午3点交材料", "every weekday 8:30 stand-up") and
// resolves it in the office's time zone. This is the one time vocabulary of Relay: reminders, deadlines, leave
// periods, the seal register and `relay when` all read times here, so "月底" means the same instant everywhere.
//
// A small hand-written grammar rather than chrono-node: chrono.zh reads 两点一刻 as 02:01, 本周五 as next
// Friday and "10分钟后" in the process's zone, misses 大后天 and 月底, and neither language knows Chinese
// working days or "every …". One grammar for both languages also keeps the defaults below identical.
//
// Defaults:
// - A day without a time is at 09:00, except (a) "by" phrases, which are due at the end of that working day,
//   18:00, everywhere: 月底, 年底, 周五前, 下班前, 3个工作日内, 3天内, "by Friday", "within 3 working days";
//   and (b) when read as a deadline (TimeRef.deadline), where any day alone is 18:00 — so "周五" said on a
//   Friday afternoon is due today — and 上午/下午 alone end at 12:00/18:00.
// - A part of day alone: 上午/早上/morning 09:00, 中午/noon 12:00, 下午/afternoon 15:00, 傍晚 18:00,
//   晚上/今晚/evening/tonight 20:00.
// - 下午/晚上/pm + 1–11 add 12; 中午 + 1–10 add 12; 晚上12点 is the midnight ending that day; 凌晨12点/12am is 00:00.
// - A bare hour 1–6 ("3点", "at 3", "3:30") is afternoon: an office reminder rarely means 3 a.m.
//   A leading zero ("03:30"), 凌晨/早上 or "am" asks for the morning.
// - Floating expressions take the first occurrence whose time is still ahead (today included): a bare time
//   (else tomorrow), a bare weekday (周三, Friday: else next week), a day of month (5号, 月中, the 5th: else
//   next month), 月底 (else next month's), 国庆节后第一个工作日 (else next year's). When the first had passed,
//   `passed` says which, so the reply can tell the user "今天 15:00 已过，定在明天 15:00".
// - Fixed expressions (今天, 今晚, 明天, 本周五, 下周一, 昨天, 上周五, a full date) are returned as written even if
//   already past, so the caller can say "that time has passed" instead of silently moving it.
// - A date without a year that is before today means next year's.
// - 下周X / "next X" is X in the next Monday-based week; 本周X/这周X is X in this one; 上周X / "last X" the last.
// - A week alone (下周, 本周, "next week") names no day: readWhen reports it as unclear, except as a deadline or
//   a "by" phrase (下周前, 本周内), where it is the week's last working day from Monday to Friday, 18:00.
// - X后第一个工作日 (元旦, 春节, 国庆节 …; 节后 any holiday) is the first working day after that holiday's
//   break, from the State Council's table (chinese-days); a year the table does not cover is unclear, not guessed.
// - Durations in seconds, minutes or hours are exact; in days, weeks, months or working days ("3天后",
//   "in 3 days", "3个工作日后") they keep the current time of day unless a time follows ("3天后下午3点") or they
//   are read as a deadline. 内/以内 after a duration, or "within", is a "by" phrase: "3个工作日内" is the end of
//   the third working day from now. Hours and minutes combine ("1小时30分钟后", "in 1h30m", "in an hour and a half").
// - 上班 is 09:00; 下班 (前/时/后), end of day, EOD, COB are 18:00, the end of the working day.
// - 周末 is the week's Saturday; 月初 the 1st; 月中 the 15th; 12月初/12月中 that month's 1st and 15th;
//   月底/12月底/年底 the month's last working day (what an office means by a deadline 月底).
// - 12/3 and 12.3 are month/day, as Chinese offices write dates (3 December).
// - "By" words are read with the time and dropped: 周五前, 下班之前, 今天之内, "by Friday", "before 5pm".
//   A bare 前/内 only where a word ends, so 明天前往 and 明天内容 keep theirs.
// - Durations beyond ten years are not read as times.
// - Recurring rules without a time fire at 09:00; "每月31号" fires on the last day of shorter months;
//   每月最后一个工作日 follows the holiday calendar; 每两周周一 / "every other Monday" counts weeks from the first.
import {
  addDays,
  compareDates,
  daysInMonth,
  formatClock,
  fromZoned,
  isoDate,
  weekdayOf,
  zonedParts,
  type PlainDate,
  type ZonedParts,
} from "./time-zone.ts";
import { EN_HOLIDAY, packageCalendar, ZH_HOLIDAY, type Holiday, type WorkCalendar } from "./working-days.ts";

export interface HM {
  hour: number;
  minute: number;
}
export type Recurrence =
  | { every: "day"; time: HM }
  | { every: "workday"; time: HM } // Chinese working days, holidays skipped, 调休 Saturdays included
  // 0 = Sunday … 6 = Saturday; with `interval` (每两周) only every interval-th week counted from the Monday `anchor`.
  | { every: "week"; weekdays: number[]; time: HM; interval?: number; anchor?: string }
  | { every: "month"; day: number | "last" | "lastWorkday" | "firstWorkday"; time: HM };
export type When =
  /** `passed`: the first reading of a floating expression, already behind us, which `at` moved on from. */
  | { kind: "once"; at: Date; matched: string; rest: string; passed?: Date }
  | { kind: "recurring"; rule: Recurrence; first: Date; matched: string; rest: string };
/** A time phrase that names no instant: a week without its day, or a holiday break the table does not know yet. */
export type Unclear =
  | { kind: "unclear"; reason: "week"; matched: string; rest: string }
  | { kind: "unclear"; reason: "holiday"; holiday?: Holiday; year: number; matched: string; rest: string };
export interface TimeRef {
  now: Date;
  timeZone: string;
  /**
   * Read as a deadline: a day alone is due at the end of that working day (18:00), 上午/下午 alone at their end
   * (12:00/18:00), a day-long duration (3天后) at 18:00 too, and a week (下周) on its last working day.
   */
  deadline?: boolean;
  /** Which days are working days: the office's calendar; chinese-days' table when left out (pure uses, tests). */
  calendar?: WorkCalendar;
}

type Part = "am" | "pm" | "dawn" | "morning" | "noon" | "afternoon" | "dusk" | "evening";
interface Clock {
  hour: number;
  minute: number;
  /** Written with a leading zero ("03:30"), so not subject to the office-hours reading. */
  twentyFour: boolean;
}
interface TimeSpec {
  part?: Part;
  clock?: Clock;
}
interface DaySpec {
  /** Candidates in order: the first whose time is still ahead wins, else the last (a lone one is fixed). */
  days: PlainDate[];
  part?: Part;
  /** Time of day when none is written (a duration keeps the current one), unless read as a deadline. */
  time?: HM & { second: number };
  /** A "by" phrase in itself (月底, 3个工作日内): due at the end of the working day unless a time is written. */
  by?: boolean;
  /** A week without its day (下周): only a deadline or a "by" phrase gives it one. */
  week?: boolean;
  /** A holiday break the table does not cover (days is empty). */
  unknownHoliday?: { holiday?: Holiday; year: number };
}
interface Context {
  now: Date;
  timeZone: string;
  today: ZonedParts;
  deadline: boolean;
  calendar: WorkCalendar;
}

const DEFAULT_TIME: HM = { hour: 9, minute: 0 };
/** The end of the working day: what a deadline without a time means. */
export const END_OF_DAY: HM = { hour: 18, minute: 0 };
// A part of day alone, read as a deadline: by the end of it.
const PART_END: Partial<Record<Part, HM>> = { morning: { hour: 12, minute: 0 }, afternoon: END_OF_DAY };
const PART_DEFAULT: Partial<Record<Part, HM>> = {
  morning: { hour: 9, minute: 0 },
  noon: { hour: 12, minute: 0 },
  afternoon: { hour: 15, minute: 0 },
  dusk: { hour: 18, minute: 0 },
  evening: { hour: 20, minute: 0 },
};
const MAX_DAYS_AHEAD = 3660; // ten years

const DAY_MS = 86_400_000;

// ---- Lexicon ---------------------------------------------------------------------------------------------

const CN_DIGIT: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };
// 0–99 in Chinese numerals: 三, 十, 十二, 二十五, 零五 (as in 九点零五).
const CN_NUM = "[二两三四五六七八九]?十[一二三四五六七八九]?|[零〇]?[零〇一二两三四五六七八九]";
const INT = `\\d{1,2}|${CN_NUM}`;
// 周1 … 周7 also occur in quick typing.
const ZH_WEEKDAY: Record<string, number> = {
  日: 0, 天: 0, 7: 0, 末: 6, 一: 1, 1: 1, 二: 2, 2: 2, 三: 3, 3: 3, 四: 4, 4: 4, 五: 5, 5: 5, 六: 6, 6: 6,
};
const ZH_PART: Record<string, Part> = {
  凌晨: "dawn",
  半夜: "dawn",
  早上: "morning",
  早晨: "morning",
  清晨: "morning",
  上午: "morning",
  中午: "noon",
  下午: "afternoon",
  午后: "afternoon",
  傍晚: "dusk",
  晚上: "evening",
  夜里: "evening",
  夜晚: "evening",
};
const ZH_DAY_WORD: Record<string, { offset: number; part?: Part }> = {
  今天: { offset: 0 },
  今日: { offset: 0 },
  今早: { offset: 0, part: "morning" },
  今晚: { offset: 0, part: "evening" },
  明天: { offset: 1 },
  明日: { offset: 1 },
  明早: { offset: 1, part: "morning" },
  明晚: { offset: 1, part: "evening" },
  后天: { offset: 2 },
  大后天: { offset: 3 },
  // Past days, so "昨天" can be answered "that has passed" rather than "I do not understand".
  昨天: { offset: -1 },
  昨日: { offset: -1 },
  昨晚: { offset: -1, part: "evening" },
  前天: { offset: -2 },
};
// English words end where no letter, digit or apostrophe follows ("tomorrow's" is not "tomorrow").
const END = "(?![a-z0-9_'])";
const EN_DAY =
  "monday|mon|tuesday|tues|tue|wednesday|wed|thursday|thurs|thur|thu|friday|fri|saturday|sat|sunday|sun";
const EN_WEEKDAY: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };
const EN_MONTH =
  "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?";
const EN_MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const EN_NUMBER: Record<string, number> = {
  a: 1, an: 1, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6,
  seven: 7, eight: 8, nine: 9, ten: 10, eleven: 11, twelve: 12,
};
const EN_AMOUNT = `\\d+(?:\\.\\d+)?|half\\s+an?|${Object.keys(EN_NUMBER).join("|")}`;
const EN_UNIT =
  "(?:working|business|work)\\s*days?|workdays?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|weeks?|months?";
const EN_PART: Record<string, Part> = { morning: "morning", afternoon: "afternoon", evening: "evening", night: "evening" };
const EN_WORKDAY = "(?:working|work|business)\\s+day";

type ClockUnit = "second" | "minute" | "quarter" | "hour";
type CalendarUnit = "day" | "week" | "month" | "workday";
type Unit = ClockUnit | CalendarUnit;
const UNIT_MS: Record<ClockUnit, number> = { second: 1000, minute: 60_000, quarter: 900_000, hour: 3_600_000 };
// Length in days; rough for months and working days, where it only serves to refuse far-off durations early.
const UNIT_DAYS: Record<CalendarUnit, number> = { day: 1, week: 7, month: 31, workday: 2 };
const isClockUnit = (unit: Unit): unit is ClockUnit => unit in UNIT_MS;

function unitOf(word: string): Unit {
  const w = word.toLowerCase().replace(/\s+/g, "");
  if (/^(秒|sec)/.test(w)) return "second";
  if (w === "刻钟") return "quarter";
  if (/^(分|min)/.test(w)) return "minute";
  if (/^(小时|钟头|h)/.test(w)) return "hour";
  if (/^(工作日|working|business|work)/.test(w)) return "workday";
  if (/^(周|星期|礼拜|week)/.test(w)) return "week";
  if (/^(月|month)/.test(w)) return "month";
  return "day";
}

/** "12", "1.5", "十二", "二十五", "零五", "an" → the number. */
function toNumber(text: string): number {
  const word = text.toLowerCase();
  if (word in EN_NUMBER) return EN_NUMBER[word] ?? NaN;
  if (/^\d/.test(word)) return Number(word);
  const [tens, ones] = word.split("十");
  if (ones === undefined) return Number([...word].map((c) => CN_DIGIT[c] ?? "").join(""));
  return (tens ? (CN_DIGIT[tens] ?? NaN) : 1) * 10 + (ones ? (CN_DIGIT[ones] ?? NaN) : 0);
}

// ---- Patterns (all sticky: they match only at the cursor) -------------------------------------------------

const re = (source: string) => new RegExp(source, "iy");
const RE = {
  gap: re("\\s*(?:[,，]\\s*)?"),
  spaces: re("\\s*"),

  zhEveryDay: re("每天|每日|天天"),
  zhEveryWorkday: re("每个?工作日"),
  zhEveryWeek: re("每个?(?:周|星期|礼拜)([一二三四五六日天]|[1-7](?!\\d))"),
  // 每两周周一, 每隔一周的周一, 隔周周一: every other week.
  zhEveryNWeeks: re("(?:每隔一周|隔周|每([两二三四2-4])周)的?(?:周|星期|礼拜)([一二三四五六日天]|[1-7](?!\\d))"),
  // More days after 每周一: 三五, 、三, 和周三; not 每周五五点 (that 五 starts the time).
  zhMoreWeekdays: re("[、,，和及与]?(?:周|星期|礼拜)?([一二三四五六日天])(?![点时])"),
  zhWeekdayRange: re("(?:至|到|~|-)(?:周|星期|礼拜)?([一二三四五六日天]|[1-7](?!\\d))"),
  zhEveryMonthDay: re(`每个?月(${INT})[号日]`),
  zhEveryMonthEnd: re("每个?月(?:底|末|最后一天)"),
  zhEveryMonthWorkday: re("每个?月的?(最后一个|第一个|首个)工作日"),
  enEveryDay: re(`(?:every\\s*day|daily)${END}`),
  enEveryWorkday: re(`every\\s+(?:weekday|working\\s+day|work\\s*day|business\\s+day)${END}`),
  enEveryWeek: re(`every\\s+(${EN_DAY})${END}`),
  enEveryNWeeks: re(
    `(?:every\\s+(?:other|second|2nd)|(?:every\\s+(two|2|three|3|four|4)\\s+weeks|biweekly|fortnightly)\\s+on)\\s+(${EN_DAY})s?${END}`,
  ),
  enMoreWeekdays: re(`(?:\\s*,\\s*(?:and\\s+)?|\\s+(?:and|&)\\s+)(${EN_DAY})${END}`),
  enEveryMonthDay: re(`(?:every\\s+month|monthly)(?:\\s+on)?\\s+the\\s+(\\d{1,2})(?:st|nd|rd|th)?${END}`),
  enEveryMonthEnd: re(`(?:every\\s+month|monthly)(?:\\s+on)?\\s+the\\s+last\\s+day${END}`),
  enEveryMonthWorkday: re(
    `(?:(?:every\\s+month|monthly)(?:\\s+on)?\\s+the\\s+(last|first)\\s+${EN_WORKDAY}|(?:on\\s+)?the\\s+(last|first)\\s+${EN_WORKDAY}\\s+of\\s+(?:every|each|the)\\s+month)${END}`,
  ),

  // "内" (within) counts like "后" but is a "by" phrase: "3个工作日内" is the end of the third working day.
  zhDuration: re(`(?:(\\d+(?:\\.\\d+)?|${CN_NUM})个?(半)?|半个?)(秒钟?|分钟?|刻钟|小时|钟头|工作日|天|日|周|星期|礼拜|月)(之后|以后|后|之内|以内|内)`),
  zhHoursMinutes: re(`(\\d+|${CN_NUM})个?(?:小时|钟头)零?(\\d+|${CN_NUM})分钟?(?:之后|以后|后|之内|以内|内)`),
  enHoursMinutes: re(
    `in\\s+(\\d+|an?|one)\\s*(?:hours?|hrs?|h)\\s*(?:and\\s+)?(?:(\\d+)\\s*(?:minutes?|mins?|m)|(a\\s+half))${END}`,
  ),
  enDuration: re(
    `(in|within)\\s+(${EN_AMOUNT})\\s*(${EN_UNIT})${END}|(${EN_AMOUNT})\\s*(${EN_UNIT})\\s+(?:from\\s+now|later)${END}`,
  ),

  zhDayWord: re("大后天|后天|明天|明日|明早|明晚|今天|今日|今早|今晚|昨天|昨日|昨晚|前天"),
  enDayWord: re(
    `((?:the\\s+)?day\\s+after\\s+tomorrow|(?:the\\s+)?day\\s+before\\s+yesterday|tomorrow|tmrw|tmr|today|tonight|yesterday)` +
      `(?:\\s+(morning|afternoon|evening|night))?${END}|this\\s+(morning|afternoon|evening)${END}|last\\s+(night)${END}`,
  ),
  // 周末 is its Saturday.
  zhWeekday: re("(下下个?|下一?个?|这一?个?|本|上上个?|上一?个?)?(?:周|星期|礼拜)([一二三四五六日天末]|[1-7](?!\\d))"),
  enWeekday: re(`(?:on\\s+)?(?:(next|this|coming|last)\\s+)?(${EN_DAY})${END}`),
  // A week without its day: 下周, 本周, "next week"; "the end of the week" is its last working day.
  zhWeek: re("(下下个?|下一?个?|这一?个?|本)(?:周|星期|礼拜)(?![一二三四五六日天末1-7])"),
  enWeek: re(`(?:(?:the\\s+)?(end)\\s+of\\s+(?:the\\s+|this\\s+)?|(next|this)\\s+)week${END}|(?:the\\s+)?end\\s+of\\s+(next)\\s+week${END}`),
  zhAfterHoliday: re(
    `(元旦|新年|春节|过年|清明节?|劳动节|五一|端午节?|中秋节?|国庆节?|十一|节|假期|长假|放假)(?:假期|长假|放假)?(?:之后|以后|后)的?(?:第一|首)个?(?:工作日|上班日)`,
  ),
  enAfterHoliday: re(
    `(?:on\\s+)?(?:the\\s+)?first\\s+${EN_WORKDAY}\\s+after\\s+(?:the\\s+)?` +
      `(new\\s+year(?:'s)?(?:\\s+day)?|spring\\s+festival|(?:chinese|lunar)\\s+new\\s+year|qingming(?:\\s+festival)?|tomb[-\\s]sweeping\\s+day|` +
      `labou?r\\s+day|may\\s+day|dragon\\s+boat\\s+festival|mid[-\\s]autumn(?:\\s+festival)?|national\\s+day|holidays?|break)${END}`,
  ),
  isoDate: re("(\\d{4})[-/.](\\d{1,2})[-/.](\\d{1,2})(?!\\d)(?:T(?=\\d))?"),
  zhDate: re(`(?:(\\d{4})年)?(${INT})月(${INT})[日号]`),
  enMonthDay: re(`(?:on\\s+)?(${EN_MONTH})\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?(?:,?\\s+(\\d{4}))?${END}`),
  enDayMonth: re(`(?:on\\s+)?(\\d{1,2})(?:st|nd|rd|th)?\\s+(?:of\\s+)?(${EN_MONTH})(?:,?\\s+(\\d{4}))?${END}`),
  zhMonthEnd: re("(?:(本|这个?|下一?个?)月|月)[底末]"),
  enMonthEnd: re(`(?:at\\s+)?(?:the\\s+)?end\\s+of\\s+(?:the\\s+|this\\s+|(next)\\s+)?month${END}`),
  // 月中, 下个月中, 月中旬: the 15th; "mid-month", "the middle of next month".
  zhMonthMiddle: re("(?:(本|这个?|下一?个?)月|月)中旬?(?!午)"),
  enMonthMiddle: re(`(?:mid[-\\s]?month|(?:the\\s+)?middle\\s+of\\s+(?:the\\s+|this\\s+|(next)\\s+)?month)${END}`),
  enMidMonth: re(`mid[-\\s]?(${EN_MONTH})${END}`),
  zhMonthDay: re(`(?:(本|这个?|下一?个?)月)?(${INT})[号日]`),
  zhMonthStart: re("(?:(本|这个?|下一?个?)月|月)初"),
  zhNamedMonthEdge: re(`(${INT})月(初|[底末]|中旬?(?!午))`),
  zhYearEnd: re("(今|明|下一?个?)?年[底末]"),
  // 12/3, 12.3: month and day, as offices write them.
  shortDate: re("(\\d{1,2})[/.](\\d{1,2})(?![\\d./:])"),
  enMonthDayOrdinal: re(`(?:on\\s+)?the\\s+(\\d{1,2})(?:st|nd|rd|th)(?:\\s+of\\s+(this|next)\\s+month)?${END}`),
  zhNextWorkday: re("下一?个?工作日"),
  enNextWorkday: re(`(?:the\\s+)?next\\s+(?:working\\s+day|work\\s*day|business\\s+day)${END}`),

  zhPart: re("凌晨|半夜|早上|早晨|清晨|上午|中午|下午|午后|傍晚|晚上|夜里|夜晚"),
  // After a day only ("Dec 3 afternoon", "Monday morning"): alone, "morning" is more likely a word of the text.
  enPart: re(`(?:in\\s+the\\s+)?(morning|afternoon|evening)${END}|(?:at\\s+)?(night)${END}`),
  // The working day's edges: 上班 09:00, 下班 (end of day, close of business) 18:00.
  workEdge: re(
    `([上下])班[前时后]?|(?:at\\s+|by\\s+)?(?:the\\s+)?(?:end\\s+of\\s+(?:the\\s+)?(?:working\\s+|work\\s+|business\\s+)?day|eod|cob|close\\s+of\\s+business)${END}`,
  ),
  // "By" a time: 周五前, 下班之前, 今天之内; "by Friday", "before 5pm". A bare 前/内 only where a word ends (not 前往, 内容).
  zhBefore: re("之前|以前|之内|以内|[前内](?=$|[\\s,，。.:：;；!！])"),
  enBefore: re(`(?:by|before|until|till|no\\s+later\\s+than)\\s+`),
  // Not 一点点 ("a little"), which is no time.
  zhClock: re(`(${INT})(?:点钟?|时)(?!点)(?:(半)|([一1三3])刻|整|(${INT})分?)?`),
  // 9:30, 15:00, 3pm, 3:30 p.m., 9 o'clock, at 9, and a bare 8 (see parseTime).
  clock: re(`(at\\s+)?(\\d{1,2})(?::(\\d{2}))?(?:\\s*([ap])\\.?m\\.?|\\s*(o'?clock))?${END}`),
  noon: re(`(?:at\\s+)?(?:noon|midday)${END}`),
  enPartSuffix: re(`\\s+(?:in\\s+the\\s+(morning|afternoon|evening)|at\\s+(night))${END}`),
};

// ---- Scanner -------------------------------------------------------------------------------------------

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  /** Matches sticky `pattern` at the cursor and moves past it. */
  take(pattern: RegExp): RegExpExecArray | null {
    pattern.lastIndex = this.pos;
    const match = pattern.exec(this.text);
    if (match) this.pos = pattern.lastIndex;
    return match;
  }

  /** Runs `parse`; if it finds nothing, puts the cursor back where it was. */
  attempt<T>(parse: () => T | undefined): T | undefined {
    const start = this.pos;
    const result = parse();
    if (result === undefined) this.pos = start;
    return result;
  }

  /** The first parser that finds something. */
  first<T>(parsers: Array<() => T | undefined>): T | undefined {
    for (const parse of parsers) {
      const result = this.attempt(parse);
      if (result !== undefined) return result;
    }
    return undefined;
  }
}

// ---- Times of day --------------------------------------------------------------------------------------

function parseClock(sc: Scanner): { clock: Clock; part?: Part; bare?: boolean } | undefined {
  if (sc.take(RE.noon)) return { clock: { hour: 12, minute: 0, twentyFour: true }, part: "noon" };
  const zh = sc.take(RE.zhClock);
  if (zh) {
    const [, hourText = "", half, quarter, minuteText] = zh;
    const minute = half ? 30 : quarter ? (/[一1]/.test(quarter) ? 15 : 45) : minuteText ? toNumber(minuteText) : 0;
    return validClock(toNumber(hourText), minute, false);
  }
  const m = sc.take(RE.clock);
  if (!m) return undefined;
  const [, at, hourText = "", minuteText, meridiem, oclock] = m;
  const hour = Number(hourText);
  if (meridiem && (hour < 1 || hour > 12)) return undefined;
  const twentyFour = minuteText !== undefined && hourText.length === 2 && hourText.startsWith("0");
  const result = validClock(hour, minuteText ? Number(minuteText) : 0, twentyFour);
  if (!result) return undefined;
  if (meridiem) return { ...result, part: meridiem.toLowerCase() === "a" ? "am" : "pm" };
  return { ...result, bare: !at && !minuteText && !oclock };
}

function validClock(hour: number, minute: number, twentyFour: boolean): { clock: Clock } | undefined {
  return hour <= 23 && minute <= 59 ? { clock: { hour, minute, twentyFour } } : undefined;
}

/**
 * 下午3点, 十点半, 两点一刻, 9:30, 3pm, at 9 in the evening, 中午 — a part of day, a clock time, or both. After a
 * day (`afterDay`) also the English parts: "Dec 3 afternoon", "Monday morning".
 */
function parseTime(sc: Scanner, afterDay = false): TimeSpec | undefined {
  const edge = sc.take(RE.workEdge);
  // The edges are clock times: 上班 is 09:00 even for a deadline, where 上午 alone would end at 12:00.
  if (edge) return edge[1] === "上" ? { part: "morning", clock: { hour: 9, minute: 0, twentyFour: true } } : { part: "dusk", clock: { hour: 18, minute: 0, twentyFour: true } };
  return sc.attempt(() => {
    const zhPart = sc.take(RE.zhPart);
    const enPart = zhPart || !afterDay ? null : sc.take(RE.enPart);
    const part = zhPart ? ZH_PART[zhPart[0]] : enPart ? EN_PART[(enPart[1] ?? enPart[2] ?? "").toLowerCase()] : undefined;
    const timed = sc.attempt((): TimeSpec | undefined => {
      if (part) sc.take(RE.spaces);
      const clock = parseClock(sc);
      const suffix = clock && sc.take(RE.enPartSuffix);
      const suffixPart = suffix ? EN_PART[(suffix[1] ?? suffix[2] ?? "").toLowerCase()] : undefined;
      // A bare number is a time only before "in the evening" (or after "at"): "3 copies" is not.
      if (!clock || (clock.bare && !suffixPart)) return undefined;
      return { part: clock.part ?? suffixPart ?? part, clock: clock.clock };
    });
    return timed ?? (part && PART_DEFAULT[part] ? { part } : undefined);
  });
}

/** The 24-hour time for a clock reading and a part of day (`by`: a part alone means its end); undefined if neither says anything. */
function toHM(part: Part | undefined, clock: Clock | undefined, by = false): HM | undefined {
  if (!clock) return part ? ((by ? PART_END[part] : undefined) ?? PART_DEFAULT[part]) : undefined;
  const { hour, minute } = clock;
  if (part) return { hour: withPart(hour, part), minute };
  return { hour: !clock.twentyFour && hour >= 1 && hour <= 6 ? hour + 12 : hour, minute };
}

function withPart(hour: number, part: Part): number {
  if (hour > 12) return hour; // "下午15点" is already on the 24-hour clock
  switch (part) {
    case "am":
    case "dawn":
      return hour % 12;
    case "morning":
      return hour;
    case "noon":
      return hour >= 11 ? hour : hour + 12;
    case "pm":
    case "afternoon":
    case "dusk":
      return hour === 12 ? 12 : hour + 12;
    case "evening":
      return hour + 12; // 晚上12点 → 24:00, i.e. 00:00 the next day
  }
}

// ---- Days ----------------------------------------------------------------------------------------------

function validDate(year: number, month: number, day: number): PlainDate | undefined {
  if (year < 1900 || year > 9999 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    return undefined;
  }
  return { year, month, day };
}

/** A month and day with no year: this year's, or next year's if that day is already behind us. */
function upcomingDate(month: number, day: number, ctx: Context): PlainDate | undefined {
  const thisYear = validDate(ctx.today.year, month, day);
  if (thisYear && compareDates(thisYear, ctx.today) >= 0) return thisYear;
  return validDate(ctx.today.year + 1, month, day);
}

/** Day `day` of the month `months` after `base`'s; "last" or a day past the month's end gives its last day. */
function dayOfMonth(base: PlainDate, months: number, day: number | "last"): PlainDate {
  const index = base.year * 12 + (base.month - 1) + months;
  const year = Math.floor(index / 12);
  const month = index - year * 12 + 1;
  const last = daysInMonth(year, month);
  return { year, month, day: day === "last" ? last : Math.min(day, last) };
}

/** The month's last working day (月底 as an office means it: a deadline on the 31st that is a Sunday is the Friday). */
function monthEnd(base: PlainDate, months: number, calendar: WorkCalendar): PlainDate {
  const last = dayOfMonth(base, months, "last");
  const workdays = monthWorkdays(last, calendar);
  return { ...last, day: workdays.at(-1) ?? last.day };
}

/** The last working day, Monday to Friday, of the week `weeks` after today's (its Friday if none is). */
function lastWorkdayOfWeek(ctx: Context, weeks: number): DaySpec {
  const friday = weekdayInWeek(ctx, 5, weeks).days[0]!;
  for (let back = 0; back < 5; back++) if (ctx.calendar.isWorkday(addDays(friday, -back))) return { days: [addDays(friday, -back)] };
  return { days: [friday] };
}

/** The first year from today's on that the calendar does not cover: where an unknown break must be. */
function firstUncoveredYear(ctx: Context): number {
  let year = ctx.today.year;
  while (ctx.calendar.covers(year)) year++;
  return year;
}

/** The first working day after `holiday`'s break (any holiday's if undefined): this one's while ahead, else the next. */
function afterHoliday(ctx: Context, holiday: Holiday | undefined): DaySpec {
  const known = ctx.calendar.workdaysAfterBreaks(holiday);
  const ahead = known.filter((day) => compareDates(day, ctx.today) >= 0).slice(0, 2);
  // The next break is in a year the calendar does not cover yet: say so rather than guess.
  if (ahead.length === 0) return { days: [], unknownHoliday: { holiday, year: firstUncoveredYear(ctx) } };
  return { days: ahead };
}

/** Weekday `weekday` of the Monday-based week `weeks` after today's. */
function weekdayInWeek(ctx: Context, weekday: number, weeks: number): DaySpec {
  const sinceMonday = (ctx.today.weekday + 6) % 7;
  return { days: [addDays(ctx.today, (weekday + 6) % 7 - sinceMonday + 7 * weeks)] };
}

/** The next `weekday` from today on, or the one after if its time has passed. */
function floatingWeekday(ctx: Context, weekday: number): DaySpec {
  const first = addDays(ctx.today, (weekday - ctx.today.weekday + 7) % 7);
  return { days: [first, addDays(first, 7)] };
}

/** Day of month `day` this month, or next month if its time has passed; months too short are skipped. */
function floatingMonthDay(ctx: Context, day: number): DaySpec | undefined {
  const days = [0, 1, 2].map((m) => dayOfMonth(ctx.today, m, day)).filter((d) => d.day === day);
  return days.length > 0 ? { days: days.slice(0, 2) } : undefined;
}

/** Months ahead named by 本月/这个月/this (0) or 下个月/next (1). */
const monthsAhead = (prefix: string) => (/^(下|next)/i.test(prefix) ? 1 : 0);

/** 5号 / the 5th (floating), 下个月1号 / the 1st of next month, 本月5号 (fixed); undefined if no such day. */
function monthDay(ctx: Context, prefix: string | undefined, day: number): DaySpec | undefined {
  if (!prefix) return floatingMonthDay(ctx, day);
  const date = dayOfMonth(ctx.today, monthsAhead(prefix), day);
  return date.day === day ? fixed(date) : undefined;
}

const fixed = (day: PlainDate | undefined): DaySpec | undefined => (day ? { days: [day] } : undefined);

function dayParsers(sc: Scanner, ctx: Context): Array<() => DaySpec | undefined> {
  return [
    () => {
      const m = sc.take(RE.zhDayWord);
      const word = m && ZH_DAY_WORD[m[0]];
      return word ? { days: [addDays(ctx.today, word.offset)], part: word.part } : undefined;
    },
    () => {
      const m = sc.take(RE.enDayWord);
      if (!m) return undefined;
      const word = (m[1] ?? (m[4] ? "yesterday" : "today")).toLowerCase(); // "this morning" is today's, "last night" yesterday's
      const offset = word.endsWith("tomorrow")
        ? (word.includes("after") ? 2 : 1)
        : word.endsWith("yesterday")
          ? (word.includes("before") ? -2 : -1)
          : /^tmr/.test(word) ? 1 : 0;
      const partWord = (m[2] ?? m[3] ?? m[4])?.toLowerCase();
      const part = partWord ? EN_PART[partWord] : word === "tonight" ? "evening" : undefined;
      return { days: [addDays(ctx.today, offset)], part };
    },
    () => {
      const m = sc.take(RE.zhWeekday);
      if (!m) return undefined;
      const weekday = ZH_WEEKDAY[m[2] ?? ""] ?? 0;
      const prefix = m[1];
      if (!prefix) return floatingWeekday(ctx, weekday);
      const weeks = { 下下: 2, 下: 1, 上上: -2, 上: -1 }[prefix.slice(0, 2)] ?? { 下: 1, 上: -1 }[prefix.charAt(0)] ?? 0;
      return weekdayInWeek(ctx, weekday, weeks);
    },
    () => {
      const m = sc.take(RE.enWeekday);
      if (!m) return undefined;
      const weekday = EN_WEEKDAY[(m[2] ?? "").slice(0, 3).toLowerCase()] ?? 0;
      // "next Monday" is in next week; "this Monday"/"coming Monday" is the upcoming one, as plain "Monday";
      // "last Monday" the latest one before today.
      const word = m[1]?.toLowerCase();
      if (word === "last") return fixed(addDays(ctx.today, -((ctx.today.weekday - weekday + 7) % 7 || 7)));
      return word === "next" ? weekdayInWeek(ctx, weekday, 1) : floatingWeekday(ctx, weekday);
    },
    () => {
      const zh = sc.take(RE.zhWeek);
      const en = zh ? null : sc.take(RE.enWeek);
      if (!zh && !en) return undefined;
      const prefix = zh?.[1] ?? en?.[2] ?? en?.[3] ?? "";
      const weeks = prefix.startsWith("下下") ? 2 : /^(下|next)/i.test(prefix) ? 1 : 0;
      const last = lastWorkdayOfWeek(ctx, weeks);
      return en?.[1] || en?.[3] ? { ...last, by: true } : { ...last, week: true }; // "the end of the week" names its day
    },
    () => {
      const zh = sc.take(RE.zhAfterHoliday);
      const en = zh ? null : sc.take(RE.enAfterHoliday);
      if (!zh && !en) return undefined;
      const holiday = zh ? ZH_HOLIDAY[zh[1] ?? ""] : EN_HOLIDAY.find(([word]) => word.test(en?.[1] ?? ""))?.[1];
      return afterHoliday(ctx, holiday);
    },
    () => {
      const m = sc.take(RE.isoDate);
      return m ? fixed(validDate(Number(m[1]), Number(m[2]), Number(m[3]))) : undefined;
    },
    () => {
      const m = sc.take(RE.zhDate);
      if (!m) return undefined;
      const month = toNumber(m[2] ?? "");
      const day = toNumber(m[3] ?? "");
      return fixed(m[1] ? validDate(Number(m[1]), month, day) : upcomingDate(month, day, ctx));
    },
    () => {
      const m = sc.take(RE.enMonthDay) ?? sc.take(RE.enDayMonth);
      if (!m) return undefined;
      const [monthWord, dayText] = /^\d/.test(m[1] ?? "") ? [m[2], m[1]] : [m[1], m[2]];
      const month = EN_MONTHS.indexOf((monthWord ?? "").slice(0, 3).toLowerCase()) + 1;
      const day = Number(dayText);
      return fixed(m[3] ? validDate(Number(m[3]), month, day) : upcomingDate(month, day, ctx));
    },
    () => {
      // 月底 is a "by" phrase: due at the end of that day, for reminders as for deadlines.
      const m = sc.take(RE.zhMonthEnd) ?? sc.take(RE.enMonthEnd);
      if (!m) return undefined;
      const prefix = m[1];
      if (prefix) return { days: [monthEnd(ctx.today, monthsAhead(prefix), ctx.calendar)], by: true };
      return { days: [monthEnd(ctx.today, 0, ctx.calendar), monthEnd(ctx.today, 1, ctx.calendar)], by: true };
    },
    () => {
      const m = sc.take(RE.zhMonthMiddle) ?? sc.take(RE.enMonthMiddle);
      if (m) return monthDay(ctx, m[1], 15);
      const named = sc.take(RE.enMidMonth);
      if (!named) return undefined;
      return fixed(upcomingDate(EN_MONTHS.indexOf((named[1] ?? "").slice(0, 3).toLowerCase()) + 1, 15, ctx));
    },
    () => {
      const m = sc.take(RE.zhMonthStart);
      if (!m) return undefined;
      if (m[1]) return fixed(dayOfMonth(ctx.today, monthsAhead(m[1]), 1));
      return { days: [dayOfMonth(ctx.today, 0, 1), dayOfMonth(ctx.today, 1, 1)] }; // 月初: this month's 1st if ahead
    },
    () => {
      const m = sc.take(RE.zhNamedMonthEdge);
      if (!m) return undefined;
      const month = toNumber(m[1] ?? "");
      if (month < 1 || month > 12) return undefined;
      const first = upcomingDate(month, 1, ctx) ?? validDate(ctx.today.year, month, 1);
      if (m[2] === "初") return fixed(first);
      // 12月底, 12月中: the last day and the 15th of the coming December (this one, while it lasts).
      const year = month === ctx.today.month ? ctx.today.year : first!.year;
      if (m[2]?.startsWith("中")) return fixed(validDate(year, month, 15));
      return { days: [monthEnd({ year, month, day: 1 }, 0, ctx.calendar)], by: true };
    },
    () => {
      const m = sc.take(RE.zhYearEnd);
      return m ? { days: [monthEnd({ year: ctx.today.year + (m[1] && m[1] !== "今" ? 1 : 0), month: 12, day: 1 }, 0, ctx.calendar)], by: true } : undefined;
    },
    () => {
      const m = sc.take(RE.zhMonthDay);
      return m ? monthDay(ctx, m[1], toNumber(m[2] ?? "")) : undefined;
    },
    () => {
      const m = sc.take(RE.shortDate);
      return m ? fixed(upcomingDate(Number(m[1]), Number(m[2]), ctx)) : undefined;
    },
    () => {
      const m = sc.take(RE.enMonthDayOrdinal);
      return m ? monthDay(ctx, m[2], Number(m[1])) : undefined;
    },
    () => (sc.take(RE.zhNextWorkday) ?? sc.take(RE.enNextWorkday) ? fixed(ctx.calendar.nextWorkday(ctx.today)) : undefined),
  ];
}

function parseDay(sc: Scanner, ctx: Context): DaySpec | undefined {
  return sc.first(dayParsers(sc, ctx));
}

/** "10分钟后", "in 2 hours" → an instant; "3天后", "in 3 working days" → a day keeping the time of day. */
function parseDuration(sc: Scanner, ctx: Context): Date | DaySpec | undefined {
  const hm = sc.take(RE.zhHoursMinutes) ?? sc.take(RE.enHoursMinutes);
  if (hm) {
    const hours = /^an?$|^one$/i.test(hm[1] ?? "") ? 1 : toNumber(hm[1] ?? "");
    const minutes = hm[3] ? 30 : toNumber(hm[2] ?? "");
    return minutes < 60 ? new Date(ctx.now.getTime() + (hours * 60 + minutes) * 60_000) : undefined;
  }
  let amount: number;
  let unit: Unit;
  let within: boolean; // 3个工作日内, "within 3 days": by the end of that day
  const zh = sc.take(RE.zhDuration);
  if (zh) {
    amount = zh[1] ? toNumber(zh[1]) + (zh[2] ? 0.5 : 0) : 0.5; // no number: 半小时
    unit = unitOf(zh[3] ?? "");
    within = (zh[4] ?? "").endsWith("内");
  } else {
    const en = sc.take(RE.enDuration);
    if (!en) return undefined;
    const number = (en[2] ?? en[4] ?? "").replace(/\s+/g, " ").toLowerCase();
    amount = number.startsWith("half") ? 0.5 : toNumber(number);
    unit = unitOf(en[3] ?? en[5] ?? "");
    within = en[1]?.toLowerCase() === "within";
  }
  if (!(amount > 0)) return undefined;

  if (isClockUnit(unit)) {
    const ms = amount * UNIT_MS[unit];
    return ms <= MAX_DAYS_AHEAD * DAY_MS ? new Date(ctx.now.getTime() + ms) : undefined;
  }
  if (!Number.isInteger(amount) || amount * UNIT_DAYS[unit] > MAX_DAYS_AHEAD) return undefined;
  const day =
    unit === "workday"
      ? ctx.calendar.nextWorkday(ctx.today, amount)
      : unit === "month"
        ? dayOfMonth(ctx.today, amount, ctx.today.day)
        : addDays(ctx.today, amount * UNIT_DAYS[unit]);
  const { hour, minute, second } = ctx.today;
  return within ? { days: [day], by: true } : { days: [day], time: { hour, minute, second } };
}

// ---- Whole expressions ---------------------------------------------------------------------------------

/** What parseOnce read, before the time of day is settled (a "by" word may still follow: 周五前). */
type Pending = { instant: Date } | { spec: DaySpec; time?: TimeSpec };
type Resolved = { at: Date; passed?: Date } | { unclear: Omit<Unclear, "matched" | "rest"> };

function parseOnce(sc: Scanner, ctx: Context): Pending | undefined {
  const duration = sc.attempt(() => parseDuration(sc, ctx));
  if (duration instanceof Date) return { instant: duration };
  let day = duration ?? parseDay(sc, ctx);
  const time = sc.attempt(() => {
    if (day) sc.take(RE.gap);
    return parseTime(sc, day !== undefined);
  });
  // English also puts the time first: "3pm tomorrow", "at 9am on Monday".
  if (!day && time) {
    day = sc.attempt(() => {
      sc.take(RE.gap);
      return parseDay(sc, ctx);
    });
  }
  if (!day && !time) return undefined;
  return { spec: day ?? { days: [ctx.today, addDays(ctx.today, 1)] }, time }; // a bare time: today, or tomorrow if past
}

/** The instant `p` means; `by`: a "by" word came with it (周五前, by Friday). */
function resolveOnce(p: Pending, by: boolean, ctx: Context): Resolved {
  if ("instant" in p) return { at: p.instant };
  const { spec, time } = p;
  if (spec.unknownHoliday) return { unclear: { kind: "unclear", reason: "holiday", ...spec.unknownHoliday } };
  const endOfDay = by || spec.by === true || ctx.deadline;
  if (spec.week && !endOfDay) return { unclear: { kind: "unclear", reason: "week" } };
  const hm = toHM(time?.part ?? spec.part, time?.clock, endOfDay) ?? (endOfDay ? END_OF_DAY : (spec.time ?? DEFAULT_TIME));
  // Only the date of a candidate: today's carries the current time, whose seconds must not leak in.
  const instants = spec.days.map(({ year, month, day }) => fromZoned({ year, month, day, second: 0, ...hm }, ctx.timeZone));
  const index = instants.findIndex((at) => at > ctx.now);
  const at = index >= 0 ? instants[index]! : instants.at(-1)!;
  return index > 0 ? { at, passed: instants[0]! } : { at };
}

/** The weekdays after 每周一 / "every Monday": 一三五, 一至五, ", Wednesday and Friday". Sorted, 0 = Sunday. */
function parseWeekdays(
  sc: Scanner,
  first: number,
  toWeekday: (word: string) => number,
  more: RegExp,
  range?: RegExp,
): number[] {
  const days = new Set([first]);
  const m = range && sc.take(range);
  if (m) {
    const last = toWeekday(m[1] ?? "");
    for (let d = first; d !== last; d = (d + 1) % 7) days.add(d);
    days.add(last);
  }
  for (let next = sc.take(more); next; next = sc.take(more)) days.add(toWeekday(next[1] ?? ""));
  return [...days].sort((a, b) => a - b);
}

const zhWeekday = (word: string) => ZH_WEEKDAY[word] ?? 0;
const enWeekday = (word: string) => EN_WEEKDAY[word.slice(0, 3).toLowerCase()] ?? 0;

/** 每天 / 每个工作日 / 每周一三五 / 每月1号 / every … — the rule with its time still to be filled in. */
function parseRule(sc: Scanner): ((time: HM) => Recurrence) | undefined {
  if (sc.take(RE.zhEveryDay) ?? sc.take(RE.enEveryDay)) return (time) => ({ every: "day", time });
  if (sc.take(RE.zhEveryWorkday) ?? sc.take(RE.enEveryWorkday)) return (time) => ({ every: "workday", time });
  const zhEvery = sc.take(RE.zhEveryNWeeks);
  if (zhEvery) {
    const interval = zhEvery[1] ? toNumber(zhEvery[1]) : 2; // 隔周, 每隔一周: every other week
    const weekdays = parseWeekdays(sc, zhWeekday(zhEvery[2] ?? ""), zhWeekday, RE.zhMoreWeekdays, RE.zhWeekdayRange);
    return (time) => ({ every: "week", weekdays, time, interval });
  }
  const enEvery = sc.take(RE.enEveryNWeeks);
  if (enEvery) {
    const interval = enEvery[1] ? toNumber(enEvery[1]) : 2; // every other, biweekly, fortnightly
    const weekdays = parseWeekdays(sc, enWeekday(enEvery[2] ?? ""), enWeekday, RE.enMoreWeekdays);
    return (time) => ({ every: "week", weekdays, time, interval });
  }
  const zhWeek = sc.take(RE.zhEveryWeek);
  if (zhWeek) {
    const weekdays = parseWeekdays(sc, zhWeekday(zhWeek[1] ?? ""), zhWeekday, RE.zhMoreWeekdays, RE.zhWeekdayRange);
    return (time) => ({ every: "week", weekdays, time });
  }
  const enWeek = sc.take(RE.enEveryWeek);
  if (enWeek) {
    const weekdays = parseWeekdays(sc, enWeekday(enWeek[1] ?? ""), enWeekday, RE.enMoreWeekdays);
    return (time) => ({ every: "week", weekdays, time });
  }
  const workday = sc.take(RE.zhEveryMonthWorkday) ?? sc.take(RE.enEveryMonthWorkday);
  if (workday) {
    const last = /最后|last/i.test(workday[1] ?? workday[2] ?? "");
    return (time) => ({ every: "month", day: last ? "lastWorkday" : "firstWorkday", time });
  }
  const monthDay = sc.take(RE.zhEveryMonthDay) ?? sc.take(RE.enEveryMonthDay);
  if (monthDay) {
    const day = toNumber(monthDay[1] ?? "");
    return day >= 1 && day <= 31 ? (time) => ({ every: "month", day, time }) : undefined;
  }
  if (sc.take(RE.zhEveryMonthEnd) ?? sc.take(RE.enEveryMonthEnd)) return (time) => ({ every: "month", day: "last", time });
  return undefined;
}

function parseRecurring(sc: Scanner, ctx: Context): { rule: Recurrence; first: Date } | undefined {
  const build = parseRule(sc);
  if (!build) return undefined;
  const time = sc.attempt(() => {
    sc.take(RE.gap);
    return parseTime(sc);
  });
  const rule = build(toHM(time?.part, time?.clock) ?? DEFAULT_TIME);
  const first = nextOccurrence(rule, ctx.now, ctx.timeZone, ctx.calendar);
  // Every other week counts from the week of the first occurrence.
  if (rule.every === "week" && rule.interval) return { rule: { ...rule, anchor: isoDate(mondayOf(zonedParts(first, ctx.timeZone))) }, first };
  return { rule, first };
}

/** Full-width ASCII ("９：３０", "，") to half-width, one UTF-16 unit for one, so offsets into the input hold. */
export function normalize(text: string): string {
  return text
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, " ");
}

/**
 * Reads a time expression at the start of `input` ("明天下午3点 交材料", "in 2 hours call Li"); `rest` is what
 * follows, trimmed. An expression that names no instant (下周 for a reminder, a holiday year the table lacks) is
 * "unclear", so the caller can say why; null if there is no time expression at all.
 */
export function readWhen(input: string, ref: TimeRef): When | Unclear | null {
  const sc = new Scanner(normalize(input));
  sc.take(RE.spaces);
  const start = sc.pos;
  const ctx: Context = {
    now: ref.now, timeZone: ref.timeZone, today: zonedParts(ref.now, ref.timeZone), deadline: ref.deadline === true, calendar: ref.calendar ?? packageCalendar,
  };
  const texts = () => ({
    matched: input.slice(start, sc.pos).trim(),
    // The reminder text may be set off by a comma or colon: "明天9点：交材料".
    rest: input.slice(sc.pos).replace(/^[\s,，:：;；、]+/, "").trim(),
  });
  const recurring = sc.attempt(() => parseRecurring(sc, ctx));
  if (recurring) return { kind: "recurring", ...recurring, ...texts() };
  const resolved = sc.attempt(() => {
    const byPrefix = sc.take(RE.enBefore) !== null;
    const found = parseOnce(sc, ctx);
    if (!found) return undefined;
    const bySuffix = sc.take(RE.zhBefore) !== null;
    return resolveOnce(found, byPrefix || bySuffix, ctx);
  });
  if (!resolved) return null;
  if ("unclear" in resolved) return { ...resolved.unclear, ...texts() } as Unclear;
  return { kind: "once", ...resolved, ...texts() };
}

/** The instant or rule at the start of `input`, as readWhen; null when there is none or it is unclear. */
export function parseWhen(input: string, ref: TimeRef): When | null {
  const when = readWhen(input, ref);
  return when && when.kind !== "unclear" ? when : null;
}

/**
 * A time expression at the end of `input`, after the text: "call Li at 5pm tomorrow" → the time and text
 * "call Li". Tried at each word start from the left, so the longest trailing expression wins; null if none.
 */
export function readTrailingWhen(input: string, ref: TimeRef): (When | Unclear) | null {
  for (const m of input.matchAll(/\s+(?=\S)/g)) {
    const at = m.index + m[0].length;
    const when = readWhen(input.slice(at), ref);
    if (when && !when.rest) return { ...when, rest: input.slice(0, m.index).trim() };
  }
  return null;
}

// ---- Recurrence ----------------------------------------------------------------------------------------

// Every rule fires at least monthly, and the longest run without a working day (Spring Festival) is ~10 days.
const MAX_SCAN_DAYS = 400;

function occursOn(rule: Recurrence, day: PlainDate, calendar: WorkCalendar): boolean {
  switch (rule.every) {
    case "day":
      return true;
    case "workday":
      return calendar.isWorkday(day);
    case "week":
      return rule.weekdays.includes(weekdayOf(day)) && inCountedWeek(rule, day);
    case "month":
      if (rule.day === "lastWorkday") return calendar.isWorkday(day) && monthWorkdays(day, calendar).at(-1) === day.day;
      if (rule.day === "firstWorkday") return calendar.isWorkday(day) && monthWorkdays(day, calendar)[0] === day.day;
      return day.day === dayOfMonth(day, 0, rule.day).day;
  }
}

/** The days of `day`'s month that are working days. */
function monthWorkdays(day: PlainDate, calendar: WorkCalendar): number[] {
  const days: number[] = [];
  for (let d = 1; d <= daysInMonth(day.year, day.month); d++) if (calendar.isWorkday({ ...day, day: d })) days.push(d);
  return days;
}

/** The Monday of `day`'s week. */
function mondayOf(day: PlainDate): PlainDate {
  return addDays(day, -((weekdayOf(day) + 6) % 7));
}

/** Whether `day` is in a week an every-other-week rule counts (every week when it has no interval). */
function inCountedWeek(rule: Extract<Recurrence, { every: "week" }>, day: PlainDate): boolean {
  if (!rule.interval || rule.interval < 2 || !rule.anchor) return true;
  const [year, month, date] = rule.anchor.split("-").map(Number) as [number, number, number];
  const monday = mondayOf(day);
  const weeks = Math.round((Date.UTC(monday.year, monday.month - 1, monday.day) - Date.UTC(year, month - 1, date)) / (7 * DAY_MS));
  return ((weeks % rule.interval) + rule.interval) % rule.interval === 0;
}

/** The first occurrence of `rule` strictly after `after`; working-day rules follow `calendar`. */
export function nextOccurrence(rule: Recurrence, after: Date, timeZone: string, calendar: WorkCalendar = packageCalendar): Date {
  const start = zonedParts(after, timeZone);
  for (let i = 0; i <= MAX_SCAN_DAYS; i++) {
    const day = addDays(start, i);
    if (!occursOn(rule, day, calendar)) continue;
    const at = fromZoned({ ...day, ...rule.time }, timeZone);
    if (at > after) return at;
  }
  throw new RangeError(`recurrence never occurs: ${JSON.stringify(rule)}`);
}

const ZH_WEEKDAY_NAMES = ["日", "一", "二", "三", "四", "五", "六"];
const EN_WEEKDAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const EN_MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? "th" : (["th", "st", "nd", "rd"][n % 10] ?? "th");
  return `${n}${suffix}`;
}

function englishList(items: string[]): string {
  return items.length > 1 ? `${items.slice(0, -1).join(", ")} and ${items.at(-1)}` : (items[0] ?? "");
}

/** "每个工作日 08:30" / "every working day at 08:30" etc. */
export function describeRecurrence(rule: Recurrence, locale: "zh-CN" | "en"): string {
  const time = formatClock(rule.time);
  const zh = locale === "zh-CN";
  switch (rule.every) {
    case "day":
      return zh ? `每天 ${time}` : `every day at ${time}`;
    case "workday":
      return zh ? `每个工作日 ${time}` : `every working day at ${time}`;
    case "week": {
      const mondayFirst = [...rule.weekdays].sort((a, b) => ((a + 6) % 7) - ((b + 6) % 7));
      const days = englishList(mondayFirst.map((d) => EN_WEEKDAY_NAMES[d] ?? ""));
      const n = rule.interval && rule.interval > 1 ? rule.interval : 1;
      if (zh) return `${n === 1 ? "每" : `每${n === 2 ? "两" : n}周`}周${mondayFirst.map((d) => ZH_WEEKDAY_NAMES[d]).join("、")} ${time}`;
      if (n === 1) return `every ${days} at ${time}`;
      return n === 2 ? `every other ${days} at ${time}` : `every ${n} weeks on ${days} at ${time}`;
    }
    case "month":
      if (rule.day === "last") return zh ? `每月最后一天 ${time}` : `every month on the last day at ${time}`;
      if (rule.day === "lastWorkday") return zh ? `每月最后一个工作日 ${time}` : `every month on the last working day at ${time}`;
      if (rule.day === "firstWorkday") return zh ? `每月第一个工作日 ${time}` : `every month on the first working day at ${time}`;
      return zh ? `每月${rule.day}号 ${time}` : `every month on the ${ordinal(rule.day)} at ${time}`;
  }
}

/** Human wall-clock for messages: "11月28日(周六) 15:00" / "Sat 28 Nov 15:00"; add the year only when it differs from now's. */
export function formatLocal(at: Date, timeZone: string, locale: "zh-CN" | "en", now?: Date): string {
  const p = zonedParts(at, timeZone);
  // Without `now` we cannot tell whether the year is obvious, so it is always shown.
  const showYear = now === undefined || zonedParts(now, timeZone).year !== p.year;
  const time = formatClock(p);
  if (locale === "zh-CN") {
    return `${showYear ? `${p.year}年` : ""}${p.month}月${p.day}日(周${ZH_WEEKDAY_NAMES[p.weekday]}) ${time}`;
  }
  const weekday = (EN_WEEKDAY_NAMES[p.weekday] ?? "").slice(0, 3);
  return `${weekday} ${p.day} ${EN_MONTH_NAMES[p.month - 1]}${showYear ? ` ${p.year}` : ""} ${time}`;
}

const ZH_NEAR_DAYS: Record<number, string> = { [-1]: "昨天", 0: "今天", 1: "明天", 2: "后天" };
const EN_NEAR_DAYS: Record<number, string> = { [-1]: "yesterday", 0: "today", 1: "tomorrow" };

/** "今天 15:00", "明天 15:00", "yesterday 09:00" near `now`; further off, as formatLocal. */
export function formatNear(at: Date, timeZone: string, locale: "zh-CN" | "en", now: Date): string {
  const day = zonedParts(at, timeZone);
  const today = zonedParts(now, timeZone);
  const offset = Math.round((Date.UTC(day.year, day.month - 1, day.day) - Date.UTC(today.year, today.month - 1, today.day)) / DAY_MS);
  const word = (locale === "zh-CN" ? ZH_NEAR_DAYS : EN_NEAR_DAYS)[offset];
  return word ? `${word} ${formatClock(day)}` : formatLocal(at, timeZone, locale, now);
}
