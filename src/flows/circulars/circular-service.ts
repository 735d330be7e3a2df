// Circulars: publishing (serial number, receipts, group posts, fan-out), responses, the live
// counter, status, pending lists and cancelling. Every change writes an AuditEvent.
import type { App } from "../../app.ts";
import { UserError } from "../../bot/errors.ts";
import { t, toLocale, type Locale, type MessageKey } from "../../bot/i18n/index.ts";
import { formatLocal } from "../../bot/time-parse.ts";
import type { Member } from "../../bot/member.ts";
import type { ChatRef, Platform } from "../../bot/message.ts";
import { DeliveryUncertainError, RecipientUnreachableError } from "../../bot/delivery-errors.ts";
import { zonedParts } from "../../bot/time-zone.ts";
import { audit, type Tx } from "../../db/audit.ts";
import type { Circular, Prisma } from "../../generated/prisma/client.ts";
import { personByName } from "../org/directory.ts";
import { sendToPerson } from "../org/messenger.ts";
import { expandAudience, type Audience } from "./audience.ts";
import { NO_DEADLINE, draftForButton, recipientsOf, resolveDraft, resolveTime } from "./drafts.ts";
import { scheduleChasing, unscheduleChasing } from "./chasing.ts";
import type { DraftFields } from "./compose.ts";
import { circularMessage, RESPONSES, serialLabel } from "./circular-text.ts";

const SERIAL_LOCK = 7_265_100;
export interface Published {
  circular: Circular;
  /** Receipts to deliver by direct message, by platform. */
  direct: Map<Platform, number[]>;
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
      const receipts = await tx.receipt.findMany({ where: { circularId: circular.id }, select: { id: true, personId: true } });
      const identities = await tx.identity.findMany({ where: { personId: { in: all } }, orderBy: { createdAt: "desc" } });
      const direct = new Map<Platform, number[]>();
      for (const receipt of receipts) {
        if (viaChannel.has(receipt.personId)) continue; // they see it in the group
        const identity = identities.find((i) => i.personId === receipt.personId && app.bot.has(i.platform as Platform));
        if (!identity) continue; // no reachable account: stays pending, visible in /status
        direct.set(identity.platform as Platform, [...(direct.get(identity.platform as Platform) ?? []), receipt.id]);
      }
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
  for (const post of published.posts) await sendPost(app, published.circular, post.postId);
  for (const [platform, receiptIds] of published.direct) {
    await app.deliver.enqueue(platform, receiptIds.map((receiptId) => ({ receiptId, round: 0 })));
  }
  await scheduleChasing(app, published.circular);
  return published;
}

/** Posts a circular in a bound group, with buttons and the counter; everyone it covers counts as delivered. */
async function sendPost(app: App, circular: Circular, postId: number): Promise<void> {
  const post = await app.prisma.circularPost.findUniqueOrThrow({ where: { id: postId }, include: { channel: true } });
  if (post.messageId) return;
  const chat: ChatRef = { platform: post.channel.platform as Platform, id: post.channel.externalId, kind: "group", title: post.channel.title ?? undefined };
  const view = await viewOf(app, circular);
  const ref = await app.bot.send(chat, circularMessage(view, app.config.locale, await counter(app, circular.id)));
  await app.prisma.circularPost.update({ where: { id: postId }, data: { messageId: ref.messageId } });
  const { viaChannel } = await expandAudience(app.prisma, circular.audience as unknown as Audience);
  const covered = [...viaChannel].filter(([, channelId]) => channelId === post.channelId).map(([personId]) => personId);
  await app.prisma.receipt.updateMany({
    where: { circularId: circular.id, personId: { in: covered }, chatId: chat.id },
    data: { messageId: ref.messageId, deliveredAt: app.clock.now() },
  });
}

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

/** Re-renders the circular's group posts with the current counter (live counters). */
export async function refreshPosts(app: App, circular: Circular): Promise<void> {
  const posts = await app.prisma.circularPost.findMany({ where: { circularId: circular.id, messageId: { not: null } }, include: { channel: true } });
  if (posts.length === 0) return;
  const view = await viewOf(app, circular);
  const message = circularMessage(view, app.config.locale, await counter(app, circular.id));
  for (const post of posts) {
    await app.bot
      .edit({ platform: post.channel.platform as Platform, chatId: post.channel.externalId, messageId: post.messageId! }, message)
      .catch((err: unknown) => app.log.warn({ err, post: post.id }, "could not update a live counter"));
  }
}

/**
 * Sends one recipient their copy, at most once. The receipt is claimed (pending → sending) before the send
 * and records the message after it, so a retried job skips a sent receipt, and a job that finds a claim
 * left behind (its worker died mid-send) marks it uncertain instead of sending blindly again.
 */
