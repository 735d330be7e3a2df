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

/** What a typed response word means ("收到", "参加", "请假", "委派", "签阅", "ok"…), per kind. */
const RESPONSE_WORDS: Record<string, string> = {
  收到: "ack", 已阅: "ack", 已收到: "ack", 好的: "ack", ack: "ack", ok: "ack", received: "ack",
  参加: "attend", 出席: "attend", attend: "attend", yes: "attend",
  不参加: "decline", 请假: "decline", 缺席: "decline", decline: "decline", no: "decline",
  委派: "delegate", 代替: "delegate", delegate: "delegate",
  签阅: "signed", 已签阅: "signed", 阅: "signed", sign: "signed", signed: "signed",
};

/** Whether `word` is a response word of any kind ("参加" is one, "已安排" is a comment). */
export function isResponseWord(word: string | undefined): boolean {
  return word !== undefined && word.toLowerCase() in RESPONSE_WORDS;
}

/** Reads a response word for `kind`; undefined if it is not one this kind takes. */
export function parseResponse(kind: CircularKind, word: string | undefined): string | undefined {
  const response = word ? RESPONSE_WORDS[word.toLowerCase()] : undefined;
  if (response && RESPONSES[kind].includes(response)) return response;
  // For a notice or a document any acknowledging word is the one response it has.
  if (response && kind !== "meeting" && ["ack", "signed"].includes(response)) return RESPONSES[kind][0];
  return undefined;
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
}

/** The message as recipients see it, in a direct chat or a group. */
export function circularMessage(v: CircularView, locale: Locale, counter?: { done: number; total: number }): Outbound {
  const c = v.circular;
  const when = (d: Date) => formatLocal(d, v.timeZone, locale, v.now);
  const heading = t(locale, "circular.heading", { kind: t(locale, `circular.kind.${c.kind}`), serial: serialLabel(c, locale), id: c.id });
  const text: Span[] = [`${heading}\n`, { bold: c.title }];
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
