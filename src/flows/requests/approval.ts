// One approval mechanism for every kind of request (leave, seal, generic): a chain of approvers decided one
// step at a time. Only the approver of the pending step may decide (buttons can be forged: it is checked
// here); the requester hears of every step; the next approver is asked only after an approval.
import type { App } from "../../app.ts";
import { UserError } from "../../bot/errors.ts";
import { t, toLocale, type Locale } from "../../bot/i18n/index.ts";
import type { Member } from "../../bot/member.ts";
import type { Outbound } from "../../bot/message.ts";
import { audit } from "../../db/audit.ts";
import type { Person, Prisma, Request, RequestKind, RequestStep } from "../../generated/prisma/client.ts";
import { scheduleApproverReminder } from "./approver-chasing.ts";
import { onLeave } from "./on-leave.ts";

export type RequestWithSteps = Request & { steps: (RequestStep & { approver: Person; onBehalfOf: Person | null })[]; requester: Person };

/** What a kind does once its whole chain has approved (the seal register numbers an entry, …). */
export type ApprovedHook = (request: RequestWithSteps) => Promise<void>;
const approvedHooks = new Map<RequestKind, ApprovedHook>();

/** Registers what happens when a request of `kind` is finally approved. */
export function onApproved(kind: RequestKind, hook: ApprovedHook): void {
  approvedHooks.set(kind, hook);
}

export interface NewRequest {
  kind: RequestKind;
  form: Prisma.InputJsonValue;
  reason: string;
  approvers: number[];
  leave?: { type: string; startsAt: Date; endsAt: Date; workingDays: number };
}

/** Files a request: its steps in order, the first one pending; the first approver is asked. */
export async function fileRequest(app: App, requester: Member, r: NewRequest, summary: (locale: Locale) => string): Promise<RequestWithSteps> {
  if (r.approvers.length === 0) throw new UserError("request.noApprover");
  const created = await app.prisma.$transaction(async (tx) => {
    const request = await tx.request.create({
      data: {
        kind: r.kind, requesterId: requester.id, form: r.form, reason: r.reason,
        leaveType: r.leave?.type, startsAt: r.leave?.startsAt, endsAt: r.leave?.endsAt, workingDays: r.leave?.workingDays,
        steps: { create: r.approvers.map((approverId, position) => ({ position, approverId, status: position === 0 ? "pending" : "waiting" })) },
      },
    });
    await audit(tx, { actorId: requester.id, action: "request.file", entity: "Request", entityId: request.id, data: { kind: r.kind, approvers: r.approvers } });
    return request;
  });
  const request = await assignStandIn(app, await loadRequest(app, created.id));
  await askApprover(app, request, summary);
  return request;
}

/**
 * While the pending step's approver is on approved leave, the step goes to their deputy, else to their
 * supervisor (walking on if they are away too); it records on whose behalf. Nobody free: it stays.
 */
async function assignStandIn(app: App, request: RequestWithSteps): Promise<RequestWithSteps> {
  const step = request.steps.find((s) => s.status === "pending");
  if (!step) return request;
  const now = app.clock.now();
  let approver: Person = step.approver;
  const seen = new Set([approver.id, request.requesterId]);
  while ((await onLeave(app.prisma, [approver.id], now)).has(approver.id)) {
    const nextId = approver.deputyId ?? approver.supervisorId;
    if (!nextId || seen.has(nextId)) return request;
    seen.add(nextId);
    approver = await app.prisma.person.findUniqueOrThrow({ where: { id: nextId } });
  }
  if (approver.id === step.approverId) return request;
  await app.prisma.$transaction(async (tx) => {
    await tx.requestStep.update({ where: { id: step.id }, data: { approverId: approver.id, onBehalfOfId: step.approverId } });
    await audit(tx, { actorId: null, action: "request.standIn", entity: "Request", entityId: request.id, data: { step: step.position, for: step.approverId, by: approver.id } });
  });
  return loadRequest(app, request.id);
}

export async function loadRequest(app: App, id: number): Promise<RequestWithSteps> {
  const request = await app.prisma.request.findUnique({
    where: { id },
    include: { steps: { include: { approver: true, onBehalfOf: true }, orderBy: { position: "asc" } }, requester: true },
  });
  if (!request) throw new UserError("request.notFound", { id });
  return request;
}

function localeOf(app: App, person: Pick<Person, "locale">): Locale {
  return toLocale(person.locale) ?? app.config.locale;
}

/** Asks the approver of the pending step, with approve and reject buttons. */
async function askApprover(app: App, request: RequestWithSteps, summary: (locale: Locale) => string): Promise<void> {
  const step = request.steps.find((s) => s.status === "pending");
  if (!step) return;
  const locale = localeOf(app, step.approver);
  const behalf = step.onBehalfOf ? `\n${t(locale, "request.askOnBehalf", { name: step.onBehalfOf.name })}` : "";
  const message: Outbound = {
    text: `${t(locale, "request.ask", { id: request.id, name: request.requester.name })}${behalf}\n${summary(locale)}`,
    buttons: [[
      { label: t(locale, "request.approveButton"), action: "request.approve", value: String(request.id) },
      { label: t(locale, "request.rejectButton"), action: "request.reject", value: String(request.id) },
    ]],
  };
  await app.outbox.send({ key: `ask-q${request.id}-s${step.position}`, to: { personId: step.approverId }, message, priority: "personal" });
  await scheduleApproverReminder(app, request.id, step.position);
}

