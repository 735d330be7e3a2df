// A terminal chat: try Relay with no chat-app token, and drive conversations in tests.
// One process plays several people ("/as 李明"); buttons print as numbers that anyone can press by typing
// the number; messages to other people are shown with their roster name. In a terminal it is a line editor
// with a prompt naming who is typing; with piped stdin it prints only Relay's side and ends at EOF.
// Files (exports) are saved on this machine and their path printed: the console's user is on the server.
import { mkdir, writeFile } from "node:fs/promises";
import { extname, join, resolve } from "node:path";
import { clearScreenDown, createInterface, cursorTo, moveCursor, type Interface } from "node:readline";
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
  /** Ctrl-C in a terminal (raw mode turns it into a key, not a signal); by default it ends the input like Ctrl-D. */
  onInterrupt?: () => void;
}

interface Pressable {
  button: Button;
  chat: ChatRef;
  messageRef: MessageRef;
}

/** [中文, English] for what the console itself says. */
const CONSOLE_WORDS = {
  typingAs: ["（现在以 {} 的身份输入）", "(now typing as {})"],
  noButton: ["（没有编号为 {} 的按钮）", "(no button {})"],
  asUsage: ["（用法：/as 姓名 —— 换成这个人输入）", "(usage: /as NAME — type as that person)"],
  updated: ["（已更新）", "(updated)"],
} as const;

