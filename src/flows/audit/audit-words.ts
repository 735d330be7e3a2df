// The audit trail in words: what an event says happened (for /audit), and where and why the chain breaks
// (for /audit and `relay audit verify`). Events keep their raw action codes; people read phrases.
import { isMessageKey, t, type Locale, type MessageKey, type Params } from "../../bot/i18n/index.ts";
import { formatInstant } from "../../bot/time-zone.ts";
import type { ChainBreak, EventRef, Verification } from "../../db/audit-verify.ts";
import type { AuditEvent } from "../../generated/prisma/client.ts";

type Data = Record<string, unknown>;
/** A person's name by id (the actor and the people an event's data names). */
export type NameOf = (id: number) => string;
type Phrase = (d: Data, w: { locale: Locale; nameOf: NameOf; event: AuditEvent }) => Params | [MessageKey, Params];

type DidKey = Extract<MessageKey, `audit.did.${string}`>;
type Action = DidKey extends `audit.did.${infer A}` ? A : never;

// Data fields that hold a person's id, so their names can be looked up before the phrases are made.
const PERSON_FIELDS = ["for", "by", "approver", "to", "deputy"] as const;

const text = (v: unknown) => (typeof v === "string" || typeof v === "number" ? String(v) : "—");
const step = (v: unknown) => (typeof v === "number" ? v + 1 : "—"); // positions count from 0
const count = (v: unknown) => (typeof v === "number" ? v : Array.isArray(v) ? v.length : 0);
const person = (w: { nameOf: NameOf }, v: unknown) => (typeof v === "number" ? w.nameOf(v) : "—");
const target = (w: { nameOf: NameOf; event: AuditEvent }) => (w.event.entityId ? w.nameOf(Number(w.event.entityId)) : "—");
// A word from the catalogue for a stored value (a role, a response, a leave type); an unknown value shows as it is.
const word = (locale: Locale, prefix: string, v: unknown) => {
  const key = `${prefix}${text(v)}`;
  return isMessageKey(key) ? t(locale, key) : text(v);
};
const note = (w: { locale: Locale }, d: Data) => (d.comment ? t(w.locale, "audit.note.comment", { comment: text(d.comment) }) : "");

/** The words for each action Relay records; `other` (and the cleared deputy) are the fallbacks below. */
const PHRASES: Record<Exclude<Action, "other" | "person.deputyCleared">, Phrase> = {
  "circular.publish": (d) => ({ title: text(d.title), recipients: count(d.recipients) }),
  "circular.respond": (d, w) => ({
    response: word(w.locale, "circular.response.", d.response),
    note: note(w, d) + (d.delegate ? t(w.locale, "audit.note.delegate", { name: text(d.delegate) }) : ""),
  }),
  "circular.edit": (d, w) => ({ parts: new Intl.ListFormat(w.locale, { type: "conjunction" }).format(Object.keys(d).map((k) => word(w.locale, "circular.part.", k))) }),
  "circular.cancel": () => ({}),
  "circular.chase": (d) => ({ round: text(d.round), people: count(d.people) }),
  "circular.escalate": (d) => ({ missing: count(d.missing) }),
  "circular.export": (d) => ({ rows: count(d.rows) }),
  "request.file": (d, w) => ({ kind: word(w.locale, "audit.requestKind.", d.kind) }),
  "request.standIn": (d, w) => ({ step: step(d.step), for: person(w, d.for), by: person(w, d.by) }),
  "request.approve": (d, w) => ({ step: step(d.step), note: note(w, d) }),
  "request.reject": (d, w) => ({ step: step(d.step), note: note(w, d) }),
  "request.cancel": () => ({}),
  "request.escalate": (d, w) => ({ step: step(d.step), approver: person(w, d.approver), to: person(w, d.to) }),
  "seal.register": (d) => ({ request: text(d.requestId), year: text(d.year), serial: text(d.serial) }),
  "seal.export": (d) => ({ rows: count(d.rows) }),
  "roster.setup": () => ({}),
  "roster.import": (d) => ({ file: text(d.file), rows: count(d.rows), created: count(d.created), updated: count(d.updated) }),
  "roster.import.create": (d, w) => ({ target: text(d.name), role: word(w.locale, "role.", d.role), unit: text(d.unit) }),
  "roster.import.update": (d) => ({ target: text(d.name) }),
  "person.join": (d, w) => ({ role: word(w.locale, "role.", d.role), unit: text(d.unit) }),
  "person.fromInvite": (d) => ({ target: text(d.name) }),
  "person.locale": (d, w) => ({ language: t(w.locale, d.to === "en" ? "lang.en" : "lang.zh") }),
  "person.deputy": (d, w) => (d.deputy == null ? ["audit.did.person.deputyCleared", { target: target(w) }] : { target: target(w), deputy: person(w, d.deputy) }),
  "balance.set": (d, w) => {
    const type = word(w.locale, "leave.type.", d.type);
    return { target: target(w), year: text(d.year), days: text(d.days), type: w.locale === "en" ? type.toLowerCase() : type };
  },
  "invite.create": (d, w) => ({ name: text(d.name), role: word(w.locale, "role.", d.role) }),
  "identity.linkCode": () => ({}),
  "unit.create": (d) => ({ name: text(d.name) }),
  "channel.bind": (d, w) => ({ id: text(w.event.entityId), unit: text(d.unit) }),
  "channel.join": (d) => ({ title: text(d.title) }),
  "channel.leave": (d) => ({ title: text(d.title) }),
  "setting.chains": () => ({}),
  "reminder.create": (_d, w) => ({ id: text(w.event.entityId) }),
  "reminder.cancel": (_d, w) => ({ id: text(w.event.entityId) }),
  "reminder.done": (_d, w) => ({ id: text(w.event.entityId) }),
  "reminder.snooze": (_d, w) => ({ id: text(w.event.entityId) }),
};

