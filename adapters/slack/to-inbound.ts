// Slack payloads → Inbound events. Pure: no I/O, so every payload shape is tested on its own, and the HTTP
// receiver and Socket Mode (which deliver the same bodies) share it.
import type { ChatRef, Inbound, UserRef } from "../../src/bot/message.ts";
import { decodeActionId } from "./render.ts";

/** The umbrella slash command: "/relay notice …" is the same as typing "notice …" to the bot. */
export const UMBRELLA_COMMAND = "relay";

type Body = Record<string, unknown>;

export interface SlackContext {
  /** Our bot's user id, so "<@BOT> help" reads as "help" and our own messages are ignored. */
  botUserId: string;
  /** Names for users a text mentions (see mentionedUsers), written into the text as "@name". */
  names?: ReadonlyMap<string, string>;
  /** Locale and display name per user, where the adapter looked them up (users.info). */
  profiles?: ReadonlyMap<string, { name?: string; locale?: string }>;
}

/** Message subtypes that are a person writing: plain, with a file attached (its text still counts), a thread reply shown in the channel. */
const PEOPLES_MESSAGES = new Set(["undefined", "file_share", "thread_broadcast"]);

const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);
const obj = (v: unknown): Body | undefined => (typeof v === "object" && v !== null ? (v as Body) : undefined);

/**
 * What the payload is, for the adapter: an Events API event (retried by Slack, claimed by event_id), a slash
 * command or an interaction (acked at once, never retried), or something Relay does not handle.
 */
export function payloadKind(body: Body): "event" | "command" | "action" | "other" {
  if (body.type === "event_callback") return "event";
  if (typeof body.command === "string") return "command";
  if (body.type === "block_actions") return "action";
  return "other";
}

/** Direct messages are D… channels; public (C…) and private (G…) channels and group DMs are groups. */
function chatRef(channel: string, name?: string): ChatRef {
  if (channel.startsWith("D")) return { platform: "slack", id: channel, kind: "direct" };
  // Slash commands and interactions name every private channel "privategroup": no title beats a wrong one.
  return { platform: "slack", id: channel, kind: "group", ...(name && !name.startsWith("mpdm-") && name !== "privategroup" ? { title: `#${name}` } : {}) };
}

function userRef(id: string, ctx: SlackContext, fallbackName?: string): UserRef {
  const name = ctx.profiles?.get(id)?.name ?? fallbackName;
  return { platform: "slack", id, ...(name ? { name } : {}) };
}

/** The channel whose events must be handled in order (a conversation), or the user for others. */
export function orderKey(body: Body): string {
  const event = obj(body.event);
  const channel = str(body.channel_id) ?? str(obj(body.channel)?.id) ?? str(obj(body.container)?.channel_id) ?? str(event?.channel);
  return channel ?? str(body.user_id) ?? str(obj(body.user)?.id) ?? "other";
}

/** The users whose names a text mentions ("<@U123>"), to look up before toInbound. */
export function mentionedUsers(body: Body): string[] {
  const text = str(body.text) ?? str(obj(body.event)?.text) ?? "";
  return [...text.matchAll(/<@([UW][A-Z0-9]+)(?:\|[^>]*)?>/g)].map((m) => m[1]!);
}

/** The user who sent the payload (for looking up their profile): for our joining or leaving, who did it. */
export function senderOf(body: Body): string | undefined {
  const event = obj(body.event);
  return str(body.user_id) ?? str(obj(body.user)?.id) ?? str(event?.inviter) ?? str(event?.actor_id) ?? str(event?.user);
}

/**
 * Slack's message text as the person meant it: "&lt;" is "<" again, "<@U123>" becomes "@name", links their
 * address, "<#C1|general>" "#general"; a leading mention of our bot is dropped.
 */
export function plainSlackText(text: string, ctx: SlackContext): string {
  const plain = text.replace(/<([^<>]*)>|&(amp|lt|gt);/g, (_all, inside: string | undefined, entity: string | undefined) => {
    if (entity) return entity === "amp" ? "&" : entity === "lt" ? "<" : ">";
    const [target = "", given] = inside!.split("|", 2);
    const label = given || undefined; // "<#C1|>": Slack leaves out the names of private channels
    if (target.startsWith("@")) {
      const id = target.slice(1);
      return id === ctx.botUserId ? "\u0000" : `@${ctx.names?.get(id) ?? label ?? id}`;
    }
    if (target.startsWith("#")) return `#${label ?? target.slice(1)}`;
    if (target.startsWith("!")) {
      // <!here>, <!subteam^S1|@team>: a user group's label already starts with "@"
      const special = label ?? target.slice(1).split("^")[0] ?? "";
      return special.startsWith("@") ? special : `@${special}`;
    }
    if (target.startsWith("mailto:")) return label ?? target.slice("mailto:".length);
    return unescape(target); // a link: its address is what a notice or a file field needs
  });
  return plain.replace(/[ \t]*\u0000[ \t]*/g, " ").trim();
}

