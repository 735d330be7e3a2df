// Seal use (用印): /seal files a request for one use of an office seal, the office director approves it,
// and approval numbers it in the seal register (〔2026〕第3号, no gaps within a year). /seal_register shows the
// register and /seal_export hands it out as CSV, to admins, leaders and secretaries only.
import type { App } from "../../app.ts";
import { UserError } from "../../bot/errors.ts";
import { t, toLocale, type Locale, type MessageKey } from "../../bot/i18n/index.ts";
import type { Role } from "../../bot/roles.ts";
import type { CommandContext } from "../../bot/router.ts";
import { parseWhen } from "../../bot/time-parse.ts";
import { addDays, compareDates, fromZoned, isoDate, zonedParts, type PlainDate } from "../../bot/time-zone.ts";
import { audit } from "../../db/audit.ts";
import type { Person, Prisma, Request, RequestStep, SealEntry } from "../../generated/prisma/client.ts";
import { csvExport, csvFile, handOver } from "../csv-export.ts";
import { usage } from "../org/org-commands.ts";
import { fileRequest, loadRequest, onApproved, type RequestWithSteps } from "./approval.ts";
import { configuredApprovers } from "./chains.ts";

/** What a seal request's `form` holds. `seal` is a key of SEALS, or the free text typed after 印章. */
export interface SealForm {
  seal: string;
  document: string;
  copies: number;
  purpose: string;
}

/** The seals an office keeps and the words people use for them (English ones after --seal, or as "official-seal"). */
const SEALS: Record<string, readonly string[]> = {
  official: ["公章", "单位公章", "official"],
  party: ["党委章", "党委公章", "party"],
  administrative: ["行政章", "administrative"],
  contract: ["合同章", "合同专用章", "contract"],
  finance: ["财务章", "财务专用章", "finance", "financial"],
  legalRep: ["法人章", "法定代表人章", "legal", "legal-rep", "legal-representative"],
};
const sealOfWord = new Map(Object.entries(SEALS).flatMap(([seal, words]) => words.map((w) => [w.toLowerCase(), seal])));

/** Field markers: "用途 报县财政局", "用途：报县财政局", "--purpose county bureau", "--copies=3". */
const MARKERS: Record<string, "seal" | "doc" | "copies" | "purpose"> = {
  "--seal": "seal", 印章: "seal", 用章: "seal",
  "--doc": "doc", "--document": "doc", 文件: "doc", 文件名: "doc",
  "--copies": "copies", 份数: "copies",
  "--purpose": "purpose", 用途: "purpose", 事由: "purpose", 用于: "purpose", purpose: "purpose",
};
const MAX_COPIES = 999;
/** Register numbers are per year with no gaps: one approval numbers at a time (circulars use 7_265_100). */
const SEAL_LOCK = 7_265_200;
/** Who may read and export the register. */
const REGISTER_AUDIENCE: readonly Role[] = ["admin", "leader", "secretary"];
/** The register listing's budget: Telegram allows 4,096 characters a message, and the heading needs room. */
const LISTING_LIMIT = 3500;

interface Token {
  text: string;
  /** What separated it from the token before (spaces, a comma): kept when a field is put back together. */
  sep: string;
  quoted: boolean;
}

/** Words separated by spaces or commas; "…", “…” and '…' keep their spaces ("--doc "Funding report""). */
function tokenize(input: string): Token[] {
  const tokens: Token[] = [];
  for (const m of input.matchAll(/([\s,，;；]*)(?:"([^"]*)"|“([^”]*)”|'([^']*)'|([^\s,，;；]+))/g)) {
    const quoted = m[2] ?? m[3] ?? m[4];
    if (quoted !== undefined) tokens.push({ text: quoted, sep: m[1]!, quoted: true });
    else if (m[5]) tokens.push({ text: m[5], sep: m[1]!, quoted: false });
  }
  return tokens;
}

/** A marker alone ("用途") or with its value attached after a colon or "=" ("用途：报县财政局"). */
function markerOf(text: string): { field: (typeof MARKERS)[string]; value: string } | undefined {
  const m = /^(--[a-z]+|purpose|[\u4e00-\u9fff]+?)(?:[:：=](.*))?$/i.exec(text);
  const field = m && MARKERS[m[1]!.toLowerCase()];
  return field ? { field, value: (m[2] ?? "").trim() } : undefined;
}

