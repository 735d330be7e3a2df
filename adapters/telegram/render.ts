// Outbound → Telegram sendMessage payloads: HTML with every piece of user text escaped, inline keyboards
// whose callback data fits Telegram's 64 bytes, and text over 4,096 characters split into several messages.
import type { Button, Outbound, Span } from "../../src/bot/message.ts";

/** Telegram's limit on a message's text, counted after entities are parsed. */
export const MAX_TEXT = 4096;
/** Telegram's limit on callback_data, in bytes. */
export const MAX_CALLBACK_BYTES = 64;

export interface InlineKeyboardButton {
  text: string;
  callback_data: string;
}

export interface TelegramMessage {
  text: string;
  parse_mode: "HTML";
  reply_markup?: { inline_keyboard: InlineKeyboardButton[][] };
  link_preview_options: { is_disabled: true };
}

/** Escapes text for Telegram's HTML parse mode: only &, < and > are special (and " inside attributes). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function escapeAttribute(text: string): string {
  return escapeHtml(text).replace(/"/g, "&quot;");
}

/** "action|value": what a button press carries back. Ids only, never user text. */
export function encodeCallback(button: Button): string {
  const data = `${button.action}|${button.value}`;
  if (Buffer.byteLength(data, "utf8") > MAX_CALLBACK_BYTES) {
    throw new Error(`callback data for ${button.action} is over ${MAX_CALLBACK_BYTES} bytes: buttons must carry ids`);
  }
  return data;
}

export function decodeCallback(data: string): { action: string; value: string } | undefined {
  const bar = data.indexOf("|");
  if (bar <= 0) return undefined;
  return { action: data.slice(0, bar), value: data.slice(bar + 1) };
}

/** A piece of the message: its HTML and how many characters Telegram will count for it. */
interface Piece {
  html: string;
  length: number;
}

function pieces(text: Outbound["text"]): Piece[] {
  const spans: Span[] = typeof text === "string" ? [text] : text;
  return spans.flatMap((span): Piece[] => {
    if (typeof span === "string") return splitPlain(span);
    if ("bold" in span) return [{ html: `<b>${escapeHtml(span.bold)}</b>`, length: span.bold.length }];
    if ("link" in span) return [{ html: `<a href="${escapeAttribute(span.url)}">${escapeHtml(span.link)}</a>`, length: span.link.length }];
    // A mention is a link to the user, so it notifies them in a group; only Telegram ids can be linked.
    const label = span.label;
    if (span.mention.platform === "telegram" && /^\d+$/.test(span.mention.id)) {
      return [{ html: `<a href="tg://user?id=${span.mention.id}">${escapeHtml(label)}</a>`, length: label.length }];
    }
    return [{ html: escapeHtml(label), length: label.length }];
  });
}

/** Plain text as pieces no longer than a message, cut after a newline or a space where possible. */
function splitPlain(text: string): Piece[] {
  const out: Piece[] = [];
  let rest = text;
  while (rest.length > MAX_TEXT) {
    const window = rest.slice(0, MAX_TEXT);
    let cut = window.lastIndexOf("\n") + 1;
    if (cut < MAX_TEXT / 2) cut = window.lastIndexOf(" ") + 1;
    if (cut < MAX_TEXT / 2) cut = MAX_TEXT;
    out.push({ html: escapeHtml(rest.slice(0, cut)), length: cut });
    rest = rest.slice(cut);
  }
  if (rest) out.push({ html: escapeHtml(rest), length: rest.length });
  return out;
}

/** One or more sendMessage payloads for `message`; the buttons go with the last one. */
export function render(message: Outbound): TelegramMessage[] {
  const chunks: string[] = [];
  let html = "";
  let length = 0;
  for (const piece of pieces(message.text)) {
    if (length + piece.length > MAX_TEXT && length > 0) {
      chunks.push(html);
      html = "";
      length = 0;
    }
    html += piece.html;
    length += piece.length;
  }
  if (html || chunks.length === 0) chunks.push(html || " ");
  const keyboard = message.buttons?.length
    ? { inline_keyboard: message.buttons.map((row) => row.map((b) => ({ text: b.label, callback_data: encodeCallback(b) }))) }
    : undefined;
  return chunks.map((text, i) => ({
    text,
    parse_mode: "HTML" as const,
    link_preview_options: { is_disabled: true as const },
    ...(keyboard && i === chunks.length - 1 ? { reply_markup: keyboard } : {}),
  }));
}
