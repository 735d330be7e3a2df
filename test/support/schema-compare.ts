// Compares the database the migrations built with prisma/schema.prisma — what `prisma migrate diff` would
// do if Prisma's schema engine could run here. The expected side comes from getDMMF (Prisma's own reading
// of the schema, offline), mapped to PostgreSQL the way Prisma's migrations map it; the actual side from
// pg_catalog in the connection's current schema. Each difference says what differs and, where there is
// one, the SQL a migration needs, so a forgotten migration can be written from the test output.
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import internals from "@prisma/internals";
import type { SqlRunner } from "../../src/db/database.ts";

type Datamodel = Awaited<ReturnType<typeof internals.getDMMF>>["datamodel"];
type Model = Datamodel["models"][number];
type Field = Model["fields"][number];

/** One way the database differs from schema.prisma, with the SQL that fixes it when there is one. */
export interface Difference {
  where: string;
  problem: string;
  fix?: string;
}

/** The tables, columns, keys, indexes, foreign keys and enums of one side of the comparison. */
export interface SchemaShape {
  enums: Map<string, string[]>;
  tables: Map<string, Table>;
}

interface Table {
  name: string;
  /** How messages name it: the model for the expected side, the table for the database. */
  label: string;
  columns: Column[];
  primaryKey: { name: string; columns: string[] } | null;
  indexes: Index[];
  foreignKeys: ForeignKey[];
}

interface Column {
  name: string;
  label: string;
  /** As `format_type` spells it ("text", "timestamp(3) without time zone"); enums as `"Name"`. */
  type: string;
  /** As Prisma writes it in migrations ("TEXT", "TIMESTAMP(3)", "SERIAL"); expected side only. */
  ddl?: string;
  notNull: boolean;
  /** Normalised SQL expression; null for none; undefined when not compared (list defaults). */
  default: string | null | undefined;
  /** Prisma's DDL for the default, when it differs from `default` (list defaults). */
  ddlDefault?: string;
  /** How schema.prisma declares the field, for "missing column" messages. */
  declaration?: string;
}

interface Index {
  name: string;
  columns: string[];
  unique: boolean;
}

interface ForeignKey {
  name: string;
  label: string;
  columns: string[];
  refTable: string;
  refColumns: string[];
  onDelete: string;
  onUpdate: string;
}

/** prisma/schema.prisma at the project root. */
export const schemaFile = fileURLToPath(new URL("../../prisma/schema.prisma", import.meta.url));

/** Differences between the database `sql` uses and `datamodel` (default: prisma/schema.prisma's text). */
export async function compareSchema(sql: SqlRunner, datamodel?: string): Promise<Difference[]> {
  const expected = await expectedShape(datamodel ?? (await readFile(schemaFile, "utf8")));
  return diffShapes(expected, await actualShape(sql));
}

/** `where: problem`, then the fix indented on the next line: what a failing drift test prints. */
export function formatDifference(d: Difference): string {
  return `${d.where}: ${d.problem}${d.fix ? `\n    ${d.fix.replace(/\n/g, "\n    ")}` : ""}`;
}

// ---------------------------------------------------------------------------------------------------
// Expected: schema.prisma as Prisma's migrations would lay it out in PostgreSQL.

// Prisma scalar → [format_type spelling, Prisma's DDL spelling].
const SCALARS: Record<string, [string, string]> = {
  String: ["text", "TEXT"],
  Int: ["integer", "INTEGER"],
  BigInt: ["bigint", "BIGINT"],
  Float: ["double precision", "DOUBLE PRECISION"],
  Decimal: ["numeric(65,30)", "DECIMAL(65,30)"],
  Boolean: ["boolean", "BOOLEAN"],
  DateTime: ["timestamp(3) without time zone", "TIMESTAMP(3)"],
  Json: ["jsonb", "JSONB"],
  Bytes: ["bytea", "BYTEA"],
};

