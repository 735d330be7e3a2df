// Commands and button actions: a registry, dispatch, permission checks and the one error boundary.
// A command is reachable as "/name args", "/别名 args" or, as plain text, "别名 args".
import { MAX_RECORD_ID } from "./record-id.ts";
import { cleanInbound } from "./clean-text.ts";
import type { Logger } from "pino";
import { StoreUnavailableError, UserError } from "./errors.ts";
import type { Locale, MessageKey, Params } from "./i18n/index.ts";
import { t } from "./i18n/index.ts";
import type { ChatRef, Handled, Inbound, MessageRef, Outbound, OutboundFile, UserRef } from "./message.ts";
import type { Role } from "./roles.ts";
import type { Member } from "./member.ts";
import { slash } from "./command-syntax.ts";
import { nearestName } from "./nearest-name.ts";

/** Who may use a command: anyone (even people not on the roster), anyone on the roster, or some roles. */
export type Audience = "anyone" | "roster" | readonly Role[];

export interface Context {
  inbound: Inbound;
  user: UserRef;
  chat: ChatRef;
  /** The roster person behind `user`; null for someone who has not joined. */
  member: Member | null;
  locale: Locale;
  t(key: MessageKey, params?: Params): string;
  /** Answers in the chat the event came from: a message, or a file (an export) with its caption. */
  reply(message: Outbound | OutboundFile | string): Promise<MessageRef | undefined>;
  /** Answers in the person's direct chat, wherever they asked (an export asked for in a group). */
  replyPrivately(message: Outbound | OutboundFile): Promise<MessageRef | undefined>;
  /**
   * A short answer to what the user just did: a toast on a button press (so a refusal in a group does
   * not spam everyone), a reply to a command or text.
   */
  answer(text: string): Promise<void>;
}

export interface CommandContext extends Context {
  command: CommandSpec;
  args: string;
}

export interface ActionContext extends Context {
  value: string;
  messageRef?: MessageRef;
  /** Replaces the message whose button was pressed (its buttons go, so it cannot be pressed twice). */
  update(message: Outbound): Promise<void>;
  /**
   * The record the button is about: its value, or the value's part before ":" ("12:later"). Values come back from
   * the chat app and can be forged: anything but a positive whole number is answered as a stale button.
   */
  recordId(): number;
}

export interface CommandSpec {
  /** Canonical name, typed as /name. */
  name: string;
  /** Other names, Chinese first: "帮助", "提醒". */
  aliases: readonly string[];
  audience: Audience;
  /** One line for /help. */
  summary: MessageKey;
  /** Shown when the arguments are wrong. */
  usage: MessageKey;
  /**
   * The roles the command is of any use to, when narrower than `audience` because the check is per record
   * inside (/status: authors, leaders, admins): /help lists it only for them and says so to others.
   */
  usefulTo?: readonly Role[];
  /** Not listed in /help nor offered for a typo: /start, which Telegram sends by itself. */
  hidden?: boolean;
  run(ctx: CommandContext): Promise<void>;
}

export interface ActionSpec {
  action: string;
  audience: Audience;
  run(ctx: ActionContext): Promise<void>;
}

/** Whether the event was said to the bot: in a direct chat, or addressed to it in a group (a mention, /relay). */
export function spokenTo(inbound: Inbound): boolean {
  return inbound.chat.kind === "direct" || (inbound.kind === "text" && inbound.addressed === true);
}

/** Plain text from a roster person that no command claimed: true if the listener took it. */
export type TextListener = (ctx: Context, text: string) => Promise<boolean>;

/** What happens when the bot is added to or removed from a group. */
export type MembershipHandler = (ctx: Context, joined: boolean) => Promise<void>;

export interface RouterDeps {
  log: Logger;
  /** Finds the roster person for a platform user (null if unknown). */
  identify(user: UserRef): Promise<Member | null>;
  defaultLocale: Locale;
  /** What to tell someone not on the roster; "org.notOnRoster" unless the office says otherwise. */
  strangerNote?(): Promise<MessageKey>;
  localeOf(member: Member | null, inbound: Inbound): Locale;
  reply(chat: ChatRef, message: Outbound | OutboundFile): Promise<MessageRef | undefined>;
  replyDirect(user: UserRef, message: Outbound | OutboundFile): Promise<MessageRef | undefined>;
  edit(ref: MessageRef, message: Outbound): Promise<void>;
  /**
   * What a failure means to the person, when the store can tell (a number no record can have): the answer to give
   * instead of the apology. The router knows no database; the composition root does.
   */
  explain?(error: unknown, inbound: Inbound): UserError | undefined;
}

