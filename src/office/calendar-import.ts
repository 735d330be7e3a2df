// Loading the State Council's arrangement, from a file (`relay calendar import FILE`) or pasted in chat
// (`/calendar import`): all of it or, when any line is wrong, none of it.
import type { PrismaClient } from "../db/database.ts";
import { parseArrangement, type CalendarError } from "./calendar-file.ts";
import { importYears, type CalendarChange, type YearImported } from "./calendar-store.ts";

export type ImportOutcome = { ok: true; done: YearImported[] } | { ok: false; errors: CalendarError[] };

/** Reads `text` and, if every line is good, stores each year it names, replacing that year's earlier days. */
export async function importArrangement(prisma: PrismaClient, text: string, change: CalendarChange): Promise<ImportOutcome> {
  const parsed = parseArrangement(text);
  if (parsed.errors.length > 0) return { ok: false, errors: parsed.errors };
  return { ok: true, done: await importYears(prisma, parsed.years, change) };
}
