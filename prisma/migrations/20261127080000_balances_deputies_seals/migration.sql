-- AlterTable
ALTER TABLE "Person" ADD COLUMN     "deputyId" INTEGER;

-- CreateTable
CREATE TABLE "LeaveBalance" (
    "personId" INTEGER NOT NULL,
    "year" INTEGER NOT NULL,
    "leaveType" TEXT NOT NULL,
    "days" DOUBLE PRECISION NOT NULL,
    "updatedAt" TIMESTAMP(3) NOT NULL,

    CONSTRAINT "LeaveBalance_pkey" PRIMARY KEY ("personId","year","leaveType")
);

-- CreateTable
CREATE TABLE "SealEntry" (
    "id" SERIAL NOT NULL,
    "requestId" INTEGER NOT NULL,
    "year" INTEGER NOT NULL,
    "serial" INTEGER NOT NULL,
    "seal" TEXT NOT NULL,
    "document" TEXT NOT NULL,
    "copies" INTEGER NOT NULL,
    "purpose" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "SealEntry_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "SealEntry_requestId_key" ON "SealEntry"("requestId");

-- CreateIndex
CREATE UNIQUE INDEX "SealEntry_year_serial_key" ON "SealEntry"("year", "serial");

-- AddForeignKey
ALTER TABLE "Person" ADD CONSTRAINT "Person_deputyId_fkey" FOREIGN KEY ("deputyId") REFERENCES "Person"("id") ON DELETE SET NULL ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "LeaveBalance" ADD CONSTRAINT "LeaveBalance_personId_fkey" FOREIGN KEY ("personId") REFERENCES "Person"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "SealEntry" ADD CONSTRAINT "SealEntry_requestId_fkey" FOREIGN KEY ("requestId") REFERENCES "Request"("id") ON DELETE RESTRICT ON UPDATE CASCADE;
