// `relay import roster.csv`: people and units from an office's spreadsheet, all or nothing.
// Offices keep their roster in Excel or WPS, so the CSV may be GBK, start with a BOM, or quote commas.
// A blank optional cell leaves that field as it is (a new person gets the default); accounts are only added.
import { readFile } from "node:fs/promises";
import { basename } from "node:path";
import { toLocale, type Locale } from "../../bot/i18n/index.ts";
import { nearestName } from "../../bot/nearest-name.ts";
import { parseRole, type Role } from "../../bot/roles.ts";
import { audit, type Tx } from "../../db/audit.ts";
import type { PrismaClient } from "../../db/database.ts";
import type { Person, Unit } from "../../generated/prisma/client.ts";

export interface ImportResult {
  ok: boolean;
  report: string;
  units: number;
  created: number;
  updated: number;
}

/** One person as the file describes them; a blank optional cell is `undefined`. */
export interface RosterRow {
  /** Line in the file where the row starts (a quoted cell may span lines). */
  line: number;
  name: string;
  unit: string;
  parentUnit?: string;
  role?: Role;
  supervisor?: string;
  telegram?: string;
  slack?: string;
  locale?: Locale;
}

export type RosterErrorCode = keyof typeof zhErrors;

export interface RosterError {
  line: number;
  code: RosterErrorCode;
  params?: Record<string, string | number>;
}

/** Rows that can be read, and everything wrong with the file; import only when `errors` is empty. */
export interface ParsedRoster {
  rows: RosterRow[];
  errors: RosterError[];
  /** Worth a look but not wrong (two people of one name in different units): reported, imported anyway. */
  warnings: RosterError[];
}

const zhErrors = {
  emptyFile: "文件是空的，第一行应为表头（姓名,单位,角色,…）",
  unclosedQuote: "从这一行开始的引号没有闭合",
  unknownColumn: "不认识的列名“{column}”，可用：姓名、单位（部门）、上级单位、角色、上级、telegram、slack、语言",
  duplicateColumn: "列名“{column}”出现了两次",
  missingNameColumn: "表头缺少“姓名”列",
  missingUnitColumn: "表头缺少“单位”列",
  strayCells: "有 {count} 个值不在任何列名之下；含逗号的值要用英文双引号括起来",
  missingName: "缺少姓名",
  missingUnit: "缺少单位",
  badRole: "角色“{role}”无效，应为 管理员/领导/秘书/成员 或 admin/leader/secretary/member",
  badTelegram: "telegram 号“{id}”应为纯数字",
  badSlack: "slack 账号“{id}”无效，应形如 U0123ABCD",
  badLocale: "语言“{locale}”无效，应为 中文 或 English",
  duplicateId: "{platform} 号 {id} 与第 {other} 行重复",
  idTaken: "{platform} 号 {id} 已绑定给名册中的另一人：{name}（#{person}）",
  selfSupervisor: "不能做自己的上级",
  unknownSupervisor: "上级“{name}”既不在本文件中，也不在名册中",
  ambiguousSupervisor: "上级“{name}”有 {count} 人同名，无法确定是哪一位",
  parentConflict: "单位“{unit}”的上级单位写作“{parent}”，与第 {other} 行的“{otherParent}”不一致",
  parentCycle: "上级单位形成循环：{path}",
  unitWouldMove: "单位“{unit}”已存在，且不在“{parent}”之下；导入不会移动已有单位，请删去或改正上级单位",
  lastAdmin: "{name} 是本单位能操作的管理员；导入会把其角色改为“{newRole}”，本单位将没有管理员。请把这一行的角色改为“管理员”或留空",
  parentTypo: "上级单位“{parent}”在本文件和名册中都没有，是不是“{near}”？若确是另一个新单位，请先在聊天中用“单位 添加 {parent}”建立，再导入",
  duplicatePerson: "与第 {other} 行同名同单位（{name}，{unit}），无法区分：若是同一人，请删去一行；若确是两人，请为两人都填上 telegram 或 slack 号",
  namesake: "与第 {other} 行的 {name}（{otherUnit}）同名，本行在 {unit}：将作为两人导入；作为上级时无法区分，在聊天中请用编号指定（“人员”可查看编号）",
  namesakeOnRoster: "名册中已有同名的 {name}（{unit}，#{person}），将另建一人；若是同一人调动了单位，请在这一行填上其 telegram 或 slack 号，导入会按账号找到并更新",
};

