// Chasing and escalation: firm but polite. Chases only in working hours of working days, at most a few,
// batched so a person with several things pending gets one message; after the last chase (or at the
// deadline) each missing person's supervisor hears once and the author gets a summary.
// Jobs only say "look at circular X now": the rows decide, so stale or repeated jobs do nothing.
import type { App } from "../../app.ts";
import { t, toLocale, type Locale } from "../../bot/i18n/index.ts";
import type { Button, Platform, Span } from "../../bot/message.ts";
import { formatLocal } from "../../bot/time-parse.ts";
import { audit } from "../../db/audit.ts";
import { StartupError } from "../../startup-error.ts";
import type { Circular } from "../../generated/prisma/client.ts";
import { onLeave } from "../requests/on-leave.ts";
import { chaseDueAt, escalationDueAt, mayChaseAt, nextChaseWindow, resolvePolicy, type ChasePolicy } from "./chase-policy.ts";
import { responseButtons, responseLabel, RESPONSES, serialLabel } from "./circular-text.ts";

export const CHASE = "circular.chase";
export const NUDGE = "circular.nudge";
export const ESCALATE = "circular.escalate";
/** Chases due within this window reach a person as one message. */
const BATCH_MS = 10 * 60_000;

/** Queues the batched reminder for `personId` due at `now` (circulars and approvals share it). */
export async function queueNudge(app: App, personId: number, now: Date, policy: ChasePolicy): Promise<void> {
  const batch = Math.floor(now.getTime() / BATCH_MS) + 1;
  const at = nextChaseWindow(new Date(batch * BATCH_MS), policy, app.config.timeZone, app.calendar);
  await app.scheduler.schedule(NUDGE, `nudge-p${personId}-b${batch}`, { personId }, at);
}

export function policyOf(app: App, circular: Pick<Circular, "chasePolicy">): ChasePolicy {
  return resolvePolicy(app.config.chasePolicy as Partial<ChasePolicy> | undefined, circular.chasePolicy as Partial<ChasePolicy> | null);
}

const chaseJobId = (id: number, round: number) => `chase-${id}-r${round}`;
const escalateJobIds = (id: number) => [`escalate-${id}-deadline`, `escalate-${id}-chased`];

/**
 * Makes sure a circular's next chase round and its deadline escalation are scheduled; called at publishing
 * and by the reconciler. Returns how many jobs it had to create.
 */
export async function scheduleChasing(app: App, circular: Circular): Promise<number> {
  const tz = app.config.timeZone;
  const policy = policyOf(app, circular);
  const open = await app.prisma.receipt.count({ where: { circularId: circular.id, respondedAt: null, escalatedAt: null } });
  if (open === 0) return 0; // everyone answered, or everyone missing has been escalated
  let created = 0;
  const round = circular.chaseRound + 1;
  const previous = circular.chaseRound > 0 ? await lastChaseAt(app, circular.id) : null;
  const due = chaseDueAt(round, circular.publishedAt, previous, policy, tz, app.calendar);
  if (due && (await app.scheduler.ensure(CHASE, chaseJobId(circular.id, round), { circularId: circular.id, round }, due))) created++;
  if (!due && previous) {
    const at = escalationDueAt(previous, circular.deadline, circular.publishedAt, policy, tz, app.calendar);
    if (await app.scheduler.ensure(ESCALATE, escalateJobIds(circular.id)[1]!, { circularId: circular.id }, at)) created++;
  }
  if (circular.deadline) {
    const at = nextChaseWindow(circular.deadline, policy, tz, app.calendar);
    if (await app.scheduler.ensure(ESCALATE, escalateJobIds(circular.id)[0]!, { circularId: circular.id }, at)) created++;
  }
  return created;
}

async function lastChaseAt(app: App, circularId: number): Promise<Date | null> {
  const r = await app.prisma.receipt.aggregate({ where: { circularId }, _max: { lastChasedAt: true } });
  return r._max.lastChasedAt;
}

/** Removes a cancelled circular's jobs (their handlers would do nothing anyway: the row says cancelled). */
export async function unscheduleChasing(app: App, circular: Circular): Promise<void> {
  await app.scheduler.cancel(chaseJobId(circular.id, circular.chaseRound + 1));
  for (const id of escalateJobIds(circular.id)) await app.scheduler.cancel(id);
}

