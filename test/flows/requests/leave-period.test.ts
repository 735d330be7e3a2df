import { afterEach, describe, expect, it } from "vitest";
import type { TimeRef } from "../../../src/bot/time-parse.ts";
import { formatInstant, type PlainDate } from "../../../src/bot/time-zone.ts";
import {
  countWorkingDays,
  describePeriod,
  overlaps,
  parseLeavePeriod,
  periodInstants,
  periodPhrase,
  readLeavePeriod,
  type HalfDay,
  type HalfDaySlot,
  type LeavePeriod,
} from "../../../src/flows/requests/leave-period.ts";

const SHANGHAI = "Asia/Shanghai";
const NEW_YORK = "America/New_York";
const ref = (iso: string, timeZone = SHANGHAI): TimeRef => ({ now: new Date(iso), timeZone });

// Friday 2026-11-27 10:00 in Shanghai: an ordinary working Friday.
const FRIDAY = ref("2026-11-27T10:00:00+08:00");
// Monday 2026-09-14, before Mid-autumn (09-25 … 09-27 off), the 调休 Sunday 09-20, National Day (10-01 … 10-07
// off) and the 调休 Saturday 10-10.
const MID_SEPTEMBER = ref("2026-09-14T10:00:00+08:00");

const day = (iso: string): PlainDate => {
  const [year = 0, month = 0, date = 0] = iso.split("-").map(Number);
  return { year, month, day: date };
};
const slot = (text: string): HalfDaySlot => {
  const [iso = "", half = "am"] = text.split(" ");
  return { date: day(iso), half: half as HalfDay };
};
const iso = (d: PlainDate) => `${d.year}-${String(d.month).padStart(2, "0")}-${String(d.day).padStart(2, "0")}`;

/** The period as "2026-11-30 am", "2026-12-02 pm", working days and rest, for one-line expectations. */
function read(input: string, at: TimeRef = FRIDAY): [start: string, end: string, workingDays: number, rest: string] {
  const p = parseLeavePeriod(input, at);
  expect(p, input).not.toBeNull();
  const found = p as LeavePeriod;
  return [`${iso(found.start.date)} ${found.start.half}`, `${iso(found.end.date)} ${found.end.half}`, found.workingDays, found.rest];
}

type Case = [input: string, start: string, end: string, workingDays: number, rest: string];

