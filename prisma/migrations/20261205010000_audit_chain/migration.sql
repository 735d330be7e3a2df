-- Tamper-evident audit trail: each AuditEvent carries its place in the chain, the hash of the event before
-- it and its own hash (computed by Relay, src/db/audit-chain.ts). The rows already there are chained, in id
-- order, when Relay first opens the migrated database (`relay migrate`, `relay start`).

-- AlterTable
ALTER TABLE "AuditEvent" ADD COLUMN "seq" INTEGER;
ALTER TABLE "AuditEvent" ADD COLUMN "prevHash" TEXT;
ALTER TABLE "AuditEvent" ADD COLUMN "hash" TEXT;

-- CreateIndex
CREATE UNIQUE INDEX "AuditEvent_seq_key" ON "AuditEvent"("seq");

-- A person named in the audit trail can no longer be deleted (SET NULL rewrote the rows) nor renumbered.
-- DropForeignKey
ALTER TABLE "AuditEvent" DROP CONSTRAINT "AuditEvent_actorId_fkey";

-- AddForeignKey
ALTER TABLE "AuditEvent" ADD CONSTRAINT "AuditEvent_actorId_fkey" FOREIGN KEY ("actorId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE RESTRICT;
