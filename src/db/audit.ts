// Offices are accountable: every change to the roster, a circular or a request leaves an AuditEvent,
// written in the same transaction as the change itself.
import type { Prisma } from "../generated/prisma/client.ts";

export type Tx = Prisma.TransactionClient;

export interface AuditEntry {
  actorId: number | null;
  action: string;
  entity: string;
  entityId?: string | number;
  data?: Prisma.InputJsonValue;
}

/** Records who did what to which record. Call it inside the transaction that makes the change. */
export async function audit(tx: Tx, entry: AuditEntry): Promise<void> {
  await tx.auditEvent.create({
    data: {
      actorId: entry.actorId,
      action: entry.action,
      entity: entry.entity,
      entityId: entry.entityId === undefined ? null : String(entry.entityId),
      data: entry.data,
    },
  });
}