// @db.X(args) → [format_type spelling, Prisma's DDL spelling].
const NATIVE: Record<string, (a: readonly string[]) => [string, string]> = {
  Text: () => ["text", "TEXT"],
  VarChar: (a) => (a[0] ? [`character varying(${a[0]})`, `VARCHAR(${a[0]})`] : ["character varying", "VARCHAR"]),
  Char: (a) => [`character(${a[0] ?? 1})`, `CHAR(${a[0] ?? 1})`],
  Uuid: () => ["uuid", "UUID"],
  SmallInt: () => ["smallint", "SMALLINT"],
  Integer: () => ["integer", "INTEGER"],
  BigInt: () => ["bigint", "BIGINT"],
  Real: () => ["real", "REAL"],
  DoublePrecision: () => ["double precision", "DOUBLE PRECISION"],
  Decimal: (a) => (a[0] ? [`numeric(${a[0]},${a[1] ?? 0})`, `DECIMAL(${a[0]},${a[1] ?? 0})`] : ["numeric", "DECIMAL"]),
  Timestamp: (a) => (a[0] ? [`timestamp(${a[0]}) without time zone`, `TIMESTAMP(${a[0]})`] : ["timestamp without time zone", "TIMESTAMP"]),
  Timestamptz: (a) => (a[0] ? [`timestamp(${a[0]}) with time zone`, `TIMESTAMPTZ(${a[0]})`] : ["timestamp with time zone", "TIMESTAMPTZ"]),
  Date: () => ["date", "DATE"],
  Json: () => ["json", "JSON"],
  JsonB: () => ["jsonb", "JSONB"],
  Boolean: () => ["boolean", "BOOLEAN"],
  ByteA: () => ["bytea", "BYTEA"],
};

const SERIALS: Record<string, string> = { integer: "SERIAL", bigint: "BIGSERIAL", smallint: "SMALLSERIAL" };

const ACTIONS: Record<string, string> = {
  Cascade: "CASCADE",
  Restrict: "RESTRICT",
  NoAction: "NO ACTION",
  SetNull: "SET NULL",
  SetDefault: "SET DEFAULT",
};

/** The shape `datamodel` (schema.prisma's text) asks for. */
export async function expectedShape(datamodel: string): Promise<SchemaShape> {
  const dm = (await internals.getDMMF({ datamodel })).datamodel;
  const enumsByName = new Map(dm.enums.map((e) => [e.name, e]));
  const models = new Map(dm.models.map((m) => [m.name, m]));
  const columnOf = (m: Model, field: string) => m.fields.find((f) => f.name === field)?.dbName ?? field;
  const enums = new Map(dm.enums.map((e) => [e.dbName ?? e.name, e.values.map((v) => v.dbName ?? v.name)]));
  const tables = new Map<string, Table>();

  for (const m of dm.models) {
    const name = m.dbName ?? m.name;
    const table: Table = { name, label: m.name, columns: [], primaryKey: null, indexes: [], foreignKeys: [] };
    for (const f of m.fields) {
      if (f.kind === "unsupported") throw unsupported(`${m.name}.${f.name}: Unsupported(...) type`);
      if (f.kind === "object") {
        if (isImplicitManyToMany(f, models)) throw unsupported(`${m.name}.${f.name}: implicit many-to-many relation`);
        if (f.relationFromFields?.length) table.foreignKeys.push(expectedForeignKey(m, f, models.get(f.type) as Model, columnOf));
        continue;
      }
      table.columns.push(expectedColumn(m, f, name, enumsByName));
    }
    for (const ix of dm.indexes.filter((i) => i.model === m.name)) {
      const columns = ix.fields.map((f) => columnOf(m, f.name));
      const ordered = ix.fields.map((f, i) => `${columns[i]}${f.sortOrder === "desc" ? " DESC" : ""}`);
      if (ix.type === "id") table.primaryKey = { name: ix.dbName ?? defaultName(name, [], "pkey"), columns };
      else if (ix.type === "fulltext") throw unsupported(`${m.name}: full-text index`);
      else {
        const unique = ix.type === "unique";
        table.indexes.push({ name: ix.dbName ?? defaultName(name, columns, unique ? "key" : "idx"), columns: ordered, unique });
      }
    }
    tables.set(name, table);
  }
  return { enums, tables };
}

