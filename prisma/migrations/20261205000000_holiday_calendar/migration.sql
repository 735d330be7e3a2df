-- CreateEnum
CREATE TYPE "CalendarDayKind" AS ENUM ('holiday', 'workday');

-- CreateTable
CREATE TABLE "CalendarDay" (
    "date" TEXT NOT NULL,
    "kind" "CalendarDayKind" NOT NULL,
    "name" TEXT,
    "year" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "createdAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CalendarDay_pkey" PRIMARY KEY ("date")
);

-- CreateTable
CREATE TABLE "CalendarYear" (
    "year" INTEGER NOT NULL,
    "source" TEXT NOT NULL,
    "importedAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CalendarYear_pkey" PRIMARY KEY ("year")
);

-- CreateTable
CREATE TABLE "CalendarWarning" (
    "year" INTEGER NOT NULL,
    "personId" INTEGER NOT NULL,
    "sentAt" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "CalendarWarning_pkey" PRIMARY KEY ("year","personId")
);

-- CreateIndex
CREATE INDEX "CalendarDay_year_idx" ON "CalendarDay"("year");
