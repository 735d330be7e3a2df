// Expected failures ("no such unit", "code expired") are answers to the user, not crashes: a service
// throws a UserError and the router replies with its message. Anything else is a bug and gets an apology.
import type { MessageKey, Params } from "./i18n/index.ts";

export class UserError extends Error {
  constructor(
    readonly key: MessageKey,
    readonly params: Params = {},
  ) {
    super(key);
    this.name = "UserError";
  }
}

/**
 * PostgreSQL or Redis could not be reached, before anything was done for the event at hand (who is speaking could
 * not even be looked up). Not the person's fault, and nothing to apologise for yet: the inbox holds the event and
 * handles it when the store is back (src/inbox/).
 */
export class StoreUnavailableError extends Error {
  override name = "StoreUnavailableError";
  constructor(
    readonly store: "database" | "redis",
    options?: ErrorOptions,
  ) {
    super(`${store} is unavailable`, options);
  }
}