function expectedColumn(m: Model, f: Field, table: string, enums: Map<string, Datamodel["enums"][number]>): Column {
  const name = f.dbName ?? f.name;
  const enumType = f.kind === "enum" ? enums.get(f.type) : undefined;
  let [type, ddl] = enumType ? [`"${enumType.dbName ?? enumType.name}"`, `"${enumType.dbName ?? enumType.name}"`] : scalarType(m, f);
  if (f.isList) [type, ddl] = [`${type}[]`, `${ddl}[]`];
  const enumValue = (v: unknown) => enumType?.values.find((x) => x.name === v)?.dbName ?? String(v);
  const d = f.default;
  let def: string | null | undefined = null;
  let ddlDefault: string | undefined;
  if (f.isUpdatedAt || d === undefined) def = null; // @updatedAt is set by Prisma Client, not the database
  else if (Array.isArray(d)) {
    def = undefined; // PostgreSQL prints array defaults in its own way: not compared, but rendered for fixes
    ddlDefault = `ARRAY[${d.map((v) => (enumType ? sqlString(enumValue(v)) : literal(f, v))).join(", ")}]::${ddl}`;
  } else if (typeof d === "object" && d !== null && "name" in d) {
    const fn = d as { name: string; args: readonly (string | number)[] };
    if (fn.name === "autoincrement") def = `nextval('${ident(defaultName(table, [name], "seq"))}'::regclass)`;
    else if (fn.name === "now") def = "CURRENT_TIMESTAMP";
    else if (fn.name === "dbgenerated") def = fn.args[0] === undefined ? null : String(fn.args[0]);
    else def = null; // uuid(), cuid(), nanoid(), ulid(): generated by Prisma Client
  } else def = enumType ? sqlString(enumValue(d)) : literal(f, d);

  const serial = def?.startsWith("nextval(") ? SERIALS[type] : undefined;
  const declaration = `${f.name} ${f.type}${f.isList ? "[]" : f.isRequired ? "" : "?"}`;
  return { name, label: `${m.name}.${f.name}`, type, ddl: serial ?? ddl, notNull: f.isRequired && !f.isList, default: def, ddlDefault, declaration };
}

function scalarType(m: Model, f: Field): [string, string] {
  if (f.nativeType) {
    const [native, args] = f.nativeType;
    const map = NATIVE[native];
    if (!map) throw unsupported(`${m.name}.${f.name}: @db.${native} (add it to NATIVE)`);
    return map(args);
  }
  const scalar = SCALARS[f.type];
  if (!scalar) throw unsupported(`${m.name}.${f.name}: type ${f.type} (add it to SCALARS)`);
  return scalar;
}

// Fails loudly rather than compare something half-understood.
function unsupported(what: string): Error {
  return new Error(`schema-compare does not handle ${what} yet; extend test/support/schema-compare.ts`);
}

function literal(f: Field, v: unknown): string {
  if (typeof v === "string" && !["Int", "BigInt", "Float", "Decimal"].includes(f.type)) return sqlString(v);
  return String(v);
}

function expectedForeignKey(m: Model, f: Field, target: Model, columnOf: (m: Model, field: string) => string): ForeignKey {
  const table = m.dbName ?? m.name;
  const columns = (f.relationFromFields ?? []).map((c) => columnOf(m, c));
  return {
    name: defaultName(table, columns, "fkey"), // `@relation(map:)` is not in the DMMF: matched by columns too
    label: `${m.name}.${f.name}`,
    columns,
    refTable: target.dbName ?? target.name,
    refColumns: (f.relationToFields ?? []).map((c) => columnOf(target, c)),
    // Prisma's defaults: optional relations set null, required ones restrict; updates cascade.
    onDelete: ACTIONS[f.relationOnDelete ?? (f.isRequired ? "Restrict" : "SetNull")] ?? String(f.relationOnDelete),
    onUpdate: ACTIONS[f.relationOnUpdate ?? "Cascade"] ?? String(f.relationOnUpdate),
  };
}

function isImplicitManyToMany(f: Field, models: Map<string, Model>): boolean {
  if (!f.isList) return false;
  const other = models.get(f.type)?.fields.find((o) => o.relationName === f.relationName && o !== f);
  return other?.isList === true;
}

// Prisma's default constraint names: table_columns_suffix, cut to PostgreSQL's 63-byte identifiers.
function defaultName(table: string, columns: readonly string[], suffix: string): string {
  const base = [table, ...columns].join("_");
  const max = 63 - suffix.length - 1;
  return `${base.length > max ? base.slice(0, max) : base}_${suffix}`;
}

// ---------------------------------------------------------------------------------------------------
// Actual: what pg_catalog says about the current schema (the test's own schema on PostgreSQL).

const RULES: Record<string, string> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };

// Prisma's bookkeeping table is not part of the model.
const OWN = `(SELECT oid FROM pg_namespace WHERE nspname = current_schema())`;
const NOT_BOOKKEEPING = `relname <> '_prisma_migrations'`;

