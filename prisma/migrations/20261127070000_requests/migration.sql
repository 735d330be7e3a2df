-- CreateEnum
CREATE TYPE "RequestKind" AS ENUM ('leave', 'seal', 'generic');

-- CreateEnum
CREATE TYPE "RequestStatus" AS ENUM ('pending', 'approved', 'rejected', 'cancelled');

-- CreateEnum
CREATE TYPE "StepStatus" AS ENUM ('waiting', 'pending', 'approved', 'rejected', 'skipped');

-- CreateTable
CREATE TABLE "Request" (
    "id" SERIAL NOT NULL,
    "kind" "RequestKind" NOT NULL,
    "requesterId" INTEGER NOT NULL,
    "status" "RequestStatus" NOT NULL DEFAULT 'pending',
    "form" JSONB NOT NULL,
    "leaveType" TEXT,
    "startsAt" TIMESTAMP(3),
    "endsAt" TIMESTAMP(3),
    "workingDays" DOUBLE PRECISION,
    "reason" TEXT NOT NULL DEFAULT '',
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "decidedAt" TIMESTAMP(3),
    "cancelledAt" TIMESTAMP(3),
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "Request_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "RequestStep" (
    "id" SERIAL NOT NULL,
    "requestId" INTEGER NOT NULL,
    "position" INTEGER NOT NULL,
    "approverId" INTEGER NOT NULL,
    "onBehalfOfId" INTEGER,
    "status" "StepStatus" NOT NULL DEFAULT 'waiting',
    "comment" TEXT,
    "decidedAt" TIMESTAMP(3),
    "remindedAt" TIMESTAMP(3),
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "RequestStep_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "Request_requesterId_status_idx" ON "Request"("requesterId", "status");

-- CreateIndex
CREATE INDEX "Request_kind_status_startsAt_idx" ON "Request"("kind", "status", "startsAt");

-- CreateIndex
CREATE INDEX "RequestStep_approverId_status_idx" ON "RequestStep"("approverId", "status");

-- CreateIndex
CREATE UNIQUE INDEX "RequestStep_requestId_position_key" ON "RequestStep"("requestId", "position");

-- AddForeignKey
ALTER TABLE "Request" ADD CONSTRAINT "Request_requesterId_fkey" FOREIGN KEY ("requesterId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RequestStep" ADD CONSTRAINT "RequestStep_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "Request"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RequestStep" ADD CONSTRAINT "RequestStep_approverId_fkey" FOREIGN KEY ("approverId") REFERENCES "Person"("id") ON DELETE RESTRICT ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "RequestStep" ADD CONSTRAINT "RequestStep_onBehalfOfId_fkey" FOREIGN KEY ("onBehalfOfId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;