/** The ids of the people an event names: its actor, the person it is about, and people in its data. */
export function peopleIn(event: AuditEvent): number[] {
  const data = dataOf(event);
  const ids = [event.actorId, event.entity === "Person" ? Number(event.entityId) : null, ...PERSON_FIELDS.map((f) => data[f])];
  return ids.filter((id): id is number => typeof id === "number" && Number.isInteger(id));
}

/** What happened, in words: "批准（第 1 步）：同意" / "approved (step 1): fine". */
export function whatHappened(event: AuditEvent, locale: Locale, nameOf: NameOf): string {
  const phrase = (PHRASES as Record<string, Phrase | undefined>)[event.action];
  if (!phrase) return t(locale, "audit.did.other", { action: event.action, entity: event.entity, id: event.entityId ? ` #${event.entityId}` : "" });
  const made = phrase(dataOf(event), { locale, nameOf, event });
  const [key, params] = Array.isArray(made) ? made : [`audit.did.${event.action}` as MessageKey, made];
  return t(locale, key, params);
}

/** Why the chain breaks at `b.event`, as a clause. */
export function whyBroken(b: ChainBreak, locale: Locale): string {
  const params: Params = { previous: b.previous?.id ?? "—", previousSeq: b.previous?.seq ?? "—", seq: b.event.seq ?? "—", missing: b.missing ?? 0 };
  const key: Record<ChainBreak["reason"], [MessageKey, MessageKey]> = {
    unchained: ["audit.why.unchained", "audit.why.unchainedAtStart"],
    altered: ["audit.why.altered", "audit.why.altered"],
    missing: ["audit.why.missing", "audit.why.missingAtStart"],
    relinked: ["audit.why.relinked", "audit.why.relinkedAtStart"],
    misplaced: ["audit.why.misplaced", "audit.why.misplaced"],
  };
  return t(locale, key[b.reason][b.previous ? 0 : 1], params);
}

/** What `relay audit verify` prints, and whether the chain (and the head noted elsewhere, if given) holds. */
export function describeVerification(v: Verification, locale: Locale, timeZone: string, expected?: string): { ok: boolean; text: string } {
  const when = (e: EventRef) => formatInstant(e.at, timeZone);
  if (v.break) {
    const e = v.break.event;
    const lines = [t(locale, "audit.verify.broken", { id: e.id, when: when(e), action: e.action, entity: e.entity, entityId: e.entityId ?? "", why: whyBroken(v.break, locale) })];
    if (v.count > 0) lines.push(t(locale, "audit.verify.brokenAfter", { count: v.count }));
    return { ok: false, text: lines.join("\n") };
  }
  const lines: string[] = [];
  if (!v.first || !v.last) lines.push(t(locale, "audit.verify.empty"));
  else {
    lines.push(t(locale, "audit.verify.intact", { count: v.count, firstId: v.first.id, firstAt: when(v.first), lastId: v.last.id, lastAt: when(v.last) }));
    lines.push(t(locale, "audit.verify.head", { seq: v.last.seq ?? "—", hash: v.last.hash }));
  }
  if (expected !== undefined) {
    if (v.expected) lines.push(t(locale, "audit.verify.headFound", { hash: expected, id: v.expected.id, seq: v.expected.seq ?? "—", when: when(v.expected) }));
    else lines.push(t(locale, "audit.verify.headMissing", { hash: expected }));
  }
  return { ok: expected === undefined || Boolean(v.expected), text: lines.join("\n") };
}

function dataOf(event: AuditEvent): Data {
  const d = event.data;
  return d !== null && typeof d === "object" && !Array.isArray(d) ? (d as Data) : {};
}
