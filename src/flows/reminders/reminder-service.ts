// Personal reminders. The row is the truth: `seq` names the occurrence a job is for, so a job that
// finds the row cancelled, done or rescheduled does nothing, and a flushed Redis is repaired by reconcile().
import type { App } from "../../app.ts";
import { UserError } from "../../bot/errors.ts";
import type { Member } from "../../bot/member.ts";
import { formatNear, nextOccurrence, type Recurrence, type When } from "../../bot/time-parse.ts";
import { audit } from "../../db/audit.ts";
import type { Prisma, Reminder } from "../../generated/prisma/client.ts";
import { firedMessage } from "./reminder-message.ts";

/** The scheduler's job type of occurrences queued before they became outbox sends (still handled, for an upgrade). */
export const FIRE = "reminder.fire";
/** The outbox purpose of an occurrence. */
export const REMINDER = "reminder";

/** The outbox key of one occurrence: queueing it twice is harmless, cancelling is by the same key. */
export function occurrenceKey(r: Pick<Reminder, "id" | "seq">): string {
  return `reminder-${r.id}-s${r.seq}`;
}

export function zoneOf(app: App, member: Pick<Member, "timeZone">): string {
  return member.timeZone ?? app.config.timeZone;
}

/** Creates a reminder for `member` and schedules its first occurrence. */
export async function createReminder(app: App, member: Member, when: When, text: string): Promise<Reminder> {
  const fireAt = when.kind === "once" ? when.at : when.first;
  const now = app.clock.now();
  if (fireAt.getTime() <= now.getTime() - 1000) throw new UserError("reminder.past", { when: formatNear(fireAt, zoneOf(app, member), app.config.locale, now) });
  const reminder = await app.prisma.$transaction(async (tx) => {
    const r = await tx.reminder.create({
      data: {
        personId: member.id,
        identityId: member.identityId,
        text,
        fireAt,
        recurrence: when.kind === "recurring" ? (when.rule as unknown as Prisma.InputJsonValue) : undefined,
        timeZone: zoneOf(app, member),
      },
    });
    await audit(tx, { actorId: member.id, action: "reminder.create", entity: "Reminder", entityId: r.id, data: { text, fireAt: fireAt.toISOString() } });
    return r;
  });
  await queueOccurrence(app, reminder, member.locale);
  return reminder;
}

/**
 * The occurrence `r.seq` as a send in the outbox at its time: a person's own reminder goes before bulk copies.
 * `locale`: the person's, when the caller has it (else it is looked up).
 */
export async function queueOccurrence(app: App, r: Reminder, locale?: string | null): Promise<void> {
  await app.outbox.send({
    key: occurrenceKey(r), to: { personId: r.personId, identityId: r.identityId }, purpose: REMINDER,
    subject: { reminderId: r.id, seq: r.seq, recurring: r.recurrence !== null }, message: await firedMessage(app, r, locale), priority: "personal", at: r.fireAt,
  });
}

/**
 * Records that these occurrences went (or could not): the one-off reminders are fired in one conditional update;
 * a recurring one moves to its next occurrence after now (one that fires late skips what it missed).
 */
export async function occurrencesDone(app: App, occurrences: { reminderId: number; seq: number; recurring: boolean }[]): Promise<void> {
  const once = occurrences.filter((o) => !o.recurring);
  if (once.length > 0) {
    // Plain SQL: at 8:30 this runs for thousands of reminders, and Prisma's OR of as many pairs costs more than the update.
    const now = app.clock.now().toISOString();
    await app.db.sql.query(
      `UPDATE "Reminder" r SET status = 'fired', "firedCount" = r."firedCount" + 1, "lastFiredAt" = $3::timestamp(3), "updatedAt" = $3::timestamp(3)
       FROM unnest($1::int[], $2::int[]) AS v(id, seq)
       WHERE r.id = v.id AND r.seq = v.seq AND r.status = 'pending'`,
      [once.map((o) => o.reminderId), once.map((o) => o.seq), now],
    );
  }
  for (const o of occurrences.filter((o) => o.recurring)) {
    const due = await dueOccurrence(app, o.reminderId, o.seq);
    if (due) await markFired(app, due);
  }
}

export function recurrenceOf(r: Reminder): Recurrence | null {
  return (r.recurrence as unknown as Recurrence | null) ?? null;
}

export type Occurrence = { reminder: Reminder; next: Date | null };

/**
 * The occurrence `seq` of a reminder if it is still due: null when the row has moved on (cancelled,
 * snoozed, already fired), so a stale or repeated job does nothing. Changes nothing.
 */
export async function dueOccurrence(app: App, reminderId: number, seq: number): Promise<Occurrence | null> {
  const r = await app.prisma.reminder.findUnique({ where: { id: reminderId } });
  if (!r || r.status !== "pending" || r.seq !== seq) return null;
  const rule = recurrenceOf(r);
  const after = new Date(Math.max(app.clock.now().getTime(), r.fireAt.getTime()));
  return { reminder: r, next: rule ? nextOccurrence(rule, after, r.timeZone, app.calendar) : null };
}

