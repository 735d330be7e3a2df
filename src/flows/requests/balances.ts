// Leave balances: an admin sets how many days of a type someone may take in a year; what is taken is
// counted from approved and pending requests, so nothing is stored twice and a withdrawal gives days back.
import type { App } from "../../app.ts";
import { zonedParts } from "../../bot/time-zone.ts";

export interface BalanceLine {
  leaveType: string;
  days: number;
  used: number;
}

/** The year of an instant in the office's calendar. */
export function officeYear(app: App, at: Date): number {
  return zonedParts(at, app.config.timeZone).year;
}

/** Days of `leaveType` used in `year` by approved and pending requests (a pending one holds its days). */
export async function usedDays(app: App, personId: number, leaveType: string, year: number): Promise<number> {
  const requests = await app.prisma.request.findMany({
    where: { requesterId: personId, kind: "leave", leaveType, status: { in: ["approved", "pending"] } },
    select: { startsAt: true, workingDays: true },
  });
  return requests.filter((r) => r.startsAt && officeYear(app, r.startsAt) === year).reduce((sum, r) => sum + (r.workingDays ?? 0), 0);
}

/** Every balance set for a person this year, with what is used. */
export async function balancesOf(app: App, personId: number, year: number): Promise<BalanceLine[]> {
  const rows = await app.prisma.leaveBalance.findMany({ where: { personId, year }, orderBy: { leaveType: "asc" } });
  return Promise.all(rows.map(async (b) => ({ leaveType: b.leaveType, days: b.days, used: await usedDays(app, personId, b.leaveType, year) })));
}

/** What is left of a balance, or null when none is set for that type (then there is no limit). */
export async function remaining(app: App, personId: number, leaveType: string, year: number): Promise<number | null> {
  const balance = await app.prisma.leaveBalance.findUnique({ where: { personId_year_leaveType: { personId, year, leaveType } } });
  if (!balance) return null;
  return balance.days - (await usedDays(app, personId, leaveType, year));
}
