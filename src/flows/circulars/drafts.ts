// Composing a circular: the draft a person builds in one line or a short conversation, and checking it
// (times understood and ahead, audience resolved) before the preview.
import type { App } from "../../app.ts";
import { UserError } from "../../bot/errors.ts";
import type { Member } from "../../bot/member.ts";
import type { ChatRef } from "../../bot/message.ts";
import { parseWhen } from "../../bot/time-parse.ts";
import type { CircularDraft, CircularKind, Prisma } from "../../generated/prisma/client.ts";
import { expandAudience, resolveAudience, type Audience, type Expanded } from "./audience.ts";
import { missingPart, splitAudience, TITLE_MAX, type DraftFields, type Part } from "./compose.ts";

/** Words that mean "no deadline". */
export const NO_DEADLINE = new Set(["不限", "无", "没有", "none", "no"]);

/**
 * Starts the person's draft, replacing any earlier one with a new row: its id is what the preview's buttons
 * carry, so an older preview's ✓ 发布 can never publish this one.
 */
export async function startDraft(app: App, member: Member, kind: CircularKind, fields: DraftFields, chat: ChatRef): Promise<CircularDraft> {
  const data = { personId: member.id, kind, fields: fields as Prisma.InputJsonValue, asking: missingPart(kind, fields) ?? null, chatId: chat.kind === "group" ? chat.id : null };
  return app.prisma.$transaction(async (tx) => {
    await tx.circularDraft.deleteMany({ where: { personId: member.id } });
    return tx.circularDraft.create({ data });
  });
}

export async function draftOf(app: App, member: Member): Promise<CircularDraft | null> {
  return app.prisma.circularDraft.findUnique({ where: { personId: member.id } });
}

/** Words that leave the text of a guided circular empty. */
const NO_BODY = new Set(["无", "没有", "不需要", "略", "none", "no", "-"]);

/**
 * Fills the part the draft was asking for with what the person wrote, checked first: an answer Relay
 * cannot use throws a UserError (the caller says why and asks the same question again), so the answers
 * never drift out of step with the questions.
 */
export async function answerDraft(app: App, draft: CircularDraft, text: string, chat: ChatRef): Promise<CircularDraft> {
  const fields = { ...(draft.fields as DraftFields) };
  const part = draft.asking as Part;
  const value = text.trim();
  if (part === "audience") fields.audience = splitAudience(value);
  else if (part === "body") fields.body = NO_BODY.has(value.toLowerCase()) ? "" : value;
  else fields[part] = value;
  await checkPart(app, draft, fields, part, chat);
  return app.prisma.circularDraft.update({
    where: { id: draft.id },
    data: { fields: fields as Prisma.InputJsonValue, asking: missingPart(draft.kind, fields) ?? null },
  });
}

/**
 * Checks the parts a draft already has, in the order they would be asked; the first that cannot be used is
 * asked for again (forgotten), so "通知 测试 发给 党正办" hears about the name before being asked for a deadline.
 */
export async function recheckGiven(app: App, draft: CircularDraft, chat: ChatRef): Promise<{ draft: CircularDraft; error?: UserError }> {
  const f = draft.fields as DraftFields;
  const given: Part[] = ["title", "body", "audience", "deadline", "startsAt", "place", "attachment", "chase"];
  for (const part of given.filter((p) => (p === "audience" ? f.audience?.length : f[p] !== undefined))) {
    try {
      await checkPart(app, draft, f, part, chat);
    } catch (error) {
      if (!(error instanceof UserError) || partAtFault(error) !== part) throw error;
      return { draft: await reaskDraft(app, draft, part), error };
    }
  }
  return { draft };
}

/** Checks one part of a draft as resolving it would; throws the UserError resolving would throw. */
async function checkPart(app: App, draft: CircularDraft, f: DraftFields, part: Part, chat: ChatRef): Promise<void> {
  const now = app.clock.now();
  if (part === "title") checkTitle(f.title ?? "");
  else if (part === "startsAt" && f.startsAt) resolveTime(app, f.startsAt, now, "startsAt");
  else if (part === "deadline" && f.deadline && !NO_DEADLINE.has(f.deadline.toLowerCase())) resolveTime(app, f.deadline, now, "deadline");
  else if (part === "chase" && f.chase !== undefined) parseChase(f.chase);
  else if (part === "audience") await audienceOf(app, draft, f, chat);
}

/** A title is a heading: not empty, at most TITLE_MAX characters. */
export function checkTitle(title: string): void {
  const length = [...title].length;
  if (length > TITLE_MAX) throw new UserError("circular.titleTooLong", { max: TITLE_MAX, length, part: "title" });
}