/** Chase round `round`: everyone still missing gets a (batched) reminder; then the next round or escalation. */
async function chaseRound(app: App, circularId: number, round: number): Promise<void> {
  const circular = await app.prisma.circular.findUnique({ where: { id: circularId } });
  if (!circular || circular.status !== "published" || circular.chaseRound >= round) return;
  const policy = policyOf(app, circular);
  const now = app.clock.now();
  const tz = app.config.timeZone;
  if (!mayChaseAt(now, policy, tz, app.calendar)) {
    // Redis can fire late (a restart, a flush and reconcile): never chase at night because of it.
    await app.scheduler.ensure(CHASE, `${chaseJobId(circularId, round)}-late`, { circularId, round }, nextChaseWindow(now, policy, tz, app.calendar));
    return;
  }
  const chased = await chaseMissing(app, circular, policy, now, round);
  await app.prisma.$transaction(async (tx) => {
    await tx.circular.update({ where: { id: circularId }, data: { chaseRound: round } });
    await audit(tx, { actorId: null, action: "circular.chase", entity: "Circular", entityId: circularId, data: { round, people: chased } });
  });
  const next = chaseDueAt(round + 1, circular.publishedAt, now, policy, tz, app.calendar);
  if (next) await app.scheduler.ensure(CHASE, chaseJobId(circularId, round + 1), { circularId, round: round + 1 }, next);
  else await app.scheduler.ensure(ESCALATE, escalateJobIds(circularId)[1]!, { circularId }, escalationDueAt(now, circular.deadline, circular.publishedAt, policy, tz, app.calendar));
}

/** Marks the missing as chased and queues one batched nudge per person; returns how many. */
async function chaseMissing(app: App, circular: Circular, policy: ChasePolicy, now: Date, round: number): Promise<number> {
  const open = await app.prisma.receipt.findMany({
    where: { circularId: circular.id, respondedAt: null, delivery: { not: "unreachable" } },
    select: { id: true, personId: true, chasedCount: true, chasesOwed: true },
  });
  // A chase still on its way counts against the limit too, so a slow send never earns an extra round.
  const candidates = open.filter((r) => r.chasedCount + r.chasesOwed < policy.maxChases);
  // People on approved leave are not chased; they keep their turn for when they are back.
  const away = await onLeave(app.prisma, candidates.map((r) => r.personId), now);
  const missing = candidates.filter((r) => !away.has(r.personId));
  if (missing.length === 0) return 0;
  await owe(app, missing.map((r) => r.id), now);
  for (const { personId } of missing) await queueNudge(app, personId, now, policy);
  await mentionInGroups(app, circular, missing.map((r) => r.personId), round);
  return missing.length;
}

/**
 * Where the circular was posted in a group, one message there mentions the missing people of that group
 * (a mention notifies them even in a muted group), replying to nobody else.
 */
async function mentionInGroups(app: App, circular: Circular, missing: number[], round: number): Promise<void> {
  const posts = await app.prisma.circularPost.findMany({ where: { circularId: circular.id, messageId: { not: null } }, include: { channel: true } });
  for (const post of posts) {
    const receipts = await app.prisma.receipt.findMany({
      where: { circularId: circular.id, personId: { in: missing }, chatId: post.channel.externalId },
      include: { person: { include: { identities: { where: { platform: post.channel.platform } } } } },
    });
    if (receipts.length === 0) continue;
    const locale = app.config.locale;
    const text: Span[] = [t(locale, "chase.groupLead", { serial: serialLabel(circular, locale), id: circular.id, title: circular.title })];
    for (const [i, r] of receipts.entries()) {
      const identity = r.person.identities[0];
      const mention: Span = identity ? { mention: { platform: identity.platform as Platform, id: identity.externalId }, label: r.person.name } : r.person.name;
      text.push(i === 0 ? " " : "、", mention);
    }
    const chat = { platform: post.channel.platform as Platform, id: post.channel.externalId, kind: "group" as const };
    await app.outbox.send({ key: `chase-c${circular.id}-r${round}-post${post.id}`, to: { chat }, message: { text, buttons: responseButtons(circular, locale) } });
  }
}