const unescape = (s: string) => s.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");

/**
 * The Inbound for a payload, or undefined for what Relay does not handle (bots' messages, edits, joins of
 * other people, shortcuts, …), which is ignored quietly.
 */
export function toInbound(body: Body, ctx: SlackContext): Inbound | undefined {
  switch (payloadKind(body)) {
    case "command":
      return fromCommand(body, ctx);
    case "action":
      return fromAction(body, ctx);
    case "event":
      return fromEvent(obj(body.event) ?? {}, ctx);
    default:
      return undefined;
  }
}

function locale(id: string, ctx: SlackContext): { locale?: string } {
  const l = ctx.profiles?.get(id)?.locale;
  return l ? { locale: l } : {};
}

/**
 * "/notice 周五开会" is the command notice ("/relay-notice" too); "/relay 请假 明天" is the text "请假 明天" said
 * to the bot, so any command in either language, and answers to its questions, work through /relay.
 */
function fromCommand(body: Body, ctx: SlackContext): Inbound | undefined {
  const user = str(body.user_id);
  const channel = str(body.channel_id);
  if (!user || !channel) return undefined;
  // "/relay-leave" is "/leave" renamed where Slack's own /leave would win (see app-manifest.yaml).
  const name = String(body.command).replace(/^\//, "").toLowerCase().replace(/^relay[-_](?=.)/, "");
  const text = plainSlackText(typeof body.text === "string" ? body.text : "", ctx);
  const base = { user: userRef(user, ctx, str(body.user_name)), chat: chatRef(channel, str(body.channel_name)), ...locale(user, ctx) };
  if (name !== UMBRELLA_COMMAND) return { ...base, kind: "command", name, args: text };
  if (!text) return { ...base, kind: "command", name: "help", args: "" };
  return { ...base, kind: "text", text, addressed: true };
}

function fromAction(body: Body, ctx: SlackContext): Inbound | undefined {
  const action = (Array.isArray(body.actions) ? body.actions : []).map(obj).find((a) => a?.type === "button");
  const name = action ? decodeActionId(String(action.action_id ?? "")) : undefined;
  const user = obj(body.user);
  const container = obj(body.container);
  const channel = str(obj(body.channel)?.id) ?? str(container?.channel_id);
  if (!action || !name || !str(user?.id) || !channel) return undefined;
  const ts = str(container?.message_ts) ?? str(obj(body.message)?.ts);
  return {
    kind: "action",
    action: name,
    value: typeof action.value === "string" ? action.value : "",
    user: userRef(String(user!.id), ctx, str(user!.name) ?? str(user!.username)),
    chat: chatRef(channel, str(obj(body.channel)?.name)),
    ...locale(String(user!.id), ctx),
    ...(ts && container?.is_ephemeral !== true ? { messageRef: { platform: "slack" as const, chatId: channel, messageId: ts } } : {}),
  };
}

function fromEvent(event: Body, ctx: SlackContext): Inbound | undefined {
  const channel = str(event.channel);
  const user = str(event.user);
  switch (event.type) {
    case "message": {
      // Only people's new messages in a direct chat: edits, deletions, joins and bots (ourselves included)
      // carry another subtype or a bot_id. In channels Relay hears only mentions (app_mention), so colleagues'
      // conversations stay theirs.
      if (!PEOPLES_MESSAGES.has(String(event.subtype)) || event.bot_id || !user || user === ctx.botUserId || !channel) return undefined;
      if (event.channel_type !== "im" || typeof event.text !== "string") return undefined;
      const text = plainSlackText(event.text, ctx);
      return text ? { kind: "text", text, user: userRef(user, ctx), chat: chatRef(channel), ...locale(user, ctx) } : undefined;
    }
    case "app_mention": {
      // A mention in a direct chat also arrives as a message event, which is the one handled.
      if (!user || !channel || channel.startsWith("D") || event.bot_id || typeof event.text !== "string") return undefined;
      const text = plainSlackText(event.text, ctx);
      const chat = chatRef(channel);
      const base = { user: userRef(user, ctx), chat, ...locale(user, ctx) };
      // "@Relay" alone asks what it can do.
      return text ? { ...base, kind: "text", text, addressed: true } : { ...base, kind: "command", name: "help", args: "" };
    }
    case "member_joined_channel": {
      // We were added: the inviter is who did it (absent when we joined ourselves).
      if (user !== ctx.botUserId || !channel) return undefined;
      const by = str(event.inviter) ?? user;
      return { kind: "membership", joined: true, user: userRef(by, ctx), chat: chatRef(channel), ...locale(by, ctx) };
    }
    case "channel_left":
    case "group_left": {
      // We were removed (or the channel archived): Slack sends these to the app only about itself.
      if (!channel) return undefined;
      const by = str(event.actor_id) ?? ctx.botUserId;
      return { kind: "membership", joined: false, user: userRef(by, ctx), chat: chatRef(channel), ...locale(by, ctx) };
    }
    default:
      return undefined;
  }
}
