// Telegram updates → Inbound events. Pure: no I/O, so every update shape is tested on its own.
import type { Message, Update, User } from "grammy/types";
import type { ChatRef, Inbound, UserRef } from "../../src/bot/message.ts";
import { decodeCallback } from "./render.ts";

/** Telegram's stand-in sender for messages an anonymous group admin posts as the group. */
export const GROUP_ANONYMOUS_BOT_ID = 1087968824;

export function userRef(from: User): UserRef {
  const name = [from.first_name, from.last_name].filter(Boolean).join(" ");
  return { platform: "telegram", id: String(from.id), name: name || from.username };
}

function chatRef(chat: Message["chat"]): ChatRef {
  if (chat.type === "private") return { platform: "telegram", id: String(chat.id), kind: "direct" };
  return { platform: "telegram", id: String(chat.id), kind: "group", title: "title" in chat ? chat.title : undefined };
}

/** The sender of a message; anonymous when posted on behalf of the group or a channel, not a person. */
function sender(message: Message): UserRef | undefined {
  if (message.sender_chat || message.from?.id === GROUP_ANONYMOUS_BOT_ID) {
    return { platform: "telegram", id: String(message.sender_chat?.id ?? message.chat.id), anonymous: true };
  }
  return message.from && !message.from.is_bot ? userRef(message.from) : undefined;
}

/**
 * The Inbound for an update, or undefined for kinds Relay does not handle (edits, channel posts,
 * stickers, polls, join requests, …), which are ignored quietly. `botUsername` tells our commands in
 * groups ("/notice@relay_bot") from other bots' ("/notice@other_bot").
 */
export function toInbound(update: Update, botUsername: string): Inbound | undefined {
  if (update.message) return fromMessage(update.message, botUsername);
  if (update.callback_query) {
    const q = update.callback_query;
    const data = q.data ? decodeCallback(q.data) : undefined;
    if (!data) return undefined;
    const message = q.message;
    const chat: ChatRef = message ? chatRef(message.chat) : { platform: "telegram", id: String(q.from.id), kind: "direct" };
    return {
      kind: "action",
      ...data,
      user: userRef(q.from),
      chat,
      locale: q.from.language_code,
      messageRef: message ? { platform: "telegram", chatId: String(message.chat.id), messageId: String(message.message_id) } : undefined,
    };
  }
  if (update.my_chat_member) {
    const m = update.my_chat_member;
    if (m.chat.type === "private" || m.chat.type === "channel") return undefined;
    const inside = (s: string) => s === "member" || s === "administrator" || s === "creator" || s === "restricted";
    const was = inside(m.old_chat_member.status);
    const is = inside(m.new_chat_member.status);
    if (was === is) return undefined; // promoted, restricted: still there
    return { kind: "membership", joined: is, user: userRef(m.from), chat: chatRef(m.chat), locale: m.from.language_code };
  }
  return undefined;
}

function fromMessage(message: Message, botUsername: string): Inbound | undefined {
  const text = message.text;
  const user = sender(message);
  if (text === undefined || !user) return undefined; // stickers, photos, service messages, other bots
  const base = { user, chat: chatRef(message.chat), locale: message.from?.language_code };
  const entity = message.entities?.[0];
  if (entity?.type === "bot_command" && entity.offset === 0) {
    const [name = "", addressee] = text.slice(1, entity.length).split("@");
    if (addressee && addressee.toLowerCase() !== botUsername.toLowerCase()) return undefined; // another bot's command
    return { ...base, kind: "command", name, args: text.slice(entity.length).trim() };
  }
  if (message.chat.type !== "private") {
    // "@relay_bot 请假 明天", or a reply to one of our messages (an answer to "发给谁？"), is said to us: what a
    // group with privacy mode on delivers at all. Read as in a direct chat; "@relay_bot" alone asks for help.
    const mention = entity?.type === "mention" && entity.offset === 0 && text.slice(1, entity.length).toLowerCase() === botUsername.toLowerCase();
    const replyToUs = message.reply_to_message?.from?.username?.toLowerCase() === botUsername.toLowerCase();
    if (mention || replyToUs) {
      const said = mention ? text.slice(entity!.length).replace(/^[\s,，:：]+/, "") : text;
      return said ? { ...base, kind: "text", text: said, addressed: true } : { ...base, kind: "command", name: "help", args: "" };
    }
  }
  return { ...base, kind: "text", text };
}