/** One message listing everything the person still owes, with a button for each; `batch` (its job's id) names it. */
async function nudge(app: App, personId: number, batch: string): Promise<void> {
  const person = await app.prisma.person.findUnique({ where: { id: personId } });
  if (!person?.active) return;
  const pending = await app.prisma.receipt.findMany({
    where: { personId, respondedAt: null, lastChasedAt: { not: null }, circular: { status: "published" } },
    include: { circular: true },
    orderBy: { circular: { deadline: "asc" } },
  });
  // Requests sitting with this person as approver, once reminded, ride in the same message.
  const approvals = await app.prisma.requestStep.findMany({
    where: { approverId: personId, status: "pending", remindedAt: { not: null }, request: { status: "pending" } },
    include: { request: { include: { requester: true } } },
    orderBy: { requestId: "asc" },
  });
  if (pending.length === 0 && approvals.length === 0) return; // answered meanwhile
  const locale: Locale = toLocale(person.locale) ?? app.config.locale;
  const now = app.clock.now();
  const lines = pending.map(({ circular: c }) => {
    const due = c.deadline ? t(locale, "circular.dueShort", { when: formatLocal(c.deadline, app.config.timeZone, locale, now) }) : "";
    return `#${c.id} ${serialLabel(c, locale)} ${c.title}${due}`;
  });
  for (const step of approvals) lines.push(t(locale, "chase.approvalLine", { id: step.requestId, name: step.request.requester.name }));
  const buttons: Button[][] = [
    ...pending.slice(0, 10).map(({ circular: c }) => [
      { label: `${responseLabel(RESPONSES[c.kind][0]!, locale)} #${c.id}`, action: `circular.${RESPONSES[c.kind][0]}`, value: String(c.id) },
    ]),
    ...approvals.slice(0, 10).map((s) => [{ label: t(locale, "request.approveButtonId", { id: s.requestId }), action: "request.approve", value: String(s.requestId) }]),
  ];
  const count = pending.length + approvals.length;
  const owed = pending.filter((r) => r.chasesOwed > 0).map((r) => [r.id, r.chasesOwed]);
  await app.outbox.send({
    key: batch, to: { personId }, purpose: NUDGE, subject: { owed },
    message: { text: `${t(locale, "chase.nudge", { count })}\n${lines.join("\n")}`, buttons },
  });
}

/** Only once the nudge is sent has the person been chased: what they were owed becomes what they got (催办次数). */
async function chased(app: App, owed: [number, number][]): Promise<void> {
  if (owed.length === 0) return;
  // Conditional on what was owed then, so recording twice (after a crash) counts once.
  await app.prisma.$transaction(
    owed.map(([id, n]) => app.prisma.receipt.updateMany({ where: { id, chasesOwed: n }, data: { chasedCount: { increment: n }, chasesOwed: 0 } })),
  );
}

/** Records that chase rounds asked for these receipts; the count of chases moves up when the message goes. */
async function owe(app: App, receiptIds: number[], at: Date): Promise<void> {
  await app.prisma.receipt.updateMany({ where: { id: { in: receiptIds } }, data: { chasesOwed: { increment: 1 }, lastChasedAt: at } });
}

