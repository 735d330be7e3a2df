import { afterEach, describe, expect, it } from "vitest";
import { formatInstant } from "../../../src/bot/time-zone.ts";
import { packageCalendar as calendar } from "../../../src/bot/working-days.ts";
import {
  addWorkingHours,
  chaseDueAt,
  DEFAULT_CHASE_POLICY,
  escalationDueAt,
  mayChaseAt,
  nextChaseWindow,
  resolvePolicy,
  type ChasePolicy,
} from "../../../src/flows/circulars/chase-policy.ts";

// The 2026 calendar, from chinese-days' table: Qingming Sat 04-04 … Mon 04-06 off; Labour Day Fri 05-01 …
// Tue 05-05 off, Sat 05-09 made up; National Day Thu 10-01 … Wed 10-07 off, Sun 09-20 and Sat 10-10 made up.
const SHANGHAI = "Asia/Shanghai";
const P = DEFAULT_CHASE_POLICY;
const at = (iso: string) => new Date(iso);
const sh = (date: Date | null) => (date ? formatInstant(date, SHANGHAI) : null);

// 07:00–22:00 with no lunch, so only quiet hours (21:00–08:00) stand between Relay and a late evening.
const LONG_DAY: ChasePolicy = resolvePolicy({ workHours: { start: "07:00", end: "22:00" } });

describe("resolvePolicy", () => {
  it("gives the defaults, as a copy", () => {
    const policy = resolvePolicy();
    expect(policy).toEqual({
      firstAfterWorkingHours: 2,
      dailyAt: "09:30",
      maxChases: 3,
      workHours: { start: "09:00", end: "18:00", lunch: { start: "12:00", end: "14:00" } },
      quietHours: { start: "21:00", end: "08:00" },
    });
    policy.workHours.start = "06:00";
    expect(DEFAULT_CHASE_POLICY.workHours.start).toBe("09:00");
  });

  it("lays the office's overrides on the defaults, then the circular's, skipping null and undefined", () => {
    const office = { maxChases: 5, dailyAt: "10:00", quietHours: { start: "20:00", end: "07:30" } };
    const circular = { maxChases: 1, dailyAt: undefined };
    expect(resolvePolicy(office, null, circular, undefined)).toEqual({
      ...DEFAULT_CHASE_POLICY,
      maxChases: 1,
      dailyAt: "10:00",
      quietHours: { start: "20:00", end: "07:30" },
    });
  });

  it("replaces workHours whole: leaving out lunch means no lunch break", () => {
    const policy = resolvePolicy({ workHours: { start: "08:30", end: "17:30" } });
    expect(policy.workHours).toEqual({ start: "08:30", end: "17:30" });
    expect(mayChaseAt(at("2026-11-24T12:30:00+08:00"), policy, SHANGHAI, calendar)).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ["a time that is not HH:MM", { workHours: { start: "9am", end: "18:00" } }, "workHours.start must be HH:MM"],
    ["a one-digit hour", { dailyAt: "9:30" }, "dailyAt must be HH:MM"],
    ["hour 24", { quietHours: { start: "24:00", end: "08:00" } }, "quietHours.start must be HH:MM"],
    ["a missing end", { workHours: { start: "09:00" } }, "workHours.end must be HH:MM"],
    ["work ending before it starts", { workHours: { start: "18:00", end: "09:00" } }, "workHours must end after"],
    [
      "lunch outside work",
      { workHours: { start: "09:00", end: "12:00", lunch: { start: "12:00", end: "14:00" } } },
      "workHours.lunch must be a stretch inside workHours 09:00–12:00",
    ],
    ["empty quiet hours", { quietHours: { start: "08:00", end: "08:00" } }, "quietHours must not start and end"],
    ["quiet all working day", { quietHours: { start: "08:00", end: "19:00" } }, "no time left to chase"],
    ["negative hours", { firstAfterWorkingHours: -1 }, "firstAfterWorkingHours must be a number of hours ≥ 0"],
    ["a fractional chase count", { maxChases: 1.5 }, "maxChases must be a whole number ≥ 0"],
    ["a misspelt setting", { maxChase: 2 }, "unknown setting maxChase"],
    ["a misspelt nested setting", { quietHours: { from: "21:00", end: "08:00" } }, "unknown setting quietHours.from"],
  ])("refuses %s", (_, override, message) => {
    expect(() => resolvePolicy(override as Partial<ChasePolicy>)).toThrow(message);
  });

  it("accepts a stored null lunch as no lunch break", () => {
    const stored = JSON.parse('{"workHours":{"start":"09:00","end":"17:00","lunch":null}}') as Partial<ChasePolicy>;
    expect(resolvePolicy(stored).workHours).toEqual({ start: "09:00", end: "17:00" });
  });
});

