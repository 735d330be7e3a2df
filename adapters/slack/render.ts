// Outbound → Slack chat.postMessage payloads: Block Kit sections of mrkdwn with every piece of user text
// escaped (so "<!channel>" typed by a user arrives as text, not as a ping), action buttons whose value fits
// Slack's 2,000 characters, and text too long for one message split over several.
import { plainText, type Button, type Outbound, type Span } from "../../src/bot/message.ts";

/** Slack's limit on a section's text. */
export const MAX_SECTION = 3000;
/** Slack's limit on blocks in one message. */
export const MAX_BLOCKS = 50;
/** Slack's limits on a button: its value, its label, and buttons in one actions block. */
export const MAX_VALUE = 2000;
const MAX_LABEL = 75;
const MAX_BUTTONS = 25;
/** The notification text (push notifications, clients without blocks) is cut here. */
const MAX_FALLBACK = 3000;

export type Block =
  | { type: "section"; text: { type: "mrkdwn"; text: string } }
  | { type: "actions"; elements: ButtonElement[] };

export interface ButtonElement {
  type: "button";
  text: { type: "plain_text"; text: string; emoji: true };
  action_id: string;
  value: string;
}

export interface SlackMessage {
  /** The fallback for notifications, itself mrkdwn: escaped like the blocks. */
  text: string;
  blocks: Block[];
}

/**
 * Escapes text for Slack's mrkdwn: only &, < and > are control characters. Everything Slack turns into a
 * mention, a channel ping or a link is written inside <…>, so escaped user text can never produce one.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A button's action_id: the action name and its place in the message, because Slack requires action ids to
 * be unique within a message while Relay's rows may repeat an action with different values.
 */
export function encodeActionId(button: Button, index: number): string {
  return `${button.action}#${index}`;
}

export function decodeActionId(actionId: string): string | undefined {
  const hash = actionId.lastIndexOf("#");
  const action = hash < 0 ? actionId : actionId.slice(0, hash);
  return action || undefined;
}

function mrkdwn(span: Exclude<Span, string>): string {
  if ("bold" in span) return span.bold.trim() ? `*${escapeMrkdwn(span.bold)}*` : escapeMrkdwn(span.bold);
  if ("link" in span) return `<${escapeMrkdwn(span.url).replace(/\|/g, "%7C")}|${escapeMrkdwn(span.link)}>`;
  // A mention notifies the person; only Slack user ids can be mentioned on Slack.
  if (span.mention.platform === "slack" && /^[UW][A-Z0-9]+$/.test(span.mention.id)) return `<@${span.mention.id}>`;
  return escapeMrkdwn(span.label);
}

/** A piece of a section: its mrkdwn, never split further. */
function pieces(text: Outbound["text"]): string[] {
  const spans: Span[] = typeof text === "string" ? [text] : text;
  return spans.flatMap((span) => {
    if (typeof span === "string") return splitPlain(span);
    const marked = mrkdwn(span);
    // A bold title or a link longer than a section loses its mark rather than the message.
    return marked.length <= MAX_SECTION ? [marked] : splitPlain(plainText([span]));
  });
}

/** Plain text as escaped pieces no longer than a section, cut after a newline or a space where possible. */
function splitPlain(text: string): string[] {
  const out: string[] = [];
  let rest = text;
  while (escapeMrkdwn(rest).length > MAX_SECTION) {
    // Cut the raw text, not the escaped one, so "&amp;" is never split; shrink until it fits escaped.
    let window = rest.slice(0, MAX_SECTION);
    // A character escapes to at most 5 ("&amp;"): shrinking by overshoot/5 never empties the window (4 could, and loop forever).
    while (escapeMrkdwn(window).length > MAX_SECTION) window = window.slice(0, window.length - Math.ceil((escapeMrkdwn(window).length - MAX_SECTION) / 5));
    let cut = window.lastIndexOf("\n") + 1;
    if (cut < window.length / 2) cut = window.lastIndexOf(" ") + 1;
    if (cut < window.length / 2) cut = window.length;
    if (/[\uD800-\uDBFF]/.test(rest.charAt(cut - 1))) cut -= 1; // never split an emoji's surrogate pair
    out.push(escapeMrkdwn(rest.slice(0, cut)));
    rest = rest.slice(cut);
  }
  if (rest) out.push(escapeMrkdwn(rest));
  return out;
}

/** The pieces packed into section texts of at most MAX_SECTION characters. */
function sections(text: Outbound["text"]): string[] {
  const out: string[] = [];
  let current = "";
  for (const piece of pieces(text)) {
    if (current.length + piece.length > MAX_SECTION && current) {
      out.push(current);
      current = "";
    }
    current += piece;
  }
  // Slack refuses an empty section: a message of only buttons still says something.
  if (current.trim() || out.length === 0) out.push(current.trim() ? current : " ");
  return out;
}

function actionBlocks(rows: Button[][]): Block[] {
  let index = 0;
  return rows.flatMap((row) => {
    const blocks: Block[] = [];
    for (let i = 0; i < row.length; i += MAX_BUTTONS) {
      const elements = row.slice(i, i + MAX_BUTTONS).map((b): ButtonElement => {
        if (b.value.length > MAX_VALUE) throw new Error(`button value for ${b.action} is over ${MAX_VALUE} characters: buttons must carry ids`);
        return { type: "button", text: { type: "plain_text", text: Array.from(b.label).slice(0, MAX_LABEL).join("") || " ", emoji: true }, action_id: encodeActionId(b, index++), value: b.value };
      });
      if (elements.length) blocks.push({ type: "actions", elements });
    }
    return blocks;
  });
}

/** One or more chat.postMessage payloads for `message`; the buttons go with the last one. */
export function render(message: Outbound): SlackMessage[] {
  const texts = sections(message.text);
  const buttons = actionBlocks(message.buttons ?? []);
  // Every message needs a section next to the buttons (else the loop below never ends).
  if (buttons.length >= MAX_BLOCKS) throw new Error(`${buttons.length} blocks of buttons do not fit in a message of ${MAX_BLOCKS} blocks`);
  const perMessage = MAX_BLOCKS - buttons.length;
  const messages: SlackMessage[] = [];
  for (let i = 0; i < texts.length; i += perMessage) {
    const blocks: Block[] = texts.slice(i, i + perMessage).map((t) => ({ type: "section", text: { type: "mrkdwn", text: t } }));
    messages.push({ text: fallback(blocks), blocks });
  }
  messages[messages.length - 1]!.blocks.push(...buttons);
  return messages;
}

/** The notification text: the sections' mrkdwn, cut at a space so no escape or <…> is split. */
function fallback(blocks: Block[]): string {
  const all = blocks.map((b) => (b.type === "section" ? b.text.text : "")).join("\n");
  if (all.length <= MAX_FALLBACK) return all;
  const cut = all.slice(0, MAX_FALLBACK).search(/\s\S*$/);
  const kept = all.slice(0, cut > 0 ? cut : MAX_FALLBACK);
  // A link's label may hold spaces: drop a <…> the cut left open.
  const open = kept.lastIndexOf("<");
  return `${open > kept.lastIndexOf(">") ? kept.slice(0, open) : kept}…`;
}