describe("parseLeavePeriod, Chinese, at Friday 2026-11-27 10:00", () => {
  const cases: Case[] = [
    // one day, whole or half
    ["今天", "2026-11-27 am", "2026-11-27 pm", 1, ""],
    ["今天下午 去医院", "2026-11-27 pm", "2026-11-27 pm", 0.5, "去医院"],
    ["今天上午", "2026-11-27 am", "2026-11-27 am", 0.5, ""],
    ["下午 家里有事", "2026-11-27 pm", "2026-11-27 pm", 0.5, "家里有事"], // a half alone is today's
    ["明天", "2026-11-28 am", "2026-11-28 pm", 0, ""], // a Saturday costs nothing
    ["明天下午", "2026-11-28 pm", "2026-11-28 pm", 0, ""],
    ["后天全天", "2026-11-29 am", "2026-11-29 pm", 0, ""],
    ["大后天 体检", "2026-11-30 am", "2026-11-30 pm", 1, "体检"],
    ["下周一上午 看病", "2026-11-30 am", "2026-11-30 am", 0.5, "看病"],
    ["下周一全天，家里有事", "2026-11-30 am", "2026-11-30 pm", 1, "家里有事"],
    ["周五", "2026-11-27 am", "2026-11-27 pm", 1, ""], // said on a Friday: today
    ["周四 陪孩子", "2026-12-03 am", "2026-12-03 pm", 1, "陪孩子"],
    ["12月3日(周四)下午", "2026-12-03 pm", "2026-12-03 pm", 0.5, ""],
    ["月底", "2026-11-30 am", "2026-11-30 pm", 1, ""],
    ["明天到北京出差", "2026-11-28 am", "2026-11-28 pm", 0, "到北京出差"], // 到 here is "go to"
    // ranges
    ["下周一到周三 家里有事", "2026-11-30 am", "2026-12-02 pm", 3, "家里有事"],
    ["下周一下午到周三上午", "2026-11-30 pm", "2026-12-02 am", 2, ""],
    ["星期一到星期三", "2026-11-30 am", "2026-12-02 pm", 3, ""],
    ["周一至周五 培训", "2026-11-30 am", "2026-12-04 pm", 5, "培训"],
    ["周五到下周二", "2026-11-27 am", "2026-12-01 pm", 3, ""], // over a weekend
    ["周三到周一", "2026-12-02 am", "2026-12-07 pm", 4, ""], // the Monday after
    ["下周五到下下周二", "2026-12-04 am", "2026-12-08 pm", 3, ""],
    ["今天下午到明天上午", "2026-11-27 pm", "2026-11-28 am", 0.5, ""],
    ["今天下午到下周一上午", "2026-11-27 pm", "2026-11-30 am", 1, ""],
    ["今天上午到下午", "2026-11-27 am", "2026-11-27 pm", 1, ""],
    ["今天中午到下周一中午", "2026-11-27 pm", "2026-11-30 am", 1, ""],
    ["12月3日上午到12月4日", "2026-12-03 am", "2026-12-04 pm", 2, ""],
    ["12月3日下午到12月4日", "2026-12-03 pm", "2026-12-04 pm", 1.5, ""],
    ["12月1日-12月5日", "2026-12-01 am", "2026-12-05 pm", 4, ""],
    ["11月30日至12月2日 探亲", "2026-11-30 am", "2026-12-02 pm", 3, "探亲"],
    ["12月3日至5日", "2026-12-03 am", "2026-12-05 pm", 2, ""],
    ["12月7日~12月9日", "2026-12-07 am", "2026-12-09 pm", 3, ""],
    ["12月7日～12月9日：婚假", "2026-12-07 am", "2026-12-09 pm", 3, "婚假"],
    ["2026-12-07 到 2026-12-08", "2026-12-07 am", "2026-12-08 pm", 2, ""],
    ["3号到5号", "2026-12-03 am", "2026-12-05 pm", 2, ""],
    ["从12月7日到12月11日", "2026-12-07 am", "2026-12-11 pm", 5, ""],
    ["自12月3日起至12月5日止 回老家", "2026-12-03 am", "2026-12-05 pm", 2, "回老家"],
    ["下周一上午—下周二上午", "2026-11-30 am", "2026-12-01 am", 1.5, ""],
    ["12月3日(周四)上午 至 12月4日(周五)下午，共 2 个工作日", "2026-12-03 am", "2026-12-04 pm", 2, "共 2 个工作日"],
  ];

  it.each(cases)("%s", (input, start, end, workingDays, rest) => {
    expect(read(input)).toEqual([start, end, workingDays, rest]);
  });

  it("gives the matched text", () => {
    expect(parseLeavePeriod("下周一到周三 家里有事", FRIDAY)).toMatchObject({ matched: "下周一到周三", rest: "家里有事" });
    expect(parseLeavePeriod("  明天下午，看牙", FRIDAY)).toMatchObject({ matched: "明天下午", rest: "看牙" });
  });

  it("crosses New Year when the end's month is earlier than the start's", () => {
    const [start, end] = read("12月28日到1月3日");
    expect([start, end]).toEqual(["2026-12-28 am", "2027-01-03 pm"]);
  });
});

