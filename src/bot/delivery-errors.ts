// What can go wrong delivering a message, in words the core understands for any platform: adapters translate
// their SDK's errors into these, so the outbox can record a send without importing grammY or Bolt.

/** The recipient cannot be reached any more (blocked the bot, account deleted, bot removed); retrying will not help. */
export class RecipientUnreachableError extends Error {
  override name = "RecipientUnreachableError";
  constructor(
    readonly chatId: string,
    readonly reason: string,
  ) {
    super(`chat ${chatId} is unreachable: ${reason}`);
  }
}

/**
 * The request was written but no answer came: the message may or may not have been delivered. Sending it
 * again could duplicate it, so the caller records the delivery as uncertain instead of retrying.
 */
export class DeliveryUncertainError extends Error {
  override name = "DeliveryUncertainError";
  constructor(
    readonly chatId: string,
    readonly operation: string,
    options?: ErrorOptions,
  ) {
    super(`the outcome of ${operation} to chat ${chatId} is unknown: the request was sent but no answer came`, options);
  }
}