/** A decision the person is waiting for: `occasion` names it in the outbox ("q12-s0-approved"), so it is told once. */
async function tell(app: App, person: Person, occasion: string, key: Parameters<typeof t>[1], params: Record<string, string | number>): Promise<void> {
  await app.outbox.send({ key: `told-${occasion}-p${person.id}`, to: { personId: person.id }, message: { text: t(localeOf(app, person), key, params) }, priority: "personal" });
}

export interface Decided {
  request: RequestWithSteps;
  /** approved: the whole chain approved; next: passed on to the next approver; rejected. */
  outcome: "approved" | "next" | "rejected";
}

/** Records the pending step's decision. Anyone else pressing the button is told who may decide. */
export async function decide(app: App, member: Member, id: number, approve: boolean, comment: string, summary: (locale: Locale) => string): Promise<Decided> {
  const request = await loadRequest(app, id);
  if (request.status !== "pending") throw new UserError("request.notPending", { id, status: request.status });
  const step = request.steps.find((s) => s.status === "pending");
  if (!step) throw new UserError("request.notPending", { id, status: request.status });
  if (step.approverId !== member.id) throw new UserError("request.notYourStep", { id, approver: step.approver.name });
  const now = app.clock.now();
  const last = step.position === request.steps.length - 1;
  const outcome: Decided["outcome"] = !approve ? "rejected" : last ? "approved" : "next";
  await app.prisma.$transaction(async (tx) => {
    // Conditional: of two presses at once, one decides.
    const claimed = await tx.requestStep.updateMany({ where: { id: step.id, status: "pending" }, data: { status: approve ? "approved" : "rejected", comment: comment || null, decidedAt: now } });
    if (claimed.count !== 1) throw new UserError("request.notPending", { id, status: request.status });
    if (outcome === "next") await tx.requestStep.update({ where: { requestId_position: { requestId: id, position: step.position + 1 } }, data: { status: "pending" } });
    else {
      await tx.requestStep.updateMany({ where: { requestId: id, status: "waiting" }, data: { status: "skipped" } });
      await tx.request.update({ where: { id }, data: { status: outcome, decidedAt: now } });
    }
    await audit(tx, { actorId: member.id, action: approve ? "request.approve" : "request.reject", entity: "Request", entityId: id, data: { step: step.position, comment: comment || null } });
  });
  let updated = await loadRequest(app, id);
  const requesterLocale = localeOf(app, request.requester);
  const note = comment ? t(requesterLocale, "request.commentNote", { comment }) : "";
  // A stand-in's decision says on whose behalf it was made.
  const decider = step.onBehalfOf ? t(requesterLocale, "request.deciderOnBehalf", { name: member.name, of: step.onBehalfOf.name }) : member.name;
  const occasion = `q${id}-s${step.position}-${outcome}`;
  if (outcome === "rejected") await tell(app, request.requester, occasion, "request.toldRejected", { id, name: decider, note });
  else if (outcome === "approved") {
    // The decision first, then what follows from it (the seal register's number): the requester reads them so.
    await tell(app, request.requester, occasion, "request.toldApproved", { id, name: decider, note });
    await approvedHooks.get(updated.kind)?.(updated);
    updated = await loadRequest(app, id);
  }
  else {
    updated = await assignStandIn(app, updated);
    const next = updated.steps.find((s) => s.status === "pending")!;
    const nextName = next.onBehalfOf ? t(localeOf(app, request.requester), "request.nameOnBehalf", { name: next.approver.name, of: next.onBehalfOf.name }) : next.approver.name;
    await tell(app, request.requester, occasion, "request.toldNext", { id, name: decider, next: nextName, note });
    await askApprover(app, updated, summary);
  }
  return { request: updated, outcome };
}

/** The requester withdraws a request, before or after approval; approvers who acted or are asked hear of it. */
export async function withdraw(app: App, member: Member, id: number): Promise<RequestWithSteps> {
  const request = await loadRequest(app, id);
  if (request.requesterId !== member.id) throw new UserError("request.onlyRequester");
  if (request.status === "cancelled" || request.status === "rejected") throw new UserError("request.notPending", { id, status: request.status });
  await app.prisma.$transaction(async (tx) => {
    await tx.request.update({ where: { id }, data: { status: "cancelled", cancelledAt: app.clock.now() } });
    await tx.requestStep.updateMany({ where: { requestId: id, status: { in: ["pending", "waiting"] } }, data: { status: "skipped" } });
    await audit(tx, { actorId: member.id, action: "request.cancel", entity: "Request", entityId: id, data: { was: request.status } });
  });
  for (const step of request.steps.filter((s) => s.status === "approved" || s.status === "pending")) {
    await tell(app, step.approver, `q${id}-cancelled`, "request.toldCancelled", { id, name: request.requester.name });
  }
  return loadRequest(app, id);
}

/** My recent requests, and those waiting for my decision. */
export async function requestsOf(app: App, member: Member) {
  const include = { steps: { include: { approver: true, onBehalfOf: true }, orderBy: { position: "asc" as const } }, requester: true };
  const [mine, waiting] = await Promise.all([
    app.prisma.request.findMany({ where: { requesterId: member.id }, include, orderBy: { id: "desc" }, take: 10 }),
    app.prisma.request.findMany({ where: { status: "pending", steps: { some: { approverId: member.id, status: "pending" } } }, include, orderBy: { id: "asc" } }),
  ]);
  return { mine, waiting };
}
