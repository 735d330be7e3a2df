// CSV files for offices: what /export and /seal_export produce. Excel and WPS in China read a CSV without
// a BOM as GBK, so files start with one; lines end in CRLF; a file too long for a chat message is saved.
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { App } from "../app.ts";
import { zonedParts } from "../bot/time-zone.ts";

/** Longer than this, an export is saved to a file instead of sent as a message. */
export const INLINE_LIMIT = 3500;
const BOM = "\uFEFF";

/**
 * One field, quoted when it holds a comma, a quote or a line break (RFC 4180). Text a spreadsheet would
 * run as a formula (=, +, -, @ first) gets a leading apostrophe: comments are typed by anyone.
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** Rows (the header first) as a CSV file: BOM, quoted cells, CRLF. */
export function csvFile(rows: readonly (readonly string[])[]): string {
  return BOM + rows.map((cells) => cells.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

/** The CSV as a chat message: no BOM (an invisible stray character there) and plain line breaks. */
export function csvAsText(csv: string): string {
  return csv.replace(/^\uFEFF/, "").replace(/\r\n/g, "\n");
}

/** Saves `csv` as `${dataDir}/exports/<name>-<office time>.csv`, never overwriting; returns the absolute path. */
export async function saveExport(app: App, name: string, csv: string): Promise<string> {
  const dir = resolve(app.config.dataDir, "exports");
  await mkdir(dir, { recursive: true });
  const p = zonedParts(app.clock.now(), app.config.timeZone);
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${p.year}${pad(p.month)}${pad(p.day)}-${pad(p.hour)}${pad(p.minute)}${pad(p.second)}`;
  for (let n = 1; ; n++) {
    const path = join(dir, `${name}-${stamp}${n > 1 ? `-${n}` : ""}.csv`);
    try {
      await writeFile(path, csv, { flag: "wx" }); // two exports in the same second both stay
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}
