// Wall clock <-> instant in an IANA zone, using Intl only. Nothing here reads the process's time zone
// (no local-time Date getters or constructors), so results are the same under TZ=UTC or TZ=America/New_York.

/** A calendar date with no zone attached: month 1–12, day 1–31. */
export interface PlainDate {
  year: number;
  month: number;
  day: number;
}

/** A reading of a wall clock. Out-of-range fields roll over (hour 24 is 00:00 the next day). */
export interface WallClock extends PlainDate {
  hour: number;
  minute: number;
  second?: number;
}

/** What a wall clock in some zone shows at an instant; weekday 0 = Sunday … 6 = Saturday. */
export interface ZonedParts extends PlainDate {
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    // en-US with h23 gives ASCII digits and hours 0–23 (some hour12:false settings print midnight as "24").
    formatter = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The wall-clock reading in `timeZone` at instant `at`. */
export function zonedParts(at: Date, timeZone: string): ZonedParts {
  const parts = formatterFor(timeZone).formatToParts(at);
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const date = { year: get("year"), month: get("month"), day: get("day") };
  return { ...date, hour: get("hour"), minute: get("minute"), second: get("second"), weekday: weekdayOf(date) };
}

/** How far `timeZone`'s wall clock is ahead of UTC at `at`, in milliseconds (Shanghai: +8 h). */
function offsetMs(at: Date, timeZone: string): number {
  const p = zonedParts(at, timeZone);
  const wallAsUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return wallAsUtc - Math.floor(at.getTime() / 1000) * 1000;
}

/** The instant at which `timeZone`'s wall clock shows `wall`. */
export function fromZoned(wall: WallClock, timeZone: string): Date {
  const wallAsUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute, wall.second ?? 0);
  // The offset may change on this very day (DST), so try the offsets in force a day before and a day after.
  const before = offsetMs(new Date(wallAsUtc - DAY_MS), timeZone);
  const after = offsetMs(new Date(wallAsUtc + DAY_MS), timeZone);
  const readings = [before, after]
    .map((offset) => wallAsUtc - offset)
    .filter((t) => offsetMs(new Date(t), timeZone) === wallAsUtc - t);
  // Clocks set back: the time happens twice, take the first. Clocks set forward: it never happens; reading
  // it with the old offset lands just after the gap (02:30 → 03:30), as Temporal's "compatible" does.
  return new Date(readings.length > 0 ? Math.min(...readings) : wallAsUtc - before);
}

const pad = (n: number, width = 2) => String(n).padStart(width, "0");

/** ISO 8601 with the zone's offset and no milliseconds, e.g. "2026-11-28T15:00:00+08:00". */
export function formatInstant(at: Date, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  const offsetMinutes = Math.round(offsetMs(at, timeZone) / 60_000);
  const sign = offsetMinutes < 0 ? "-" : "+";
  const abs = Math.abs(offsetMinutes);
  return (
    `${pad(p.year, 4)}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/** "HH:mm", the way times are shown to users. */
export function formatClock(time: { hour: number; minute: number }): string {
  return `${pad(time.hour)}:${pad(time.minute)}`;
}

/** `date` moved by `days` calendar days (negative goes back). */
export function addDays(date: PlainDate, days: number): PlainDate {
  const t = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: t.getUTCFullYear(), month: t.getUTCMonth() + 1, day: t.getUTCDate() };
}

/** 0 = Sunday … 6 = Saturday. */
export function weekdayOf(date: PlainDate): number {
  return new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
}

/** Number of days in `month` (1–12) of `year`. */
export function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Negative if `a` is before `b`, 0 if the same day, positive if after. */
export function compareDates(a: PlainDate, b: PlainDate): number {
  return a.year - b.year || a.month - b.month || a.day - b.day;
}

/** "2026-10-10", the key format of holiday tables. */
export function isoDate(date: PlainDate): string {
  return `${pad(date.year, 4)}-${pad(date.month)}-${pad(date.day)}`;
}