const enErrors: Record<RosterErrorCode, string> = {
  emptyFile: "the file is empty; its first line should be a header (name,unit,role,…)",
  unclosedQuote: "a quote opened on this line is never closed",
  unknownColumn: "unknown column \"{column}\"; known columns: name, unit, parent_unit, role, supervisor, telegram, slack, locale",
  duplicateColumn: "column \"{column}\" appears twice",
  missingNameColumn: "the header has no \"name\" column",
  missingUnitColumn: "the header has no \"unit\" column",
  strayCells: "{count} value(s) are not under any column; quote values that contain commas",
  missingName: "name is missing",
  missingUnit: "unit is missing",
  badRole: "role \"{role}\" is not one of admin, leader, secretary, member",
  badTelegram: "telegram id \"{id}\" is not numeric",
  badSlack: "slack id \"{id}\" does not look like U0123ABCD",
  badLocale: "locale \"{locale}\" is not zh-CN or en",
  duplicateId: "{platform} id {id} is also on line {other}",
  idTaken: "{platform} id {id} already belongs to someone else on the roster: {name} (#{person})",
  selfSupervisor: "cannot be their own supervisor",
  unknownSupervisor: "supervisor \"{name}\" is neither in this file nor on the roster",
  ambiguousSupervisor: "supervisor \"{name}\" is ambiguous: {count} people have that name",
  parentConflict: "unit \"{unit}\" has parent \"{parent}\" here but \"{otherParent}\" on line {other}",
  parentCycle: "parent units form a cycle: {path}",
  unitWouldMove: "unit \"{unit}\" already exists and is not under \"{parent}\"; importing does not move existing units, so remove or fix parent_unit",
  lastAdmin: "{name} is an admin who can act; importing would make them {newRole}, leaving the office without an admin. Make this line's role admin, or leave it blank",
  parentTypo: "parent unit \"{parent}\" is neither in this file nor on the roster; did you mean \"{near}\"? If it really is another, new unit, add it first in chat with /units add {parent}, then import",
  duplicatePerson: "same name and unit as line {other} ({name}, {unit}), so the two cannot be told apart: if it is one person, delete a line; if two, give both a telegram or slack id",
  namesake: "{name} ({unit}) has the same name as line {other} ({otherUnit}); imported as two people. As a supervisor the name is ambiguous; in chat name them by number (/people shows it)",
  namesakeOnRoster: "{name} is already on the roster in {unit} (#{person}); this adds a second person. If it is the same person moving units, put their telegram or slack id on this line: the import finds them by it and updates them",
};

const reports = {
  "zh-CN": {
    line: (line: number) => `第 ${line} 行：`,
    done: (c: Counts) => `导入完成：新建 ${c.units} 个单位，新增 ${c.created} 人，更新 ${c.updated} 人。`,
    failed: (count: number) => `未导入任何数据，请改正以下 ${count} 处错误后重试：`,
    unreadable: (file: string, why: string) => `无法读取文件 ${file}：${why}`,
    warnings: "请注意：",
    noAdmin: (example: string) =>
      `下一步：名册中还没有管理员。启动 Relay（npm start，或已安装时 relay start）后，在与 Relay 的私聊中发送：/setup 姓名 [单位]，成为第一位管理员；名册中已有的人会关联到自己的记录，例如：/setup ${example}`,
    adminWithoutAccount: (name: string) => `下一步：管理员 ${name} 还没有聊天账号。启动 Relay（npm start，或已安装时 relay start）后，请 ${name} 在与 Relay 的私聊中发送：/setup ${name}，把自己的账号关联到名册中的这条记录。`,
    adminReady: (names: string) => `管理员 ${names} 已有聊天账号，可直接在聊天中使用 Relay。`,
    withoutAccount: (count: number) => `名册中 ${count} 人还没有聊天账号：管理员或秘书用“邀请 姓名”为他们生成邀请码，加入后关联到原记录。`,
  },
  en: {
    line: (line: number) => `line ${line}: `,
    done: (c: Counts) => `Imported: ${plural(c.units, "unit")} created, ${plural(c.created, "person", "people")} added, ${c.updated} updated.`,
    failed: (count: number) => `Nothing was imported; fix ${count === 1 ? "this problem" : `these ${count} problems`} and try again:`,
    unreadable: (file: string, why: string) => `cannot read ${file}: ${why}`,
    warnings: "Please note:",
    noAdmin: (example: string) =>
      `Next: the roster has no admin yet. Start Relay (npm start, or relay start when installed) and, in a direct chat with it, send /setup NAME [OFFICE] to become the first admin; someone already on the roster is linked to their entry, e.g. /setup ${example}`,
    adminWithoutAccount: (name: string) => `Next: the admin ${name} has no chat account yet. Start Relay (npm start, or relay start when installed); ${name} then sends /setup ${name} in a direct chat with it, which links their account to this roster entry.`,
    adminReady: (names: string) => `The admin ${names} already has a chat account and can use Relay in chat now.`,
    withoutAccount: (count: number) => `${plural(count, "person", "people")} on the roster have no chat account yet: an admin or secretary gives each an invite code with /invite NAME; joining links them to their entry.`,
  },
};

