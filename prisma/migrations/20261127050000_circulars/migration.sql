-- CreateEnum
CREATE TYPE "CircularKind" AS ENUM ('notice', 'meeting', 'document');

-- CreateEnum
CREATE TYPE "CircularStatus" AS ENUM ('published', 'cancelled', 'closed');

-- CreateEnum
CREATE TYPE "DeliveryState" AS ENUM ('pending', 'sent', 'failed', 'uncertain', 'unreachable');

-- CreateTable
CREATE TABLE "Circular" (
    "id" SERIAL NOT NULL,
    "kind" "CircularKind" NOT NULL,
    "year" INTEGER NOT NULL,
    "serial" INTEGER NOT NULL,
    "title" TEXT NOT NULL,
    "body" TEXT NOT NULL DEFAULT '',
    "authorId" INTEGER NOT NULL,
    "deadline" TIMESTAMP(3),
    "startsAt" TIMESTAMP(3),
    "place" TEXT,
    "attachment" TEXT,
    "audience" JSONB NOT NULL,
    "chasePolicy" JSONB,
    "status" "CircularStatus" NOT NULL DEFAULT 'published',
    "chaseRound" INTEGER NOT NULL DEFAULT 0,
    "publishedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "cancelledAt" TIMESTAMP(3),
    "closedAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Circular_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "Receipt" (
    "id" SERIAL NOT NULL,
    "circularId" INTEGER NOT NULL,
    "personId" INTEGER NOT NULL,
    "delivery" "DeliveryState" NOT NULL DEFAULT 'pending',
    "platform" "Platform",
    "chatId" TEXT,
    "messageId" TEXT,
    "deliveredAt" TIMESTAMP(3),
    "deliveryError" TEXT,
    "respondedAt" TIMESTAMP(3),
    "response" TEXT,
    "comment" TEXT,
    "delegateId" INTEGER,
    "chasedCount" INTEGER NOT NULL DEFAULT 0,
    "lastChasedAt" TIMESTAMP(3),
    "escalatedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "Receipt_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "CircularPost" (
    "id" SERIAL NOT NULL,
    "circularId" INTEGER NOT NULL,
    "channelId" INTEGER NOT NULL,
    "messageId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CircularPost_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Circular_authorId_idx" ON "Circular"("authorId");

-- CreateIndex
CREATE INDEX "Circular_status_deadline_idx" ON "Circular"("status", "deadline");

-- CreateIndex
CREATE UNIQUE INDEX "Circular_kind_year_serial_key" ON "Circular"("kind", "year", "serial");

-- CreateIndex
CREATE INDEX "Receipt_personId_respondedAt_idx" ON "Receipt"("personId", "respondedAt");

-- CreateIndex
CREATE INDEX "Receipt_delegateId_idx" ON "Receipt"("delegateId");

-- CreateIndex
CREATE UNIQUE INDEX "Receipt_circularId_personId_key" ON "Receipt"("circularId", "personId");

-- CreateIndex
CREATE INDEX "CircularPost_channelId_idx" ON "CircularPost"("channelId");

-- CreateIndex
CREATE UNIQUE INDEX "CircularPost_circularId_channelId_key" ON "CircularPost"("circularId", "channelId");

-- AddForeignKey
ALTER TABLE "Circular" ADD CONSTRAINT "Circular_authorId_fkey" FOREIGN KEY ("authorId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Receipt" ADD CONSTRAINT "Receipt_circularId_fkey" FOREIGN KEY ("circularId") REFERENCES "Circular"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Receipt" ADD CONSTRAINT "Receipt_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "Receipt" ADD CONSTRAINT "Receipt_delegateId_fkey" FOREIGN KEY ("delegateId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CircularPost" ADD CONSTRAINT "CircularPost_circularId_fkey" FOREIGN KEY ("circularId") REFERENCES "Circular"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "CircularPost" ADD CONSTRAINT "CircularPost_channelId_fkey" FOREIGN KEY ("channelId") REFERENCES "Channel"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- CreateTable
CREATE TABLE "CircularDraft" (
    "id" SERIAL NOT NULL,
    "personId" INTEGER NOT NULL,
    "kind" "CircularKind" NOT NULL,
    "fields" JSONB NOT NULL,
    "asking" TEXT,
    "chatId" TEXT,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "CircularDraft_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "CircularDraft_personId_key" ON "CircularDraft"("personId");

-- AddForeignKey
ALTER TABLE "CircularDraft" ADD CONSTRAINT "CircularDraft_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;