describe("parseLeavePeriod, English, at Friday 2026-11-27 10:00", () => {
  const cases: Case[] = [
    ["today", "2026-11-27 am", "2026-11-27 pm", 1, ""],
    ["this afternoon dentist", "2026-11-27 pm", "2026-11-27 pm", 0.5, "dentist"],
    ["tomorrow", "2026-11-28 am", "2026-11-28 pm", 0, ""],
    ["tomorrow morning", "2026-11-28 am", "2026-11-28 am", 0, ""],
    ["the day after tomorrow all day", "2026-11-29 am", "2026-11-29 pm", 0, ""],
    ["Monday", "2026-11-30 am", "2026-11-30 pm", 1, ""],
    ["next Friday pm, school meeting", "2026-12-04 pm", "2026-12-04 pm", 0.5, "school meeting"],
    ["tomorrow to see a doctor", "2026-11-28 am", "2026-11-28 pm", 0, "to see a doctor"],
    ["Monday to Wednesday", "2026-11-30 am", "2026-12-02 pm", 3, ""],
    ["next Mon-Wed family matters", "2026-11-30 am", "2026-12-02 pm", 3, "family matters"],
    ["Monday afternoon to Tuesday", "2026-11-30 pm", "2026-12-01 pm", 1.5, ""],
    ["Friday to next Tuesday", "2026-11-27 am", "2026-12-01 pm", 3, ""],
    ["Dec 3 afternoon to Dec 4", "2026-12-03 pm", "2026-12-04 pm", 1.5, ""],
    ["Dec 3 pm - Dec 4 am", "2026-12-03 pm", "2026-12-04 am", 1, ""],
    ["Dec 3 at noon to Dec 4 at noon", "2026-12-03 pm", "2026-12-04 am", 1, ""],
    ["Dec 3 am to pm", "2026-12-03 am", "2026-12-03 pm", 1, ""],
    ["Dec 3-5 sick", "2026-12-03 am", "2026-12-05 pm", 2, "sick"],
    // month/day, as Chinese offices write dates
    ["12/3", "2026-12-03 am", "2026-12-03 pm", 1, ""],
    ["12.3-12.5 回老家", "2026-12-03 am", "2026-12-05 pm", 2, "回老家"],
    ["12/3下午到12/4上午", "2026-12-03 pm", "2026-12-04 am", 1, ""],
    ["from Dec 7 to Dec 11", "2026-12-07 am", "2026-12-11 pm", 5, ""],
    ["December 7th through December 9th", "2026-12-07 am", "2026-12-09 pm", 3, ""],
    ["7 Dec to 9 Dec: wedding", "2026-12-07 am", "2026-12-09 pm", 3, "wedding"],
    ["Thursday, Dec 3 to Friday, Dec 4", "2026-12-03 am", "2026-12-04 pm", 2, ""],
    ["Thu 3 Dec am – Fri 4 Dec pm, 2 working days", "2026-12-03 am", "2026-12-04 pm", 2, "2 working days"],
  ];

  it.each(cases)("%s", (input, start, end, workingDays, rest) => {
    expect(read(input)).toEqual([start, end, workingDays, rest]);
  });
});

describe("working days around holidays (2026 table)", () => {
  // National Day is 10-01 … 10-07 in the State Council's 2026 notice (and chinese-days); 10-08 is back to work.
  const cases: Case[] = [
    // a weekend and Mid-autumn (Fri 09-25 … Sun 09-27): Thu 24, Mon 28, Tue 29
    ["9月24日到9月29日", "2026-09-24 am", "2026-09-29 pm", 3, ""],
    // National Day: Wed 30, then Thu 10-08 and Fri 10-09
    ["9月30日到10月9日", "2026-09-30 am", "2026-10-09 pm", 3, ""],
    // the 调休 Saturday 10-10 counts, Sunday 10-11 does not: Fri 9, Sat 10, Mon 12
    ["10月9日到10月12日", "2026-10-09 am", "2026-10-12 pm", 3, ""],
    // the 调休 Sunday 09-20 counts, Saturday 09-19 does not: Fri 18, Sun 20, Mon 21
    ["9月18日到9月21日", "2026-09-18 am", "2026-09-21 pm", 3, ""],
    ["10月1日到10月7日 出游", "2026-10-01 am", "2026-10-07 pm", 0, "出游"],
    ["10月8日下午到10月10日上午", "2026-10-08 pm", "2026-10-10 am", 2, ""],
    ["10月10日", "2026-10-10 am", "2026-10-10 pm", 1, ""],
  ];

  it.each(cases)("%s", (input, start, end, workingDays, rest) => {
    expect(read(input, MID_SEPTEMBER)).toEqual([start, end, workingDays, rest]);
  });
});

describe("parseLeavePeriod refuses", () => {
  it.each([
    // not a period
    "",
    "   ",
    "hello",
    "请假",
    "家里有事",
    "next week",
    "13/3", // month/day: there is no 13th month
    "2月30日",
    "3天 从下周一开始", // a length and a start: not read here
    "请假3天",
    // times, not halves
    "明天下午3点",
    "上午9点",
    "9点到12点",
    "下周一 9:00-12:00",
    "明天上午到后天9点",
    "tomorrow 3pm",
    "in 2 hours",
    "2小时后",
    "明天晚上",
    "tonight",
    "Dec 3 evening",
    "每周一", // a rule, not a period
    // half-days that say neither half
    "明天中午",
    "中午",
    // backwards
    "12月5日到12月3日",
    "明天下午到明天上午",
    "Dec 3 pm to am",
    "后天到明天",
    // a weekday that disagrees with its date (12-03 is a Thursday)
    "12月3日周五",
    "12月3日(周五)上午",
    "Fri 3 Dec",
    // open-ended
    "从明天",
    "明天起",
    "12月3日开始休假",
    "from Monday",
    "Monday onwards",
    // too long
    "2026-12-01到2027-12-31",
  ])("%j → null", (input) => {
    expect(parseLeavePeriod(input, FRIDAY)).toBeNull();
  });

  it("refuses 周五到下周二 when 周五 is already after 下周二", () => {
    expect(parseLeavePeriod("周五到下周二", ref("2026-11-28T10:00:00+08:00"))).toBeNull();
  });

  it("refuses a broken reference instead of throwing", () => {
    expect(parseLeavePeriod("明天", { now: new Date("garbage"), timeZone: SHANGHAI })).toBeNull();
    expect(parseLeavePeriod("明天", { now: FRIDAY.now, timeZone: "Mars/Olympus_Mons" })).toBeNull();
    expect(parseLeavePeriod(undefined as unknown as string, FRIDAY)).toBeNull();
  });
});

