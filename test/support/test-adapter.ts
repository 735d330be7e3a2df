// An in-memory chat platform for conversation tests: records what the bot sends, lets people speak and press.
import type { ChatAdapter, InboundSink, SendOptions } from "../../src/bot/adapter.ts";
import type { Button, ChatRef, Inbound, MessageRef, Outbound, OutboundFile, UserRef } from "../../src/bot/message.ts";
import { plainText } from "../../src/bot/message.ts";
import { SAFETY_NET_MS } from "./wait.ts";

export interface Sent {
  ref: MessageRef;
  to: string;
  text: string;
  buttons: Button[];
  edits: number;
  /** Set when the bot handed over a file; `text` is then its caption. */
  file?: SentFile;
}

/** A file the bot sent, as the reader would save it. */
export interface SentFile {
  to: string;
  filename: string;
  mimeType: string;
  caption?: string;
  /** The bytes exactly as sent (a copy: the sender may reuse its buffer). */
  data: Buffer;
}

export class TestAdapter implements ChatAdapter {
  readonly platform = "console" as const;
  readonly sent: Sent[] = [];
  private sink?: InboundSink;
  private waiters: (() => void)[] = [];
  /** Awaited after each event, before its answers are collected: openOffice waits here for the outbox to send what the event set going. */
  afterEvent?: () => Promise<unknown>;

  async start(sink: InboundSink): Promise<void> {
    this.sink = sink;
  }

  async stop(): Promise<void> {
    this.sink = undefined;
  }

  async send(to: ChatRef, message: Outbound, options?: SendOptions): Promise<MessageRef> {
    await options?.onWire?.();
    const ref: MessageRef = { platform: "console", chatId: to.id, messageId: String(this.sent.length + 1) };
    this.sent.push({ ref, to: to.id, text: plainText(message.text), buttons: (message.buttons ?? []).flat(), edits: 0 });
    for (const wake of this.waiters.splice(0)) wake();
    return ref;
  }

  async sendFile(to: ChatRef, file: OutboundFile, options?: SendOptions): Promise<MessageRef> {
    await options?.onWire?.();
    const ref: MessageRef = { platform: "console", chatId: to.id, messageId: String(this.sent.length + 1) };
    const sentFile: SentFile = { to: to.id, filename: file.filename, mimeType: file.mimeType, caption: file.caption, data: Buffer.from(file.data) };
    this.sent.push({ ref, to: to.id, text: file.caption ?? "", buttons: [], edits: 0, file: sentFile });
    for (const wake of this.waiters.splice(0)) wake();
    return ref;
  }

  /** Files sent to `who` (or to anyone), oldest first. */
  files(who?: string): SentFile[] {
    return this.sent.flatMap((s) => (s.file && (who === undefined || s.to === who) ? [s.file] : []));
  }

  async edit(ref: MessageRef, message: Outbound): Promise<void> {
    const sent = this.sent.find((s) => s.ref.messageId === ref.messageId);
    if (!sent) throw new Error(`no message ${ref.messageId}`);
    Object.assign(sent, { text: plainText(message.text), buttons: (message.buttons ?? []).flat(), edits: sent.edits + 1 });
  }

  async openDirect(user: UserRef): Promise<ChatRef> {
    return { platform: "console", id: user.id, kind: "direct" };
  }

  /** `who` types `text` in their direct chat (or in group `group`); resolves with the texts the bot sent in response. */
  async say(who: string, text: string, locale?: string, group?: string): Promise<string[]> {
    const user: UserRef = { platform: "console", id: who, name: who };
    const chat: ChatRef = group ? { platform: "console", id: group, kind: "group", title: group } : { platform: "console", id: who, kind: "direct" };
    const command = /^\/(\S+)\s*([\s\S]*)$/.exec(text.trim());
    const event: Inbound = command
      ? { kind: "command", name: command[1]!, args: command[2]!, user, chat, locale }
      : { kind: "text", text, user, chat, locale };
    return this.deliver(event);
  }

  /** `who` presses the newest button whose action (or label) matches, on a message to them (or in group `group`). */
  async press(who: string, actionOrLabel: string, group?: string): Promise<string[]> {
    const where = group ?? who;
    for (const sent of [...this.sent].reverse()) {
      if (sent.to !== where) continue;
      const button = sent.buttons.find((b) => b.action === actionOrLabel || b.label === actionOrLabel);
      if (!button) continue;
      const user: UserRef = { platform: "console", id: who, name: who };
      return this.deliver({
        kind: "action", action: button.action, value: button.value, messageRef: sent.ref, user,
        chat: group ? { platform: "console", id: group, kind: "group" } : { platform: "console", id: who, kind: "direct" },
      });
    }
    throw new Error(`no "${actionOrLabel}" button was sent to ${where}`);
  }

  inbox(who: string): Sent[] {
    return this.sent.filter((s) => s.to === who);
  }

  lastTo(who: string): string {
    return this.inbox(who).at(-1)?.text ?? "";
  }

  /** Waits until a message to `who` matches, or fails after `timeoutMs`. */
  async waitFor(who: string, match: RegExp | string, timeoutMs = SAFETY_NET_MS): Promise<Sent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.inbox(who).find((s) => (typeof match === "string" ? s.text.includes(match) : match.test(s.text)));
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no message to ${who} matching ${match} within ${timeoutMs} ms; got:\n${this.inbox(who).map((s) => s.text).join("\n---\n")}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 200));
        this.waiters.push(() => (clearTimeout(timer), resolve()));
      });
    }
  }

  /** Toasts shown to button pressers, newest last. */
  readonly toasts: { to: string; text: string }[] = [];

  /** Handles `event`; resolves with the texts sent to its chat meanwhile, then the toast if there was one. */
  async deliver(event: Inbound): Promise<string[]> {
    if (!this.sink) throw new Error("adapter not started");
    const before = this.sent.length;
    const { toast } = await this.sink(event);
    await this.afterEvent?.();
    // Only what went to this chat: deliveries to others may land meanwhile.
    const texts = this.sent.slice(before).filter((s) => s.to === event.chat.id).map((s) => s.text);
    if (toast) this.toasts.push({ to: event.user.id, text: toast });
    return toast ? [...texts, toast] : texts;
  }
}
