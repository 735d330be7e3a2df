// Circulars: publishing (serial number, receipts, group posts, fan-out), responses, the live
// counter, status, pending lists and cancelling. Every change writes an AuditEvent.
import type { App } from "../../app.ts";
import { UserError } from "../../bot/errors.ts";
import { t, toLocale, type Locale, type MessageKey } from "../../bot/i18n/index.ts";
import { formatLocal } from "../../bot/time-parse.ts";
import type { Member } from "../../bot/member.ts";
import type { ChatRef, MessageRef, Outbound, Platform } from "../../bot/message.ts";
import type { Send, SendRow } from "../../delivery/outbox.ts";
import { zonedParts } from "../../bot/time-zone.ts";
import { audit, type Tx } from "../../db/audit.ts";
import type { Circular, Prisma } from "../../generated/prisma/client.ts";
import { personByName } from "../org/directory.ts";
import { expandAudience, type Audience } from "./audience.ts";
import { NO_DEADLINE, draftForButton, recipientsOf, resolveDraft, resolveTime } from "./drafts.ts";
import { scheduleChasing, unscheduleChasing } from "./chasing.ts";
import type { DraftFields } from "./compose.ts";
import { circularMessage, RESPONSES, serialLabel } from "./circular-text.ts";

const SERIAL_LOCK = 7_265_100;
export interface Published {
  circular: Circular;
  /** Receipts to deliver by direct message. */
  direct: { receiptId: number; personId: number }[];
  /** Group posts to send: channel id → post id. */
  posts: { postId: number; channelId: number }[];
  recipients: number;
}

