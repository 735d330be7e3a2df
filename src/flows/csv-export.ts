// CSV files for offices: what /export and /seal_export hand over, always as a file in the chat (a table pasted
// into a message is hard to open in a spreadsheet, and a path on the server means nothing to a chat user).
// Excel and WPS in China read a CSV without a BOM as GBK, so files start with one; lines end in CRLF.
import type { App } from "../app.ts";
import type { Context } from "../bot/router.ts";
import type { OutboundFile } from "../bot/message.ts";
import { zonedParts } from "../bot/time-zone.ts";

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

/**
 * `csv` as a file named `<name>-<office time>.csv` (e.g. circular-12-20261127-150405.csv: sorts by time, and
 * ASCII, which every platform's upload takes), the BOM kept, with `caption` shown beside it.
 */
export function csvExport(app: App, name: string, csv: string, caption: string): OutboundFile {
  const p = zonedParts(app.clock.now(), app.config.timeZone);
  const pad = (n: number) => String(n).padStart(2, "0");
  const stamp = `${p.year}${pad(p.month)}${pad(p.day)}-${pad(p.hour)}${pad(p.minute)}${pad(p.second)}`;
  return { filename: `${name}-${stamp}.csv`, data: Buffer.from(csv, "utf8"), mimeType: "text/csv", caption };
}

/**
 * Hands an export to the person who asked: in their direct chat, never into a group (names, comments and
 * the register are for the person entitled to them, not for everyone in the group).
 */
export async function handOver(app: App, ctx: Context, file: OutboundFile): Promise<void> {
  if (ctx.chat.kind !== "group") return void (await ctx.reply(file));
  await ctx.replyPrivately(file);
  await ctx.answer(ctx.t("export.sentPrivately"));
}
