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
