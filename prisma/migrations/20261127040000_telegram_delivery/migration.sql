-- AlterTable
ALTER TABLE "Channel" ADD COLUMN     "active" BOOLEAN NOT NULL DEFAULT true;

-- AlterTable
ALTER TABLE "Identity" ADD COLUMN     "unreachableAt" TIMESTAMP(3);

-- CreateTable
CREATE TABLE "ProcessedUpdate" (
    "platform" "Platform" NOT NULL,
    "updateId" TEXT NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ProcessedUpdate_pkey" PRIMARY KEY ("platform","updateId")
);

-- CreateIndex
CREATE INDEX "ProcessedUpdate_receivedAt_idx" ON "ProcessedUpdate"("receivedAt");
