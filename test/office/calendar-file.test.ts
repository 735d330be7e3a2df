// The holiday arrangement as an office clerk types it from the State Council's notice: good files in Chinese and
// English read to exactly chinese-days' own 2026 table; every bad line is reported with its number and why.
import { readFileSync } from "node:fs";
import arrangement from "chinese-days/dist/chinese-days.json" with { type: "json" };
import { describe, expect, it } from "vitest";
import { isoDate, type PlainDate } from "../../src/bot/time-zone.ts";
import { parseArrangement, parseDates, parseDaysLine, type ParsedArrangement } from "../../src/office/calendar-file.ts";
import { calendarErrorText, describeErrors } from "../../src/office/calendar-text.ts";

const TODAY: PlainDate = { year: 2026, month: 12, day: 4 };

/** A year's days as "2026-02-14 workday 春节" lines, in date order. */
function days(parsed: ParsedArrangement, year: number): string[] {
  const found = parsed.years.find((y) => y.year === year);
  return (found?.days ?? []).map((d) => `${isoDate(d.date)} ${d.kind} ${d.name ?? "-"}`).sort();
}

/** chinese-days' own 2026 table in the same shape. */
function package2026(): string[] {
  const named = (kind: string, table: Record<string, string>) =>
    Object.entries(table).filter(([date]) => date.startsWith("2026")).map(([date, value]) => `${date} ${kind} ${value.split(",")[1]}`);
  return [...named("holiday", arrangement.holidays), ...named("workday", arrangement.workdays)].sort();
}

const errorsOf = (text: string, locale: "zh-CN" | "en" = "zh-CN") => parseArrangement(text).errors.map((e) => calendarErrorText(e, locale));

describe("reading an arrangement", () => {
  it.each(["docs/holidays-2026.txt", "docs/holidays-2026-en.txt"])("%s is chinese-days' 2026 table, day for day", (file) => {
    const parsed = parseArrangement(readFileSync(file, "utf8"));
    expect(parsed.errors).toEqual([]);
    expect(parsed.years.map((y) => y.year)).toEqual([2026]);
    expect(days(parsed, 2026)).toEqual(package2026());
  });

  it("reads the notice's own sentences: ranges ending in a bare day, weekdays, 共N天, 农历 notes and numbering", () => {
    const parsed = parseArrangement(
      "2026年\n二、春节：2月15日（农历腊月二十八、周日）至23日（周一）放假调休，共9天。2月14日（周六）、2月28日（周六）上班。\n一、元旦：1月1日放假，与周末连休。",
    );
    expect(parsed.errors).toEqual([]);
    expect(days(parsed, 2026)).toEqual([
      "2026-01-01 holiday 元旦",
      ...["14 workday", "15 holiday", "16 holiday", "17 holiday", "18 holiday", "19 holiday", "20 holiday", "21 holiday", "22 holiday", "23 holiday", "28 workday"].map((d) => `2026-02-${d} 春节`),
    ]);
  });

  it("reads the verb before its dates, the year starting a line, ISO dates and the name last", () => {
    const parsed = parseArrangement(
      "2026 春节 放假 2月15日至2月23日 上班 2月14日、2月28日\n放假 2026-04-04 至 2026-04-06 清明\n上班 2026-05-09 劳动节 # a comment\n# only a comment\n\n2026 National Day holiday Oct 1 through Oct 7 working days Sep 20 and Oct 10",
    );
    expect(parsed.errors).toEqual([]);
    const all = days(parsed, 2026);
    expect(all).toHaveLength(11 + 3 + 1 + 9);
    expect(all).toContain("2026-04-05 holiday 清明");
    expect(all).toContain("2026-05-09 workday 劳动节");
    expect(all).toContain("2026-10-07 holiday 国庆节");
    expect(all).toContain("2026-09-20 workday 国庆节");
  });

  it("keeps a joint break's two names and an office's own holiday's name", () => {
    const parsed = parseArrangement("2023年\n中秋节、国庆节：9月29日至10月6日放假调休，共8天。10月7日（周六）、10月8日（周日）上班。\n泼水节 放假 4月13日至4月15日");
    expect(parsed.errors).toEqual([]);
    expect(days(parsed, 2023)).toContain("2023-10-01 holiday 中秋、国庆节");
    expect(days(parsed, 2023)).toContain("2023-04-14 holiday 泼水节");
  });

  it("gives a break across New Year to the year it is written under", () => {
    const parsed = parseArrangement("2023年\n元旦：2022年12月31日至2023年1月2日放假，共3天。");
    expect(parsed.errors).toEqual([]);
    expect(days(parsed, 2023)).toEqual(["2022-12-31 holiday 元旦", "2023-01-01 holiday 元旦", "2023-01-02 holiday 元旦"]);
  });

  it("names every year a file covers, each with its own days", () => {
    const parsed = parseArrangement("2030年\n春节 放假 2月2日\n2031 春节 放假 1月22日");
    expect(parsed.years.map((y) => [y.year, y.days.length])).toEqual([[2030, 1], [2031, 1]]);
  });
});