const CN_DIGITS: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** "3", "12", "三", "十二", "二十" → the number; anything else undefined. */
function numberOf(text: string): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const m = /^([一二两三四五六七八九])?(十)?([一二三四五六七八九])?$/.exec(text);
  if (!m || !text) return undefined;
  if (!m[2]) return m[3] ? undefined : CN_DIGITS[m[1]!];
  return (m[1] ? CN_DIGITS[m[1]]! : 1) * 10 + (m[3] ? CN_DIGITS[m[3]]! : 0);
}

/**
 * An English seal name before the document: "official-seal" (one token) or "official seal" (two); how many
 * tokens it took. A bare "official" stays a word of the title ("official report").
 */
function englishSeal(token: string, next: Token | undefined): { seal: string; used: number } | undefined {
  const joined = /^([a-z]+(?:-[a-z]+)*)-seal$/i.exec(token);
  const seal = joined ? sealOfWord.get(joined[1]!.toLowerCase()) : undefined;
  if (seal) return { seal, used: 1 };
  const word = sealOfWord.get(token.toLowerCase());
  return word && /^[a-z-]+$/i.test(token) && next && !next.quoted && /^seal$/i.test(next.text) ? { seal: word, used: 2 } : undefined;
}

/** "3份", "三份", "3 copies" (already split into "3" and "copies" by the caller). */
function copiesOf(text: string): number | undefined {
  const m = /^(\d+|[一二两三四五六七八九十]+)\s*(?:份|copies|copy)$/i.exec(text);
  return m ? numberOf(m[1]!) : undefined;
}

/** A field's words put back with the commas typed between them ("报县财政局，申请资金"), spaces collapsed. */
function joinTokens(tokens: Token[]): string {
  return tokens
    .map((tok, i) => (i === 0 ? "" : tok.sep.trim() ? tok.sep.replace(/\s+/g, " ") : " ") + tok.text)
    .join("")
    .replace(/^[\s,，;；:：]+|[\s,，;；:：。]+$/g, "");
}

/**
 * Reads "公章 关于申请项目资金的报告 3份 用途 报县财政局", "official-seal budget report 2 copies purpose submit to
 * county finance bureau" or "--seal official --doc "Funding report" --copies 3 --purpose county finance bureau". No seal named means the official seal (公章), the one nearly every
 * paper needs; the approver sees which seal before deciding. undefined when the document or purpose is missing.
 */
export function parseSealForm(args: string): SealForm | undefined {
  const tokens = tokenize(args);
  const fields: Record<"doc" | "purpose", Token[]> = { doc: [], purpose: [] };
  let section: "doc" | "purpose" = "doc";
  let seal: string | undefined;
  let copies: number | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const bare = token.quoted ? "" : token.text.replace(/[。.]$/, "");
    const marker = token.quoted ? undefined : markerOf(bare);
    if (marker) {
      const value: Token | undefined = marker.value ? { text: marker.value, sep: "", quoted: false } : undefined;
      if (marker.field === "doc" || marker.field === "purpose") {
        section = marker.field;
        if (value) fields[section].push(value);
        continue;
      }
      const next = value ?? tokens[++i];
      if (!next) return undefined;
      if (marker.field === "seal") seal = sealOfWord.get(next.text.toLowerCase()) ?? next.text;
      else {
        const n = copiesOf(next.text) ?? numberOf(next.text);
        if (n === undefined) return undefined;
        copies = n;
      }
      continue;
    }
    const counted = copies === undefined && !token.quoted ? copiesOf(bare) : undefined;
    if (counted !== undefined) {
      copies = counted;
      continue;
    }
    const unit = tokens[i + 1];
    if (copies === undefined && !token.quoted && numberOf(bare) !== undefined && unit && /^(份|copies|copy)[。.]?$/i.test(unit.text)) {
      copies = numberOf(bare);
      i++;
      continue;
    }
    const english = seal === undefined && section === "doc" && fields.doc.length === 0 && !token.quoted ? englishSeal(bare, tokens[i + 1]) : undefined;
    if (english) {
      seal = english.seal;
      i += english.used - 1;
      continue;
    }
    // A Chinese seal name on its own is the seal ("公章"); an English word only after --seal or as "official-seal".
    const named = sealOfWord.get(bare.toLowerCase());
    if (seal === undefined && section === "doc" && named && /[^\x00-\x7f]/.test(bare)) {
      seal = named;
      continue;
    }
    fields[section].push(token);
  }
  const document = joinTokens(fields.doc);
  const purpose = joinTokens(fields.purpose);
  copies ??= 1;
  if (!document || !purpose || copies < 1 || copies > MAX_COPIES) return undefined;
  return { seal: seal ?? "official", document, copies, purpose };
}

