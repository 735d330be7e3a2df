// Who is away: approved leave covering an instant. Circulars do not chase people on leave, /status says
// so, and approval steps go to a stand-in while the approver is away.
import type { Tx } from "../../db/audit.ts";
import type { PrismaClient } from "../../db/database.ts";

/** Of `personIds`, those on approved leave at `at`. */
export async function onLeave(db: PrismaClient | Tx, personIds: number[], at: Date): Promise<Set<number>> {
  if (personIds.length === 0) return new Set();
  const away = await db.request.findMany({
    where: { kind: "leave", status: "approved", requesterId: { in: personIds }, startsAt: { lte: at }, endsAt: { gt: at } },
    select: { requesterId: true },
  });
  return new Set(away.map((r) => r.requesterId));
}