/** The shape of the database `sql` talks to, in its current schema. */
export async function actualShape(sql: SqlRunner): Promise<SchemaShape> {
  const [enumRows, columnRows, indexRows, fkRows] = await Promise.all([
    sql.query<{ name: string; values: string[] }>(
      `SELECT t.typname::text AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS values
         FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid
        WHERE t.typnamespace = ${OWN} GROUP BY t.typname ORDER BY t.typname`,
    ),
    sql.query<{ table: string; name: string; type: string; enum: string | null; is_array: boolean; not_null: boolean; default: string | null }>(
      `SELECT c.relname::text AS table, a.attname::text AS name, format_type(a.atttypid, a.atttypmod) AS type,
              COALESCE(CASE WHEN t.typtype = 'e' THEN t.typname END, CASE WHEN et.typtype = 'e' THEN et.typname END)::text AS enum,
              t.typcategory = 'A' AS is_array, a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS default
         FROM pg_class c
         JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
         JOIN pg_type t ON t.oid = a.atttypid
         LEFT JOIN pg_type et ON et.oid = t.typelem
         LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
        WHERE c.relnamespace = ${OWN} AND c.relkind IN ('r', 'p') AND c.${NOT_BOOKKEEPING}
        ORDER BY c.relname, a.attnum`,
    ),
    sql.query<{ table: string; name: string; unique: boolean; primary: boolean; columns: string[] }>(
      `SELECT t.relname::text AS table, i.relname::text AS name, x.indisunique AS unique, x.indisprimary AS primary,
              ARRAY(SELECT COALESCE(a.attname::text, pg_get_indexdef(x.indexrelid, k.ord::int, true))
                           || CASE WHEN x.indoption[(k.ord - 1)::int] & 1 = 1 THEN ' DESC' ELSE '' END
                      FROM unnest(x.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                      LEFT JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum
                     WHERE k.ord <= x.indnkeyatts ORDER BY k.ord) AS columns
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
        WHERE t.relnamespace = ${OWN} AND t.${NOT_BOOKKEEPING}
        ORDER BY t.relname, i.relname`,
    ),
    sql.query<{ table: string; name: string; columns: string[]; ref_table: string; ref_columns: string[]; on_delete: string; on_update: string }>(
      `SELECT t.relname::text AS table, con.conname::text AS name, r.relname::text AS ref_table,
              ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(n, o)
                      JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o) AS columns,
              ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(n, o)
                      JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o) AS ref_columns,
              con.confdeltype::text AS on_delete, con.confupdtype::text AS on_update
         FROM pg_constraint con JOIN pg_class t ON t.oid = con.conrelid JOIN pg_class r ON r.oid = con.confrelid
        WHERE con.contype = 'f' AND t.relnamespace = ${OWN}
        ORDER BY t.relname, con.conname`,
    ),
  ]);

  const tables = new Map<string, Table>();
  const tableOf = (name: string) => {
    let t = tables.get(name);
    if (!t) tables.set(name, (t = { name, label: name, columns: [], primaryKey: null, indexes: [], foreignKeys: [] }));
    return t;
  };
  for (const c of columnRows) {
    const type = c.enum ? `"${c.enum}"${c.is_array ? "[]" : ""}` : c.type;
    tableOf(c.table).columns.push({ name: c.name, label: `${c.table}.${c.name}`, type, notNull: c.not_null, default: normalizeDefault(c.default) });
  }
  for (const i of indexRows) {
    if (i.primary) tableOf(i.table).primaryKey = { name: i.name, columns: i.columns };
    else tableOf(i.table).indexes.push({ name: i.name, columns: i.columns, unique: i.unique });
  }
  for (const f of fkRows) {
    tableOf(f.table).foreignKeys.push({
      name: f.name,
      label: `${f.table}.${f.name}`,
      columns: f.columns,
      refTable: f.ref_table,
      refColumns: f.ref_columns,
      onDelete: RULES[f.on_delete] ?? f.on_delete,
      onUpdate: RULES[f.on_update] ?? f.on_update,
    });
  }
  return { enums: new Map(enumRows.map((e) => [e.name, e.values])), tables };
}

