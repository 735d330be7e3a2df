// The port every chat adapter implements (Telegram, Slack, console); the core only talks to this.
import type { PlatformLimits } from "../delivery/limits.ts";
import type { Connection } from "./connector.ts";
import { UserError } from "./errors.ts";
import type { ChatRef, Handled, Inbound, MessageRef, Outbound, OutboundFile, Platform, UserRef } from "./message.ts";

export interface SendOptions {
  /**
   * Called once, right before the message leaves (after any rate-limit wait); if it throws, nothing is
   * sent. Lets a caller record "sending" as late as possible, so a crash leaves few sends in doubt.
   */
  onWire?: () => Promise<void>;
}

/** How an event reached the adapter, so the core handles it once, and holds it safely when it cannot now. */
export interface Delivery {
  /**
   * The platform's id of the update (Telegram's update_id, Slack's event_id; a signed Slack command's or button
   * press's signature): a redelivery or a replay carries the same one.
   */
  updateId?: string;
  /**
   * The platform keeps the update and delivers it again if refused (a Telegram webhook): when nothing here can
   * hold it, refusing is safer than holding it in memory.
   */
  redeliverable?: boolean;
}

/**
 * Where an adapter hands each event; it resolves once the core has handled the event or safely held it for later
 * (src/inbox/), and never rejects.
 */
export type InboundSink = (event: Inbound, delivery?: Delivery) => Promise<Handled>;

export interface ChatAdapter {
  readonly platform: Platform;
  /** What the platform allows (rates, per-person caps, text length); the outbox paces later sends to it. None: unlimited. */
  readonly limits?: PlatformLimits;
  /**
   * Starts receiving events; resolves once the adapter is ready (not when it stops), or once it is clear that
   * its platform cannot be reached now — it then keeps connecting in the background (see connector.ts).
   */
  start(sink: InboundSink): Promise<void>;
  /** Whether it is connected to its platform now; without this method, always (the console). */
  connection?(): Connection;
  stop(): Promise<void>;
  /** Sends to a group or a person's direct chat. */
  send(to: ChatRef, message: Outbound, options?: SendOptions): Promise<MessageRef>;
  /**
   * Hands a file to a group or a person, its caption with it. A file over the platform's limit is refused with
   * UserError("file.tooLarge") before anything is sent, so the person is told in their language.
   */
  sendFile(to: ChatRef, file: OutboundFile, options?: SendOptions): Promise<MessageRef>;
  /** Replaces a sent message (live counters); unchanged content is not an error. */
  edit(ref: MessageRef, message: Outbound): Promise<void>;
  /** The direct chat with a user, opened if the platform needs that. */
  openDirect(user: UserRef): Promise<ChatRef>;
}

/** The refusal for a file over a platform's upload limit, sizes in MB as people read them. */
export function fileTooLarge(file: OutboundFile, limitBytes: number): UserError {
  const mb = (bytes: number) => Math.round((bytes / (1024 * 1024)) * 10) / 10;
  return new UserError("file.tooLarge", { size: mb(file.data.byteLength), limit: mb(limitBytes) });
}
