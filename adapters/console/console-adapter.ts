// A terminal chat: try Relay with no chat-app token, and drive conversations in tests.
// One process plays several people ("/as 李明"); buttons print as numbers that anyone can press by typing
// the number; messages to other people are shown with their name. Works with piped stdin and ends at EOF.
// Files (exports) are saved on this machine and their path printed: the console's user is on the server.
import { mkdir, writeFile } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { createInterface, type Interface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { ChatAdapter, InboundSink, SendOptions } from "../../src/bot/adapter.ts";
import type { Button, ChatRef, Inbound, MessageRef, Outbound, OutboundFile, UserRef } from "../../src/bot/message.ts";
import { plainText } from "../../src/bot/message.ts";

export interface ConsoleOptions {
  input: Readable;
  output: Writable;
  /** Who is typing at first. */
  persona: string;
  /** Show a prompt (a terminal), or not (piped input). */
  interactive: boolean;
  /** The language a "console user" reports, like a chat app would. */
  locale?: string;
  /** Where files the bot hands over are saved (RELAY_DATA_DIR/exports). */
  filesDir: string;
}

interface Pressable {
  button: Button;
  chat: ChatRef;
  messageRef: MessageRef;
}

export class ConsoleAdapter implements ChatAdapter {
  readonly platform = "console" as const;
  private persona: string;
  private personaOf?: (name: string) => Promise<string | undefined>;
  private rl?: Interface;
  private sink?: InboundSink;
  private queue: Promise<void> = Promise.resolve();
  private messageCount = 0;
  private readonly buttons = new Map<number, Pressable>();
  private nextButton = 1;
  private endedResolve!: () => void;
  /** Resolves when the input has ended and every line typed has been handled. */
  readonly ended = new Promise<void>((resolve) => (this.endedResolve = resolve));

  constructor(private readonly opts: ConsoleOptions) {
    this.persona = opts.persona;
  }

  async start(sink: InboundSink): Promise<void> {
    this.sink = sink;
    this.rl = createInterface({ input: this.opts.input, terminal: this.opts.interactive, crlfDelay: Infinity });
    // Lines are handled one at a time, in order, as a person typing them would expect.
    this.rl.on("line", (line) => (this.queue = this.queue.then(() => this.onLine(line))));
    this.rl.on("close", () => void this.queue.then(() => this.endedResolve()));
    this.prompt();
  }

  async stop(): Promise<void> {
    this.rl?.close();
  }

  async send(to: ChatRef, message: Outbound, options?: SendOptions): Promise<MessageRef> {
    await options?.onWire?.();
    const ref: MessageRef = { platform: "console", chatId: to.id, messageId: `m${++this.messageCount}` };
    const who = to.kind === "group" ? `[${to.title ?? to.id}]` : to.id === this.persona ? "" : `→ ${to.id}`;
    this.print(who, plainText(message.text), this.numberButtons(to, ref, message.buttons));
    return ref;
  }

  async sendFile(to: ChatRef, file: OutboundFile, options?: SendOptions): Promise<MessageRef> {
    await options?.onWire?.();
    const path = await saveFile(this.opts.filesDir, file);
    const ref: MessageRef = { platform: "console", chatId: to.id, messageId: `m${++this.messageCount}` };
    const who = to.kind === "group" ? `[${to.title ?? to.id}]` : to.id === this.persona ? "" : `→ ${to.id}`;
    this.print(who, file.caption ? `${file.caption}\n📎 ${path}` : `📎 ${path}`, []);
    return ref;
  }

  async edit(ref: MessageRef, message: Outbound): Promise<void> {
    const who = ref.chatId === this.persona ? "" : `→ ${ref.chatId}`;
    // Buttons of the old version can no longer be pressed.
    for (const [n, p] of this.buttons) if (p.messageRef.messageId === ref.messageId) this.buttons.delete(n);
    const chat: ChatRef = { platform: "console", id: ref.chatId, kind: "direct" };
    this.print(`${who} (${ref.messageId} updated)`.trim(), plainText(message.text), this.numberButtons(chat, ref, message.buttons));
  }

  /** Lets "/as NAME" find the console account of the roster person called NAME. */
  lookUpPersonas(personaOf: (name: string) => Promise<string | undefined>): void {
    this.personaOf = personaOf;
  }

  async openDirect(user: UserRef): Promise<ChatRef> {
    return { platform: "console", id: user.id, kind: "direct" };
  }

  private async onLine(raw: string): Promise<void> {
    const line = raw.trim();
    if (!line) return this.prompt();
    if (/^\/(quit|exit)$/i.test(line)) return void this.rl?.close();
    const as = /^\/as\s+(.+)$/i.exec(line);
    if (as) {
      const name = as[1]!.trim();
      // "/as 王主任" after "/setup 王主任" as root means root again, not a stranger called 王主任.
      this.persona = (await this.personaOf?.(name).catch(() => undefined)) ?? name;
      this.opts.output.write(`(now typing as ${name})\n`);
      return this.prompt();
    }
    const event = this.toInbound(line);
    const handled = event && (await this.sink?.(event));
    // A terminal has no toasts: a button's short answer prints like any message.
    if (handled?.toast) this.print("", handled.toast, []);
    this.prompt();
  }

  private toInbound(line: string): Inbound | undefined {
    const user: UserRef = { platform: "console", id: this.persona, name: this.persona };
    const chat: ChatRef = { platform: "console", id: this.persona, kind: "direct" };
    const base = { user, chat, locale: this.opts.locale };
    if (/^\d+$/.test(line)) {
      const pressed = this.buttons.get(Number(line));
      if (!pressed) {
        this.opts.output.write(`(no button ${line})\n`);
        return undefined;
      }
      const { button, messageRef } = pressed;
      return { ...base, chat: pressed.chat, kind: "action", action: button.action, value: button.value, messageRef };
    }
    const command = /^\/(\S+)\s*([\s\S]*)$/.exec(line);
    if (command) return { ...base, kind: "command", name: command[1]!, args: command[2]!.trim() };
    return { ...base, kind: "text", text: line };
  }

  private numberButtons(chat: ChatRef, messageRef: MessageRef, rows: Button[][] | undefined): string[] {
    return (rows ?? []).map((row) =>
      row
        .map((button) => {
          const n = this.nextButton++;
          this.buttons.set(n, { button, chat, messageRef });
          return `[${n}] ${button.label}`;
        })
        .join("  "),
    );
  }

  private print(who: string, text: string, buttonRows: string[]): void {
    const head = who ? `Relay ${who} ▸ ` : "Relay ▸ ";
    const pad = " ".repeat(Math.min(head.length, 8));
    const body = text.split("\n").map((l, i) => (i === 0 ? head + l : l ? pad + l : ""));
    const out = [...body, ...buttonRows.map((r) => pad + r)].join("\n");
    // In a terminal, keep the prompt below what the bot printed while the user was typing.
    if (this.opts.interactive) this.opts.output.write("\r\x1b[K");
    this.opts.output.write(out + "\n");
    if (this.opts.interactive) this.rl?.prompt(true);
  }

  private prompt(): void {
    if (!this.opts.interactive || !this.rl) return;
    this.rl.setPrompt(`${this.persona}> `);
    this.rl.prompt();
  }
}

/** Writes `file` into `dir` under its own name, never over an earlier file ("-2", "-3" … before the extension). */
async function saveFile(dir: string, file: OutboundFile): Promise<string> {
  const root = resolve(dir);
  await mkdir(root, { recursive: true });
  const ext = extname(file.filename);
  const stem = file.filename.slice(0, file.filename.length - ext.length);
  for (let n = 1; ; n++) {
    const path = join(root, `${stem}${n > 1 ? `-${n}` : ""}${ext}`);
    try {
      await writeFile(path, file.data, { flag: "wx" }); // two exports in the same second both stay
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}
