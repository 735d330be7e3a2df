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

-- CreateIndex
CREATE UNIQUE INDEX "OutboxMessage_key_key" ON "OutboxMessage"("key");

-- CreateIndex
CREATE INDEX "OutboxMessage_lane_state_id_idx" ON "OutboxMessage"("lane", "state", "id");

-- CreateIndex
CREATE INDEX "OutboxMessage_state_notBefore_idx" ON "OutboxMessage"("state", "notBefore");

-- CreateIndex
CREATE INDEX "OutboxMessage_personId_idx" ON "OutboxMessage"("personId");

-- AddForeignKey
ALTER TABLE "OutboxMessage" ADD CONSTRAINT "OutboxMessage_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;
