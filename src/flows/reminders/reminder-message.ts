// What a fired reminder says, and the snooze choices on it.
import type { App } from "../../app.ts";
import { t, toLocale } from "../../bot/i18n/index.ts";
import type { Button, Outbound } from "../../bot/message.ts";
import { describeRecurrence, formatLocal, nextOccurrence, type Recurrence } from "../../bot/time-parse.ts";
import type { Reminder } from "../../generated/prisma/client.ts";

/** Snooze choices on a fired reminder: button value suffix → minutes (0 = tomorrow at the same time). */
export const SNOOZES = { "10m": 10, "1h": 60, "1d": 0 } as const;
export type Snooze = keyof typeof SNOOZES;

/** "⏰ 提醒：交材料", for a recurring one when it comes next, and the done and snooze buttons. */
export async function firedMessage(app: App, r: Reminder, personLocale?: string | null): Promise<Outbound> {
  const chosen = personLocale !== undefined ? personLocale : (await app.prisma.person.findUnique({ where: { id: r.personId }, select: { locale: true } }))?.locale;
  const locale = toLocale(chosen) ?? app.config.locale;
  const lines = [t(locale, "reminder.fired", { text: r.text })];
  const rule = (r.recurrence as unknown as Recurrence | null) ?? null;
  const next = rule ? nextOccurrence(rule, r.fireAt, r.timeZone, app.calendar) : null;
  if (rule && next) lines.push(t(locale, "reminder.nextOccurrence", { rule: describeRecurrence(rule, locale), next: formatLocal(next, r.timeZone, locale, r.fireAt) }));
  const buttons: Button[][] = [
    [{ label: t(locale, "reminder.doneButton"), action: "reminder.done", value: String(r.id) }],
    (Object.keys(SNOOZES) as Snooze[]).map((s) => ({ label: t(locale, `reminder.snooze.${s}`), action: "reminder.snooze", value: `${r.id}:${s}` })),
  ];
  return { text: lines.join("\n"), buttons };
}