/**
 * Everyday first words a slip away from a command word (请问 ~ 请假, 提交 ~ 提醒, but ~ out): a sentence
 * starting with one is conversation, not a mistyped command, so it gets no "did you mean".
 */
const EVERYDAY_WORDS = new Set(["请问", "请示", "请求", "请教", "提交", "提问", "提出", "通过", "确定", "but", "our", "act", "can", "sea", "deal", "real", "like", "just"]);

/** A user-typed command name: case-insensitive for Latin names. */
function key(name: string): string {
  return name.toLowerCase();
}

export class Router {
  private readonly commands = new Map<string, CommandSpec>();
  private readonly actions = new Map<string, ActionSpec>();
  private readonly ordered: CommandSpec[] = [];
  /** Text aliases, longest first, so "提醒列表" wins over "提醒". */
  private textAliases: [string, CommandSpec][] = [];
  private membership?: MembershipHandler;
  private readonly textListeners: TextListener[] = [];
  private readonly answerListeners: TextListener[] = [];

  constructor(private readonly deps: RouterDeps) {}

  command(spec: CommandSpec): this {
    for (const name of [spec.name, ...spec.aliases]) {
      if (this.commands.has(key(name))) throw new Error(`command name "${name}" registered twice`);
      this.commands.set(key(name), spec);
    }
    this.ordered.push(spec);
    this.textAliases = [...this.commands.entries()].sort((a, b) => b[0].length - a[0].length);
    return this;
  }

  action(spec: ActionSpec): this {
    if (this.actions.has(spec.action)) throw new Error(`action "${spec.action}" registered twice`);
    this.actions.set(spec.action, spec);
    return this;
  }

  onMembership(handler: MembershipHandler): this {
    this.membership = handler;
    return this;
  }

  /** Listens to plain text that is not a command (a conversation in progress); true means it was taken. */
  onText(listener: TextListener): this {
    this.textListeners.push(listener);
    return this;
  }

  /**
   * Listens for the answer to a question Relay asked (发给谁？): plain text said to the bot goes here before
   * command words are looked for, so "提醒各村做好防火" typed as a notice's text is that text, not a reminder.
   * Only "/commands" bypass it.
   */
  onAnswer(listener: TextListener): this {
    this.answerListeners.push(listener);
    return this;
  }

  /** Every command, in registration order (for /help). */
  list(): readonly CommandSpec[] {
    return this.ordered;
  }