/**
 * Records that an occurrence was delivered. Called after sending, so a failed send is retried by the
 * job (at least once, never silently lost). A recurring reminder advances to its next occurrence.
 */
export async function markFired(app: App, { reminder: r, next }: Occurrence): Promise<void> {
  const now = app.clock.now();
  const claimed = await app.prisma.reminder.updateMany({
    where: { id: r.id, seq: r.seq, status: "pending" },
    data: next
      ? { fireAt: next, seq: r.seq + 1, firedCount: { increment: 1 }, lastFiredAt: now }
      : { status: "fired", firedCount: { increment: 1 }, lastFiredAt: now },
  });
  if (claimed.count === 1 && next) await queueOccurrence(app, { ...r, fireAt: next, seq: r.seq + 1 });
}

/** The owner's reminder `id`, or a clear error. Callback data can be forged: always check the owner. */
export async function ownReminder(app: App, member: Member, id: number): Promise<Reminder> {
  const r = await app.prisma.reminder.findUnique({ where: { id } });
  if (!r || r.personId !== member.id) throw new UserError("reminder.notFound", { id });
  return r;
}

/** Cancels a reminder that has not finished; its job goes too. */
export async function cancelReminder(app: App, member: Member, id: number): Promise<Reminder> {
  const r = await ownReminder(app, member, id);
  if (r.status === "cancelled" || r.status === "done") throw new UserError("reminder.alreadyClosed", { id });
  const cancelled = await app.prisma.$transaction(async (tx) => {
    const c = await tx.reminder.update({ where: { id }, data: { status: "cancelled" } });
    await audit(tx, { actorId: member.id, action: "reminder.cancel", entity: "Reminder", entityId: id });
    return c;
  });
  await app.outbox.cancel(occurrenceKey(r));
  return cancelled;
}

/** Marks a fired reminder done. A recurring one stays on for its next occurrence. */
export async function completeReminder(app: App, member: Member, id: number): Promise<Reminder> {
  const r = await ownReminder(app, member, id);
  if (r.status !== "fired") return r;
  return app.prisma.$transaction(async (tx) => {
    const done = await tx.reminder.update({ where: { id }, data: { status: "done" } });
    await audit(tx, { actorId: member.id, action: "reminder.done", entity: "Reminder", entityId: id });
    return done;
  });
}

/**
 * Reminds again at `at`. A one-off reminder is moved (its seq advances, so the old job is void);
 * a recurring one keeps its schedule and gets a one-off copy for the snoozed occurrence.
 */
export async function snoozeReminder(app: App, member: Member, id: number, at: Date): Promise<Reminder> {
  const r = await ownReminder(app, member, id);
  if (r.status === "cancelled" || r.status === "done") throw new UserError("reminder.alreadyClosed", { id });
  const snoozed = await app.prisma.$transaction(async (tx) => {
    const s = recurrenceOf(r)
      ? await tx.reminder.create({ data: { personId: r.personId, identityId: r.identityId, text: r.text, fireAt: at, timeZone: r.timeZone } })
      : await tx.reminder.update({ where: { id }, data: { status: "pending", fireAt: at, seq: r.seq + 1 } });
    await audit(tx, { actorId: member.id, action: "reminder.snooze", entity: "Reminder", entityId: id, data: { until: at.toISOString(), as: s.id } });
    return s;
  });
  if (!recurrenceOf(r)) await app.outbox.cancel(occurrenceKey(r));
  await queueOccurrence(app, snoozed);
  return snoozed;
}

/** Reminders still to come or waiting for "done". */
export async function openReminders(app: App, member: Member): Promise<Reminder[]> {
  return app.prisma.reminder.findMany({
    where: { personId: member.id, status: { in: ["pending", "fired"] } },
    orderBy: [{ status: "asc" }, { fireAt: "asc" }],
    take: 50,
  });
}

/**
 * Puts in the outbox every pending occurrence that is not there (one scheduled before the outbox whose job
 * Redis lost, a crash between the row and its send); the outbox re-queues its own sends whose job is gone.
 */
export async function reconcileReminders(app: App): Promise<number> {
  let created = 0;
  let cursor = 0;
  for (;;) {
    const batch = await app.prisma.reminder.findMany({ where: { status: "pending", id: { gt: cursor } }, orderBy: { id: "asc" }, take: 500 });
    if (batch.length === 0) return created;
    const queued = new Set((await app.prisma.outboxMessage.findMany({ where: { key: { in: batch.map(occurrenceKey) } }, select: { key: true } })).map((o) => o.key));
    const missing = batch.filter((r) => !queued.has(occurrenceKey(r)));
    for (const r of missing) await queueOccurrence(app, r);
    created += missing.length;
    cursor = batch.at(-1)!.id;
  }
}
