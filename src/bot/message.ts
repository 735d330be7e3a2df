// The platform-neutral message model. Adapters turn platform events into `Inbound` and render
// `Outbound`; the core never sees a Telegram update or a Slack payload.

export type Platform = "telegram" | "slack" | "console";

/** Someone on a chat platform, before we know who they are on the roster. */
export interface UserRef {
  platform: Platform;
  id: string;
  /** Display name the platform gave us, for /setup and logs. */
  name?: string;
  /** Sent on behalf of a group, not a person (Telegram's anonymous group admins): cannot act on the roster. */
  anonymous?: boolean;
}

/** A conversation: a person's direct chat with the bot, or a group. */
export interface ChatRef {
  platform: Platform;
  id: string;
  kind: "direct" | "group";
  title?: string;
}

/** A sent message, so it can be edited later (live counters). */
export interface MessageRef {
  platform: Platform;
  chatId: string;
  messageId: string;
}

interface InboundBase {
  user: UserRef;
  chat: ChatRef;
  /** The language the platform reports for the user (e.g. Telegram's language_code). */
  locale?: string;
}

export type Inbound =
  | (InboundBase & { kind: "command"; name: string; args: string })
  /** `addressed`: said to the bot in a group (a mention, Slack's "/relay …"), so it is read as in a direct chat. */
  | (InboundBase & { kind: "text"; text: string; addressed?: boolean })
  | (InboundBase & { kind: "action"; action: string; value: string; messageRef?: MessageRef })
  /** The bot was added to (joined) or removed from a group by `user`. */
  | (InboundBase & { kind: "membership"; joined: boolean });

/** What handling an event produced besides messages: a short note for the presser of a button. */
export interface Handled {
  /** Shown as a toast where the platform has them (Telegram's answerCallbackQuery), else as a message. */
  toast?: string;
  /** Nothing could hold the event now (neither store is up): the platform should deliver it again (a webhook's 503). */
  refused?: boolean;
}

/** A button press carries an action name and a short id, never user text (Telegram allows 64 bytes). */
export interface Button {
  label: string;
  action: string;
  value: string;
}

/** A piece of formatted text; each adapter escapes it for its platform. */
export type Span = string | { bold: string } | { link: string; url: string } | { mention: UserRef; label: string };

export type RichText = string | Span[];

export interface Outbound {
  text: RichText;
  buttons?: Button[][];
}

/**
 * A file handed over in the chat (an export): its bytes and name, never a path on the server, since the reader
 * may be anywhere. Each adapter maps it (Telegram's sendDocument, Slack's external upload, a file on the console's
 * disk) and enforces its platform's limits. Kept apart from Outbound, which must stay JSON for the queues.
 */
export interface OutboundFile {
  /** What the reader's app shows and saves it as; plain ASCII travels best in multipart headers. */
  filename: string;
  data: Uint8Array;
  /** "text/csv" and the like. */
  mimeType: string;
  /** A short line shown with the file, plain text (each adapter escapes it for its platform). */
  caption?: string;
}

/** Whether an answer is a file rather than a message. */
export function isFile(message: Outbound | OutboundFile): message is OutboundFile {
  return "data" in message && message.data instanceof Uint8Array;
}

/** The text without marks: for the console, logs and tests. */
export function plainText(text: RichText): string {
  if (typeof text === "string") return text;
  return text
    .map((s) => (typeof s === "string" ? s : "bold" in s ? s.bold : "link" in s ? s.link : `@${s.label}`))
    .join("");
}