// Brings pg_get_expr's spelling to the one expectedColumn uses: drops casts on literals, the schema on
// sequence names, and treats now() as CURRENT_TIMESTAMP (PostgreSQL keeps whichever was written).
function normalizeDefault(expr: string | null): string | null {
  if (expr === null) return null;
  const cast = /^('(?:[^']|'')*')::[\w" .]+(?:\(\d+(?:,\d+)?\))?(?:\[\])?$/.exec(expr);
  if (cast) {
    const lit = cast[1] as string;
    return /^'-?\d+(\.\d+)?'$/.test(lit) ? lit.slice(1, -1) : lit;
  }
  const seq = /^nextval\('(?:(?:"(?:[^"]|"")+"|[^."']+)\.)?("(?:[^"]|"")+"|[^."']+)'::regclass\)$/.exec(expr);
  if (seq) return `nextval('${seq[1]}'::regclass)`;
  if (expr === "now()") return "CURRENT_TIMESTAMP";
  return expr;
}

// ---------------------------------------------------------------------------------------------------
// Differences, in the order a migration would fix them (as Prisma orders its steps).

const Step = {
  DropForeignKey: 0,
  DropIndex: 1,
  Enum: 2,
  AlterTable: 3,
  CreateTable: 4,
  PrimaryKey: 5,
  CreateIndex: 6,
  AddForeignKey: 7,
  DropTable: 8,
  DropEnum: 9,
} as const;
type Step = (typeof Step)[keyof typeof Step];

/** Everything in which `actual` differs from `expected`, fixes in the order a migration would need them. */
export function diffShapes(expected: SchemaShape, actual: SchemaShape): Difference[] {
  const found: (Difference & { step: Step })[] = [];
  const add = (step: Step, where: string, problem: string, fix?: string) => found.push({ step, where, problem, ...(fix ? { fix } : {}) });

  for (const [name, values] of expected.enums) {
    const have = actual.enums.get(name);
    const where = `enum ${name}`;
    if (!have) {
      add(Step.Enum, where, "missing in database", `CREATE TYPE ${ident(name, true)} AS ENUM (${values.map(sqlString).join(", ")});`);
      continue;
    }
    for (const v of values.filter((v) => !have.includes(v))) add(Step.Enum, where, `value ${sqlString(v)} missing in database`, `ALTER TYPE ${ident(name, true)} ADD VALUE ${sqlString(v)};`);
    for (const v of have.filter((v) => !values.includes(v))) {
      add(Step.Enum, where, `value ${sqlString(v)} in database, not in schema.prisma`, `-- add ${v} to enum ${name} in schema.prisma, or recreate the type without it (PostgreSQL cannot drop an enum value)`);
    }
    const common = values.filter((v) => have.includes(v));
    const order = have.filter((v) => values.includes(v));
    if (common.join() !== order.join()) add(Step.Enum, where, `values ordered ${common.join(", ")} in schema, ${order.join(", ")} in database`);
  }
  for (const name of actual.enums.keys()) {
    if (!expected.enums.has(name)) add(Step.DropEnum, `enum ${name}`, "in database, not in schema.prisma", `DROP TYPE ${ident(name, true)};`);
  }

  for (const [name, want] of expected.tables) {
    const have = actual.tables.get(name);
    if (!have) {
      add(Step.CreateTable, `model ${want.label}`, `table ${ident(name, true)} missing in database`, createTable(want));
      for (const ix of want.indexes) add(Step.CreateIndex, `model ${want.label}`, `index ${ident(ix.name, true)} missing in database`, createIndex(name, ix));
      for (const fk of want.foreignKeys) add(Step.AddForeignKey, fk.label, `foreign key ${ident(fk.name, true)} missing in database`, addForeignKey(name, fk));
      continue;
    }
    diffColumns(want, have, add);
    diffPrimaryKey(want, have, add);
    diffIndexes(want, have, add);
    diffForeignKeys(want, have, add);
  }
  for (const name of actual.tables.keys()) {
    if (!expected.tables.has(name)) add(Step.DropTable, `table ${name}`, "in database, no model for it in schema.prisma", `DROP TABLE ${ident(name, true)};`);
  }

  found.sort((a, b) => a.step - b.step); // stable: keeps schema order within a step
  return found.map(({ step: _step, ...d }) => d);
}

type Add = (step: Step, where: string, problem: string, fix?: string) => void;