/** Tells each missing person's supervisor once, and the author a summary. */
async function escalate(app: App, circularId: number, occasion: string): Promise<void> {
  const circular = await app.prisma.circular.findUnique({ where: { id: circularId }, include: { author: true } });
  if (!circular || circular.status !== "published") return;
  const now = app.clock.now();
  const policy = policyOf(app, circular);
  if (!mayChaseAt(now, policy, app.config.timeZone, app.calendar)) {
    await app.scheduler.ensure(ESCALATE, `escalate-${circularId}-late`, { circularId }, nextChaseWindow(now, policy, app.config.timeZone, app.calendar));
    return;
  }
  const missing = await app.prisma.receipt.findMany({
    where: { circularId, respondedAt: null, escalatedAt: null },
    include: { person: { include: { unit: true } } },
  });
  if (missing.length === 0) return; // everyone answered, or this was already done
  await app.prisma.receipt.updateMany({ where: { id: { in: missing.map((r) => r.id) } }, data: { escalatedAt: now } });
  const bySupervisor = new Map<number, string[]>();
  for (const r of missing) {
    if (r.person.supervisorId && r.person.supervisorId !== circular.authorId) {
      bySupervisor.set(r.person.supervisorId, [...(bySupervisor.get(r.person.supervisorId) ?? []), r.person.name]);
    }
  }
  for (const [supervisorId, names] of bySupervisor) {
    const supervisor = await app.prisma.person.findUnique({ where: { id: supervisorId } });
    const locale: Locale = toLocale(supervisor?.locale) ?? app.config.locale;
    const text = t(locale, "chase.escalation", { serial: serialLabel(circular, locale), id: circular.id, title: circular.title, names: names.join("、") });
    await app.outbox.send({ key: `${occasion}-s${supervisorId}`, to: { personId: supervisorId }, message: { text } });
  }
  const locale: Locale = toLocale(circular.author.locale) ?? app.config.locale;
  const [total, done] = await Promise.all([
    app.prisma.receipt.count({ where: { circularId } }),
    app.prisma.receipt.count({ where: { circularId, respondedAt: { not: null } } }),
  ]);
  const names = missing.map((r) => `${r.person.name}（${r.person.unit?.name ?? t(locale, "org.noUnit")}）`).join("、");
  const summary = t(locale, "chase.summary", { serial: serialLabel(circular, locale), id: circular.id, title: circular.title, done, total, names });
  await app.outbox.send({ key: `${occasion}-author`, to: { personId: circular.authorId }, message: { text: summary } });
  await app.prisma.$transaction(async (tx) =>
    audit(tx, { actorId: null, action: "circular.escalate", entity: "Circular", entityId: circularId, data: { missing: missing.length, supervisors: bySupervisor.size } }),
  );
}

/**
 * The author chases now (or, outside working hours, at the next allowed moment). Someone chased by hand in the
 * same ten minutes is not chased again (`already`): one nudge per batch, however often the button is pressed.
 */
export async function chaseNow(app: App, circular: Circular): Promise<{ at: Date; people: number; already: number }> {
  const policy = policyOf(app, circular);
  const now = app.clock.now();
  const at = nextChaseWindow(now, policy, app.config.timeZone, app.calendar);
  const missing = await app.prisma.receipt.findMany({ where: { circularId: circular.id, respondedAt: null, delivery: { not: "unreachable" } }, select: { id: true, personId: true } });
  const batch = Math.floor(at.getTime() / BATCH_MS) + 1;
  const jobOf = (personId: number) => `nudge-p${personId}-b${batch}-m`;
  const chased = await app.prisma.outboxMessage.findMany({ where: { key: { in: missing.map((r) => jobOf(r.personId)) } }, select: { key: true } });
  const done = new Set(chased.map((o) => o.key));
  // Sent already (its outbox row), or still to go (its job, say at 8:00 for a chase asked for at night).
  const fresh = [];
  for (const r of missing) if (!done.has(jobOf(r.personId)) && !(await app.scheduler.isScheduled(jobOf(r.personId)))) fresh.push(r);
  await owe(app, fresh.map((r) => r.id), at);
  for (const { personId } of fresh) await app.scheduler.schedule(NUDGE, jobOf(personId), { personId }, at);
  return { at, people: fresh.length, already: missing.length - fresh.length };
}

/** Registers the job handlers and the reconciler (open circulars get their chase jobs back after a Redis loss). */
export function registerChasing(app: App): void {
  try {
    resolvePolicy(app.config.chasePolicy as Partial<ChasePolicy> | undefined);
  } catch (error) {
    throw new StartupError(`Invalid configuration: RELAY_CHASE_POLICY: ${(error as Error).message}`); // one line, at start-up
  }
  app.scheduler.handle(CHASE, ({ circularId, round }) => chaseRound(app, Number(circularId), Number(round)));
  app.scheduler.handle(NUDGE, ({ personId }, job) => nudge(app, Number(personId), job.id));
  app.outbox.purpose(NUDGE, {
    async settled(done) {
      for (const { send, outcome } of done) if (outcome.state === "sent") await chased(app, (send.subject as { owed: [number, number][] }).owed);
    },
  });
  app.scheduler.handle(ESCALATE, ({ circularId }, job) => escalate(app, Number(circularId), job.id));
  app.scheduler.reconcileWith(async () => {
    let created = 0;
    for (const c of await app.prisma.circular.findMany({ where: { status: "published" } })) created += await scheduleChasing(app, c);
    return created;
  });
}