const roleWords: Record<Locale, Record<Role, string>> = {
  "zh-CN": { admin: "管理员", leader: "领导", secretary: "秘书", member: "成员" },
  en: { admin: "an admin", leader: "a leader", secretary: "a secretary", member: "a member" },
};

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}

/** One problem as a line of the report, e.g. "第 4 行：缺少姓名". */
export function formatRosterError(error: RosterError, locale: Locale): string {
  const template = (locale === "en" ? enErrors : zhErrors)[error.code];
  const params = { ...error.params };
  if (typeof params.newRole === "string") params.newRole = roleWords[locale][params.newRole as Role];
  return reports[locale].line(error.line) + template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}

// ---------------------------------------------------------------------------------------------------
// Reading the file

/** The text of a roster file saved as UTF-8 (with or without BOM) or, as Excel/WPS do on Chinese Windows, GBK. */
export function decodeRoster(bytes: Uint8Array): string {
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes); // drops a BOM
  } catch {
    return new TextDecoder("gb18030").decode(bytes); // a superset of GBK and GB2312
  }
}

interface CsvRecord {
  line: number;
  cells: string[];
}

/** RFC 4180 records (of text with "\n" line ends), each with the line it starts on; lenient about a stray quote inside a cell. */
function readCsv(text: string): { records: CsvRecord[]; unclosedQuoteLine?: number } {
  const records: CsvRecord[] = [];
  let cells: string[] = [];
  let cell = "";
  let quoted = false;
  let line = 1;
  let start = 1;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') quoted = false;
      else cell += c;
      if (c === "\n") line++;
    } else if (c === '"' && cell === "") {
      quoted = true;
    } else if (c === ",") {
      cells.push(cell);
      cell = "";
    } else if (c === "\n") {
      records.push({ line: start, cells: [...cells, cell] });
      cells = [];
      cell = "";
      start = ++line;
    } else {
      cell += c;
    }
  }
  if (quoted) return { records, unclosedQuoteLine: start };
  records.push({ line: start, cells: [...cells, cell] });
  return { records };
}

type Field = "name" | "unit" | "parentUnit" | "role" | "supervisor" | "telegram" | "slack" | "locale";

const headerNames: Record<string, Field> = {
  name: "name", 姓名: "name",
  unit: "unit", 单位: "unit", 部门: "unit",
  parent_unit: "parentUnit", 上级单位: "parentUnit",
  role: "role", 角色: "role",
  supervisor: "supervisor", 上级: "supervisor",
  telegram: "telegram",
  slack: "slack",
  locale: "locale", 语言: "locale",
};

// Slack user ids start with U, or W on Enterprise Grid.
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;

