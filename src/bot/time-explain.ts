// What `relay when "EXPR"` prints: the instant a phrase means, read as a reminder reads it, with notes where a
// deadline would read it differently (a day alone: 09:00 for a reminder, 18:00 for a deadline), where a bare
// time rolled over to the next day, and where it is already past. "By" phrases (月底, 周五前, 3个工作日内) are
// the same instant for both, so they get no note. A date in a year the holiday calendar does not cover says so:
// its working days are counted as plain Monday–Friday.
import { t, type MessageKey } from "./i18n/index.ts";
import { describeRecurrence, formatNear, readWhen, type TimeRef } from "./time-parse.ts";
import { formatInstant, zonedParts } from "./time-zone.ts";
import { HOLIDAY_IDS, packageCalendar } from "./working-days.ts";

/** ok: understood (the text goes to stdout); otherwise the text is the complaint for stderr. */
export interface Explained {
  ok: boolean;
  text: string;
}

/** The `relay when` answer for `expression` at `ref` (a reminder's reading, with a deadline's beside it). */
export function explainWhen(expression: string, ref: Omit<TimeRef, "deadline">): Explained {
  const { now, timeZone } = ref;
  const when = readWhen(expression, ref);
  const asDeadline = readWhen(expression, { ...ref, deadline: true });
  const instant = (at: Date) => formatInstant(at, timeZone);
  const near = (at: Date) => formatNear(at, timeZone, "en", now);
  const rest = (text: string) => (text ? `  rest: "${text}"` : "");
  const calendar = ref.calendar ?? packageCalendar;
  const uncovered = (at: Date) => {
    const { year } = zonedParts(at, timeZone);
    return calendar.covers(year) ? [] : [`${year} holidays not loaded, so counted as plain Monday–Friday: load them with relay calendar import FILE`];
  };

  if (!when) return { ok: false, text: `cannot understand "${expression}" as a time (${timeZone})` };
  if (when.kind === "recurring") {
    const notes = [`${describeRecurrence(when.rule, "en")}; first occurrence`, ...uncovered(when.first)];
    return { ok: true, text: `${instant(when.first)}  (${notes.join("; ")})${rest(when.rest)}` };
  }
  if (when.kind === "unclear" && when.reason === "holiday") {
    const holiday = when.holiday ? t("en", `time.holiday.${HOLIDAY_IDS[when.holiday]}` as MessageKey) : t("en", "time.holiday.any");
    return { ok: false, text: t("en", "time.holidayUnknown", { holiday, year: when.year }) };
  }
  if (when.kind === "unclear") {
    // A week alone: a deadline takes its last working day, a reminder needs the day.
    const at = asDeadline?.kind === "once" ? asDeadline.at : undefined;
    const notes = ["as a deadline: the week's last working day; a reminder needs the day, e.g. \"next Monday 9am\"", ...(at ? uncovered(at) : [])];
    const line = at ? `${instant(at)}  (${notes.join("; ")})` : "";
    return at ? { ok: true, text: `${line}${rest(when.rest)}` } : { ok: false, text: `"${expression}" names no day; say which, e.g. "next Monday 9am"` };
  }

  const notes: string[] = [];
  if (when.at.getTime() <= now.getTime()) notes.push("in the past");
  else if (when.passed) notes.push(`${near(when.passed)} has passed, so ${near(when.at)}`);
  if (asDeadline?.kind === "once" && asDeadline.at.getTime() !== when.at.getTime() && asDeadline.at > now) notes.push(`as a deadline: ${instant(asDeadline.at)}`);
  notes.push(...uncovered(when.at));
  return { ok: true, text: `${instant(when.at)}${notes.length ? `  (${notes.join("; ")})` : ""}${rest(when.rest)}` };
}