/** "公章" for a known seal in `locale`; free text as typed. */
function sealLabel(seal: string, locale: Locale): string {
  return seal in SEALS ? t(locale, `seal.name.${seal}` as MessageKey) : seal;
}

/** "用印：公章 关于申请项目资金的报告 3份；用途：报县财政局". */
export function sealSummary(r: Pick<Request, "form">, locale: Locale): string {
  const form = r.form as unknown as SealForm;
  return t(locale, "seal.summaryLine", { seal: sealLabel(form.seal, locale), document: form.document, copies: form.copies, purpose: form.purpose });
}

/** "〔2026〕第3号". */
function registerNumber(entry: Pick<SealEntry, "year" | "serial">, locale: Locale): string {
  return t(locale, "seal.number", { year: entry.year, serial: entry.serial });
}

/**
 * Who approves a seal use: the office director — the first active secretary of a root unit, else the first
 * active secretary anywhere, else the first admin — never the requester. One step for now; chains configured
 * per seal or per kind of document are a later step.
 */
export async function sealApprovers(app: App, requesterId: number): Promise<number[]> {
  const configured = await configuredApprovers(app, "seal", requesterId);
  if (configured.length) return configured;
  const roots = await app.prisma.unit.findMany({ where: { parentId: null }, select: { id: true } });
  const secretaries = await app.prisma.person.findMany({ where: { role: "secretary", active: true, id: { not: requesterId } }, orderBy: { id: "asc" } });
  const director =
    secretaries.find((p) => p.unitId !== null && roots.some((u) => u.id === p.unitId)) ??
    secretaries[0] ??
    (await app.prisma.person.findFirst({ where: { role: "admin", active: true, id: { not: requesterId } }, orderBy: { id: "asc" } }));
  return director ? [director.id] : [];
}

function localeOf(app: App, person: Pick<Person, "locale">): Locale {
  return toLocale(person.locale) ?? app.config.locale;
}

const SEAL_REGISTER = "seal.register";
const registerJobId = (requestId: number) => `seal-register-q${requestId}`;

async function scheduleRegister(app: App, requestId: number): Promise<void> {
  await app.scheduler.schedule(SEAL_REGISTER, registerJobId(requestId), { requestId }, app.clock.now());
}