/** Reads and checks a roster CSV without touching the database: every problem, by line number. */
export function parseRoster(text: string): ParsedRoster {
  const { records, unclosedQuoteLine } = readCsv(text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n"));
  const errors: RosterError[] = unclosedQuoteLine ? [{ line: unclosedQuoteLine, code: "unclosedQuote" }] : [];
  // Excel writes an empty spreadsheet row as ",,,,", so a row of blank cells is a blank line too.
  const [header, ...data] = records.filter((r) => r.cells.some((c) => c.trim() !== ""));
  if (!header) return { rows: [], errors: errors.length ? errors : [{ line: 1, code: "emptyFile" }], warnings: [] };
  const columns = readHeader(header, errors);
  if (!columns) return { rows: [], errors: byLine(errors), warnings: [] };
  const rows = data.flatMap((record) => readRow(record, columns, errors) ?? []);
  const namesakes = namesakesInFile(rows);
  errors.push(...duplicateIds(rows), ...namesakes.errors, ...supervisorsInFile(rows), ...unitTreeErrors(rows));
  return { rows, errors: byLine(errors), warnings: namesakes.warnings };
}

/** The field of each column (undefined for an unnamed one), or undefined when the header is unusable. */
function readHeader({ line, cells }: CsvRecord, errors: RosterError[]): (Field | undefined)[] | undefined {
  const before = errors.length;
  const columns = cells.map((cell) => {
    const column = cell.trim();
    const field = headerNames[column.toLowerCase().replace(/[\s-]+/g, "_")];
    if (column && !field) errors.push({ line, code: "unknownColumn", params: { column } });
    return field;
  });
  columns.forEach((field, i) => {
    if (field && columns.indexOf(field) !== i) errors.push({ line, code: "duplicateColumn", params: { column: cells[i]!.trim() } });
  });
  if (!columns.includes("name")) errors.push({ line, code: "missingNameColumn" });
  if (!columns.includes("unit")) errors.push({ line, code: "missingUnitColumn" });
  return errors.length === before ? columns : undefined;
}

/** A data row, checked cell by cell; undefined when it lacks a name or unit (the error is recorded). */
function readRow({ line, cells }: CsvRecord, columns: (Field | undefined)[], errors: RosterError[]): RosterRow | undefined {
  const value: Partial<Record<Field, string>> = {};
  let stray = 0;
  cells.forEach((cell, i) => {
    const field = columns[i];
    if (field && cell.trim()) value[field] = cell.trim();
    else if (!field && cell.trim()) stray++;
  });
  const problem = (code: RosterErrorCode, params?: RosterError["params"]) => errors.push({ line, code, params });
  if (stray) problem("strayCells", { count: stray });
  if (!value.name) problem("missingName");
  if (!value.unit) problem("missingUnit");

  const role = value.role === undefined ? undefined : parseRole(value.role);
  if (value.role && !role) problem("badRole", { role: value.role });
  const telegram = value.telegram && /^\d+$/.test(value.telegram) ? value.telegram : undefined;
  if (value.telegram && !telegram) problem("badTelegram", { id: value.telegram });
  const slack = value.slack && SLACK_USER_ID.test(value.slack.toUpperCase()) ? value.slack.toUpperCase() : undefined;
  if (value.slack && !slack) problem("badSlack", { id: value.slack });
  const locale = toLocale(value.locale);
  if (value.locale && !locale) problem("badLocale", { locale: value.locale });

  if (!value.name || !value.unit) return undefined;
  return { line, name: value.name, unit: value.unit, parentUnit: value.parentUnit, role, supervisor: value.supervisor, telegram, slack, locale };
}

type PlatformId = { platform: "telegram" | "slack"; externalId: string };

function platformIds(row: RosterRow): PlatformId[] {
  const ids: PlatformId[] = [];
  if (row.telegram) ids.push({ platform: "telegram", externalId: row.telegram });
  if (row.slack) ids.push({ platform: "slack", externalId: row.slack });
  return ids;
}

const idKey = (id: { platform: string; externalId: string }) => `${id.platform}:${id.externalId}`;

function duplicateIds(rows: RosterRow[]): RosterError[] {
  const firstLine = new Map<string, number>();
  const errors: RosterError[] = [];
  for (const row of rows) {
    for (const id of platformIds(row)) {
      const other = firstLine.get(idKey(id));
      if (other === undefined) firstLine.set(idKey(id), row.line);
      else errors.push({ line: row.line, code: "duplicateId", params: { platform: id.platform, id: id.externalId, other } });
    }
  }
  return errors;
}

function rowsByName(rows: RosterRow[]): Map<string, RosterRow[]> {
  const byName = new Map<string, RosterRow[]>();
  for (const row of rows) byName.set(row.name, [...(byName.get(row.name) ?? []), row]);
  return byName;
}

/**
 * Two rows of one name. Offices do have namesakes, so in different units (or told apart by their accounts)
 * they are two people, with a warning; in one unit with nothing to tell them apart, it is most likely a
 * line pasted twice, and a later import could not know which is which: an error.
 */
function namesakesInFile(rows: RosterRow[]): { errors: RosterError[]; warnings: RosterError[] } {
  const errors: RosterError[] = [];
  const warnings: RosterError[] = [];
  for (const same of rowsByName(rows).values()) {
    same.forEach((row, i) => {
      const first = same.slice(0, i).find((earlier) => earlier.unit === row.unit && (platformIds(earlier).length === 0 || platformIds(row).length === 0));
      if (first) errors.push({ line: row.line, code: "duplicatePerson", params: { other: first.line, name: row.name, unit: row.unit } });
      else if (i > 0) warnings.push({ line: row.line, code: "namesake", params: { other: same[0]!.line, name: row.name, unit: row.unit, otherUnit: same[0]!.unit } });
    });
  }
  return { errors, warnings };
}

/** Supervisors named in the file: not oneself, not two people of that name. Others are checked against the roster. */
function supervisorsInFile(rows: RosterRow[]): RosterError[] {
  const byName = rowsByName(rows);
  return rows.flatMap((row): RosterError[] => {
    const namesakes = row.supervisor ? (byName.get(row.supervisor) ?? []) : [];
    if (namesakes.length > 1) return [{ line: row.line, code: "ambiguousSupervisor", params: { name: row.supervisor!, count: namesakes.length } }];
    if (namesakes[0] === row) return [{ line: row.line, code: "selfSupervisor" }];
    return [];
  });
}

type ParentOf = Map<string, { parent: string; line: number }>;

/** Each unit's parent as the file declares it, and the rows that contradict an earlier declaration. */
function declaredParents(rows: RosterRow[]): { parents: ParentOf; conflicts: RosterError[] } {
  const parents: ParentOf = new Map();
  const conflicts: RosterError[] = [];
  for (const { unit, parentUnit, line } of rows) {
    if (!parentUnit) continue;
    const earlier = parents.get(unit);
    if (!earlier) parents.set(unit, { parent: parentUnit, line });
    else if (earlier.parent !== parentUnit) {
      conflicts.push({ line, code: "parentConflict", params: { unit, parent: parentUnit, other: earlier.line, otherParent: earlier.parent } });
    }
  }
  return { parents, conflicts };
}

function unitTreeErrors(rows: RosterRow[]): RosterError[] {
  const { parents, conflicts } = declaredParents(rows);
  return [...conflicts, ...parentCycles(parents)];
}

/** Each cycle once, at the line of its first declared unit. */
function parentCycles(parents: ParentOf): RosterError[] {
  const errors: RosterError[] = [];
  const inCycle = new Set<string>();
  for (const [start, { line }] of parents) {
    const path = [start];
    for (let unit = parents.get(start)?.parent; unit !== undefined && !inCycle.has(unit); unit = parents.get(unit)?.parent) {
      if (unit === start) {
        path.forEach((u) => inCycle.add(u));
        errors.push({ line, code: "parentCycle", params: { path: [...path, start].join(" → ") } });
        break;
      }
      if (path.includes(unit)) break; // a cycle further up, reported from one of its own units
      path.push(unit);
    }
  }
  return errors;
}

function byLine(errors: RosterError[]): RosterError[] {
  return [...errors].sort((a, b) => a.line - b.line);
}

// ---------------------------------------------------------------------------------------------------
// Checking against the roster, then writing

interface UnitRef {
  id: number;
  name: string;
  parentId: number | null;
}

/** What the database already holds that the file refers to, read once inside the transaction. */
interface Snapshot {
  units: Map<string, UnitRef>;
  /** The person bound to each platform id in the file, by `platform:externalId`. */
  owners: Map<string, Person>;
  /** Active people named in the file, as people or as supervisors, oldest first. */
  namesakes: Map<string, Person[]>;
  /** Ids of the admins who can act (active, with a chat account). */
  actingAdmins: Set<number>;
}

async function loadSnapshot(tx: Tx, rows: RosterRow[]): Promise<Snapshot> {
  const units = await tx.unit.findMany({ select: { id: true, name: true, parentId: true } });
  const ids = rows.flatMap(platformIds);
  const idsOn = (platform: PlatformId["platform"]) => ids.filter((id) => id.platform === platform).map((id) => id.externalId);
  const identities = await tx.identity.findMany({
    where: { OR: [{ platform: "telegram", externalId: { in: idsOn("telegram") } }, { platform: "slack", externalId: { in: idsOn("slack") } }] },
    include: { person: true },
  });
  const names = [...new Set(rows.flatMap((r) => (r.supervisor ? [r.name, r.supervisor] : [r.name])))];
  const people = await tx.person.findMany({ where: { active: true, name: { in: names } }, orderBy: { id: "asc" } });
  const namesakes = new Map<string, Person[]>();
  for (const p of people) namesakes.set(p.name, [...(namesakes.get(p.name) ?? []), p]);
  const admins = await tx.person.findMany({ where: { role: "admin", active: true, identities: { some: {} } }, select: { id: true } });
  return {
    units: new Map(units.map((u) => [u.name, u])),
    owners: new Map(identities.map((i) => [idKey(i), i.person])),
    namesakes,
    actingAdmins: new Set(admins.map((a) => a.id)),
  };
}

/** A supervisor is a row of this file or someone already on the roster. */
type SupervisorRef = { row: RosterRow } | { person: Person };

interface PersonPlan {
  row: RosterRow;
  /** The roster person this row describes; undefined means a new person. */
  person?: Person;
  newIdentities: PlatformId[];
  supervisor?: SupervisorRef;
}

/** Matches rows to roster people and finds what only the database can tell is wrong. */
function planImport(rows: RosterRow[], snapshot: Snapshot): { people: PersonPlan[]; errors: RosterError[]; warnings: RosterError[] } {
  const errors: RosterError[] = [];
  const people: PersonPlan[] = rows.map((row) => ({
    row,
    person: matchByIdentity(row, snapshot, errors),
    newIdentities: platformIds(row).filter((id) => !snapshot.owners.has(idKey(id))),
  }));
  // Identity matches first, so a name+unit match never takes someone another row is bound to.
  const claimed = new Set(people.flatMap((p) => (p.person ? [p.person.id] : [])));
  for (const plan of people) plan.person ??= matchByNameAndUnit(plan.row, snapshot, claimed);
  const byName = rowsByName(rows);
  for (const plan of people) plan.supervisor = resolveSupervisor(plan.row, byName, snapshot, errors);
  errors.push(...unitsThatWouldMove(rows, snapshot), ...mistypedParents(rows, snapshot), ...lastAdminsDemoted(people, snapshot));
  return { people, errors, warnings: namesakesOnRoster(people, snapshot) };
}

/**
 * Rows that would take the admin role from every admin who can act, say re-importing the file a leader was
 * in after they ran /setup: the office would be left without an admin, so the file must say so instead.
 */
function lastAdminsDemoted(people: PersonPlan[], snapshot: Snapshot): RosterError[] {
  const demoted = people.filter((p) => p.person && snapshot.actingAdmins.has(p.person.id) && p.row.role && p.row.role !== "admin");
  if (demoted.length === 0 || demoted.length < snapshot.actingAdmins.size) return [];
  return demoted.map(({ row }) => ({ line: row.line, code: "lastAdmin" as const, params: { name: row.name, newRole: row.role! } }));
}

/** A new person whose name someone on the roster already has (elsewhere): two people now, which may be a move. */
function namesakesOnRoster(people: PersonPlan[], snapshot: Snapshot): RosterError[] {
  const taken = new Set(people.flatMap((p) => (p.person ? [p.person.id] : [])));
  return people.flatMap(({ row, person }): RosterError[] => {
    if (person) return [];
    const other = snapshot.namesakes.get(row.name)?.find((p) => !taken.has(p.id));
    if (!other) return [];
    const unit = [...snapshot.units.values()].find((u) => u.id === other.unitId)?.name ?? "—";
    return [{ line: row.line, code: "namesakeOnRoster", params: { name: row.name, unit, person: other.id } }];
  });
}

/** The person the row's platform ids are bound to. An id bound to someone of another name is an error, not a rename. */
function matchByIdentity(row: RosterRow, snapshot: Snapshot, errors: RosterError[]): Person | undefined {
  let match: Person | undefined;
  for (const id of platformIds(row)) {
    const owner = snapshot.owners.get(idKey(id));
    if (!owner) continue;
    if (owner.name === row.name && (!match || match.id === owner.id)) match = owner;
    else errors.push({ line: row.line, code: "idTaken", params: { platform: id.platform, id: id.externalId, name: owner.name, person: owner.id } });
  }
  return match;
}

function matchByNameAndUnit(row: RosterRow, snapshot: Snapshot, claimed: Set<number>): Person | undefined {
  const unitId = snapshot.units.get(row.unit)?.id;
  if (unitId === undefined) return undefined; // a new unit has nobody in it yet
  const match = snapshot.namesakes.get(row.name)?.find((p) => p.unitId === unitId && !claimed.has(p.id));
  if (match) claimed.add(match.id);
  return match;
}

function resolveSupervisor(row: RosterRow, byName: Map<string, RosterRow[]>, snapshot: Snapshot, errors: RosterError[]): SupervisorRef | undefined {
  const name = row.supervisor;
  if (!name) return undefined;
  const inFile = byName.get(name) ?? [];
  // Self and two-in-the-file were reported by parseRoster.
  if (inFile.length > 0) return inFile.length === 1 && inFile[0] !== row ? { row: inFile[0]! } : undefined;
  const onRoster = snapshot.namesakes.get(name) ?? [];
  if (onRoster.length === 1) return { person: onRoster[0]! };
  if (onRoster.length === 0) errors.push({ line: row.line, code: "unknownSupervisor", params: { name } });
  else errors.push({ line: row.line, code: "ambiguousSupervisor", params: { name, count: onRoster.length } });
  return undefined;
}

/** Existing units keep their place: moving one would move everyone under it, which a roster file should not do. */
function unitsThatWouldMove(rows: RosterRow[], snapshot: Snapshot): RosterError[] {
  const { parents } = declaredParents(rows);
  const errors: RosterError[] = [];
  for (const [unit, { parent, line }] of parents) {
    const existing = snapshot.units.get(unit);
    const parentId = snapshot.units.get(parent)?.id;
    if (existing && (parentId === undefined || existing.parentId !== parentId)) {
      errors.push({ line, code: "unitWouldMove", params: { unit, parent } });
    }
  }
  return errors;
}

/**
 * A parent unit that no row belongs to and the roster does not have would be created, empty, wherever it
 * lands (a new top-level unit, in a fresh office); one a slip away from a known unit is a typo ("党证办").
 */
function mistypedParents(rows: RosterRow[], snapshot: Snapshot): RosterError[] {
  const known = [...new Set([...rows.map((r) => r.unit), ...snapshot.units.keys()])];
  return rows.flatMap((row): RosterError[] => {
    if (!row.parentUnit || known.includes(row.parentUnit)) return [];
    const near = nearestName(row.parentUnit, known);
    return near ? [{ line: row.line, code: "parentTypo", params: { parent: row.parentUnit, near } }] : [];
  });
}

interface Counts {
  units: number;
  created: number;
  updated: number;
}

type Change = { from: string | number | boolean | null; to: string | number | boolean | null };
type Tracked = Pick<Person, "role" | "unitId" | "supervisorId" | "locale" | "active">;

/** The fields of `wanted` that differ from `current`; undefined in `wanted` means "leave as is". */
function changesTo(current: Tracked, wanted: Partial<Tracked>): Partial<Record<keyof Tracked, Change>> {
  const changes: Partial<Record<keyof Tracked, Change>> = {};
  for (const key of Object.keys(wanted) as (keyof Tracked)[]) {
    const to = wanted[key];
    if (to !== undefined && to !== current[key]) changes[key] = { from: current[key], to };
  }
  return changes;
}

interface Saved {
  plan: PersonPlan;
  id: number;
  created: boolean;
  changes: Partial<Record<keyof Tracked, Change>>;
}

const isUpdate = (s: Saved) => !s.created && (Object.keys(s.changes).length > 0 || s.plan.newIdentities.length > 0);

/**
 * Writes the plan: units, then people and identities, then supervisors (who may appear later in the file), then
 * audit, last, since the audit chain's lock is held from the first audit to the commit.
 */
async function applyImport(tx: Tx, plans: PersonPlan[], snapshot: Snapshot, actorId: number | null): Promise<Counts> {
  const rows = plans.map((p) => p.row);
  const { unitIds, created: newUnits } = await createUnits(tx, rows, snapshot);
  const saved: Saved[] = [];
  for (const plan of plans) saved.push(await savePerson(tx, plan, unitIds.get(plan.row.unit)!));
  const idOfRow = new Map(saved.map((s) => [s.plan.row, s.id]));
  for (const s of saved) await saveSupervisor(tx, s, idOfRow);
  for (const unit of newUnits) await audit(tx, { actorId, action: "unit.create", entity: "Unit", entityId: unit.id, data: { name: unit.name, parentId: unit.parentId } });
  for (const s of saved) await auditPerson(tx, s, actorId);
  const created = saved.filter((s) => s.created).length;
  const updated = saved.filter(isUpdate).length;
  return { units: newUnits.length, created, updated };
}

/** Creates the units the file names that do not exist yet, parents first. */
async function createUnits(tx: Tx, rows: RosterRow[], snapshot: Snapshot): Promise<{ unitIds: Map<string, number>; created: Unit[] }> {
  const unitIds = new Map([...snapshot.units].map(([name, u]) => [name, u.id]));
  const { parents } = declaredParents(rows);
  // Like /unit add: a unit with no parent goes under the office's root, when there is exactly one.
  const roots = [...snapshot.units.values()].filter((u) => u.parentId === null);
  const defaultParentId = roots.length === 1 ? roots[0]!.id : null;
  const created: Unit[] = [];
  const ensure = async (name: string): Promise<number> => {
    const known = unitIds.get(name);
    if (known !== undefined) return known;
    const parent = parents.get(name)?.parent;
    const parentId = parent ? await ensure(parent) : defaultParentId;
    const unit = await tx.unit.create({ data: { name, parentId } });
    unitIds.set(name, unit.id);
    created.push(unit);
    return unit.id;
  };
  for (const row of rows) await ensure(row.unit);
  return { unitIds, created };
}

async function savePerson(tx: Tx, plan: PersonPlan, unitId: number): Promise<Saved> {
  const { row, person } = plan;
  let saved: Saved;
  if (person) {
    // A deactivated person whose account is in the file is back on the roster.
    const wanted = { role: row.role, unitId, locale: row.locale, active: true };
    const changes = changesTo(person, wanted);
    // Prisma skips undefined fields, so blank cells stay as they are.
    if (Object.keys(changes).length > 0) await tx.person.update({ where: { id: person.id }, data: wanted });
    saved = { plan, id: person.id, created: false, changes };
  } else {
    const created = await tx.person.create({ data: { name: row.name, role: row.role ?? "member", unitId, locale: row.locale ?? null } });
    saved = { plan, id: created.id, created: true, changes: {} };
  }
  for (const id of plan.newIdentities) await tx.identity.create({ data: { personId: saved.id, ...id } });
  return saved;
}

async function saveSupervisor(tx: Tx, saved: Saved, idOfRow: Map<RosterRow, number>): Promise<void> {
  const target = saved.plan.supervisor;
  if (!target) return;
  const supervisorId = "row" in target ? idOfRow.get(target.row)! : target.person.id;
  const current = saved.plan.person?.supervisorId ?? null;
  if (supervisorId === current) return;
  await tx.person.update({ where: { id: saved.id }, data: { supervisorId } });
  if (!saved.created) saved.changes.supervisorId = { from: current, to: supervisorId };
}

async function auditPerson(tx: Tx, saved: Saved, actorId: number | null): Promise<void> {
  const { row, newIdentities } = saved.plan;
  const identities = newIdentities.map(idKey);
  if (saved.created) {
    const data = { name: row.name, role: row.role ?? "member", unit: row.unit, supervisor: row.supervisor ?? null, identities };
    await audit(tx, { actorId, action: "roster.import.create", entity: "Person", entityId: saved.id, data });
  } else if (isUpdate(saved)) {
    const data = { name: row.name, changes: saved.changes, identities };
    await audit(tx, { actorId, action: "roster.import.update", entity: "Person", entityId: saved.id, data });
  }
}

// Serialises imports: two at once would each see the other's new people as missing and create them twice.
const IMPORT_LOCK = 7_265_002;

/** Imports people and units from a roster CSV file; all or nothing. */
export async function importRoster(
  prisma: PrismaClient,
  file: string,
  opts: { actorId?: number | null; locale?: "zh-CN" | "en" } = {},
): Promise<ImportResult> {
  const locale = opts.locale ?? "zh-CN";
  const actorId = opts.actorId ?? null;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    return { ok: false, report: reports[locale].unreadable(file, (error as Error).message), units: 0, created: 0, updated: 0 };
  }
  const parsed = parseRoster(decodeRoster(bytes));
  return prisma.$transaction(
    async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${IMPORT_LOCK})`;
      const snapshot = await loadSnapshot(tx, parsed.rows);
      const plan = planImport(parsed.rows, snapshot);
      const errors = byLine([...parsed.errors, ...plan.errors]);
      const noted = byLine([...parsed.warnings, ...plan.warnings]);
      const warnings = noted.length ? [reports[locale].warnings, ...noted.map((w) => formatRosterError(w, locale))] : [];
      if (errors.length > 0) return failure(errors, locale, warnings);
      const counts = await applyImport(tx, plan.people, snapshot, actorId);
      await audit(tx, { actorId, action: "roster.import", entity: "Roster", data: { file: basename(file), rows: parsed.rows.length, ...counts } });
      return { ok: true, report: [reports[locale].done(counts), ...warnings, ...(await nextSteps(tx, locale))].join("\n"), ...counts };
    },
    // Each row is a few statements; a big county roster on a slow disk needs more than the 5 s default.
    { maxWait: 30_000, timeout: 300_000 },
  );
}

/**
 * What to do after importing: who can become the first admin and how (an imported roster has people but
 * nobody who can act as admin until someone runs /setup), and how the people without accounts join.
 */
async function nextSteps(tx: Tx, locale: Locale): Promise<string[]> {
  const words = reports[locale];
  const admins = await tx.person.findMany({ where: { role: "admin", active: true }, include: { _count: { select: { identities: true } } }, orderBy: { id: "asc" } });
  const acting = admins.filter((a) => a._count.identities > 0);
  const withoutAccount = await tx.person.count({ where: { active: true, identities: { none: {} } } });
  const lines: string[] = [];
  if (acting.length > 0) lines.push(words.adminReady(acting.map((a) => a.name).join(locale === "en" ? ", " : "、")));
  else if (admins.length > 0) return [words.adminWithoutAccount(admins[0]!.name)];
  else return [words.noAdmin(await setupExample(tx))];
  if (withoutAccount > 0) lines.push(words.withoutAccount(withoutAccount));
  return lines;
}

/** "陈建国 青石镇": the principal leader (a leader of the root unit), else the first leader, else the first person, with the office. */
async function setupExample(tx: Tx): Promise<string> {
  const roots = await tx.unit.findMany({ where: { parentId: null }, orderBy: { id: "asc" }, take: 2 });
  const root = roots.length === 1 ? roots[0]! : undefined;
  const person =
    (root && (await tx.person.findFirst({ where: { active: true, role: "leader", unitId: root.id }, orderBy: { id: "asc" } }))) ||
    (await tx.person.findFirst({ where: { active: true, role: "leader" }, orderBy: { id: "asc" } })) ||
    (await tx.person.findFirst({ where: { active: true }, orderBy: { id: "asc" } }));
  return [person?.name ?? "", root?.name ?? ""].filter(Boolean).join(" ");
}

function failure(errors: RosterError[], locale: Locale, warnings: string[]): ImportResult {
  const lines = errors.map((e) => formatRosterError(e, locale));
  return { ok: false, report: [reports[locale].failed(errors.length), ...lines, ...warnings].join("\n"), units: 0, created: 0, updated: 0 };
}
