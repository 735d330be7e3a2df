// How circulars read: serial numbers, the message recipients get, the buttons they press, the counter.
import { t, type Locale } from "../../bot/i18n/index.ts";
import type { Button, Outbound, Span } from "../../bot/message.ts";
import { formatLocal } from "../../bot/time-parse.ts";
import type { Circular, CircularKind } from "../../generated/prisma/client.ts";

/** The responses each kind accepts, the first being what its main button records. */
export const RESPONSES: Record<CircularKind, readonly string[]> = {
  notice: ["ack"],
  meeting: ["attend", "decline", "delegate"],
  document: ["signed"],
};

/**
 * What a typed response word means, per kind: "收到" acknowledges a notice, "签阅" signs a document, "已阅"
 * does either (it is what a leader writes on both). A word is never taken for a kind it does not name, so
 * "签阅" with no document open is not recorded as 收到 on a notice.
 */
const RESPONSE_WORDS: Record<string, Partial<Record<CircularKind, string>>> = {
  收到: { notice: "ack" }, 已收到: { notice: "ack" }, ack: { notice: "ack" }, received: { notice: "ack" },
  已阅: { notice: "ack", document: "signed" }, 阅: { notice: "ack", document: "signed" }, read: { notice: "ack", document: "signed" },
  参加: { meeting: "attend" }, 出席: { meeting: "attend" }, 参会: { meeting: "attend" }, attend: { meeting: "attend" }, yes: { meeting: "attend" },
  不参加: { meeting: "decline" }, 缺席: { meeting: "decline" }, 请假: { meeting: "decline" }, decline: { meeting: "decline" }, no: { meeting: "decline" },
  委派: { meeting: "delegate" }, 代替: { meeting: "delegate" }, delegate: { meeting: "delegate" },
  签阅: { document: "signed" }, 已签阅: { document: "signed" }, 签收: { document: "signed" }, sign: { document: "signed" }, signed: { document: "signed" },
};

/** Words that start an answer typed on its own in a chat ("收到", "不参加 1 有会", "decline 14 …"); not yes/no, which start sentences. */
const LEADING_WORDS = new Set(Object.keys(RESPONSE_WORDS).filter((w) => !["yes", "no", "read", "阅", "请假"].includes(w)));

/**
 * How people acknowledge in passing: "收到！", "收到了", "好的，收到", "知道了", "ok". Understood as 收到 only
 * where an acknowledgement is expected (a notice is waiting for one), and only as the whole message.
 */
const EVERYDAY_ACK = /^(?:好的?|嗯|ok)?[，,、\s]*(?:收到(?:了|啦|咯|喽)?|已收到|知道了|知道啦|明白(?:了)?|了解|ok(?:ay)?|received|got it|noted|will do)[\s!！。.~～]*$/i;

/** Trailing marks people add to a word ("收到！", "参加。"). */
function bare(word: string): string {
  return word.replace(/[!！。.~～,，]+$/, "").toLowerCase();
}

/** Whether `word` is a response word of any kind ("参加" is one, "已安排" is a comment). */
export function isResponseWord(word: string | undefined): boolean {
  return word !== undefined && bare(word) in RESPONSE_WORDS;
}

/** Whether `word` may start an answer typed without a command ("收到", "不参加 …", "decline 14 …"). */
export function isLeadingResponseWord(word: string | undefined): boolean {
  return word !== undefined && LEADING_WORDS.has(bare(word));
}

/** Whether the whole text is an everyday acknowledgement ("好的，收到", "知道了", "ok"). */
export function isEverydayAck(text: string): boolean {
  return EVERYDAY_ACK.test(text.trim());
}

/** The kinds a response word answers ("已阅": notices and documents); every kind for no word at all. */
export function kindsFor(word: string | undefined): CircularKind[] {
  if (word === undefined) return ["notice", "meeting", "document"];
  return Object.keys(RESPONSE_WORDS[bare(word)] ?? {}) as CircularKind[];
}

/** Reads a response word for `kind`; undefined if it is not one this kind takes. */
export function parseResponse(kind: CircularKind, word: string | undefined): string | undefined {
  return word ? RESPONSE_WORDS[bare(word)]?.[kind] : undefined;
}

/** 通知〔2026〕12号 / Notice 2026-12. */
export function serialLabel(c: Pick<Circular, "kind" | "year" | "serial">, locale: Locale): string {
  return t(locale, `circular.serial.${c.kind}`, { year: c.year, serial: c.serial });
}

export function responseLabel(response: string, locale: Locale): string {
  return t(locale, `circular.response.${response}` as never);
}

/** The buttons a recipient presses; values are the circular id, short enough for any platform. */
export function responseButtons(c: Pick<Circular, "id" | "kind">, locale: Locale): Button[][] {
  const buttons = RESPONSES[c.kind].filter((r) => r !== "delegate").map((r) => ({ label: responseLabel(r, locale), action: `circular.${r}`, value: String(c.id) }));
  return [buttons];
}

export interface CircularView {
  circular: Circular;
  authorName: string;
  authorUnit: string | null;
  timeZone: string;
  now: Date;
  /** This copy is a delegate's: who handed the meeting to them. */
  delegatedBy?: string;
}

/** The message as recipients see it, in a direct chat or a group. */
export function circularMessage(v: CircularView, locale: Locale, counter?: { done: number; total: number }): Outbound {
  const c = v.circular;
  const when = (d: Date) => formatLocal(d, v.timeZone, locale, v.now);
  const heading = t(locale, "circular.heading", { kind: t(locale, `circular.kind.${c.kind}`), serial: serialLabel(c, locale), id: c.id });
  const text: Span[] = [`${heading}${c.editedAt ? t(locale, "circular.editedMark") : ""}\n`];
  if (v.delegatedBy) text.push(`${t(locale, "circular.delegatedBy", { name: v.delegatedBy })}\n`);
  text.push({ bold: c.title });
  if (c.body) text.push(`\n${c.body}`);
  if (c.startsAt) text.push(`\n${t(locale, "circular.startsAt", { when: when(c.startsAt) })}`);
  if (c.place) text.push(`\n${t(locale, "circular.place", { place: c.place })}`);
  if (c.attachment) text.push(`\n${t(locale, "circular.attachment", { attachment: c.attachment })}`);
  if (c.deadline) text.push(`\n${t(locale, "circular.deadline", { when: when(c.deadline) })}`);
  const author = v.authorUnit ? t(locale, "circular.authorWithUnit", { name: v.authorName, unit: v.authorUnit }) : v.authorName;
  text.push(`\n${t(locale, "circular.from", { name: author })}`);
  if (counter) text.push(`\n${t(locale, `circular.counter.${c.kind}`, counter)}`);
  if (c.status === "cancelled") return { text: [...text, `\n${t(locale, "circular.cancelledMark")}`] };
  return { text, buttons: responseButtons(c, locale) };
}
