// Each platform update has its effect once, even when delivered twice (a webhook redelivered after a
// slow answer, two pollers overlapping during a redeploy), and across restarts: the claim is a row.
import type { PrismaClient } from "./database.ts";
import type { Platform } from "../bot/message.ts";

/** Claims update `id`: true the first time, false for a duplicate. */
export async function claimUpdate(prisma: PrismaClient, platform: Platform, id: string): Promise<boolean> {
  const { count } = await prisma.processedUpdate.createMany({ data: [{ platform, updateId: id }], skipDuplicates: true });
  return count === 1;
}

/** Forgets claims older than `days`: platforms stop redelivering long before (Telegram keeps updates 24 h). */
export async function pruneClaims(prisma: PrismaClient, now: Date, days = 7): Promise<number> {
  const { count } = await prisma.processedUpdate.deleteMany({ where: { receivedAt: { lt: new Date(now.getTime() - days * 86_400_000) } } });
  return count;
}
