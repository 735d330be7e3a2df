// What people type, made safe to store: PostgreSQL refuses a NUL in text, and other control characters or a lone
// half of a surrogate pair (a broken emoji from a client) are never meant. Cleaned once, where events come in.
import type { Inbound } from "./message.ts";

// C0 controls and DEL, except tab, line feed and carriage return, which people do type.
const CONTROLS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** `text` without control characters, and with each lone surrogate replaced by U+FFFD. */
export function cleanText(text: string): string {
  return text.replace(CONTROLS, "").replace(LONE_SURROGATE, "\uFFFD");
}

/** The event with everything the person (or their app) wrote cleaned: the text, the arguments, names and titles. */
export function cleanInbound(inbound: Inbound): Inbound {
  const user = { ...inbound.user, ...(inbound.user.name === undefined ? {} : { name: cleanText(inbound.user.name) }) };
  const chat = { ...inbound.chat, ...(inbound.chat.title === undefined ? {} : { title: cleanText(inbound.chat.title) }) };
  switch (inbound.kind) {
    case "command":
      return { ...inbound, user, chat, name: cleanText(inbound.name), args: cleanText(inbound.args) };
    case "text":
      return { ...inbound, user, chat, text: cleanText(inbound.text) };
    case "action":
      return { ...inbound, user, chat, action: cleanText(inbound.action), value: cleanText(inbound.value) };
    default:
      return { ...inbound, user, chat };
  }
}
