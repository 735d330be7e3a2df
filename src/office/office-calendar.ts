// The office's working-day calendar: chinese-days' table with the days the office loaded laid over it. One per
// Relay process (App.calendar), passed to whatever counts working days — time phrases, leave, chasing — so
// tests with several offices stay apart.
//
// Other processes (a `relay worker` beside a `relay serve`, `relay calendar import` on the command line) see a
// change through a version check: every change raises a revision in the database (calendar-store.ts), and each
// process reads it every CHECK_EVERY_MS and reloads when it moved. The process that made the change reloads at
// once. Chosen over Redis pub/sub because the command line may run without Redis, and a notice missed while a
// subscriber was reconnecting would leave a process on the old calendar for good.
import type { Logger } from "pino";
import { packageCalendar, WorkCalendar, type ListedDay } from "../bot/working-days.ts";
import type { PrismaClient } from "../db/database.ts";
import { calendarRevision } from "./calendar-store.ts";

/** How often a process looks for a change made by another. */
export const CHECK_EVERY_MS = 10_000;

/** Where a year the office loaded came from. */
export interface OfficeYear {
  year: number;
  source: string;
  importedAt: Date;
}

export class OfficeCalendar extends WorkCalendar {
  private revision = -1;
  private loaded: OfficeYear[] = [];

  private constructor(
    private readonly prisma: PrismaClient,
    private readonly base: WorkCalendar,
  ) {
    super([], []);
  }

  /** The office's calendar as the database holds it now. */
  static async load(prisma: PrismaClient, base: WorkCalendar = packageCalendar): Promise<OfficeCalendar> {
    const calendar = new OfficeCalendar(prisma, base);
    await calendar.reload();
    return calendar;
  }

  /** The years the office loaded whole, in order, with their source. */
  officeYears(): readonly OfficeYear[] {
    return this.loaded;
  }

  /** Reads the office's days again (after a change made here, or noticed from elsewhere). */
  async reload(): Promise<void> {
    // The revision first: a change landing between the reads is then seen again at the next check, never missed.
    const revision = await calendarRevision(this.prisma);
    const [days, years] = await Promise.all([
      this.prisma.calendarDay.findMany(),
      this.prisma.calendarYear.findMany({ orderBy: { year: "asc" } }),
    ]);
    const office = days.map((d): [string, ListedDay] => [d.date, { kind: d.kind, ...(d.name ? { name: d.name } : {}) }]);
    this.adopt(this.base.withOffice(office, years.map((y) => y.year)));
    this.loaded = years.map((y) => ({ year: y.year, source: y.source, importedAt: y.importedAt }));
    this.revision = revision;
  }

  /** Reloads if another process changed the calendar since; true when it did. */
  async refresh(): Promise<boolean> {
    if ((await calendarRevision(this.prisma)) === this.revision) return false;
    await this.reload();
    return true;
  }

  /** Checks for changes every `everyMs` until the returned function is called. */
  watch(log: Logger, everyMs = CHECK_EVERY_MS): () => void {
    let failing = false;
    const check = () =>
      void this.refresh().then(
        (changed) => {
          if (changed) log.info({ revision: this.revision }, "holiday calendar changed: reloaded");
          failing = false;
        },
        (err: unknown) => {
          // Said once per outage: the database being away is reported where it matters (/healthz, the inbox).
          if (!failing) log.warn({ err }, "could not check the holiday calendar for changes");
          failing = true;
        },
      );
    const timer = setInterval(check, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