describe("mayChaseAt", () => {
  it.each([
    ["2026-11-24T08:59:59+08:00", false, "before work"],
    ["2026-11-24T09:00:00+08:00", true, "work starts"],
    ["2026-11-24T11:59:59+08:00", true, "just before lunch"],
    ["2026-11-24T12:00:00+08:00", false, "lunch starts"],
    ["2026-11-24T14:00:00+08:00", true, "lunch is over"],
    ["2026-11-24T18:00:00+08:00", false, "closing time"],
    ["2026-11-28T10:00:00+08:00", false, "an ordinary Saturday"],
    ["2026-10-10T10:00:00+08:00", true, "the 调休 make-up Saturday"],
    ["2026-10-01T10:00:00+08:00", false, "National Day"],
  ])("default policy at %s: %s (%s)", (iso, expected) => {
    expect(mayChaseAt(at(iso), P, SHANGHAI, calendar)).toBe(expected);
  });

  it.each([
    ["2026-11-24T20:59:00+08:00", true],
    ["2026-11-24T21:00:00+08:00", false],
    ["2026-11-24T07:59:00+08:00", false],
    ["2026-11-24T08:00:00+08:00", true],
  ])("quiet hours win over 07:00–22:00 work hours at %s: %s", (iso, expected) => {
    expect(mayChaseAt(at(iso), LONG_DAY, SHANGHAI, calendar)).toBe(expected);
  });

  it("reads the office's zone: 09:30 in Shanghai is 07:30 (quiet) in Urumqi", () => {
    const instant = at("2026-11-24T09:30:00+08:00");
    expect(mayChaseAt(instant, P, SHANGHAI, calendar)).toBe(true);
    expect(mayChaseAt(instant, P, "Asia/Urumqi", calendar)).toBe(false);
  });
});

describe("nextChaseWindow", () => {
  it.each([
    ["2026-11-24T10:15:30+08:00", "2026-11-24T10:15:30+08:00", "already allowed: unchanged"],
    ["2026-11-24T07:00:00+08:00", "2026-11-24T09:00:00+08:00", "early morning → work starts"],
    ["2026-11-24T12:30:00+08:00", "2026-11-24T14:00:00+08:00", "lunch → after lunch"],
    ["2026-11-27T18:00:00+08:00", "2026-11-30T09:00:00+08:00", "Friday closing → Monday"],
    ["2026-09-30T19:00:00+08:00", "2026-10-08T09:00:00+08:00", "evening before National Day → back to work"],
    ["2026-10-09T23:00:00+08:00", "2026-10-10T09:00:00+08:00", "Friday night → the 调休 Saturday"],
  ])("%s → %s (%s)", (from, expected) => {
    expect(sh(nextChaseWindow(at(from), P, SHANGHAI, calendar))).toBe(expected);
  });

  it("waits out quiet hours when work hours would allow", () => {
    expect(sh(nextChaseWindow(at("2026-11-24T21:30:00+08:00"), LONG_DAY, SHANGHAI, calendar))).toBe("2026-11-25T08:00:00+08:00");
  });
});

