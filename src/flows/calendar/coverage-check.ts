// A year with no holiday arrangement must never pass silently as plain Monday–Friday. When the next 60 days
// reach a year that neither chinese-days nor the office's own calendar covers, every start logs a warning, and
// each admin is told once in chat (a DB row per admin remembers it, and the outbox keys make two processes send it once).
// A long-running process checks again every morning at 09:00, on the scheduler, so it notices crossing into
// the window too.
import type { App } from "../../app.ts";
import { t, toLocale } from "../../bot/i18n/index.ts";
import { addDays, fromZoned, isoDate, zonedParts, type PlainDate } from "../../bot/time-zone.ts";
import { PACKAGE_TABLE } from "../../bot/working-days.ts";

export const COVERAGE_CHECK = "calendar.check";
/** How far ahead a missing year is reported. */
export const COVERAGE_WINDOW_DAYS = 60;
const CHECK_AT = { hour: 9, minute: 0 };

const today = (app: App): PlainDate => zonedParts(app.clock.now(), app.config.timeZone);

/** The years within the next 60 days (today included) whose holidays nobody has loaded. */
export function uncoveredSoon(app: App): number[] {
  const from = today(app);
  return app.calendar.uncoveredYears(from, addDays(from, COVERAGE_WINDOW_DAYS));
}

/** Logs each uncovered year ahead and tells the admins of it once; returns those years. */
export async function checkCoverage(app: App): Promise<number[]> {
  const years = uncoveredSoon(app);
  for (const year of years) {
    app.log.warn(
      { year, table: `${PACKAGE_TABLE.name} ${PACKAGE_TABLE.version}`, tableEnds: PACKAGE_TABLE.lastYear },
      `the holiday calendar has no arrangement for ${year}: its days count as plain Monday–Friday until an admin loads it (/calendar import in chat, or relay calendar import FILE)`,
    );
    await tellAdmins(app, year);
  }
  return years;
}

/** Tells each admin not yet told of an uncovered year ahead, without logging: after /setup made the first admin. */
export async function tellAdminsOfGaps(app: App): Promise<void> {
  for (const year of uncoveredSoon(app)) await tellAdmins(app, year);
}

async function tellAdmins(app: App, year: number): Promise<void> {
  const told = await app.prisma.calendarWarning.findMany({ where: { year }, select: { personId: true } });
  const admins = await app.prisma.person.findMany({
    where: { role: "admin", active: true, identities: { some: {} }, id: { notIn: told.map((w) => w.personId) } },
    orderBy: { id: "asc" },
  });
  if (admins.length === 0) return; // all told, or nobody to tell yet: the next check tries again
  const params = { year, name: PACKAGE_TABLE.name, version: PACKAGE_TABLE.version, last: PACKAGE_TABLE.lastYear };
  // Sent first, remembered after: a crash between the two sends nothing twice (the keys), a crash before loses nothing.
  await app.outbox.send(
    admins.map((admin) => ({
      key: `calendar-uncovered-y${year}-p${admin.id}`,
      to: { personId: admin.id },
      message: { text: t(toLocale(admin.locale) ?? app.config.locale, "calendar.uncoveredNotice", params) },
    })),
  );
  await app.prisma.calendarWarning.createMany({ data: admins.map((admin) => ({ year, personId: admin.id, sentAt: app.clock.now() })), skipDuplicates: true });
}

/** The next 09:00 on the office's wall clock after now. */
function nextCheckAt(app: App): Date {
  const now = app.clock.now();
  const at = fromZoned({ ...today(app), ...CHECK_AT }, app.config.timeZone);
  return at > now ? at : fromZoned({ ...addDays(today(app), 1), ...CHECK_AT }, app.config.timeZone);
}

const checkId = (day: PlainDate) => `calendar-check-${isoDate(day)}`;

/** Schedules the next morning's check; one a day, named by its date. */
async function scheduleCheck(app: App): Promise<boolean> {
  const at = nextCheckAt(app);
  return app.scheduler.ensure(COVERAGE_CHECK, checkId(zonedParts(at, app.config.timeZone)), {}, at);
}

/** The daily check's job, and a reconciler that puts it back when Redis lost it. */
export function registerCoverageCheck(app: App): void {
  app.scheduler.handle(COVERAGE_CHECK, async () => {
    await app.calendar.refresh();
    await checkCoverage(app);
    await scheduleCheck(app);
  });
  // Today's check still waiting (before 09:00, or Redis late) is as good as the next one.
  app.scheduler.reconcileWith(async () => ((await app.scheduler.isScheduled(checkId(today(app)))) ? 0 : Number(await scheduleCheck(app))));
}
