// Reads back a CSV file as a spreadsheet would (RFC 4180), so tests check what an office opens, not our writer's
// own idea of it. Strict: records end in CRLF, quotes are doubled inside quoted fields.

export interface CsvRead {
  /** Whether the file starts with the UTF-8 byte order mark (Excel/WPS need it to read UTF-8). */
  bom: boolean;
  rows: string[][];
}

/** Parses `data` (the file's bytes); throws on a stray quote or a record that does not end in CRLF. */
export function readCsv(data: Uint8Array): CsvRead {
  const bytes = Buffer.from(data);
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
  const text = bytes.subarray(bom ? 3 : 0).toString("utf8");
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let cell = "";
    if (text[i] === '"') {
      for (i++; ; i++) {
        if (i >= text.length) throw new Error("unterminated quoted field");
        if (text[i] === '"' && text[i + 1] === '"') { cell += '"'; i++; continue; }
        if (text[i] === '"') { i++; break; }
        cell += text[i];
      }
    } else {
      while (i < text.length && text[i] !== "," && text[i] !== "\r" && text[i] !== "\n") {
        if (text[i] === '"') throw new Error(`stray quote at ${i}`);
        cell += text[i++];
      }
    }
    row.push(cell);
    if (text[i] === ",") { i++; continue; }
    if (text.startsWith("\r\n", i)) { rows.push(row); row = []; i += 2; continue; }
    throw new Error(`record not ended by CRLF at ${i}`);
  }
  if (row.length) throw new Error("last record not ended by CRLF");
  return { bom, rows };
}
