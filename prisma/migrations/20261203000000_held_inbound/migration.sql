-- CreateTable
CREATE TABLE "HeldInbound" (
    "id" SERIAL NOT NULL,
    "platform" "Platform" NOT NULL,
    "claimId" TEXT NOT NULL,
    "event" JSONB NOT NULL,
    "receivedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "HeldInbound_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "HeldInbound_platform_claimId_key" ON "HeldInbound"("platform", "claimId");

-- CreateIndex
CREATE INDEX "HeldInbound_receivedAt_id_idx" ON "HeldInbound"("receivedAt", "id");