/** The draft's audience resolved (in the group it was started in, for 本群), and who it reaches. */
async function audienceOf(app: App, draft: CircularDraft, f: DraftFields, chat: ChatRef): Promise<{ audience: Audience; all: number[] }> {
  const groupChat: ChatRef = draft.chatId ? { platform: chat.platform, id: draft.chatId, kind: "group" } : chat;
  const audience = await resolveAudience(app.prisma, f.audience ?? [], groupChat);
  const all = recipientsOf(await expandAudience(app.prisma, audience), draft.personId);
  if (all.length === 0) throw new UserError("circular.nobody");
  return { audience, all };
}

/** Asks for `part` again (what was given could not be used), forgetting the bad answer. */
export async function reaskDraft(app: App, draft: CircularDraft, part: Part): Promise<CircularDraft> {
  const fields = { ...(draft.fields as DraftFields) };
  delete fields[part];
  return app.prisma.circularDraft.update({ where: { id: draft.id }, data: { fields: fields as Prisma.InputJsonValue, asking: part } });
}

/** Which part of a draft a resolving error is about, so Relay can ask for it again. */
export function partAtFault(error: UserError): Part | undefined {
  if (["circular.badTime", "circular.pastTime", "circular.badChase", "circular.titleTooLong"].includes(error.key)) return error.params.part as Part;
  if (["org.noSuchPerson", "org.noSuchPersonNear", "org.ambiguousPerson", "circular.nobody", "circular.thisGroupOutside", "circular.groupNotBound"].includes(error.key)) return "audience";
  return undefined;
}

/** Discards the person's draft (only draft `id`, when a button names one); false if there was none such. */
export async function discardDraft(app: App, member: Member, id?: number): Promise<boolean> {
  const { count } = await app.prisma.circularDraft.deleteMany({ where: { personId: member.id, ...(id === undefined ? {} : { id }) } });
  return count > 0;
}

/** The draft a preview's button names, or why it cannot be used: gone (published, cancelled) or replaced by a newer one. */
export async function draftForButton(app: App, member: Member, id: number): Promise<CircularDraft> {
  const current = await draftOf(app, member);
  if (current?.id === id) return current;
  throw new UserError(current ? "circular.staleDraft" : "circular.noDraft");
}

/** Everything a draft says, checked: times understood and ahead, audience resolved and not empty. */
export interface Resolved {
  kind: CircularKind;
  title: string;
  body: string;
  audience: Audience;
  recipients: number;
  deadline: Date | null;
  startsAt: Date | null;
  place: string | null;
  attachment: string | null;
  /** This circular's chase policy overrides (the office's apply otherwise). */
  chasePolicy: { maxChases: number } | null;
}

export async function resolveDraft(app: App, draft: CircularDraft, chat: ChatRef): Promise<Resolved> {
  const f = draft.fields as DraftFields;
  checkTitle(f.title ?? "");
  const now = app.clock.now();
  const startsAt = f.startsAt ? resolveTime(app, f.startsAt, now, "startsAt") : null;
  // A meeting's replies are due when it starts unless the author says otherwise.
  const deadline = f.deadline && !NO_DEADLINE.has(f.deadline.toLowerCase()) ? resolveTime(app, f.deadline, now, "deadline") : startsAt;
  const { audience, all } = await audienceOf(app, draft, f, chat);
  return {
    kind: draft.kind,
    title: f.title ?? "",
    body: f.body ?? "",
    audience,
    recipients: all.length,
    deadline,
    startsAt,
    place: f.place ?? null,
    attachment: f.attachment ?? null,
    chasePolicy: f.chase === undefined ? null : { maxChases: parseChase(f.chase) },
  };
}

/** Who owes a response: the author is never in their own audience (nor chased, nor on /status). */
export function recipientsOf(expanded: Expanded, authorId: number): number[] {
  return expanded.all.filter((id) => id !== authorId);
}

/** "不催" / "off" → 0; "2次" / "2" → 2 (at most 10: chasing is meant to be bounded). */
function parseChase(typed: string): number {
  if (/^(不催|不催办|不用催|off|none|no)$/i.test(typed.trim())) return 0;
  const n = Number(/^(\d+)\s*(次|times?)?$/i.exec(typed.trim())?.[1]);
  if (!Number.isInteger(n) || n > 10) throw new UserError("circular.badChase", { text: typed, part: "chase" });
  return n;
}

/**
 * "周五17:00前", "3个工作日内", "明天" → an instant, read by the shared time vocabulary: a deadline's day alone is
 * due at the end of that working day (18:00), as 月底, 周五前 and 3个工作日内 are everywhere.
 */
export function resolveTime(app: App, typed: string, now: Date, part: "deadline" | "startsAt"): Date {
  const when = parseWhen(typed.trim(), { now, timeZone: app.config.timeZone, deadline: part === "deadline", calendar: app.calendar });
  if (!when || when.kind !== "once" || when.rest) throw new UserError("circular.badTime", { text: typed, part });
  if (when.at.getTime() <= now.getTime()) throw new UserError("circular.pastTime", { text: typed, part });
  return when.at;
}
