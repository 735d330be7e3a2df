// Approvers who sit on a request are reminded after the SLA (4 working hours by default), in the same
// batched message as anything else pending for them, and escalated to their supervisor after another SLA.
// The same working-hours rules as circulars: never at night, on weekends or on holidays.
import type { App } from "../../app.ts";
import { t, toLocale } from "../../bot/i18n/index.ts";
import { audit } from "../../db/audit.ts";
import { addWorkingHours, mayChaseAt, nextChaseWindow, resolvePolicy, type ChasePolicy } from "../circulars/chase-policy.ts";
import { queueNudge } from "../circulars/chasing.ts";

export const REMIND_APPROVER = "request.remind";
export const ESCALATE_APPROVER = "request.escalate";
/** Working hours an approver has before a reminder, and again before their supervisor hears. */
export const APPROVAL_SLA_HOURS = 4;

const policy = (app: App): ChasePolicy => resolvePolicy(app.config.chasePolicy as Partial<ChasePolicy> | undefined);
const jobId = (requestId: number, position: number, what: "remind" | "escalate") => `approval-${requestId}-p${position}-${what}`;

/** Starts the clock on a step that has just become pending. */
export async function scheduleApproverReminder(app: App, requestId: number, position: number): Promise<void> {
  const at = addWorkingHours(app.clock.now(), APPROVAL_SLA_HOURS, policy(app), app.config.timeZone, app.calendar);
  await app.scheduler.ensure(REMIND_APPROVER, jobId(requestId, position, "remind"), { requestId, position }, at);
}

async function pendingStep(app: App, requestId: number, position: number) {
  const step = await app.prisma.requestStep.findUnique({
    where: { requestId_position: { requestId, position } },
    include: { request: { include: { requester: true } }, approver: true },
  });
  return step && step.status === "pending" && step.request.status === "pending" ? step : null;
}

/** Outside working hours a late job waits for the next allowed moment; true when it did. */
async function deferred(app: App, type: string, id: string, data: { requestId: number; position: number }): Promise<boolean> {
  const now = app.clock.now();
  if (mayChaseAt(now, policy(app), app.config.timeZone, app.calendar)) return false;
  await app.scheduler.ensure(type, `${id}-late`, data, nextChaseWindow(now, policy(app), app.config.timeZone, app.calendar));
  return true;
}

async function remind(app: App, requestId: number, position: number): Promise<void> {
  const step = await pendingStep(app, requestId, position);
  if (!step || (await deferred(app, REMIND_APPROVER, jobId(requestId, position, "remind"), { requestId, position }))) return;
  const now = app.clock.now();
  await app.prisma.requestStep.update({ where: { id: step.id }, data: { remindedAt: now } });
  await queueNudge(app, step.approverId, now, policy(app));
  const at = addWorkingHours(now, APPROVAL_SLA_HOURS, policy(app), app.config.timeZone, app.calendar);
  await app.scheduler.ensure(ESCALATE_APPROVER, jobId(requestId, position, "escalate"), { requestId, position }, at);
}

async function escalate(app: App, requestId: number, position: number): Promise<void> {
  const step = await pendingStep(app, requestId, position);
  if (!step || (await deferred(app, ESCALATE_APPROVER, jobId(requestId, position, "escalate"), { requestId, position }))) return;
  if (!step.approver.supervisorId) return; // nobody above: the reminder was all there is
  const supervisor = await app.prisma.person.findUnique({ where: { id: step.approver.supervisorId } });
  if (!supervisor) return;
  const locale = toLocale(supervisor.locale) ?? app.config.locale;
  const text = t(locale, "request.escalation", { id: requestId, requester: step.request.requester.name, approver: step.approver.name, hours: APPROVAL_SLA_HOURS * 2 });
  await app.outbox.send({ key: `${jobId(requestId, position, "escalate")}-s${supervisor.id}`, to: { personId: supervisor.id }, message: { text } });
  await app.prisma.$transaction((tx) =>
    audit(tx, { actorId: null, action: "request.escalate", entity: "Request", entityId: requestId, data: { step: position, approver: step.approverId, to: supervisor.id } }),
  );
}

/** Job handlers, and a reconciler that restarts the clock for pending steps whose jobs were lost. */
export function registerApproverChasing(app: App): void {
  app.scheduler.handle(REMIND_APPROVER, ({ requestId, position }) => remind(app, Number(requestId), Number(position)));
  app.scheduler.handle(ESCALATE_APPROVER, ({ requestId, position }) => escalate(app, Number(requestId), Number(position)));
  app.scheduler.reconcileWith(async () => {
    let created = 0;
    const steps = await app.prisma.requestStep.findMany({ where: { status: "pending", remindedAt: null, request: { status: "pending" } } });
    for (const s of steps) {
      const at = addWorkingHours(s.createdAt, APPROVAL_SLA_HOURS, policy(app), app.config.timeZone, app.calendar);
      if (await app.scheduler.ensure(REMIND_APPROVER, jobId(s.requestId, s.position, "remind"), { requestId: s.requestId, position: s.position }, at)) created++;
    }
    return created;
  });
}