export class ConsoleAdapter implements ChatAdapter {
  readonly platform = "console" as const;
  private persona: string;
  private personaOf?: (name: string) => Promise<string | undefined>;
  private nameOf?: (account: string) => Promise<string | undefined>;
  private settleLine?: () => Promise<unknown>;
  private rl?: Interface;
  private closed = false;
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
    const { input, output, interactive } = this.opts;
    // A terminal needs the output too: readline echoes what is typed there, draws the prompt and edits the line.
    this.rl = createInterface({ input, output: interactive ? output : undefined, terminal: interactive, crlfDelay: Infinity, historySize: interactive ? 100 : 0, prompt: `${this.persona}> ` });
    // Lines are handled one at a time, in order, as a person typing them would expect.
    this.rl.on("line", (line) => (this.queue = this.queue.then(() => this.onLine(line))));
    this.rl.on("SIGINT", () => (this.opts.onInterrupt ? this.opts.onInterrupt() : this.rl?.close()));
    this.rl.on("close", () => {
      // Ctrl-D leaves the cursor after the prompt: the shell's own prompt should start on a line of its own.
      if (interactive && !this.closed) output.write("\n");
      this.closed = true;
      void this.queue.then(() => this.endedResolve());
    });
    void this.prompt();
  }

  async stop(): Promise<void> {
    this.rl?.close();
  }

  async send(to: ChatRef, message: Outbound, options?: SendOptions): Promise<MessageRef> {
    await options?.onWire?.();
    const ref: MessageRef = { platform: "console", chatId: to.id, messageId: `m${++this.messageCount}` };
    const who = to.kind === "group" ? `[${to.title ?? to.id}]` : to.id === this.persona ? "" : `→ ${await this.nameFor(to.id)}`;
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
    const who = ref.chatId === this.persona ? "" : `→ ${await this.nameFor(ref.chatId)}`;
    // Buttons of the old version can no longer be pressed.
    for (const [n, p] of this.buttons) if (p.messageRef.messageId === ref.messageId) this.buttons.delete(n);
    const chat: ChatRef = { platform: "console", id: ref.chatId, kind: "direct" };
    this.print(`${who} ${this.word("updated")}`.trim(), plainText(message.text), this.numberButtons(chat, ref, message.buttons));
  }

  /** The console's own few words (not the bot's), in the office's language. */
  private word(key: keyof typeof CONSOLE_WORDS, value = ""): string {
    const zh = !this.opts.locale || this.opts.locale.startsWith("zh");
    return CONSOLE_WORDS[key][zh ? 0 : 1].replace("{}", value);
  }

  /** Lets "/as NAME" find the console account of the roster person called NAME. */
  lookUpPersonas(personaOf: (name: string) => Promise<string | undefined>): void {
    this.personaOf = personaOf;
  }

  /**
   * With piped input, waits after each line for what it set going (the approver's ask, every copy of a notice)
   * before reading the next, so a script reads like the conversation it plays: answers before the next line.
   */
  settleEachLine(settle: () => Promise<unknown>): void {
    this.settleLine = settle;
  }

  /** Lets messages and the prompt name a console account by its roster name ("→ 王主任", not "→ root"). */
  lookUpNames(nameOf: (account: string) => Promise<string | undefined>): void {
    this.nameOf = nameOf;
    void this.prompt(); // someone already on the roster from an earlier run is named from the first prompt
  }

  async openDirect(user: UserRef): Promise<ChatRef> {
    return { platform: "console", id: user.id, kind: "direct" };
  }

  private async onLine(raw: string): Promise<void> {
    const line = raw.trim();
    if (!line) return this.prompt();
    if (/^\/(quit|exit)$/i.test(line)) return void this.rl?.close();
    if (/^\/as$/i.test(line)) {
      this.write(this.word("asUsage"));
      return this.prompt();
    }
    const as = /^\/as\s+(.+)$/i.exec(line);
    if (as) {
      const name = as[1]!.trim();
      // "/as 王主任" after "/setup 王主任" as root means root again, not a stranger called 王主任.
      this.persona = (await this.personaOf?.(name).catch(() => undefined)) ?? name;
      this.write(this.word("typingAs", name));
      return this.prompt();
    }
    const event = this.toInbound(line);
    const handled = event && (await this.sink?.(event));
    if (event && !this.opts.interactive) await this.settleLine?.().catch(() => undefined);
    // A terminal has no toasts: a button's short answer prints like any message.
    if (handled?.toast) this.print("", handled.toast, []);
    return this.prompt();
  }

  /** The roster name of a console account, or the account itself before its person joins. */
  private async nameFor(account: string): Promise<string> {
    return (await this.nameOf?.(account).catch(() => undefined)) ?? account;
  }

  private toInbound(line: string): Inbound | undefined {
    const user: UserRef = { platform: "console", id: this.persona, name: this.persona };
    const chat: ChatRef = { platform: "console", id: this.persona, kind: "direct" };
    const base = { user, chat, locale: this.opts.locale };
    if (/^\d+$/.test(line)) {
      const pressed = this.buttons.get(Number(line));
      if (!pressed) {
        this.write(this.word("noButton", line));
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
    this.write([...body, ...buttonRows.map((r) => pad + r)].join("\n"));
  }

  /** Prints a block of lines; in a terminal, above the prompt and whatever is half typed, which stay below it. */
  private write(block: string): void {
    const { output } = this.opts;
    const rl = this.rl;
    if (!this.opts.interactive || !rl || this.closed) return void output.write(block + "\n");
    // The prompt and the line being typed may wrap over several rows: clear them all, print, then redraw.
    // readline's redraw first moves up by the rows it last drew below the prompt's start (its prevRows, which
    // plain typing does not update), so as many empty rows follow the block, for it to move up into.
    moveCursor(output, 0, -rl.getCursorPos().rows);
    cursorTo(output, 0);
    clearScreenDown(output);
    const redrawUp = (rl as unknown as { prevRows?: number }).prevRows ?? 0;
    output.write(block + "\n" + "\n".repeat(redrawUp));
    rl.prompt(true);
  }

  /** Shows the prompt, naming the persona as the roster does once they are on it. */
  private async prompt(): Promise<void> {
    if (!this.opts.interactive || !this.rl || this.closed) return;
    const persona = this.persona;
    const name = await this.nameFor(persona);
    if (this.closed || persona !== this.persona) return;
    this.rl.setPrompt(`${name}> `);
    this.rl.prompt(true);
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
