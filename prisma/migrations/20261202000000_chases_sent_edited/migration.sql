-- AlterTable
ALTER TABLE "Circular" ADD COLUMN     "editedAt" TIMESTAMP(3);

-- AlterTable
ALTER TABLE "Receipt" ADD COLUMN     "chasesOwed" INTEGER NOT NULL DEFAULT 0;
