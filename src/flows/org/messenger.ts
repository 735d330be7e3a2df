// Sending to a roster person: through the account they last used on a platform Relay is running.
import type { App } from "../../app.ts";
import { RecipientUnreachableError } from "../../bot/delivery-errors.ts";
import type { SendOptions } from "../../bot/adapter.ts";
import type { MessageRef, Outbound, Platform } from "../../bot/message.ts";

/**
 * Sends `message` to a person's direct chat; null when none of their accounts is on a running platform.
 * An account the platform refuses (the person blocked the bot) is marked unreachable and the error rethrown,
 * so callers can record it; the mark clears when the person writes again.
 */
export async function sendToPerson(
  app: App,
  personId: number,
  message: Outbound,
  preferIdentityId?: number | null,
  options?: SendOptions,
): Promise<MessageRef | null> {
  // The account they last wrote from (joining or linking counts); accounts never used (imported) come last.
  const identities = await app.prisma.identity.findMany({
    where: { personId },
    orderBy: [{ lastSeenAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }],
  });
  const usable = identities.filter((i) => app.bot.has(i.platform as Platform));
  const identity = usable.find((i) => i.id === preferIdentityId) ?? usable[0];
  if (!identity) return null;
  try {
    return await app.bot.sendDirect({ platform: identity.platform as Platform, id: identity.externalId, name: identity.displayName ?? undefined }, message, options);
  } catch (error) {
    if (error instanceof RecipientUnreachableError) {
      await app.prisma.identity.update({ where: { id: identity.id }, data: { unreachableAt: app.clock.now() } });
      app.log.info({ person: personId, platform: identity.platform, reason: error.reason }, "recipient unreachable");
    }
    throw error;
  }
}

/** Sends to one particular account of a person (say, the one someone else just claimed); null when its platform is not running. */
export async function sendToIdentity(app: App, identityId: number, message: Outbound): Promise<MessageRef | null> {
  const identity = await app.prisma.identity.findUnique({ where: { id: identityId } });
  if (!identity || !app.bot.has(identity.platform as Platform)) return null;
  return app.bot.sendDirect({ platform: identity.platform as Platform, id: identity.externalId, name: identity.displayName ?? undefined }, message);
}
