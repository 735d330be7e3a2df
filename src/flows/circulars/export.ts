// /export N (导出): the receipts of a circular as a CSV file in the chat, for the author or an admin to keep or
// file; any size, the same file on every platform.
import { parseRecordId } from "../../bot/record-id.ts";
import type { App } from "../../app.ts";
import { UserError } from "../../bot/errors.ts";
import { t, type Locale, type MessageKey } from "../../bot/i18n/index.ts";
import type { Member } from "../../bot/member.ts";
import { formatClock, isoDate, zonedParts } from "../../bot/time-zone.ts";
import { audit } from "../../db/audit.ts";
import type { Circular, DeliveryState } from "../../generated/prisma/client.ts";
import { csvExport, csvFile, handOver } from "../csv-export.ts";
import { usage } from "../org/org-commands.ts";
import { RESPONSES, responseLabel, serialLabel } from "./circular-text.ts";

/** One recipient's receipt, as the export shows it. */
export interface ExportRow {
  name: string;
  unit: string | null;
  /** ack | attend | decline | delegate | signed, or null before they respond. */
  response: string | null;
  comment: string | null;
  delegate: string | null;
  respondedAt: Date | null;
  delivery: DeliveryState;
  chasedCount: number;
}

const COLUMNS = ["name", "unit", "response", "comment", "delegate", "respondedAt", "delivery", "chased"] as const;
/** A Record, so a delivery state added to the schema fails the type check here rather than the export. */
const DELIVERY: Record<DeliveryState, MessageKey> = {
  pending: "export.delivery.pending",
  sending: "export.delivery.sending",
  sent: "export.delivery.sent",
  failed: "export.delivery.failed",
  uncertain: "export.delivery.uncertain",
  unreachable: "export.delivery.unreachable",
};
const KNOWN_RESPONSES = new Set(Object.values(RESPONSES).flat());

/** The receipts as an RFC 4180 CSV file: UTF-8 BOM (Excel and WPS read it as GBK otherwise), CRLF, header in `locale`. */
export function receiptsCsv(rows: readonly ExportRow[], locale: Locale, timeZone: string): string {
  const header = COLUMNS.map((c) => t(locale, `export.col.${c}` as MessageKey));
  const lines = rows.map((r) => [
    r.name,
    r.unit ?? "",
    r.response ? (KNOWN_RESPONSES.has(r.response) ? responseLabel(r.response, locale) : r.response) : "",
    r.comment ?? "",
    r.delegate ?? "",
    r.respondedAt ? localTime(r.respondedAt, timeZone) : "",
    DELIVERY[r.delivery] ? t(locale, DELIVERY[r.delivery]) : r.delivery,
    String(r.chasedCount),
  ]);
  return csvFile([header, ...lines]);
}

/** "2026-11-27 15:04" on the office's wall clock. */
function localTime(at: Date, timeZone: string): string {
  const p = zonedParts(at, timeZone);
  return `${isoDate(p)} ${formatClock(p)}`;
}


export interface Exported {
  circular: Circular;
  csv: string;
  rows: number;
}

/** The circular's receipts as CSV, in the order /status lists them; only its author or an admin may have them. */
export async function exportReceipts(app: App, member: Member, id: number, locale: Locale): Promise<Exported> {
  const circular = await app.prisma.circular.findUnique({ where: { id } });
  if (!circular) throw new UserError("circular.notFound", { id });
  if (circular.authorId !== member.id && member.role !== "admin") throw new UserError("export.onlyAuthor");
  const receipts = await app.prisma.receipt.findMany({
    where: { circularId: id },
    include: { person: { include: { unit: true } }, delegate: true },
    orderBy: [{ person: { unitId: "asc" } }, { personId: "asc" }],
  });
  const rows = receipts.map((r) => ({
    name: r.person.name,
    unit: r.person.unit?.name ?? null,
    response: r.response,
    comment: r.comment,
    delegate: r.delegate?.name ?? null,
    respondedAt: r.respondedAt,
    delivery: r.delivery,
    chasedCount: r.chasedCount,
  }));
  return { circular, csv: receiptsCsv(rows, locale, app.config.timeZone), rows: rows.length };
}


export function registerCircularExport(app: App): void {
  app.bot.router.command({
    name: "export",
    aliases: ["导出", "导出回执"],
    audience: "roster", // the author check is per circular, so the refusal can say who may
    usefulTo: ["admin", "leader", "secretary"], // those who author circulars
    summary: "export.summary",
    usage: "export.usage",
    async run(ctx) {
      const id = parseRecordId(ctx.args);
      if (id === undefined) return usage(ctx);
      const { circular, csv, rows } = await exportReceipts(app, ctx.member!, id, ctx.locale);
      const caption = ctx.t("export.file", { serial: serialLabel(circular, ctx.locale), id, rows });
      const file = csvExport(app, `circular-${id}`, csv, caption);
      await app.prisma.$transaction((tx) =>
        audit(tx, { actorId: ctx.member!.id, action: "circular.export", entity: "Circular", entityId: id, data: { rows, file: file.filename } }),
      );
      await handOver(app, ctx, file);
    },
  });
}
