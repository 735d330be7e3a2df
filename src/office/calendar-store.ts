// The office's calendar in the database: the days it set (CalendarDay), the years whose whole arrangement it
// loaded (CalendarYear), and a revision that every change raises, so other Relay processes see a change with
// one cheap read (office-calendar.ts). Each change is audited in the transaction that makes it.
import { isoDate, type PlainDate } from "../bot/time-zone.ts";
import { audit, type Tx } from "../db/audit.ts";
import type { PrismaClient } from "../db/database.ts";
import type { ArrangedDay, YearArrangement } from "./calendar-file.ts";

/** The Setting row holding the calendar's revision. */
const REVISION_KEY = "calendar.revision";
// Two imports of one year at once would both delete, then both insert: they take turns instead.
const CALENDAR_LOCK = 7_265_300;

/** Who changed the calendar: a person in chat, or nobody (the command line), and the file or "chat". */
export interface CalendarChange {
  actorId: number | null;
  source: string;
  now: Date;
}

/** What an import did to each year. */
export interface YearImported {
  year: number;
  holidays: ArrangedDay[];
  workdays: ArrangedDay[];
  /** Days an earlier import (or chat) had set for that year, now replaced. */
  replaced: number;
}

/** The revision every change raises; 0 before the first. */
export async function calendarRevision(prisma: PrismaClient): Promise<number> {
  const row = await prisma.setting.findUnique({ where: { key: REVISION_KEY } });
  return typeof row?.value === "number" ? row.value : 0;
}

async function begin(tx: Tx): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(${CALENDAR_LOCK})`;
}

/** Raises the revision inside the change's transaction, atomically (two changes at once are two revisions). */
async function bumpRevision(tx: Tx): Promise<void> {
  await tx.$executeRaw`INSERT INTO "Setting" ("key", "value", "updatedAt") VALUES (${REVISION_KEY}, '1'::jsonb, now())
    ON CONFLICT ("key") DO UPDATE SET "value" = to_jsonb(("Setting"."value" #>> '{}')::int + 1), "updatedAt" = now()`;
}

const row = (day: ArrangedDay, year: number, change: CalendarChange) => ({
  date: isoDate(day.date), kind: day.kind, name: day.name ?? null, year, source: change.source, createdAt: change.now,
});

/**
 * Stores whole years' arrangements: each year's earlier days go, its new ones come, and the year counts as
 * covered from now on. All or nothing, in one transaction.
 */
export async function importYears(prisma: PrismaClient, years: YearArrangement[], change: CalendarChange): Promise<YearImported[]> {
  return prisma.$transaction(async (tx) => {
    await begin(tx);
    const done: YearImported[] = [];
    for (const { year, days } of years) {
      const dates = days.map((d) => isoDate(d.date));
      const replaced = await tx.calendarDay.deleteMany({ where: { OR: [{ year }, { date: { in: dates } }] } });
      await tx.calendarDay.createMany({ data: days.map((d) => row(d, year, change)) });
      await tx.calendarYear.upsert({
        where: { year },
        create: { year, source: change.source, importedAt: change.now },
        update: { source: change.source, importedAt: change.now },
      });
      const holidays = days.filter((d) => d.kind === "holiday");
      const workdays = days.filter((d) => d.kind === "workday");
      await audit(tx, {
        actorId: change.actorId, action: "calendar.import", entity: "CalendarYear", entityId: year,
        data: { source: change.source, holidays: holidays.map((d) => isoDate(d.date)), workdays: workdays.map((d) => isoDate(d.date)), replaced: replaced.count },
      });
      done.push({ year, holidays, workdays, replaced: replaced.count });
    }
    await bumpRevision(tx);
    return done;
  });
}

/** Sets single days (a day off or a make-up working day), each winning over chinese-days for its date. */
export async function setDays(prisma: PrismaClient, days: ArrangedDay[], change: CalendarChange): Promise<void> {
  await prisma.$transaction(async (tx) => {
    await begin(tx);
    for (const day of days) {
      const data = row(day, day.date.year, change);
      const before = await tx.calendarDay.findUnique({ where: { date: data.date } });
      await tx.calendarDay.upsert({ where: { date: data.date }, create: data, update: data });
      await audit(tx, {
        actorId: change.actorId, action: "calendar.set", entity: "CalendarDay", entityId: data.date,
        data: { kind: day.kind, name: day.name ?? null, before: before ? { kind: before.kind, name: before.name } : null },
      });
    }
    await bumpRevision(tx);
  });
}

/** Removes the office's own entries for `dates` (chinese-days' answer, or plain Monday–Friday, applies again); returns those removed. */
export async function removeDays(prisma: PrismaClient, dates: PlainDate[], change: CalendarChange): Promise<string[]> {
  return prisma.$transaction(async (tx) => {
    await begin(tx);
    const keys = dates.map(isoDate);
    const found = await tx.calendarDay.findMany({ where: { date: { in: keys } }, orderBy: { date: "asc" } });
    if (found.length === 0) return [];
    await tx.calendarDay.deleteMany({ where: { date: { in: found.map((d) => d.date) } } });
    for (const day of found) {
      await audit(tx, { actorId: change.actorId, action: "calendar.remove", entity: "CalendarDay", entityId: day.date, data: { kind: day.kind, name: day.name, source: day.source } });
    }
    await bumpRevision(tx);
    return found.map((d) => d.date);
  });
}