describe("addWorkingHours", () => {
  it.each([
    ["2026-11-24T09:00:00+08:00", 1.5, "2026-11-24T10:30:00+08:00", "inside one morning"],
    ["2026-11-24T11:00:00+08:00", 2, "2026-11-24T15:00:00+08:00", "skipping lunch"],
    ["2026-11-24T09:00:00+08:00", 7, "2026-11-25T09:00:00+08:00", "a full day ends at closing → next morning"],
    ["2026-11-28T10:00:00+08:00", 2, "2026-11-30T11:00:00+08:00", "counting starts on Monday"],
    ["2026-11-24T12:30:00+08:00", 0, "2026-11-24T14:00:00+08:00", "zero hours still waits for allowed time"],
    ["2026-05-08T17:00:00+08:00", 2, "2026-05-09T10:00:00+08:00", "onto the 调休 Saturday after Labour Day"],
  ])("%s + %f h → %s (%s)", (from, hours, expected) => {
    expect(sh(addWorkingHours(at(from), hours, P, SHANGHAI, calendar))).toBe(expected);
  });

  it("refuses negative or non-finite hours", () => {
    expect(() => addWorkingHours(at("2026-11-24T10:00:00+08:00"), -1, P, SHANGHAI, calendar)).toThrow(RangeError);
    expect(() => addWorkingHours(at("2026-11-24T10:00:00+08:00"), Number.NaN, P, SHANGHAI, calendar)).toThrow(RangeError);
  });
});

describe("chaseDueAt", () => {
  it("first chase: 2 working hours after Tuesday 10:00 is 12:00, which is lunch, so 14:00", () => {
    expect(sh(chaseDueAt(1, at("2026-11-24T10:00:00+08:00"), null, P, SHANGHAI, calendar))).toBe("2026-11-24T14:00:00+08:00");
  });

  it.each([
    ["2026-04-03T17:00:00+08:00", "2026-04-07T09:30:00+08:00", "Friday before Qingming → Tuesday at the daily hour"],
    ["2026-04-30T17:00:00+08:00", "2026-05-06T09:30:00+08:00", "Thursday before Labour Day → Wednesday"],
    ["2026-09-30T17:00:00+08:00", "2026-10-08T09:30:00+08:00", "last day before National Day → 10-08"],
    ["2026-10-09T17:00:00+08:00", "2026-10-10T09:30:00+08:00", "Friday → the 调休 Saturday"],
    ["2026-11-28T10:00:00+08:00", "2026-11-30T09:30:00+08:00", "published on a Saturday → Monday"],
    ["2026-11-27T15:00:00+08:00", "2026-11-27T17:00:00+08:00", "within the day: 2 working hours later"],
  ])("first chase after publishing at %s: %s (%s)", (published, expected) => {
    expect(sh(chaseDueAt(1, at(published), null, P, SHANGHAI, calendar))).toBe(expected);
  });

  it.each([
    ["2026-11-24T14:00:00+08:00", "2026-11-25T09:30:00+08:00", "the next day"],
    ["2026-11-27T09:30:00+08:00", "2026-11-30T09:30:00+08:00", "over the weekend"],
    ["2026-09-30T14:00:00+08:00", "2026-10-08T09:30:00+08:00", "over National Day"],
    ["2026-10-09T09:30:00+08:00", "2026-10-10T09:30:00+08:00", "onto the 调休 Saturday"],
    ["2026-09-18T09:30:00+08:00", "2026-09-20T09:30:00+08:00", "onto the 调休 Sunday"],
    ["2026-10-08T23:30:00+08:00", "2026-10-09T09:30:00+08:00", "late previous chase: still the next working day"],
  ])("a later chase after one at %s: %s (%s)", (previous, expected) => {
    const published = at("2026-09-01T10:00:00+08:00");
    expect(sh(chaseDueAt(2, published, at(previous), P, SHANGHAI, calendar))).toBe(expected);
  });

  it("moves a dailyAt that falls in quiet hours to the end of them", () => {
    const policy = resolvePolicy(LONG_DAY, { dailyAt: "07:30" });
    const due = chaseDueAt(3, at("2026-11-23T10:00:00+08:00"), at("2026-11-24T08:00:00+08:00"), policy, SHANGHAI, calendar);
    expect(sh(due)).toBe("2026-11-25T08:00:00+08:00");
  });

  it("stops after maxChases", () => {
    const published = at("2026-11-24T10:00:00+08:00");
    const previous = at("2026-11-26T09:30:00+08:00");
    expect(sh(chaseDueAt(3, published, previous, P, SHANGHAI, calendar))).toBe("2026-11-27T09:30:00+08:00");
    expect(chaseDueAt(4, published, previous, P, SHANGHAI, calendar)).toBeNull();
    expect(chaseDueAt(1, published, null, resolvePolicy({ maxChases: 0 }), SHANGHAI, calendar)).toBeNull();
  });

  it("refuses a chase number below 1 and a later chase without the previous one", () => {
    const published = at("2026-11-24T10:00:00+08:00");
    expect(() => chaseDueAt(0, published, null, P, SHANGHAI, calendar)).toThrow(RangeError);
    expect(() => chaseDueAt(2, published, null, P, SHANGHAI, calendar)).toThrow("no time was given");
  });
});