function diffColumns(want: Table, have: Table, add: Add): void {
  const t = ident(want.name, true);
  for (const c of want.columns) {
    const col = ident(c.name, true);
    const h = have.columns.find((x) => x.name === c.name);
    if (!h) {
      add(Step.AlterTable, c.label, `column missing in database (schema.prisma has ${c.declaration})`, `ALTER TABLE ${t} ADD COLUMN ${columnDdl(c)};`);
      continue;
    }
    if (h.type !== c.type) add(Step.AlterTable, c.label, `type ${c.type} in schema, ${h.type} in database`, `ALTER TABLE ${t} ALTER COLUMN ${col} SET DATA TYPE ${c.ddl && c.ddl !== SERIALS[c.type] ? c.ddl : c.type};`);
    if (h.notNull !== c.notNull) {
      add(Step.AlterTable, c.label, c.notNull ? "required in schema, nullable in database" : "optional in schema, NOT NULL in database",
        `ALTER TABLE ${t} ALTER COLUMN ${col} ${c.notNull ? "SET" : "DROP"} NOT NULL;`);
    }
    if (c.default !== undefined && h.default !== c.default) {
      add(Step.AlterTable, c.label, `default ${c.default ?? "none"} in schema, ${h.default ?? "none"} in database`,
        c.default === null ? `ALTER TABLE ${t} ALTER COLUMN ${col} DROP DEFAULT;` : `ALTER TABLE ${t} ALTER COLUMN ${col} SET DEFAULT ${c.default};`);
    }
  }
  for (const h of have.columns.filter((x) => !want.columns.some((c) => c.name === x.name))) {
    add(Step.AlterTable, `${want.label}.${h.name}`, `column in database, no field for it in schema.prisma`, `ALTER TABLE ${t} DROP COLUMN ${ident(h.name, true)};`);
  }
}

function diffPrimaryKey(want: Table, have: Table, add: Add): void {
  const w = want.primaryKey;
  const h = have.primaryKey;
  if (sameKey(w, h)) return;
  const t = ident(want.name, true);
  const drop = h ? `ALTER TABLE ${t} DROP CONSTRAINT ${ident(h.name, true)};\n` : "";
  const create = w ? `ALTER TABLE ${t} ADD CONSTRAINT ${ident(w.name, true)} PRIMARY KEY (${w.columns.map((c) => ident(c, true)).join(", ")});` : "";
  add(Step.PrimaryKey, `model ${want.label}`, `primary key ${describeKey(w)} in schema, ${describeKey(h)} in database`, (drop + create).trim());
}

function sameKey(a: { name: string; columns: string[] } | null, b: { name: string; columns: string[] } | null): boolean {
  return a?.name === b?.name && a?.columns.join() === b?.columns.join();
}

function describeKey(k: { name: string; columns: string[] } | null): string {
  return k ? `${ident(k.name, true)} (${k.columns.join(", ")})` : "none";
}

function diffIndexes(want: Table, have: Table, add: Add): void {
  const where = `model ${want.label}`;
  const unmatched = [...have.indexes];
  const take = (pred: (i: Index) => boolean) => {
    const at = unmatched.findIndex(pred);
    return at < 0 ? undefined : unmatched.splice(at, 1)[0];
  };
  const missing: Index[] = [];
  for (const ix of want.indexes) {
    const h = take((i) => i.name === ix.name);
    if (!h) missing.push(ix);
    else if (indexShape(h) !== indexShape(ix)) {
      add(Step.CreateIndex, where, `index ${ident(ix.name, true)} is ${indexShape(ix)} in schema, ${indexShape(h)} in database`,
        `DROP INDEX ${ident(h.name, true)};\n${createIndex(want.name, ix)}`);
    }
  }
  for (const ix of missing) {
    // The same index under another name: a rename, not a new index.
    const h = take((i) => indexShape(i) === indexShape(ix));
    if (h) add(Step.CreateIndex, where, `index ${ident(ix.name, true)} is called ${ident(h.name, true)} in database`, `ALTER INDEX ${ident(h.name, true)} RENAME TO ${ident(ix.name, true)};`);
    else add(Step.CreateIndex, where, `${describeIndex(ix)} missing in database`, createIndex(want.name, ix));
  }
  for (const h of unmatched) add(Step.DropIndex, where, `${describeIndex(h)} in database, not in schema.prisma`, `DROP INDEX ${ident(h.name, true)};`);
}

function indexShape(ix: Index): string {
  return `${ix.unique ? "unique " : ""}on (${ix.columns.join(", ")})`;
}