describe("parseLeavePeriod never throws", () => {
  it.each([
    "\u0000",
    "🙂明天",
    "9".repeat(10_000),
    "明天到".repeat(500),
    "到到到",
    "----",
    "from from Monday",
    "9999年12月31日到",
    "9999年12月30日到9999年12月31日",
    "0000-01-01",
    "周五到周五到周五",
    "(((周四)))",
    "Dec 32-35",
    "Thu Thu Thu 3 Dec",
  ])("%j", (input) => {
    expect(() => parseLeavePeriod(input, FRIDAY)).not.toThrow();
  });

  it("survives random strings built from its own vocabulary", () => {
    const alphabet = [..."0123456789:-~ 年月日号点周下本个后天明今晚上午中全至到从起一二三四五六七八九十(（）)"].concat([
      " to ", "from ", "am", "pm", "Dec ", "Mon", "next ", "tomorrow", "afternoon", "all day", "noon", "3rd",
    ]);
    let seed = 7;
    const random = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    for (let i = 0; i < 3000; i++) {
      const input = Array.from({ length: 1 + Math.floor(random() * 14) }, () =>
        alphabet[Math.floor(random() * alphabet.length)],
      ).join("");
      const p = parseLeavePeriod(input, FRIDAY);
      if (p) {
        // Whatever it reads is a well-formed period.
        expect(countWorkingDays(p.start, p.end), input).toBe(p.workingDays);
        expect(overlaps(p, p), input).toBe(true);
        expect(input.startsWith(p.matched) || input.trimStart().startsWith(p.matched), input).toBe(true);
      }
    }
  });
});

describe("countWorkingDays", () => {
  it.each<[start: string, end: string, days: number]>([
    ["2026-11-30 am", "2026-11-30 pm", 1],
    ["2026-11-30 am", "2026-11-30 am", 0.5],
    ["2026-11-30 pm", "2026-11-30 pm", 0.5],
    ["2026-11-27 pm", "2026-11-30 am", 1], // Friday afternoon to Monday morning
    ["2026-11-28 am", "2026-11-29 pm", 0], // a weekend
    ["2026-09-24 am", "2026-09-29 pm", 3], // weekend + Mid-autumn
    ["2026-10-09 pm", "2026-10-10 pm", 1.5], // into the 调休 Saturday
    ["2026-02-13 am", "2026-02-24 pm", 3], // Spring Festival: Fri 13, 调休 Sat 14, Tue 24
    ["2026-11-30 pm", "2026-11-30 am", 0], // backwards
  ])("%s → %s = %d", (start, end, days) => {
    expect(countWorkingDays(slot(start), slot(end))).toBe(days);
  });

  it("is zero for dates that are not dates", () => {
    expect(countWorkingDays({ date: { year: NaN, month: 1, day: 1 }, half: "am" }, slot("2026-11-30 pm"))).toBe(0);
  });
});

describe("overlaps", () => {
  const period = (start: string, end: string) => ({ start: slot(start), end: slot(end) });

  it.each<[a: [string, string], b: [string, string], overlap: boolean]>([
    [["2026-11-30 pm", "2026-11-30 pm"], ["2026-11-30 am", "2026-11-30 am"], false], // Monday pm vs Monday am
    [["2026-11-30 am", "2026-11-30 pm"], ["2026-11-30 pm", "2026-11-30 pm"], true],
    [["2026-11-30 am", "2026-12-02 am"], ["2026-12-02 pm", "2026-12-04 pm"], false], // hand-over at noon
    [["2026-11-30 am", "2026-12-02 pm"], ["2026-12-02 am", "2026-12-04 pm"], true], // share Wednesday morning
    [["2026-11-30 am", "2026-12-04 pm"], ["2026-12-01 pm", "2026-12-01 pm"], true], // one inside the other
    [["2026-11-27 am", "2026-11-27 pm"], ["2026-11-30 am", "2026-11-30 pm"], false], // Friday, then Monday
  ])("%j vs %j → %s", (a, b, overlap) => {
    expect(overlaps(period(...a), period(...b))).toBe(overlap);
    expect(overlaps(period(...b), period(...a))).toBe(overlap);
  });
});

