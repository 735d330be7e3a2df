import { afterEach, describe, expect, it } from "vitest";
import { formatInstant, type PlainDate } from "../../src/bot/time-zone.ts";
import { PACKAGE_TABLE, packageCalendar as calendar } from "../../src/bot/working-days.ts";
import { isoDate } from "../../src/bot/time-zone.ts";

const SHANGHAI = "Asia/Shanghai";
const day = (iso: string): PlainDate => {
  const [year = 0, month = 0, date = 0] = iso.split("-").map(Number);
  return { year, month, day: date };
};

describe("isWorkday", () => {
  it.each([
    ["2026-11-27", true, "an ordinary Friday"],
    ["2026-11-28", false, "an ordinary Saturday"],
    ["2026-10-01", false, "National Day"],
    ["2026-10-07", false, "the last day of the National Day holiday (a Wednesday)"],
    ["2026-10-08", true, "back to work"],
    ["2026-10-10", true, "调休 make-up Saturday"],
    ["2026-09-20", true, "调休 make-up Sunday"],
    ["2026-09-25", false, "Mid-autumn, a Friday"],
    ["2026-01-01", false, "New Year's Day"],
    ["2026-01-04", true, "调休 make-up Sunday after New Year"],
    ["2026-02-14", true, "调休 make-up Saturday before Spring Festival"],
    ["2026-02-23", false, "the last day of Spring Festival (a Monday)"],
  ])("%s is %s (%s)", (iso, expected) => {
    expect(calendar.isWorkday(day(iso))).toBe(expected);
  });

  describe("whatever the process's TZ", () => {
    const originalTz = process.env.TZ;
    afterEach(() => {
      process.env.TZ = originalTz;
    });

    // chinese-days' own calendar.isWorkday() calls Saturday 2026-11-28 a working day under TZ=America/New_York.
    it.each(["America/New_York", "Pacific/Kiritimati", "UTC"])("%s", (tz) => {
      process.env.TZ = tz;
      expect(calendar.isWorkday(day("2026-11-28"))).toBe(false);
      expect(calendar.isWorkday(day("2026-10-10"))).toBe(true);
      expect(calendar.isWorkday(day("2026-10-01"))).toBe(false);
      expect(calendar.isWorkday(day("2026-11-27"))).toBe(true);
    });
  });
});

describe("isWorkdayAt", () => {
  it("asks about the day in the given zone", () => {
    // 2026-10-10T18:00Z is Sunday 02:00 on 10-11 in Shanghai but still the 调休 Saturday in UTC.
    const instant = new Date("2026-10-10T18:00:00Z");
    expect(calendar.isWorkdayAt(instant, SHANGHAI)).toBe(false);
    expect(calendar.isWorkdayAt(instant, "UTC")).toBe(true);
  });
});

describe("nextWorkday", () => {
  it.each([
    ["2026-11-27", 1, "2026-11-30"],
    ["2026-09-30", 1, "2026-10-08"],
    ["2026-10-09", 1, "2026-10-10"],
    ["2026-10-10", 1, "2026-10-12"],
    ["2026-10-01", 1, "2026-10-08"],
    ["2026-02-14", 1, "2026-02-24"],
    ["2026-11-27", 3, "2026-12-02"],
    ["2026-09-30", 3, "2026-10-10"],
  ])("%s + %i → %s", (from, n, expected) => {
    expect(calendar.nextWorkday(day(from), n)).toEqual(day(expected));
  });

  it("refuses a count below one", () => {
    expect(() => calendar.nextWorkday(day("2026-11-27"), 0)).toThrow(RangeError);
    expect(() => calendar.nextWorkday(day("2026-11-27"), 1.5)).toThrow(RangeError);
  });
});

describe("addWorkdays", () => {
  const friday = new Date("2026-09-30T17:30:00+08:00");
  it.each([
    [0, "2026-09-30T17:30:00+08:00"],
    [1, "2026-10-08T17:30:00+08:00"],
    [3, "2026-10-10T17:30:00+08:00"],
    [4, "2026-10-12T17:30:00+08:00"],
  ])("+%i working days → %s", (n, expected) => {
    expect(formatInstant(calendar.addWorkdays(friday, n, SHANGHAI), SHANGHAI)).toBe(expected);
  });
});

describe("workdaysAfterBreaks", () => {
  const in2026 = (days: PlainDate[]) => days.map(isoDate).filter((d) => d.startsWith("2026"));
  it("gives the first working day after each break of a holiday", () => {
    expect(in2026(calendar.workdaysAfterBreaks("元旦"))).toEqual(["2026-01-04"]); // the 调休 Sunday
    expect(in2026(calendar.workdaysAfterBreaks("春节"))).toEqual(["2026-02-24"]);
    expect(in2026(calendar.workdaysAfterBreaks("国庆节"))).toEqual(["2026-10-08"]);
    expect(calendar.workdaysAfterBreaks("中秋").map(isoDate)).toContain("2025-10-09"); // 2025: inside National Day's break
  });

  it("gives every break once, in date order, for any holiday", () => {
    expect(in2026(calendar.workdaysAfterBreaks())).toEqual([
      "2026-01-04", "2026-02-24", "2026-04-07", "2026-05-06", "2026-06-22", "2026-09-28", "2026-10-08",
    ]);
  });

  it("knows which years its table covers", () => {
    expect(PACKAGE_TABLE.lastYear).toBeGreaterThanOrEqual(2026);
    expect(calendar.covers(2026)).toBe(true);
    expect(calendar.covers(PACKAGE_TABLE.lastYear + 1)).toBe(false);
  });
});