describe("bad lines", () => {
  it("reports each one by its number, in Chinese, and stores nothing", () => {
    const text = [
      "2030年", // 1
      "春节 放家 2月2日至2月8日", // 2: a slip in 放假
      "春节 放假 2月2日（周一）至2月8日", // 3: 2 Feb 2030 is a Saturday
      "放假 2月30日", // 4
      "上班 2月11日", // 5: a Monday
      "元旦 1月1日", // 6: off or working?
      "国庆节 放假 10月1日至10月7日，共8天", // 7
      "清明 放假 4月4日至4月2日", // 8
      "劳动节 放假 5月1日至5月5日", //
      "端午 放假 5月3日", // 10: listed on line 9 already
      "中秋 国庆 放假 10月1日", // 11
      "放假 2033-01-05", // 12: not in 2030's arrangement
      "2031", // 13: a year with nothing under it
    ].join("\n");
    const parsed = parseArrangement(text);
    expect(parsed.errors.map((e) => [e.line, e.code])).toEqual([
      [2, "unknownText"], [3, "weekdayMismatch"], [4, "badDate"], [5, "workdayOnWeekday"], [6, "noVerb"], [7, "countMismatch"],
      [8, "backwards"], [10, "duplicateDate"], [11, "twoNames"], [12, "farFromYear"], [13, "yearWithoutDays"],
    ]);
    expect(describeErrors(parsed.errors, "zh-CN").split("\n")).toEqual([
      "未载入任何内容，请改正以下 11 处错误后重试：",
      "第 2 行：看不懂“放家”：每行写 节日、放假和日期、上班和日期，如 春节 放假 2月15日至2月23日 上班 2月14日、2月28日",
      "第 3 行：2030-02-02 是周六，不是“周一”：请核对日期",
      "第 4 行：没有“2月30日”这一天",
      "第 5 行：2030-02-11 是周一，本来就上班：调休上班的日子应是周六或周日",
      "第 6 行：没有说 1月1日 是放假还是上班：在日期前或后写“放假”或“上班”（一行里统一写在前面或统一写在后面）",
      "第 7 行：写的是共 8 天，但列出的放假日子共 7 天",
      "第 8 行：2030-04-04 至 2030-04-02：结束日期早于开始日期",
      "第 10 行：2030-05-03 在第 9 行已经写过",
      "第 11 行：一行只写一个节日（这里有“中秋”和“国庆”）；合并放假的写作“中秋节、国庆节”",
      "第 12 行：2033-01-05 不在 2030 年的安排之内：请核对年份",
      "第 13 行：2031 年下面没有写任何放假或上班的日子",
    ]);
  });

  it("says the same in English, and reads an English file's mistakes too", () => {
    expect(errorsOf("Spring Festival off Feb 2 - Feb 8", "en")).toEqual([
      "line 1: \"Feb 2\" has no year: put the year on a line of its own first (e.g. \"2026\"), or write 2026-02-15",
    ]);
    expect(errorsOf("2030\nSpring Festival off Feb 2 (Mon) - Feb 8\nNational Day off Oct 1 - Oct 7 work", "en")).toEqual([
      "line 2: 2030-02-02 is a Saturday, not \"Mon\": please check the date",
      "line 3: \"work\" has no dates",
    ]);
    expect(describeErrors(parseArrangement("# nothing but a comment").errors, "en")).toBe("Nothing was loaded; fix this problem and try again:\nline 1: no days off or working days are listed");
  });

  it("refuses a date without a year, a day without a month, and a range that never ends", () => {
    expect(errorsOf("春节 放假 2月2日")).toEqual(["第 1 行：“2月2日”没有年份：请先单独写一行年份（如“2026年”），或写成 2026年2月15日 / 2026-02-15"]);
    expect(errorsOf("2030\n放假 8日")).toEqual(["第 2 行：“8日”缺少月份：只写“几日”只能用在“至”之后，如 2月15日至23日"]);
    expect(errorsOf("2030\n放假 2月2日至")).toEqual(["第 2 行：“至”后面缺少结束日期"]);
    expect(errorsOf("2030\n放假 2月2日至3月20日")).toEqual(["第 2 行：2030-02-02 至 2030-03-20 超过 31 天，请检查日期"]);
  });
});

describe("single lines in chat", () => {
  it("reads a day without a year as its next occurrence", () => {
    const read = parseDaysLine("上班 2月14日", TODAY);
    expect("days" in read && read.days.map((d) => [isoDate(d.date), d.kind])).toEqual([["2027-02-14", "workday"]]);
    const later = parseDaysLine("放假 12月7日 测试假日", TODAY);
    expect("days" in later && later.days.map((d) => [isoDate(d.date), d.kind, d.name])).toEqual([["2026-12-07", "holiday", "测试假日"]]);
  });

  it("takes a weekday as a working day in chat (an override of chinese-days), and English words", () => {
    const read = parseDaysLine("2026-10-08 workday", TODAY);
    expect("days" in read && read.days.map((d) => [isoDate(d.date), d.kind])).toEqual([["2026-10-08", "workday"]]);
    const english = parseDaysLine("2030 Spring Festival off Feb 2 - 4", TODAY);
    expect("days" in english && english.days.map((d) => `${isoDate(d.date)} ${d.name}`)).toEqual(["2030-02-02 春节", "2030-02-03 春节", "2030-02-04 春节"]);
  });

  it("reads the dates to remove", () => {
    const read = parseDates("2027-02-06 至 2027-02-08", TODAY);
    expect("dates" in read && read.dates.map(isoDate)).toEqual(["2027-02-06", "2027-02-07", "2027-02-08"]);
    expect(parseDates("", TODAY)).toMatchObject({ error: { code: "noDates" } });
  });
});