/** Numbers an approved request in the register (once: a second call keeps the first number) and tells the requester. */
async function register(app: App, request: RequestWithSteps): Promise<void> {
  const form = request.form as unknown as SealForm;
  const now = app.clock.now();
  const year = zonedParts(now, app.config.timeZone).year; // the office's year, not the server's
  const entry = await app.prisma.$transaction(async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${SEAL_LOCK})`;
    const existing = await tx.sealEntry.findUnique({ where: { requestId: request.id } });
    if (existing) return existing;
    const last = await tx.sealEntry.aggregate({ where: { year }, _max: { serial: true } });
    const created = await tx.sealEntry.create({
      data: { requestId: request.id, year, serial: (last._max.serial ?? 0) + 1, seal: form.seal, document: form.document, copies: form.copies, purpose: form.purpose, createdAt: now },
    });
    const approver = request.steps.findLast((s) => s.status === "approved")?.approverId ?? null;
    await audit(tx, { actorId: approver, action: "seal.register", entity: "SealEntry", entityId: created.id, data: { requestId: request.id, year, serial: created.serial } });
    return created;
  });
  const locale = localeOf(app, request.requester);
  await app.outbox.send({ key: `seal-registered-q${request.id}`, to: { personId: request.requesterId }, message: { text: t(locale, "seal.registered", { id: request.id, year: entry.year, serial: entry.serial }) }, priority: "personal" });
}

type EntryRow = SealEntry & { request: Request & { requester: Person; steps: (RequestStep & { approver: Person })[] } };

/** A span of office-time days; either end may be open. */
interface Range {
  from?: PlainDate;
  to?: PlainDate;
}

/**
 * "11月1日 11月30日", "2026-11-01 至 2026-11-30", "11月1日" (from then on), "" (everything). A date without a year
 * means the last one that has begun: the register looks back, while parseWhen reads "11月1日" in late November
 * as next year's. undefined when the text is not one or two dates.
 */
function parseRange(app: App, text: string): Range | undefined {
  const now = app.clock.now();
  const today = zonedParts(now, app.config.timeZone);
  const days: PlainDate[] = [];
  let rest = text.trim();
  while (rest) {
    if (days.length === 2) return undefined;
    const when = parseWhen(rest, { now, timeZone: app.config.timeZone, calendar: app.calendar });
    if (!when || when.kind !== "once") return undefined;
    const p = zonedParts(when.at, app.config.timeZone);
    const day = { year: p.year, month: p.month, day: p.day };
    if (day.year > today.year && !/\d{4}/.test(when.matched)) day.year -= 1;
    days.push(day);
    rest = when.rest.replace(/^(?:到|至|-|–|—|~|～|to\b|until\b)\s*/i, "").trim();
  }
  const [from, to] = days;
  if (from && to && compareDates(from, to) > 0) return { from: to, to: from };
  return { from, to };
}

/** "（2026-11-01至2026-11-30）", "（2026-11-01起）", or "" for the whole register. */
function rangeLabel(range: Range, locale: Locale): string {
  if (!range.from) return "";
  const span = range.to
    ? t(locale, "seal.rangeBetween", { from: isoDate(range.from), to: isoDate(range.to) })
    : t(locale, "seal.rangeFrom", { from: isoDate(range.from) });
  return t(locale, "seal.rangeParen", { range: span });
}

/** The register's entries in the range, in number order. */
async function entriesIn(app: App, range: Range): Promise<EntryRow[]> {
  const tz = app.config.timeZone;
  const start = range.from ? fromZoned({ ...range.from, hour: 0, minute: 0 }, tz) : undefined;
  const end = range.to ? fromZoned({ ...addDays(range.to, 1), hour: 0, minute: 0 }, tz) : undefined;
  return app.prisma.sealEntry.findMany({
    where: { createdAt: { ...(start ? { gte: start } : {}), ...(end ? { lt: end } : {}) } },
    include: { request: { include: { requester: true, steps: { include: { approver: true }, orderBy: { position: "asc" } } } } },
    orderBy: [{ year: "asc" }, { serial: "asc" }],
  });
}

function approversOf(entry: EntryRow, locale: Locale): string {
  return entry.request.steps.filter((s) => s.status === "approved").map((s) => s.approver.name).join(t(locale, "seal.nameJoin")) || "—";
}

/** "〔2026〕第3号 11月27日 公章 关于…的报告 3份 报县财政局 — 申请人 甲，批准人 李主任". */
function registerLine(app: App, entry: EntryRow, locale: Locale): string {
  const p = zonedParts(entry.createdAt, app.config.timeZone);
  const line = t(locale, "seal.registerLine", {
    number: registerNumber(entry, locale),
    date: t(locale, "seal.date", { month: p.month, day: p.day }),
    seal: sealLabel(entry.seal, locale),
    document: entry.document,
    copies: entry.copies,
    purpose: entry.purpose,
    requester: entry.request.requester.name,
    approvers: approversOf(entry, locale),
  });
  // Withdrawn after approval: the number stays taken (no gaps), the register says the paper was not stamped for it.
  return entry.request.status === "cancelled" ? `${line}${t(locale, "seal.withdrawnNote")}` : line;
}

const COLUMNS = ["number", "date", "seal", "document", "copies", "purpose", "requester", "approver"] as const;

/** The register as an RFC 4180 CSV file: UTF-8 BOM (Excel and WPS read it as GBK otherwise), CRLF, header in `locale`. */
function registerCsv(app: App, entries: readonly EntryRow[], locale: Locale): string {
  const header = COLUMNS.map((c) => t(locale, `seal.col.${c}` as MessageKey));
  const lines = entries.map((e) => [
    registerNumber(e, locale),
    isoDate(zonedParts(e.createdAt, app.config.timeZone)),
    sealLabel(e.seal, locale),
    e.document,
    String(e.copies),
    e.purpose,
    e.request.requester.name,
    approversOf(e, locale),
  ]);
  return csvFile([header, ...lines]);
}


/** Registers /seal, /seal_register, /seal_export and the numbering of approved seal requests. */
export function registerSeal(app: App): void {
  const { router } = app.bot;
  // The hook map in approval.ts is per process: the runtime registered last numbers the entries. Numbering is a
  // job of its own, so a failure right after the approval (the database away a moment) is retried with backoff
  // rather than lost; at start and after Redis lost its jobs, approved requests without a number get their job back.
  onApproved("seal", (request) => scheduleRegister(app, request.id));
  app.scheduler.handle(SEAL_REGISTER, async ({ requestId }) => {
    const request = await loadRequest(app, Number(requestId));
    if (request.status === "approved") await register(app, request);
  });
  app.scheduler.reconcileWith(async () => {
    const unnumbered = await app.prisma.request.findMany({ where: { kind: "seal", status: "approved", seal: null }, select: { id: true } });
    let created = 0;
    for (const r of unnumbered) if (await app.scheduler.ensure(SEAL_REGISTER, registerJobId(r.id), { requestId: r.id }, app.clock.now())) created++;
    return created;
  });

  router.command({
    name: "seal",
    aliases: ["用印", "用印申请", "申请用印", "盖章", "申请盖章"],
    audience: "roster",
    summary: "seal.summary",
    usage: "seal.usage",
    async run(ctx) {
      const form = parseSealForm(ctx.args);
      if (!form) return usage(ctx);
      const approvers = await sealApprovers(app, ctx.member!.id);
      if (approvers.length === 0) throw new UserError("seal.noApprover");
      const json = form as unknown as Prisma.JsonObject;
      const request = await fileRequest(app, ctx.member!, { kind: "seal", form: json, reason: form.purpose, approvers }, (locale) => sealSummary({ form: json }, locale));
      const approver = request.steps[0]!.approver.name;
      await ctx.reply(`${ctx.t("seal.filed", { id: request.id, approver })}\n${sealSummary(request, ctx.locale)}`);
    },
  });

  const rangeOf = async (ctx: CommandContext): Promise<Range | undefined> => {
    const range = parseRange(app, ctx.args);
    if (!range) await usage(ctx);
    return range;
  };

  router.command({
    name: "seal_register",
    aliases: ["用印登记", "用印台账", "seal-register"], // Telegram commands cannot contain "-"
    audience: REGISTER_AUDIENCE,
    summary: "seal.register.summary",
    usage: "seal.register.usage",
    async run(ctx) {
      const range = await rangeOf(ctx);
      if (!range) return;
      const entries = await entriesIn(app, range);
      const label = rangeLabel(range, ctx.locale);
      if (entries.length === 0) return void (await ctx.reply(ctx.t("seal.registerEmpty", { range: label })));
      // A message holds ~4,096 characters: show the newest entries that fit and point to the export for the rest.
      const lines: string[] = [];
      let size = 0;
      for (const entry of [...entries].reverse()) {
        const line = registerLine(app, entry, ctx.locale);
        if (size + line.length + 1 > LISTING_LIMIT) break;
        lines.unshift(line);
        size += line.length + 1;
      }
      const heading = ctx.t("seal.registerHeading", { range: label, count: entries.length });
      const more = lines.length < entries.length ? [ctx.t("seal.registerTruncated", { shown: lines.length, count: entries.length })] : [];
      await ctx.reply([heading, ...lines, ...more].join("\n"));
    },
  });

  router.command({
    name: "seal_export",
    aliases: ["导出用印登记", "导出用印台账", "seal-export"],
    audience: REGISTER_AUDIENCE,
    summary: "seal.export.summary",
    usage: "seal.export.usage",
    async run(ctx) {
      const range = await rangeOf(ctx);
      if (!range) return;
      const entries = await entriesIn(app, range);
      const csv = registerCsv(app, entries, ctx.locale);
      const caption = ctx.t("seal.exportFile", { range: rangeLabel(range, ctx.locale), rows: entries.length });
      const file = csvExport(app, "seal-register", csv, caption);
      await app.prisma.$transaction((tx) =>
        audit(tx, {
          actorId: ctx.member!.id, action: "seal.export", entity: "SealEntry",
          data: { rows: entries.length, from: range.from ? isoDate(range.from) : null, to: range.to ? isoDate(range.to) : null, file: file.filename },
        }),
      );
      await handOver(app, ctx, file);
    },
  });
}
