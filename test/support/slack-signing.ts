// Requests in the shape Slack sends them to an app's Request URL, signed the way Slack signs them, so adapter
// tests drive the real signature check and Bolt's HTTPReceiver instead of calling listeners directly.
// Field names are checked by tsc against Bolt's own request types. The *Object builders give the same payloads as
// objects, which is how Socket Mode envelopes carry them (FakeSlack.socketSend); the string forms are built from them.
import { createHmac, randomBytes } from "node:crypto";
import type { BlockAction, ButtonAction, EnvelopedEvent, SlashCommand, types } from "@slack/bolt";
import { DEFAULT_WORKSPACE } from "./fake-slack.ts";

type GenericMessageEvent = types.GenericMessageEvent;
type AppMentionEvent = types.AppMentionEvent;

export interface SlackSignatureHeaders { "x-slack-request-timestamp": string; "x-slack-signature": string }

/** Slack's v0 signature: hex HMAC-SHA256 of `v0:${timestamp}:${body}` keyed with the signing secret. */
export function signSlackRequest(body: string, secret: string, opts: { timestamp?: number } = {}): SlackSignatureHeaders {
  const timestamp = opts.timestamp ?? Math.floor(Date.now() / 1000);
  const digest = createHmac("sha256", secret).update(`v0:${timestamp}:${body}`).digest("hex");
  return { "x-slack-request-timestamp": String(timestamp), "x-slack-signature": `v0=${digest}` };
}

