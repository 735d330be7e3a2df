// Offices are accountable: every change to the roster, a circular or a request leaves an AuditEvent,
// written in the same transaction as the change itself, as the next link of the audit chain (audit-chain.ts).
import type { PrismaClient, Prisma } from "../generated/prisma/client.ts";
import { eventHash, lockChain } from "./audit-chain.ts";

export type Tx = Prisma.TransactionClient;

export interface AuditEntry {
  actorId: number | null;
  action: string;
  entity: string;
  entityId?: string | number;
  data?: Prisma.InputJsonValue;
}

/**
 * Records who did what to which record. Call it inside the transaction that makes the change, as its last
 * step: from here to the commit the transaction holds the chain's lock, and every other audit waits for it.
 */
export async function audit(tx: Tx, entry: AuditEntry): Promise<void> {
  const { head } = await lockChain(tx);
  const row = await tx.auditEvent.create({
    data: {
      actorId: entry.actorId,
      action: entry.action,
      entity: entry.entity,
      entityId: entry.entityId === undefined ? null : String(entry.entityId),
      data: entry.data,
      seq: head.seq + 1,
      prevHash: head.hash,
    },
  });
  // Hashed as the database handed the row back (its `at`, its jsonb), which is what verifying reads.
  await tx.auditEvent.update({ where: { id: row.id }, data: { hash: eventHash(row) } });
}

/**
 * Chains the events recorded before the chain existed (at the first start after the migration that added it);
 * returns how many. Nothing to do, and quick, once the chain has begun.
 */
export async function chainEarlierEvents(prisma: PrismaClient): Promise<number> {
  // A big old trail is a few statements per thousand rows: more than the 5 s a transaction gets by default.
  const { chained } = await prisma.$transaction((tx) => lockChain(tx), { maxWait: 60_000, timeout: 600_000 });
  return chained;
}
