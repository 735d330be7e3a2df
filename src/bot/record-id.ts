// Record numbers as people type them: "12", "#12", "＃１２" (a Chinese keyboard's full-width forms).
import { UserError } from "./errors.ts";

/** The largest id a PostgreSQL integer column holds: no record has a larger number. */
export const MAX_RECORD_ID = 2_147_483_647;

/**
 * The record number in `text`, or undefined when `text` is not a number at all (the caller answers with usage
 * help). A whole number no record can have (0 is not one; 99999999999 is beyond every id) is answered as an
 * unknown id with the number as typed, the way a number that merely does not exist yet is.
 */
export function parseRecordId(text: string): number | undefined {
  const typed = text.trim().normalize("NFKC").replace(/^#/, "");
  if (!/^\d+$/.test(typed)) return undefined;
  const id = Number(typed);
  if (id < 1 || id > MAX_RECORD_ID) throw new UserError("input.noSuchId", { id: typed });
  return id;
}