/** Publishes the person's draft: numbers it, stores a receipt per recipient, then sends it out. */
export async function publishDraft(app: App, member: Member, draftId: number, chat: ChatRef): Promise<Published> {
  const draft = await draftForButton(app, member, draftId);
  const r = await resolveDraft(app, draft, chat);
  const now = app.clock.now();
  const year = zonedParts(now, app.config.timeZone).year;
  const published = await app.prisma.$transaction(
    async (tx) => {
      // Serial numbers are per kind and year with no gaps: take them one publisher at a time.
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SERIAL_LOCK})`;
      const last = await tx.circular.aggregate({ where: { kind: r.kind, year }, _max: { serial: true } });
      const circular = await tx.circular.create({
        data: {
          kind: r.kind, year, serial: (last._max.serial ?? 0) + 1, title: r.title, body: r.body, authorId: member.id,
          deadline: r.deadline, startsAt: r.startsAt, place: r.place, attachment: r.attachment,
          chasePolicy: r.chasePolicy ?? undefined,
          audience: r.audience as unknown as Prisma.InputJsonValue, publishedAt: now,
        },
      });
      const expanded = await expandAudience(tx, r.audience);
      const { viaChannel } = expanded;
      const all = recipientsOf(expanded, member.id);
      const channels = new Map((await tx.channel.findMany({ where: { id: { in: r.audience.channels } } })).map((c) => [c.id, c]));
      // People who see it in a group get no direct message: their copy is the group post.
      await tx.receipt.createMany({
        data: all.map((personId) => {
          const channel = channels.get(viaChannel.get(personId) ?? -1);
          return channel ? { circularId: circular.id, personId, delivery: "sent" as const, platform: channel.platform, chatId: channel.externalId } : { circularId: circular.id, personId };
        }),
      });
      const posts = [];
      for (const channelId of r.audience.channels) {
        posts.push({ postId: (await tx.circularPost.create({ data: { circularId: circular.id, channelId } })).id, channelId });
      }
      const receipts = await tx.receipt.findMany({ where: { circularId: circular.id }, select: { id: true, personId: true }, orderBy: { id: "asc" } });
      // They see it in the group: no direct copy.
      const direct = receipts.filter((receipt) => !viaChannel.has(receipt.personId)).map((r) => ({ receiptId: r.id, personId: r.personId }));
      // A second press racing this one finds the draft gone and publishes nothing.
      const { count } = await tx.circularDraft.deleteMany({ where: { id: draft.id } });
      if (count !== 1) throw new UserError("circular.noDraft");
      await audit(tx, {
        actorId: member.id, action: "circular.publish", entity: "Circular", entityId: circular.id,
        data: { kind: r.kind, serial: circular.serial, recipients: all.length, title: r.title },
      });
      return { circular, direct, posts, recipients: all.length };
    },
    { timeout: 60_000 },
  );
  const posts = await app.prisma.circularPost.findMany({ where: { id: { in: published.posts.map((p) => p.postId) } }, include: { channel: true } });
  await app.outbox.send(posts.map((post) => postSend(post.id, chatOf(post.channel))));
  await app.outbox.send(published.direct.map((d) => copySend(d.receiptId, d.personId)));
  await scheduleChasing(app, published.circular);
  return published;
}

/** The group a post goes to. */
function chatOf(channel: { platform: string; externalId: string; title: string | null }): ChatRef {
  return { platform: channel.platform as Platform, id: channel.externalId, kind: "group", title: channel.title ?? undefined };
}

/** A recipient's own copy, rendered when its turn comes (so a cancelled circular sends nothing). */
function copySend(receiptId: number, personId: number): Send {
  return { key: `copy-r${receiptId}`, to: { personId }, purpose: COPY, subject: { receiptId }, priority: "bulk" };
}

/** The post in a bound group, with buttons and the counter. */
function postSend(postId: number, chat: ChatRef): Send {
  return { key: `post-${postId}`, to: { chat }, purpose: POST, subject: { postId } };
}

const COPY = "circular.copy";
const POST = "circular.post";

/** How a recipient's copy and a group post are rendered and recorded when the outbox sends them. */
export function registerCopies(app: App): void {
  app.outbox.purpose(COPY, {
    async render(send) {
      const receipt = await app.prisma.receipt.findUnique({ where: { id: receiptOf(send) }, include: { circular: true, person: true } });
      if (!receipt || receipt.messageId || receipt.delivery !== "pending" || receipt.circular.status !== "published") return null;
      const locale = toLocale(receipt.person.locale) ?? app.config.locale;
      const view = { ...(await viewOf(app, receipt.circular)), delegatedBy: await delegatorOf(app, receipt.circularId, receipt.personId) };
      return circularMessage(view, locale);
    },
    async settled(done) {
      for (const { send, outcome } of done) {
        const data = outcome.state === "sent"
          ? { delivery: "sent" as const, platform: outcome.ref.platform, chatId: outcome.ref.chatId, messageId: outcome.ref.messageId, deliveredAt: app.clock.now() }
          : outcome.state === "skipped" ? undefined : { delivery: outcome.state, deliveryError: outcome.error ?? null };
        if (data) await app.prisma.receipt.updateMany({ where: { id: receiptOf(send), messageId: null }, data });
      }
    },
  });
  app.outbox.purpose(POST, {
    async render(send) {
      const post = await app.prisma.circularPost.findUnique({ where: { id: postOf(send) }, include: { circular: true } });
      if (!post || post.messageId || post.circular.status !== "published") return null;
      return circularMessage(await viewOf(app, post.circular), app.config.locale, await counter(app, post.circularId));
    },
    // Everyone the group covers counts as delivered once the post is there.
    async settled(done) {
      for (const { send, outcome } of done) if (outcome.state === "sent") await postSent(app, send, outcome.ref);
    },
  });
}

/** The post is in the group: it, and every copy the group stands for, records the message. */
async function postSent(app: App, send: SendRow, ref: MessageRef): Promise<void> {
  const post = await app.prisma.circularPost.update({ where: { id: postOf(send) }, data: { messageId: ref.messageId }, include: { circular: true } });
  const { viaChannel } = await expandAudience(app.prisma, post.circular.audience as unknown as Audience);
  const covered = [...viaChannel].filter(([, channelId]) => channelId === post.channelId).map(([personId]) => personId);
  await app.prisma.receipt.updateMany({
    where: { circularId: post.circularId, personId: { in: covered }, chatId: ref.chatId },
    data: { messageId: ref.messageId, deliveredAt: app.clock.now() },
  });
}

const receiptOf = (send: SendRow) => Number((send.subject as { receiptId: number }).receiptId);
const postOf = (send: SendRow) => Number((send.subject as { postId: number }).postId);

async function viewOf(app: App, circular: Circular) {
  const author = await app.prisma.person.findUniqueOrThrow({ where: { id: circular.authorId }, include: { unit: true } });
  return { circular, authorName: author.name, authorUnit: author.unit?.name ?? null, timeZone: app.config.timeZone, now: app.clock.now() };
}

/** How many of a circular's recipients have responded. */
export async function counter(app: App, circularId: number): Promise<{ done: number; total: number }> {
  const [total, done] = await Promise.all([
    app.prisma.receipt.count({ where: { circularId } }),
    app.prisma.receipt.count({ where: { circularId, respondedAt: { not: null } } }),
  ]);
  return { done, total };
}

/**
 * Re-renders the circular's group posts with the current counter (live counters); `why` names the occasion
 * in each edit's key ("w123" for a counter window, "cancelled", "edited-…"), so the same occasion edits once.
 */
export async function refreshPosts(app: App, circular: Circular, why: string): Promise<void> {
  const posts = await app.prisma.circularPost.findMany({ where: { circularId: circular.id, messageId: { not: null } }, include: { channel: true } });
  if (posts.length === 0) return;
  const view = await viewOf(app, circular);
  const message = circularMessage(view, app.config.locale, await counter(app, circular.id));
  await app.outbox.send(posts.map((post) => ({
    key: `counter-post${post.id}-${why}`,
    to: { edit: { platform: post.channel.platform as Platform, chatId: post.channel.externalId, messageId: post.messageId! } },
    message,
  })));
}

/** Who delegated this circular to `personId`, if anyone did (their copy says so). */
async function delegatorOf(app: App, circularId: number, personId: number): Promise<string | undefined> {
  const by = await app.prisma.receipt.findFirst({ where: { circularId, delegateId: personId }, include: { person: true }, orderBy: { id: "asc" } });
  return by?.person.name;
}

/** The circular `id` if it is still open for responses. */
async function openCircular(app: App, id: number): Promise<Circular> {
  const circular = await app.prisma.circular.findUnique({ where: { id } });
  if (!circular) throw new UserError("circular.notFound", { id });
  if (circular.status === "cancelled") throw new UserError("circular.isCancelled", { id });
  return circular;
}

export interface Responded {
  circular: Circular;
  response: string;
  first: boolean;
  /** The same answer (and comment) as before: nothing changed. */
  unchanged: boolean;
}

/** Records a response; only people it was sent to may respond. Responding again updates the answer. */
export async function respond(app: App, member: Member, circularId: number, response: string, comment?: string, delegateName?: string): Promise<Responded> {
  const circular = await openCircular(app, circularId);
  if (!RESPONSES[circular.kind].includes(response)) throw new UserError("circular.badResponse");
  const receipt = await app.prisma.receipt.findUnique({ where: { circularId_personId: { circularId, personId: member.id } } });
  if (!receipt) throw new UserError("circular.notForYou");
  let alreadyHadCopy: number | undefined;
  const result = await app.prisma.$transaction(async (tx) => {
    let delegateId: number | null = null;
    if (response === "delegate") {
      if (!delegateName) throw new UserError("circular.delegateWho");
      const delegate = await personByName(tx, delegateName);
      if (delegate.id === member.id) throw new UserError("circular.delegateSelf");
      delegateId = delegate.id;
      const theirs = await tx.receipt.upsert({
        where: { circularId_personId: { circularId, personId: delegate.id } },
        create: { circularId, personId: delegate.id },
        update: {},
      });
      // A delegate who already had a copy (a recipient in their own right) gets no second one: a note instead.
      if (theirs.messageId && theirs.delegateId === null && receipt.delegateId !== delegate.id) alreadyHadCopy = delegate.id;
    }
    if (receipt.delegateId && receipt.delegateId !== delegateId) await withdrawDelegation(tx, circular, receipt.delegateId);
    await tx.receipt.update({
      where: { id: receipt.id },
      data: { response, comment: comment || null, delegateId, respondedAt: receipt.respondedAt ?? app.clock.now() },
    });
    await audit(tx, { actorId: member.id, action: "circular.respond", entity: "Circular", entityId: circularId, data: { response, comment: comment ?? null, delegate: delegateName ?? null } });
    const unchanged = Boolean(receipt.respondedAt) && receipt.response === response && (receipt.comment ?? "") === (comment ?? "") && receipt.delegateId === delegateId;
    return { circular, response, first: !receipt.respondedAt, unchanged };
  });
  if (response === "delegate") await deliverNewReceipts(app, circularId);
  if (alreadyHadCopy) await tellDelegate(app, circular, member, alreadyHadCopy);
  await scheduleCounter(app, circular.id);
  return result;
}

/** Tells a delegate who already had their own copy that `by` has handed the meeting to them too. */
async function tellDelegate(app: App, circular: Circular, by: Member, delegateId: number): Promise<void> {
  const delegate = await app.prisma.person.findUniqueOrThrow({ where: { id: delegateId } });
  const locale = toLocale(delegate.locale) ?? app.config.locale;
  const text = t(locale, "circular.delegatedNote", { name: by.name, serial: serialLabel(circular, locale), id: circular.id, title: circular.title });
  await app.outbox.send({ key: `delegated-c${circular.id}-p${delegateId}-by${by.id}`, to: { personId: delegateId }, message: { text } });
}

/**
 * Someone changed their mind about whom they delegated to: the earlier delegate's receipt goes, unless that
 * person is a recipient in their own right, already answered, or was also delegated by someone else.
 */
async function withdrawDelegation(tx: Tx, circular: Circular, delegateId: number): Promise<void> {
  const { all } = await expandAudience(tx, circular.audience as unknown as Audience);
  if (all.includes(delegateId)) return;
  const others = await tx.receipt.count({ where: { circularId: circular.id, delegateId } });
  if (others > 1) return;
  await tx.receipt.deleteMany({ where: { circularId: circular.id, personId: delegateId, respondedAt: null } });
}

export const REFRESH_COUNTER = "circular.counter";
/** Responses arriving within this window share one edit: a group allows ~20 messages a minute. */
const COUNTER_WINDOW_MS = 3000;

/**
 * Schedules the group posts' counter edit at the end of the current window; the job id names the window,
 * so twenty presses in three seconds make one edit, not twenty.
 */
async function scheduleCounter(app: App, circularId: number): Promise<void> {
  if ((await app.prisma.circularPost.count({ where: { circularId } })) === 0) return;
  const window = Math.floor(app.clock.now().getTime() / COUNTER_WINDOW_MS) + 1;
  await app.scheduler.schedule(REFRESH_COUNTER, `counter-${circularId}-w${window}`, { circularId }, new Date(window * COUNTER_WINDOW_MS));
}

/** Receipts added after publishing (a delegate) get their copy like everyone else. */
async function deliverNewReceipts(app: App, circularId: number): Promise<void> {
  await enqueuePending(app, { circularId });
}

/**
 * Queues delivery of every receipt still pending (of one circular, or all published ones). Job ids are
 * deterministic and the handler skips sent receipts, so this is safe to run any time: after Redis lost
 * the queue, it is how no recipient is forgotten. Returns how many were queued.
 */
export async function enqueuePending(app: App, where: { circularId?: number } = {}): Promise<number> {
  const pending = await app.prisma.receipt.findMany({
    where: { ...where, delivery: "pending", messageId: null, circular: { status: "published" } },
    select: { id: true, personId: true },
    orderBy: { id: "asc" },
  });
  // Keys already in the outbox are left as they are: only copies never asked for (or whose person had no account then) are new.
  const asked = new Set((await app.prisma.outboxMessage.findMany({ where: { key: { in: pending.map((r) => `copy-r${r.id}`) } }, select: { key: true } })).map((o) => o.key));
  const missing = pending.filter((r) => !asked.has(`copy-r${r.id}`));
  await app.outbox.send(missing.map((r) => copySend(r.id, r.personId)));
  return missing.length;
}

export const REISSUE = "circular.reissue";

/**
 * Edits a published circular (title, text, deadline, time, place, attachment; not who it is for): only its
 * author or an admin. The deadline escalation moves with the deadline, group posts are re-rendered, and
 * every copy already sent by direct message is edited in place (in the background, at the platform's pace).
 */
export async function editCircular(app: App, member: Member, id: number, fields: DraftFields): Promise<{ circular: Circular; changed: string[] }> {
  const circular = await openCircular(app, id);
  if (circular.authorId !== member.id && member.role !== "admin") throw new UserError("circular.onlyAuthorEdit");
  if (fields.audience?.length) throw new UserError("circular.cannotReaddress");
  const now = app.clock.now();
  const data: Prisma.CircularUpdateInput = {};
  if (fields.title) data.title = fields.title;
  if (fields.body !== undefined) data.body = fields.body;
  if (fields.place) data.place = fields.place;
  if (fields.attachment) data.attachment = fields.attachment;
  if (fields.startsAt) data.startsAt = resolveTime(app, fields.startsAt, now, "startsAt");
  if (fields.deadline) data.deadline = NO_DEADLINE.has(fields.deadline.toLowerCase()) ? null : resolveTime(app, fields.deadline, now, "deadline");
  const changed = Object.keys(data);
  if (changed.length === 0) throw new UserError("circular.nothingToEdit");
  const updated = await app.prisma.$transaction(async (tx) => {
    const c = await tx.circular.update({ where: { id }, data: { ...data, editedAt: now } });
    await audit(tx, { actorId: member.id, action: "circular.edit", entity: "Circular", entityId: id, data: JSON.parse(JSON.stringify(data)) as Prisma.InputJsonValue });
    return c;
  });
  if ("deadline" in data) {
    await app.scheduler.cancel(`escalate-${id}-deadline`);
    await scheduleChasing(app, updated);
  }
  await refreshPosts(app, updated, `edited-${now.getTime()}`);
  // Editing a message notifies no one: a change of when or where is also announced in a new short message.
  const announce = changed.filter((k) => ANNOUNCED.includes(k)).join(",");
  await app.scheduler.schedule(REISSUE, `reissue-${id}-${now.getTime()}`, { circularId: id, announce }, now);
  return { circular: updated, changed };
}

/** Changes recipients are told about in a new message, not only by the edited copy. */
const ANNOUNCED = ["startsAt", "place", "deadline"];

/** "会议时间改为 12月3日(周四) 09:00；地点改为 三楼会议室" in `locale`. */
function changeLines(circular: Circular, parts: string[], locale: Locale, timeZone: string, now: Date): string {
  const when = (d: Date | null) => (d ? formatLocal(d, timeZone, locale, now) : t(locale, "circular.noDeadlineWord"));
  const value: Record<string, string> = { startsAt: when(circular.startsAt), place: circular.place ?? "", deadline: when(circular.deadline) };
  return parts.map((p) => t(locale, "circular.changedTo", { part: t(locale, `circular.part.${p}` as MessageKey), value: value[p]! })).join(t(locale, "list.semicolon"));
}

/**
 * Re-renders every direct-message copy of a circular after an edit; when its time, place or deadline
 * changed (`announce`), each recipient concerned and each group it was posted in also gets a short message.
 */
export async function reissue(app: App, circularId: number, announce: string[] = []): Promise<void> {
  const circular = await app.prisma.circular.findUnique({ where: { id: circularId } });
  if (!circular || circular.status !== "published") return;
  const posts = await app.prisma.circularPost.findMany({ where: { circularId, messageId: { not: null } }, include: { channel: true } });
  const postIds = new Set(posts.map((p) => p.messageId));
  const receipts = await app.prisma.receipt.findMany({ where: { circularId, messageId: { not: null } }, include: { person: true } });
  const view = await viewOf(app, circular);
  const now = app.clock.now();
  // One edit of the circular is one occasion: its instant names the sends, so a repeated job sends nothing new.
  const edition = (circular.editedAt ?? now).getTime();
  const sends: Send[] = [];
  for (const r of receipts) {
    if (postIds.has(r.messageId)) continue; // group copies: refreshPosts did those
    const locale = toLocale(r.person.locale) ?? app.config.locale;
    const copy: Outbound = circularMessage({ ...view, delegatedBy: await delegatorOf(app, circularId, r.personId) }, locale);
    sends.push({ key: `reissue-r${r.id}-${edition}`, to: { edit: { platform: r.platform as Platform, chatId: r.chatId!, messageId: r.messageId! }, personId: r.personId, sentAt: r.deliveredAt }, message: copy, priority: "bulk" });
    // A new deadline concerns those who still owe an answer; a new time or place everyone.
    const parts = announce.filter((p) => p !== "deadline" || !r.respondedAt);
    if (parts.length === 0) continue;
    const text = t(locale, "circular.changed", { serial: serialLabel(circular, locale), id: circular.id, title: circular.title, changes: changeLines(circular, parts, locale, app.config.timeZone, now) });
    sends.push({ key: `changed-r${r.id}-${edition}`, to: { personId: r.personId }, message: { text }, priority: "bulk" });
  }
  if (announce.length > 0) {
    const locale = app.config.locale;
    const text = t(locale, "circular.changed", { serial: serialLabel(circular, locale), id: circular.id, title: circular.title, changes: changeLines(circular, announce, locale, app.config.timeZone, now) });
    for (const post of posts) sends.push({ key: `changed-post${post.id}-${edition}`, to: { chat: chatOf(post.channel) }, message: { text } });
  }
  await app.outbox.send(sends);
}

/** Cancels a circular: only its author or an admin. Recipients' buttons stop working; group posts say so. */
export async function cancelCircular(app: App, member: Member, id: number): Promise<Circular> {
  const circular = await openCircular(app, id);
  if (circular.authorId !== member.id && member.role !== "admin") throw new UserError("circular.onlyAuthor");
  const cancelled = await app.prisma.$transaction(async (tx) => {
    const c = await tx.circular.update({ where: { id }, data: { status: "cancelled", cancelledAt: app.clock.now() } });
    await audit(tx, { actorId: member.id, action: "circular.cancel", entity: "Circular", entityId: id });
    return c;
  });
  await unscheduleChasing(app, cancelled);
  await refreshPosts(app, cancelled, "cancelled");
  return cancelled;
}

/** The author's (or an admin's) view of who has and has not responded, grouped by unit. */
export async function circularStatus(app: App, member: Member, id: number) {
  const circular = await app.prisma.circular.findUnique({ where: { id } });
  if (!circular) throw new UserError("circular.notFound", { id });
  if (circular.authorId !== member.id && !["admin", "leader"].includes(member.role)) throw new UserError("circular.onlyAuthorStatus");
  const receipts = await app.prisma.receipt.findMany({
    where: { circularId: id },
    include: { person: { include: { unit: true, identities: true } }, delegate: true },
    orderBy: [{ person: { unitId: "asc" } }, { personId: "asc" }],
  });
  return { circular, receipts };
}

/** Everything still waiting for this person's response. */
export async function pendingFor(app: App, member: Member) {
  return app.prisma.receipt.findMany({
    where: { personId: member.id, respondedAt: null, circular: { status: "published" } },
    include: { circular: true },
    orderBy: [{ circular: { deadline: "asc" } }, { circularId: "asc" }],
  });
}