/** POSTs a signed request as Slack would: strings go as forms (commands, interactivity), objects as JSON (events). */
export async function postSigned(
  url: string, body: string | object, secret: string,
  opts: { timestamp?: number; signature?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const signed = signSlackRequest(text, secret, opts.timestamp === undefined ? {} : { timestamp: opts.timestamp });
  return fetch(url, {
    method: "POST",
    body: text,
    headers: {
      "content-type": typeof body === "string" ? "application/x-www-form-urlencoded" : "application/json",
      "user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
      ...signed,
      ...(opts.signature ? { "x-slack-signature": opts.signature } : {}),
      ...opts.headers,
    },
  });
}

// The deprecated verification token Slack still includes in every payload; Bolt ignores it.
const VERIFICATION_TOKEN = "RelayVerificationToken01";
let counter = 0;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const triggerId = () => `${nowSeconds()}${++counter}.${DEFAULT_WORKSPACE.team_id.slice(1)}.${randomBytes(16).toString("hex")}`;
const messageTs = () => `${nowSeconds()}.${String(++counter).padStart(6, "0")}`;
/** An Events API event id: "Ev" and 9 more upper-case letters/digits. */
export const eventId = (): string => `Ev${randomBytes(8).toString("hex").toUpperCase().slice(0, 9)}`;

export interface SlashCommandInput {
  command: string; // with the slash: "/notice"
  text?: string;
  user_id: string;
  user_name?: string;
  channel_id: string;
  channel_name?: string;
  team_id?: string;
  trigger_id?: string;
  response_url?: string; // FakeSlack.responseUrl() makes one respond() can reach
}

/** A slash command's fields as an object, as a Socket Mode slash_commands envelope carries them (all strings). */
export function slashCommandObject(input: SlashCommandInput): SlashCommand {
  const team_id = input.team_id ?? DEFAULT_WORKSPACE.team_id;
  return {
    token: VERIFICATION_TOKEN, team_id, team_domain: DEFAULT_WORKSPACE.domain,
    channel_id: input.channel_id, channel_name: input.channel_name ?? (input.channel_id.startsWith("D") ? "directmessage" : "general"),
    user_id: input.user_id, user_name: input.user_name ?? `user.${input.user_id.slice(-4).toLowerCase()}`,
    command: input.command, text: input.text ?? "", api_app_id: DEFAULT_WORKSPACE.app_id, is_enterprise_install: "false",
    response_url: input.response_url ?? `https://hooks.slack.com/commands/${team_id}/${++counter}/fakeResponseToken`,
    trigger_id: input.trigger_id ?? triggerId(),
  };
}

/** A slash command as Slack posts it: an application/x-www-form-urlencoded body. */
export function slashCommand(input: SlashCommandInput): string {
  return new URLSearchParams(slashCommandObject(input) as Record<string, string>).toString();
}

export interface BlockActionInput {
  user: string; // user id
  channel: string;
  action_id: string;
  value: string;
  message_ts: string; // the ts of the bot's message that holds the button
  block_id?: string;
  text?: string; // the button's label
  message_text?: string;
  response_url?: string;
}

/** A button press's block_actions payload as an object, as a Socket Mode interactive envelope carries it. */
export function blockActionObject(input: BlockActionInput): BlockAction<ButtonAction> {
  const action: ButtonAction = {
    type: "button", action_id: input.action_id, block_id: input.block_id ?? "actions", value: input.value,
    text: { type: "plain_text", text: input.text ?? input.value, emoji: true }, action_ts: `${nowSeconds()}.${String(++counter).padStart(6, "0")}`,
  };
  return {
    type: "block_actions",
    user: { id: input.user, username: `user.${input.user.slice(-4).toLowerCase()}`, name: `user.${input.user.slice(-4).toLowerCase()}`, team_id: DEFAULT_WORKSPACE.team_id },
    api_app_id: DEFAULT_WORKSPACE.app_id, token: VERIFICATION_TOKEN,
    container: { type: "message", message_ts: input.message_ts, channel_id: input.channel, is_ephemeral: false },
    trigger_id: triggerId(),
    team: { id: DEFAULT_WORKSPACE.team_id, domain: DEFAULT_WORKSPACE.domain },
    is_enterprise_install: false,
    channel: { id: input.channel, name: input.channel.startsWith("D") ? "directmessage" : "general" },
    message: {
      user: DEFAULT_WORKSPACE.bot_user_id, type: "message", ts: input.message_ts, bot_id: DEFAULT_WORKSPACE.bot_id,
      app_id: DEFAULT_WORKSPACE.app_id, text: input.message_text ?? "", team: DEFAULT_WORKSPACE.team_id,
    },
    state: { values: {} },
    response_url: input.response_url ?? `https://hooks.slack.com/actions/${DEFAULT_WORKSPACE.team_id}/${++counter}/fakeResponseToken`,
    actions: [action],
  };
}

/** A button press as Slack posts it: a form body with one field, `payload`, holding the JSON. */
export function blockAction(input: BlockActionInput): string {
  return new URLSearchParams({ payload: JSON.stringify(blockActionObject(input)) }).toString();
}

export interface MessageEventInput { user: string; channel: string; text: string; channel_type?: "im" | "channel" | "group" | "mpim"; event_id?: string; ts?: string; thread_ts?: string }

/** Wraps an event in the Events API envelope (type "event_callback", event_id, event_time, authorizations). */
export function envelope<E extends { type: string }>(event: E, event_id: string = eventId()): EnvelopedEvent<E> {
  return {
    token: VERIFICATION_TOKEN, team_id: DEFAULT_WORKSPACE.team_id, context_team_id: DEFAULT_WORKSPACE.team_id,
    api_app_id: DEFAULT_WORKSPACE.app_id, event, type: "event_callback", event_id, event_time: nowSeconds(),
    authorizations: [{ enterprise_id: null, team_id: DEFAULT_WORKSPACE.team_id, user_id: DEFAULT_WORKSPACE.bot_user_id, is_bot: true, is_enterprise_install: false }],
    is_ext_shared_channel: false,
  };
}

/** A user's message event (a DM to the bot with channel_type "im" by default), enveloped; JSON-encode to send. */
export function messageEvent(input: MessageEventInput): EnvelopedEvent<GenericMessageEvent> {
  const ts = input.ts ?? messageTs();
  const event: GenericMessageEvent = {
    type: "message", subtype: undefined, user: input.user, text: input.text, ts, team: DEFAULT_WORKSPACE.team_id,
    channel: input.channel, event_ts: ts, channel_type: input.channel_type ?? "im", client_msg_id: randomUuid(),
    ...(input.thread_ts ? { thread_ts: input.thread_ts } : {}),
  };
  return envelope(event, input.event_id);
}

/** An @mention of the bot in a channel, enveloped; the text starts with `<@BOT_USER_ID>` as Slack writes it. */
export function appMention(input: Omit<MessageEventInput, "channel_type">): EnvelopedEvent<AppMentionEvent> {
  const ts = input.ts ?? messageTs();
  const mention = `<@${DEFAULT_WORKSPACE.bot_user_id}>`;
  const event: AppMentionEvent = {
    type: "app_mention", user: input.user, text: input.text.includes(mention) ? input.text : `${mention} ${input.text}`, ts,
    team: DEFAULT_WORKSPACE.team_id, channel: input.channel, event_ts: ts, client_msg_id: randomUuid(),
    ...(input.thread_ts ? { thread_ts: input.thread_ts } : {}),
  };
  return envelope(event, input.event_id);
}

/** The challenge Slack sends when a Request URL is saved; the app must echo `challenge`. */
export function urlVerification(challenge: string): { token: string; challenge: string; type: "url_verification" } {
  return { token: VERIFICATION_TOKEN, challenge, type: "url_verification" };
}

function randomUuid(): string {
  return globalThis.crypto.randomUUID();
}