export async function deliverReceipt(app: App, receiptId: number): Promise<"sent" | "skipped" | "failed" | "uncertain" | "unreachable"> {
  const receipt = await app.prisma.receipt.findUnique({ where: { id: receiptId }, include: { circular: true } });
  if (!receipt || receipt.messageId || receipt.circular.status !== "published") return "skipped";
  if (receipt.delivery === "sending") {
    await app.prisma.receipt.updateMany({
      where: { id: receiptId, delivery: "sending" },
      data: { delivery: "uncertain", deliveryError: "the worker stopped while sending" },
    });
    return "uncertain";
  }
  if (receipt.delivery !== "pending") return "skipped";
  const person = await app.prisma.person.findUniqueOrThrow({ where: { id: receipt.personId } });
  const locale = (person.locale as Locale | null) ?? app.config.locale;
  // The claim (pending → sending) is taken at the last moment, once the platform lets the message go.
  const claim = async () => {
    const claimed = await app.prisma.receipt.updateMany({ where: { id: receiptId, delivery: "pending" }, data: { delivery: "sending" } });
    if (claimed.count !== 1) throw new ClaimedElsewhere();
  };
  let ref;
  try {
    const view = { ...(await viewOf(app, receipt.circular)), delegatedBy: await delegatorOf(app, receipt.circularId, receipt.personId) };
    ref = await sendToPerson(app, receipt.personId, circularMessage(view, locale), null, { onWire: claim });
  } catch (error) {
    if (error instanceof ClaimedElsewhere) return "skipped"; // another worker has it
    const state = error instanceof RecipientUnreachableError ? "unreachable" : error instanceof DeliveryUncertainError ? "uncertain" : undefined;
    // Anything else failed before reaching the platform: release the claim and let the queue retry.
    await app.prisma.receipt.update({ where: { id: receiptId }, data: { delivery: state ?? "pending", deliveryError: (error as Error).message } });
    if (!state) throw error;
    return state;
  }
  if (!ref) {
    await app.prisma.receipt.update({ where: { id: receiptId }, data: { delivery: "failed", deliveryError: "no reachable account" } });
    return "failed";
  }
  await app.prisma.receipt.update({
    where: { id: receiptId },
    data: { delivery: "sent", platform: ref.platform, chatId: ref.chatId, messageId: ref.messageId, deliveredAt: app.clock.now() },
  });
  return "sent";
}

class ClaimedElsewhere extends Error {}

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
  await sendToPerson(app, delegateId, { text }).catch((err: unknown) => app.log.warn({ err, person: delegateId }, "could not tell a delegate"));
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
    select: { id: true, person: { select: { identities: { orderBy: { createdAt: "desc" }, select: { platform: true } } } } },
  });
  const byPlatform = new Map<Platform, number[]>();
  for (const r of pending) {
    const platform = r.person.identities.map((i) => i.platform as Platform).find((p) => app.bot.has(p));
    if (platform) byPlatform.set(platform, [...(byPlatform.get(platform) ?? []), r.id]);
  }
  for (const [platform, ids] of byPlatform) await app.deliver.enqueue(platform, ids.map((receiptId) => ({ receiptId, round: 0 })));
  return pending.length;
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
  await refreshPosts(app, updated);
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
  for (const r of receipts) {
    if (postIds.has(r.messageId)) continue; // group copies: refreshPosts did those
    const locale = toLocale(r.person.locale) ?? app.config.locale;
    await app.bot
      .edit({ platform: r.platform as Platform, chatId: r.chatId!, messageId: r.messageId! }, circularMessage({ ...view, delegatedBy: await delegatorOf(app, circularId, r.personId) }, locale))
      .catch((err: unknown) => app.log.warn({ err, receipt: r.id }, "could not update a sent copy"));
    // A new deadline concerns those who still owe an answer; a new time or place everyone.
    const parts = announce.filter((p) => p !== "deadline" || !r.respondedAt);
    if (parts.length === 0) continue;
    const text = t(locale, "circular.changed", { serial: serialLabel(circular, locale), id: circular.id, title: circular.title, changes: changeLines(circular, parts, locale, app.config.timeZone, now) });
    await sendToPerson(app, r.personId, { text }).catch((err: unknown) => app.log.warn({ err, receipt: r.id }, "could not announce a change"));
  }
  if (announce.length === 0) return;
  const locale = app.config.locale;
  const text = t(locale, "circular.changed", { serial: serialLabel(circular, locale), id: circular.id, title: circular.title, changes: changeLines(circular, announce, locale, app.config.timeZone, now) });
  for (const post of posts) {
    const chat: ChatRef = { platform: post.channel.platform as Platform, id: post.channel.externalId, kind: "group", title: post.channel.title ?? undefined };
    await app.bot.send(chat, { text }).catch((err: unknown) => app.log.warn({ err, post: post.id }, "could not announce a change in the group"));
  }
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
  await refreshPosts(app, cancelled);
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
