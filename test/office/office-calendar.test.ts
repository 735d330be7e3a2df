// The office's calendar in the database, on PostgreSQL and PGlite: what the office stored wins over chinese-days
// for its dates, an imported year replaces that year's days, removing a day gives chinese-days' answer back, and
// two offices never see each other's days. The dates are made up for the test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PlainDate } from "../../src/bot/time-zone.ts";
import { packageCalendar, parseIso } from "../../src/bot/working-days.ts";
import { parseDaysLine } from "../../src/office/calendar-file.ts";
import { importArrangement } from "../../src/office/calendar-import.ts";
import { calendarRevision, removeDays, setDays } from "../../src/office/calendar-store.ts";
import { OfficeCalendar } from "../../src/office/office-calendar.ts";
import { testDatabase, type TestDatabase } from "../support/db.ts";

const TODAY: PlainDate = { year: 2026, month: 12, day: 4 };
const NOW = new Date("2026-12-04T10:00:00+08:00");
const day = parseIso;
const change = { actorId: null, source: "test", now: NOW };
const daysOf = (line: string) => {
  const read = parseDaysLine(line, TODAY);
  if ("error" in read) throw new Error(JSON.stringify(read.error));
  return read.days;
};

describe.each(["postgres", "pglite"] as const)("the office calendar on %s", (kind) => {
  let db: TestDatabase;
  let other: TestDatabase;
  beforeAll(async () => {
    [db, other] = await Promise.all([testDatabase(kind), testDatabase(kind)]);
  });
  afterAll(async () => {
    await db?.drop();
    await other?.drop();
  });

  it("answers as chinese-days while the office stored nothing", async () => {
    const calendar = await OfficeCalendar.load(db.prisma);
    for (const iso of ["2026-10-01", "2026-10-10", "2026-11-27", "2026-11-28"]) expect(calendar.isWorkday(day(iso))).toBe(packageCalendar.isWorkday(day(iso)));
    expect([calendar.covers(2026), calendar.covers(2027)]).toEqual([true, false]);
    expect(await calendarRevision(db.prisma)).toBe(0);
  });

  it("lets a stored day win over chinese-days for its date, both ways, and removing it gives the package's answer back", async () => {
    const calendar = await OfficeCalendar.load(db.prisma);
    await setDays(db.prisma, [...daysOf("放假 2026-11-30 测试假日"), ...daysOf("上班 2026-10-05")], change);
    expect(await calendar.refresh()).toBe(true);
    expect(calendar.isWorkday(day("2026-11-30"))).toBe(false); // a Monday, off
    expect(calendar.isWorkday(day("2026-10-05"))).toBe(true); // National Day in chinese-days, worked here
    expect(calendar.nextWorkday(day("2026-11-27"))).toEqual(day("2026-12-01"));
    expect(packageCalendar.isWorkday(day("2026-11-30"))).toBe(true); // the default is untouched

    expect(await removeDays(db.prisma, [day("2026-10-05"), day("2026-10-06")], change)).toEqual(["2026-10-05"]);
    expect(await calendar.refresh()).toBe(true);
    expect(calendar.isWorkday(day("2026-10-05"))).toBe(false);
    expect(await calendar.refresh()).toBe(false); // nothing changed since
  });

  it("keeps two offices apart", async () => {
    const mine = await OfficeCalendar.load(db.prisma);
    const theirs = await OfficeCalendar.load(other.prisma);
    expect(mine.isWorkday(day("2026-11-30"))).toBe(false);
    expect(theirs.isWorkday(day("2026-11-30"))).toBe(true);
  });

  it("covers an imported year, and importing it again replaces its days", async () => {
    const first = await importArrangement(db.prisma, "2030年\n春节 放假 2月2日至2月8日 上班 2月9日\n国庆节 放假 10月1日至10月7日", change);
    expect(first).toMatchObject({ ok: true, done: [{ year: 2030, replaced: 0 }] });
    const calendar = await OfficeCalendar.load(db.prisma);
    expect(calendar.covers(2030)).toBe(true);
    expect(calendar.workdaysAfterBreaks("春节").filter((d) => d.year === 2030)).toEqual([day("2030-02-09")]);
    expect(calendar.officeYears()).toMatchObject([{ year: 2030, source: "test", importedAt: NOW }]);

    const second = await importArrangement(db.prisma, "2030 春节 放假 2月3日至2月5日", change);
    expect(second).toMatchObject({ ok: true, done: [{ year: 2030, replaced: 15 }] });
    await calendar.refresh();
    expect(calendar.isWorkday(day("2030-10-01"))).toBe(true); // the old National Day went with the old file
    expect(calendar.isWorkday(day("2030-02-09"))).toBe(false); // a Saturday again
    expect(calendar.listed(day("2030-01-01"), day("2030-12-31")).map((d) => d.date.day)).toEqual([3, 4, 5]);
  });

  it("stores nothing when a line is bad", async () => {
    const before = await calendarRevision(db.prisma);
    const outcome = await importArrangement(db.prisma, "2031年\n春节 放假 1月22日至1月28日\n上班 1月29日", change);
    expect(outcome).toEqual({ ok: false, errors: [{ line: 3, code: "workdayOnWeekday", params: { date: "2031-01-29", weekday: 3 } }] });
    expect(await db.prisma.calendarYear.findUnique({ where: { year: 2031 } })).toBeNull();
    expect(await calendarRevision(db.prisma)).toBe(before);
  });

  it("counts two changes at once as two revisions", async () => {
    const before = await calendarRevision(db.prisma);
    await Promise.all([setDays(db.prisma, daysOf("放假 2030-05-01"), change), setDays(db.prisma, daysOf("放假 2030-05-02"), change)]);
    expect(await calendarRevision(db.prisma)).toBe(before + 2);
  });
});