function describeIndex(ix: Index): string {
  return `${ix.unique ? "unique index" : "index"} ${ident(ix.name, true)} on (${ix.columns.join(", ")})`;
}

function diffForeignKeys(want: Table, have: Table, add: Add): void {
  const t = want.name;
  const unmatched = [...have.foreignKeys];
  for (const fk of want.foreignKeys) {
    // By name, else by columns: `@relation(map: "...")` renames it, and the DMMF does not say so.
    let at = unmatched.findIndex((h) => h.name === fk.name);
    if (at < 0) at = unmatched.findIndex((h) => h.columns.join() === fk.columns.join());
    const h = at < 0 ? undefined : unmatched.splice(at, 1)[0];
    if (!h) {
      add(Step.AddForeignKey, fk.label, `foreign key ${ident(fk.name, true)} (${fk.columns.join(", ")}) → ${fk.refTable}(${fk.refColumns.join(", ")}) missing in database`, addForeignKey(t, fk));
      continue;
    }
    const problems: string[] = [];
    const target = (k: ForeignKey) => `${k.refTable}(${k.refColumns.join(", ")})`;
    if (target(h) !== target(fk)) problems.push(`references ${target(fk)} in schema, ${target(h)} in database`);
    if (h.onDelete !== fk.onDelete) problems.push(`ON DELETE ${fk.onDelete} in schema, ${h.onDelete} in database`);
    if (h.onUpdate !== fk.onUpdate) problems.push(`ON UPDATE ${fk.onUpdate} in schema, ${h.onUpdate} in database`);
    if (problems.length) {
      add(Step.AddForeignKey, fk.label, `foreign key ${ident(h.name, true)}: ${problems.join("; ")}`,
        `ALTER TABLE ${ident(t, true)} DROP CONSTRAINT ${ident(h.name, true)};\n${addForeignKey(t, { ...fk, name: h.name })}`);
    }
  }
  for (const h of unmatched) {
    add(Step.DropForeignKey, `${want.label} (${h.columns.join(", ")})`, `foreign key ${ident(h.name, true)} → ${h.refTable} in database, no relation for it in schema.prisma`,
      `ALTER TABLE ${ident(t, true)} DROP CONSTRAINT ${ident(h.name, true)};`);
  }
}

// ---------------------------------------------------------------------------------------------------
// SQL in Prisma's style, for fixes.

function columnDdl(c: Column): string {
  const def = c.ddl && SERIALS[c.type] === c.ddl ? undefined : (c.ddlDefault ?? c.default ?? undefined);
  return `${ident(c.name, true)} ${c.ddl ?? c.type}${c.notNull ? " NOT NULL" : ""}${def ? ` DEFAULT ${def}` : ""}`;
}

function createTable(t: Table): string {
  const lines = t.columns.map((c) => `    ${columnDdl(c)},`);
  const pk = t.primaryKey ? `\n\n    CONSTRAINT ${ident(t.primaryKey.name, true)} PRIMARY KEY (${t.primaryKey.columns.map((c) => ident(c, true)).join(",")})` : "";
  const body = lines.join("\n");
  return `CREATE TABLE ${ident(t.name, true)} (\n${pk ? body : body.replace(/,$/, "")}${pk}\n);`;
}

function createIndex(table: string, ix: Index): string {
  const cols = ix.columns.map((c) => (c.endsWith(" DESC") ? `${ident(c.slice(0, -5), true)} DESC` : ident(c, true)));
  return `CREATE ${ix.unique ? "UNIQUE " : ""}INDEX ${ident(ix.name, true)} ON ${ident(table, true)}(${cols.join(", ")});`;
}

function addForeignKey(table: string, fk: ForeignKey): string {
  const cols = (names: string[]) => names.map((c) => ident(c, true)).join(", ");
  return `ALTER TABLE ${ident(table, true)} ADD CONSTRAINT ${ident(fk.name, true)} FOREIGN KEY (${cols(fk.columns)}) ` +
    `REFERENCES ${ident(fk.refTable, true)}(${cols(fk.refColumns)}) ON DELETE ${fk.onDelete} ON UPDATE ${fk.onUpdate};`;
}

/** An identifier as PostgreSQL prints it (quoted only when needed), or always quoted as Prisma writes it. */
function ident(name: string, alwaysQuote = false): string {
  return !alwaysQuote && /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}
