-- CreateEnum
CREATE TYPE "SendState" AS ENUM ('pending', 'sending', 'sent', 'uncertain', 'unreachable', 'failed', 'skipped', 'cancelled');

-- CreateTable
CREATE TABLE "OutboxMessage" (
    "id" SERIAL NOT NULL,
    "key" TEXT NOT NULL,
    "purpose" TEXT NOT NULL,
    "subject" JSONB,
    "personId" INTEGER,
    "identityId" INTEGER,
    "platform" "Platform" NOT NULL,
    "chatId" TEXT,
    "chatKind" TEXT,
    "editMessageId" TEXT,
    "editOfSentAt" TIMESTAMP(3),
    "message" JSONB,
    "lane" TEXT NOT NULL,
    "priority" INTEGER NOT NULL,
    "notBefore" TIMESTAMP(3) NOT NULL,
    "state" "SendState" NOT NULL DEFAULT 'pending',
    "claimedBy" TEXT,
    "attempts" INTEGER NOT NULL DEFAULT 0,
    "error" TEXT,
    "sentChatId" TEXT,
    "sentMessageId" TEXT,
    "sentAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "OutboxMessage_pkey" PRIMARY KEY ("id")
);

-- Room on each page for a row's new version: its claim and its record are then HOT updates (no index holds
-- a column they change), which write no index entries.
ALTER TABLE "OutboxMessage" SET (fillfactor = 70);

-- CreateIndex
CREATE UNIQUE INDEX "OutboxMessage_key_key" ON "OutboxMessage"("key");

-- CreateIndex
CREATE INDEX "OutboxMessage_lane_id_idx" ON "OutboxMessage"("lane", "id");

-- CreateIndex
CREATE INDEX "OutboxMessage_notBefore_idx" ON "OutboxMessage"("notBefore");

-- CreateIndex
CREATE INDEX "OutboxMessage_personId_idx" ON "OutboxMessage"("personId");

-- AddForeignKey
ALTER TABLE "OutboxMessage" ADD CONSTRAINT "OutboxMessage_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;