describe("periodInstants", () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    process.env.TZ = originalTz;
  });

  const instants = (start: string, end: string, timeZone = SHANGHAI) => {
    const { from, to } = periodInstants({ start: slot(start), end: slot(end) }, timeZone);
    return [formatInstant(from, timeZone), formatInstant(to, timeZone)];
  };

  it("starts at 00:00 or 12:00 and ends at 12:00 or 24:00 in the office's zone", () => {
    expect(instants("2026-12-03 am", "2026-12-04 pm")).toEqual(["2026-12-03T00:00:00+08:00", "2026-12-05T00:00:00+08:00"]);
    expect(instants("2026-12-03 pm", "2026-12-04 am")).toEqual(["2026-12-03T12:00:00+08:00", "2026-12-04T12:00:00+08:00"]);
    expect(instants("2026-12-31 am", "2026-12-31 pm")).toEqual(["2026-12-31T00:00:00+08:00", "2027-01-01T00:00:00+08:00"]);
  });

  it("uses the given zone, across a DST change", () => {
    // New York falls back on 2026-11-01: that day has 25 hours.
    expect(instants("2026-11-01 am", "2026-11-01 pm", NEW_YORK)).toEqual([
      "2026-11-01T00:00:00-04:00",
      "2026-11-02T00:00:00-05:00",
    ]);
  });

  it("gives the same instants whatever the process's TZ is", () => {
    const period = parseLeavePeriod("下周一下午到周三上午", FRIDAY) as LeavePeriod;
    process.env.TZ = "UTC";
    const inUtc = periodInstants(period, SHANGHAI);
    for (const tz of ["America/New_York", "Pacific/Kiritimati"]) {
      process.env.TZ = tz;
      expect(periodInstants(period, SHANGHAI), tz).toEqual(inUtc);
      expect(parseLeavePeriod("下周一下午到周三上午", FRIDAY), tz).toEqual(period);
    }
    expect(inUtc.from.toISOString()).toBe("2026-11-30T04:00:00.000Z");
    expect(inUtc.to.toISOString()).toBe("2026-12-02T04:00:00.000Z");
  });
});

describe("describePeriod", () => {
  it.each<[input: string, zh: string, en: string]>([
    ["12月3日上午到12月4日", "12月3日(周四)上午 至 12月4日(周五)下午，共 2 个工作日", "Thu 3 Dec am – Fri 4 Dec pm, 2 working days"],
    ["下周一下午到周三上午", "11月30日(周一)下午 至 12月2日(周三)上午，共 2 个工作日", "Mon 30 Nov pm – Wed 2 Dec am, 2 working days"],
    ["下周一", "11月30日(周一)全天，共 1 个工作日", "Mon 30 Nov all day, 1 working day"],
    ["下周一下午", "11月30日(周一)下午，共 0.5 个工作日", "Mon 30 Nov pm, 0.5 working days"],
    ["明天", "11月28日(周六)全天，共 0 个工作日", "Sat 28 Nov all day, 0 working days"],
  ])("%s", (input, zh, en) => {
    const p = parseLeavePeriod(input, FRIDAY) as LeavePeriod;
    expect(describePeriod(p, "zh-CN")).toBe(zh);
    expect(describePeriod(p, "en")).toBe(en);
  });

  it("shows the years when the ends are in different years", () => {
    const p: LeavePeriod = {
      start: slot("2026-12-31 pm"),
      end: slot("2027-01-04 am"),
      workingDays: 1, // 2027's holidays are not in the table yet, so the count is left out of this test
      matched: "",
      rest: "",
    };
    expect(describePeriod(p, "zh-CN")).toBe("2026年12月31日(周四)下午 至 2027年1月4日(周一)上午，共 1 个工作日");
    expect(describePeriod(p, "en")).toBe("Thu 31 Dec 2026 pm – Mon 4 Jan 2027 am, 1 working day");
  });

  it("shows the year when it is not the current one", () => {
    const p = parseLeavePeriod("1月5日", FRIDAY) as LeavePeriod;
    expect(describePeriod(p, "zh-CN", 2026)).toBe("2027年1月5日(周二)全天，共 1 个工作日");
    expect(describePeriod(p, "en", 2027)).toBe("Tue 5 Jan all day, 1 working day");
  });

  it("reads back what it wrote", () => {
    for (const input of ["下周一下午到周三上午", "下周一", "12月3日下午"]) {
      const p = parseLeavePeriod(input, FRIDAY) as LeavePeriod;
      for (const locale of ["zh-CN", "en"] as const) {
        const again = parseLeavePeriod(describePeriod(p, locale), FRIDAY);
        expect(again, `${input} (${locale})`).toMatchObject({ start: p.start, end: p.end, workingDays: p.workingDays });
      }
    }
  });
});