describe("escalationDueAt", () => {
  const published = at("2026-11-23T10:00:00+08:00");

  it.each<[string, string | null, string, string]>([
    ["2026-11-24T09:30:00+08:00", null, "2026-11-25T09:30:00+08:00", "one working day after the last chase"],
    ["2026-09-30T09:30:00+08:00", null, "2026-10-08T09:30:00+08:00", "a working day, not a calendar day"],
    ["2026-11-24T09:30:00+08:00", "2026-11-24T16:00:00+08:00", "2026-11-24T16:00:00+08:00", "deadline first"],
    ["2026-11-24T09:30:00+08:00", "2026-11-24T20:00:00+08:00", "2026-11-25T09:00:00+08:00", "evening deadline"],
    ["2026-11-24T09:30:00+08:00", "2026-11-24T12:30:00+08:00", "2026-11-24T14:00:00+08:00", "lunch deadline"],
    ["2026-11-24T09:30:00+08:00", "2026-11-26T17:00:00+08:00", "2026-11-25T09:30:00+08:00", "deadline later"],
    ["2026-11-27T17:45:00+08:00", null, "2026-11-30T17:45:00+08:00", "Friday's last chase → Monday"],
  ])("last chase %s, deadline %s → %s (%s)", (lastChase, deadline, expected) => {
    const due = escalationDueAt(at(lastChase), deadline ? at(deadline) : null, published, P, SHANGHAI, calendar);
    expect(sh(due)).toBe(expected);
  });

  it("with nobody chased, gives the circular itself one working day", () => {
    expect(sh(escalationDueAt(null, null, published, P, SHANGHAI, calendar))).toBe("2026-11-24T10:00:00+08:00");
  });

  it("never escalates before publishing, even with a deadline already past", () => {
    const deadline = at("2026-11-20T18:00:00+08:00");
    expect(sh(escalationDueAt(null, deadline, published, P, SHANGHAI, calendar))).toBe("2026-11-23T10:00:00+08:00");
  });
});

describe("whatever the process's TZ", () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    process.env.TZ = originalTz;
  });

  it.each(["America/New_York", "Pacific/Kiritimati", "UTC"])("%s", (tz) => {
    process.env.TZ = tz;
    expect(sh(chaseDueAt(1, at("2026-09-30T17:00:00+08:00"), null, P, SHANGHAI, calendar))).toBe("2026-10-08T09:30:00+08:00");
    expect(sh(chaseDueAt(2, at("2026-10-09T10:00:00+08:00"), at("2026-10-09T14:00:00+08:00"), P, SHANGHAI, calendar))).toBe(
      "2026-10-10T09:30:00+08:00",
    );
    expect(mayChaseAt(at("2026-11-28T10:00:00+08:00"), P, SHANGHAI, calendar)).toBe(false);
    expect(sh(nextChaseWindow(at("2026-11-27T21:30:00+08:00"), P, SHANGHAI, calendar))).toBe("2026-11-30T09:00:00+08:00");
    const lastChase = at("2026-11-27T09:30:00+08:00");
    const escalation = escalationDueAt(lastChase, null, at("2026-11-26T10:00:00+08:00"), P, SHANGHAI, calendar);
    expect(sh(escalation)).toBe("2026-11-30T09:30:00+08:00");
  });
});
