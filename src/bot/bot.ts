// The bot: adapters in, router in the middle, adapters out. Knows no platform and no database.
import type { Logger } from "pino";
import type { ChatAdapter, Delivery, SendOptions } from "./adapter.ts";
import type { Locale, MessageKey } from "./i18n/index.ts";
import { toLocale } from "./i18n/index.ts";
import type { Member } from "./member.ts";
import { isFile, type ChatRef, type Handled, type Inbound, type MessageRef, type Outbound, type OutboundFile, type Platform, type UserRef } from "./message.ts";
import { Router, type RouterDeps } from "./router.ts";

export interface BotDeps {
  log: Logger;
  defaultLocale: Locale;
  /** Finds the roster person for a platform user (null if unknown). */
  identify(user: UserRef): Promise<Member | null>;
  /** What to tell someone not on the roster (how to join, or, before anyone has set up, how to set up). */
  strangerNote?(): Promise<MessageKey>;
  /** The answer a store's refusal means to the person (see RouterDeps.explain). */
  explain?: RouterDeps["explain"];
}

/** What stands between the adapters and the router when stores can fail: src/inbox/ (holds what cannot be handled now). */
export interface Intake {
  accept(event: Inbound, delivery?: Delivery): Promise<Handled>;
}

export class Bot {
  readonly router: Router;
  private readonly adapters = new Map<Platform, ChatAdapter>();
  private intake?: Intake;

  constructor(private readonly deps: BotDeps) {
    this.router = new Router({
      log: deps.log,
      identify: deps.identify,
      strangerNote: deps.strangerNote,
      explain: deps.explain,
      defaultLocale: deps.defaultLocale,
      localeOf: (member, inbound) => localeOf(member, inbound, deps.defaultLocale),
      // The immediate answers to what a person just did; everything later goes through the outbox.
      reply: (chat, message) => (isFile(message) ? this.sendFile(chat, message) : this.send(chat, message)),
      replyDirect: (user, message) => (isFile(message) ? this.sendFileDirect(user, message) : this.sendDirect(user, message)),
      edit: (ref, message) => this.edit(ref, message),
    });
  }

  addAdapter(adapter: ChatAdapter): this {
    this.adapters.set(adapter.platform, adapter);
    return this;
  }

  platforms(): Platform[] {
    return [...this.adapters.keys()];
  }

  has(platform: Platform): boolean {
    return this.adapters.has(platform);
  }

  /** The adapter of `platform`, if one is running (for the composition root's platform-specific chores). */
  adapterFor(platform: Platform): ChatAdapter | undefined {
    return this.adapters.get(platform);
  }

  /** Events go through `intake` (dedup, holding while a store is down) before the router; without one, straight to it. */
  useIntake(intake: Intake): this {
    this.intake = intake;
    return this;
  }

  /** Starts every adapter; each hands its events to the intake, or the router. */
  async start(): Promise<void> {
    for (const adapter of this.adapters.values()) await adapter.start((event, delivery) => this.handle(event, delivery));
  }

  async stop(): Promise<void> {
    for (const adapter of this.adapters.values()) {
      await adapter.stop().catch((err: unknown) => this.deps.log.warn({ err, platform: adapter.platform }, "adapter did not stop cleanly"));
    }
  }

  /** The sink adapters call; never throws when there is an intake (which holds what the router could not start on). */
  handle(event: Inbound, delivery?: Delivery): Promise<Handled> {
    return this.intake ? this.intake.accept(event, delivery) : this.router.dispatch(event);
  }

  async send(chat: ChatRef, message: Outbound, options?: SendOptions): Promise<MessageRef> {
    return this.adapter(chat.platform).send(chat, message, options);
  }

  async sendFile(chat: ChatRef, file: OutboundFile): Promise<MessageRef> {
    return this.adapter(chat.platform).sendFile(chat, file);
  }

  async edit(ref: MessageRef, message: Outbound): Promise<void> {
    return this.adapter(ref.platform).edit(ref, message);
  }

  /** Sends a file to a user's direct chat. */
  async sendFileDirect(user: UserRef, file: OutboundFile): Promise<MessageRef> {
    const adapter = this.adapter(user.platform);
    return adapter.sendFile(await adapter.openDirect(user), file);
  }

  /** Sends to a user's direct chat. */
  async sendDirect(user: UserRef, message: Outbound, options?: SendOptions): Promise<MessageRef> {
    const adapter = this.adapter(user.platform);
    return adapter.send(await adapter.openDirect(user), message, options);
  }

  private adapter(platform: Platform): ChatAdapter {
    const adapter = this.adapters.get(platform);
    if (!adapter) throw new Error(`no ${platform} adapter is running`);
    return adapter;
  }
}

/** The person's chosen language, else what their app says, else the office default. */
function localeOf(member: Member | null, inbound: Inbound, fallback: Locale): Locale {
  return toLocale(member?.locale) ?? toLocale(inbound.locale) ?? fallback;
}