describe("readLeavePeriod: why a period cannot be read", () => {
  const why = (input: string, at: TimeRef = FRIDAY) => {
    const read = readLeavePeriod(input, at);
    return "refused" in read ? read.refused.why : "period";
  };
  it.each([
    ["明天 看病", "period"],
    ["过几天 看病", "unreadable"],
    ["明天晚上 聚餐", "evening"],
    ["tonight dinner", "evening"],
    ["明天中午 办事", "noon"],
    ["从明天 回老家", "openEnded"],
    ["明天起 回老家", "openEnded"],
    ["12月5日到12月3日 回老家", "backwards"],
    ["2026-12-01到2028-01-01 出国", "tooLong"],
    ["明天下午2点到4点 看病", "hours"],
    ["下午3点 看病", "hours"],
    ["tomorrow 9am to 11am dentist", "hours"],
  ])("%s → %s", (input, expected) => {
    expect(why(input)).toBe(expected);
  });

  it("gives hours the half days that cover them, and what follows", () => {
    const read = readLeavePeriod("明天上午10点到下午3点 看病", FRIDAY);
    expect(read).toMatchObject({ refused: { why: "hours", rest: "看病", halves: { start: slot("2026-11-28 am"), end: slot("2026-11-28 pm") } } });
    const hours = "refused" in read && read.refused.why === "hours" ? read.refused : undefined;
    expect(hours && [formatInstant(hours.from, SHANGHAI), hours.to && formatInstant(hours.to, SHANGHAI)]).toEqual([
      "2026-11-28T10:00:00+08:00", "2026-11-28T15:00:00+08:00",
    ]);
    expect(readLeavePeriod("12月1日9点到12点 体检", FRIDAY)).toMatchObject({ refused: { halves: { start: slot("2026-12-01 am"), end: slot("2026-12-01 am") }, rest: "体检" } });
    expect(readLeavePeriod("12月1日下午1点 体检", FRIDAY)).toMatchObject({ refused: { halves: { start: slot("2026-12-01 pm"), end: slot("2026-12-01 pm") } } });
  });

  it("reads a date a few weeks behind as that past day, not next year's", () => {
    expect(parseLeavePeriod("11月20日 看病", FRIDAY)).toMatchObject({ start: slot("2026-11-20 am") });
    expect(parseLeavePeriod("1月5日 回老家", FRIDAY)).toMatchObject({ start: slot("2027-01-05 am") });
    expect(parseLeavePeriod("9月1日 回老家", FRIDAY)).toMatchObject({ start: slot("2027-09-01 am") });
    expect(parseLeavePeriod("昨天 看病", FRIDAY)).toMatchObject({ start: slot("2026-11-26 am") });
  });
});

describe("periodPhrase", () => {
  const today = day("2026-11-27");
  it.each<[string, string, string, string]>([
    ["2026-11-28 pm", "2026-11-28 pm", "明天下午", "tomorrow afternoon"],
    ["2026-11-27 am", "2026-11-27 pm", "今天", "today"],
    ["2026-12-03 am", "2026-12-04 pm", "12月3日到12月4日", "Dec 3 to Dec 4"],
    ["2026-12-03 pm", "2026-12-04 am", "12月3日下午到12月4日上午", "Dec 3 afternoon to Dec 4 morning"],
    ["2027-01-04 am", "2027-01-04 am", "2027年1月4日上午", "Jan 4 2027 morning"],
  ])("%s – %s", (a, b, zh, en) => {
    const period = { start: slot(a), end: slot(b) };
    expect(periodPhrase(period, "zh-CN", today)).toBe(zh);
    expect(periodPhrase(period, "en", today)).toBe(en);
    // What it says reads back as the same period.
    expect(parseLeavePeriod(zh, FRIDAY)).toMatchObject(period);
    expect(parseLeavePeriod(en, FRIDAY)).toMatchObject(period);
  });
});