  findCommand(name: string): CommandSpec | undefined {
    return this.commands.get(key(name.replace(/^\//, "")));
  }

  /**
   * Handles one inbound event. Throws only StoreUnavailableError, when the person could not even be looked up
   * (nothing was done: the inbox holds the event for later); any other failure is logged and the user gets an apology.
   */
  async dispatch(raw: Inbound): Promise<Handled> {
    const inbound = cleanInbound(raw);
    const handled: Handled = {};
    let ctx: Context | undefined;
    try {
      const member = inbound.user.anonymous ? null : await this.deps.identify(inbound.user);
      ctx = this.context(inbound, member, handled);
      await this.route(ctx);
    } catch (thrown) {
      if (thrown instanceof StoreUnavailableError && !ctx) throw thrown;
      const error = this.deps.explain?.(thrown, inbound) ?? thrown;
      if (error instanceof UserError && ctx) {
        await this.safeAnswer(ctx, ctx.t(error.key, error.params));
        return handled;
      }
      this.deps.log.error(
        { err: error, event: describe(inbound), user: `${inbound.user.platform}:${inbound.user.id}`, person: ctx?.member?.id },
        "handler failed",
      );
      const text = t(ctx?.locale ?? this.deps.localeOf(null, inbound), "error.internal");
      if (ctx) await this.safeAnswer(ctx, text);
      else if (inbound.kind === "action") handled.toast = text;
      else await this.deps.reply(inbound.chat, { text }).catch((err: unknown) => this.deps.log.error({ err }, "could not send the apology"));
    }
    return handled;
  }

  private async route(ctx: Context): Promise<void> {
    const { inbound } = ctx;
    if (inbound.kind === "membership") return this.membership?.(ctx, inbound.joined);
    // Anonymous group admins post as the group itself: there is nobody on the roster to act as.
    if (inbound.user.anonymous) return ctx.answer(ctx.t("router.anonymous"));
    if (inbound.kind === "action") return this.runAction(ctx, inbound);
    // Text said to the bot (a direct chat, a mention) is read as a direct chat: "请假明天" needs no space.
    const toBot = spokenTo(inbound);
    if (inbound.kind === "text" && toBot && ctx.member && !inbound.text.trim().startsWith("/")) {
      for (const listener of this.answerListeners) if (await listener(ctx, inbound.text)) return;
    }
    const parsed = inbound.kind === "command" ? { name: inbound.name, args: inbound.args } : this.matchText(inbound.text, toBot ? "direct" : "group");
    if (!parsed && inbound.kind === "text" && ctx.member) {
      for (const listener of this.textListeners) if (await listener(ctx, inbound.text)) return;
    }
    if (!parsed) {
      // Groups are conversations between people: only speak there when spoken to.
      if (!toBot) return;
      // A first word a slip away from a command ("提箱 明天 交材料", "加人 K7QM-3XPA") was meant as one.
      const first = inbound.kind === "text" ? /^\s*(\S+)(?:\s|$)/.exec(inbound.text)?.[1] : undefined;
      const word = first && !EVERYDAY_WORDS.has(first.toLowerCase()) ? first : undefined;
      const near = word ? this.nearestCommand(word) : undefined;
      // Said in words, it may not have been meant as a command: "didn't understand", with the hint.
      if (near) return void (await ctx.reply(ctx.t("router.notUnderstoodDidYouMean", { suggestion: suggestionOf(ctx, near) })));
      await ctx.reply(ctx.member ? ctx.t("router.notUnderstood") : ctx.t(await this.strangerNote()));
      return;
    }
    const spec = this.findCommand(parsed.name);
    if (!spec) {
      const near = this.nearestCommand(parsed.name);
      await ctx.reply(near ? didYouMean(ctx, parsed.name, near) : ctx.t("router.unknownCommand", { name: parsed.name }));
      return;
    }
    if (!(await this.allowed(ctx, spec.audience))) return;
    await spec.run({ ...ctx, command: spec, args: parsed.args.trim() });
  }

  /** The command whose name or alias `typed` is a slip away from, if any. */
  nearestCommand(typed: string): CommandSpec | undefined {
    // Registration order, names before aliases: ties go to the command registered first.
    const names = this.ordered.flatMap((spec) => (spec.hidden ? [] : [spec.name, ...spec.aliases]));
    const name = nearestName(typed.replace(/@\S+$/, ""), names);
    return name === undefined ? undefined : this.findCommand(name);
  }

  private async runAction(ctx: Context, inbound: Extract<Inbound, { kind: "action" }>): Promise<void> {
    const spec = this.actions.get(inbound.action);
    if (!spec) {
      return ctx.answer(ctx.t("router.staleButton"));
    }
    if (!(await this.allowed(ctx, spec.audience))) return;
    const ref = inbound.messageRef;
    const update = async (message: Outbound) => {
      if (ref) await this.deps.edit(ref, message).catch((err: unknown) => this.deps.log.warn({ err }, "could not update the pressed message"));
    };
    const recordId = () => {
      const id = /^\d{1,10}$/.test(inbound.value.split(":")[0]!) ? Number(inbound.value.split(":")[0]) : 0;
      if (id < 1 || id > MAX_RECORD_ID) throw new UserError("router.staleButton");
      return id;
    };
    await spec.run({ ...ctx, value: inbound.value, messageRef: ref, update, recordId });
  }

  /**
   * Plain text that starts with a command name or alias ("提醒 10分钟后 喝水", "帮助"); said to the bot, also
   * after a polite lead-in ("我要请假 明天", "帮我发通知 …", "please remind me …").
   */
  private matchText(text: string, chat: ChatRef["kind"]): { name: string; args: string } | undefined {
    const plain = this.matchAlias(text, chat);
    if (plain || chat !== "direct") return plain;
    const lead = /^\s*(?:我(?:想要|想|要|需要)|(?:请)?帮我|(?:please|pls|(?:can|could|would) you(?: please)?)\s+)\s*/i.exec(text);
    return lead ? this.matchAlias(text.slice(lead[0].length), chat) : undefined;
  }

  private matchAlias(text: string, chat: ChatRef["kind"]): { name: string; args: string } | undefined {
    const trimmed = text.trim();
    if (trimmed.startsWith("/")) {
      const [, name = "", args = ""] = /^\/(\S+)\s*([\s\S]*)$/.exec(trimmed) ?? [];
      return { name: name.replace(/@\S+$/, ""), args };
    }
    const lower = trimmed.toLowerCase();
    for (const [alias] of this.textAliases) {
      if (!lower.startsWith(alias)) continue;
      const next = trimmed.charAt(alias.length);
      // Latin names need a word boundary ("helpful" is not "help"). In a direct chat Chinese needs none
      // ("提醒明天交材料"); in a group it does, so "帮助一下" between colleagues does not summon the bot.
      const boundary = next === "" || /\s/.test(next) || (chat === "direct" && !/^[a-z]/i.test(alias));
      if (boundary) return { name: alias, args: trimmed.slice(alias.length) };
    }
    return undefined;
  }

  private async strangerNote(): Promise<MessageKey> {
    return (await this.deps.strangerNote?.()) ?? "org.notOnRoster";
  }

  private async allowed(ctx: Context, audience: Audience): Promise<boolean> {
    if (audience === "anyone") return true;
    if (!ctx.member) {
      await ctx.answer(ctx.t(await this.strangerNote()));
      return false;
    }
    if (audience === "roster" || audience.includes(ctx.member.role)) return true;
    await ctx.answer(ctx.t("router.forbidden", { who: rolesText(ctx, audience) }));
    return false;
  }

  private context(inbound: Inbound, member: Member | null, handled: Handled): Context {
    const locale = this.deps.localeOf(member, inbound);
    const reply = (message: Outbound | OutboundFile | string) => this.deps.reply(inbound.chat, typeof message === "string" ? { text: message } : message);
    return {
      inbound,
      user: inbound.user,
      chat: inbound.chat,
      member,
      locale,
      t: (k, p) => t(locale, k, p),
      reply,
      replyPrivately: (message) => this.deps.replyDirect(inbound.user, message),
      answer: async (text) => {
        if (inbound.kind === "action") handled.toast = text;
        else await reply(text);
      },
    };
  }

  private async safeAnswer(ctx: Context, text: string): Promise<void> {
    await ctx.answer(text).catch((error: unknown) => this.deps.log.error({ err: error }, "could not send the error reply"));
  }
}

/** "提醒 (/remind)" for Chinese readers, "/remind (提醒)" for English ones; on Slack "/relay remind". */
export function commandTitle(ctx: Context, spec: CommandSpec): string {
  const typed = slash(ctx.chat.platform, spec.name);
  const zh = spec.aliases.find((a) => /[\u4e00-\u9fff]/.test(a));
  if (!zh) return typed;
  return ctx.locale === "en" ? `${typed} (${zh})` : `${zh} (${typed})`;
}

/** English readers get the command as typed; Chinese readers its Chinese name with the slash form beside it. */
function suggestionOf(ctx: Context, spec: CommandSpec): string {
  return ctx.locale === "en" ? slash(ctx.chat.platform, spec.name) : commandTitle(ctx, spec);
}

/** "管理员或秘书", "an admin or a secretary". */
export function rolesText(ctx: Context, roles: readonly Role[]): string {
  return roles.map((r) => ctx.t(`role.${r}` as MessageKey)).join(ctx.t("list.or"));
}

/** "没有这个命令：halp。你是不是想用 帮助 (/help)？" */
export function didYouMean(ctx: Context, typed: string, spec: CommandSpec): string {
  return ctx.t("router.didYouMean", { name: typed, suggestion: suggestionOf(ctx, spec) });
}

function describe(inbound: Inbound): string {
  if (inbound.kind === "command") return `/${inbound.name}`;
  if (inbound.kind === "action") return `action ${inbound.action}:${inbound.value}`;
  if (inbound.kind === "membership") return inbound.joined ? "added to group" : "removed from group";
  return `text (${inbound.text.length} chars)`;
}
