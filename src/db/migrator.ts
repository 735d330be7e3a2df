// Applies the hand-written migrations in prisma/migrations (Prisma's folder layout) and records them in
// Prisma's own `_prisma_migrations` table, so `prisma migrate deploy|status` on a machine with Prisma's
// engines agrees with what Relay did. Unlike Prisma, each migration runs in one transaction together
// with its bookkeeping row: a failing migration leaves nothing behind.
import { createHash, randomUUID } from "node:crypto";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { SqlRunner } from "./database.ts";

/** prisma/migrations at the project root, independent of the process's working directory. */
export const defaultMigrationsDir = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

// Prisma's schema engine takes `pg_advisory_lock(72707369)` while migrating; taking the same key keeps
// two Relay processes, or Relay and `prisma migrate deploy`, from migrating the same database at once.
// Advisory locks are per database (not per schema), so test schemas in one database take turns too.
const LOCK = "SELECT pg_advisory_xact_lock(72707369);";

// Prisma's PostgreSQL DDL for its bookkeeping table, verbatim except for IF NOT EXISTS (we create it
// under the lock, but a `prisma migrate` running without our lock may have created it meanwhile).
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS _prisma_migrations (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
);`;

// SQLSTATE our guard raises when another process applied the migration while we waited for the lock.
const ALREADY_APPLIED = "RLY01";

/** A migration folder on disk. */
export interface LocalMigration {
  name: string;
  file: string;
  script: string;
  /** sha256 hex of the file's bytes, as Prisma computes it. */
  checksum: string;
}

/** One row of `_prisma_migrations`. */
export interface MigrationRecord {
  id: string;
  checksum: string;
  finished_at: Date | null;
  migration_name: string;
  logs: string | null;
  rolled_back_at: Date | null;
  started_at: Date;
  applied_steps_count: number;
}

/** Where the database stands relative to a migrations folder. */
export interface MigrationStatus {
  applied: string[];
  pending: string[];
  /** Started but never finished nor rolled back (only Prisma's CLI can leave these behind). */
  failed: MigrationRecord[];
  /** Applied, but the file has been edited since. */
  modified: { name: string; recorded: string; now: string }[];
  /** Applied, but there is no folder for it here (an older checkout, or a deleted migration). */
  missing: string[];
}

/** A migration problem, with the migration's name when one is to blame. */
export class MigrationError extends Error {
  override name = "MigrationError";
  constructor(
    message: string,
    readonly migration?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Applies every pending migration in `dir`, each in its own transaction with its `_prisma_migrations` row.
 * `applied` lists what this call applied; `pending` is how many were pending when it started (more than
 * `applied.length` only when another process applied some of them meanwhile).
 */
export async function migrate(
  sql: SqlRunner,
  opts: { dir?: string; log?: (line: string) => void } = {},
): Promise<{ applied: string[]; pending: number }> {
  const dir = opts.dir ?? defaultMigrationsDir;
  const log = opts.log ?? (() => {});
  const local = await readMigrations(dir);
  if (!(await hasMigrationsTable(sql))) await sql.execInTransaction(`${LOCK}\n${CREATE_MIGRATIONS_TABLE}`);
  const status = compare(local, await readRecords(sql));
  assertHealthy(status, dir);
  for (const name of status.missing) log(`warning: migration ${name} is recorded in the database but has no folder in ${dir}`);

  const applied: string[] = [];
  for (const migration of local.filter((m) => status.pending.includes(m.name))) {
    const started = Date.now();
    if (await applyOne(sql, migration)) {
      applied.push(migration.name);
      log(`applied migration ${migration.name} (${Date.now() - started} ms)`);
    } else {
      log(`migration ${migration.name} was applied by another process meanwhile`);
    }
  }
  return { applied, pending: status.pending.length };
}

/** Reports applied, pending, failed, edited and missing migrations without changing anything. */
export async function migrationStatus(sql: SqlRunner, dir: string = defaultMigrationsDir): Promise<MigrationStatus> {
  const records = (await hasMigrationsTable(sql)) ? await readRecords(sql) : [];
  return compare(await readMigrations(dir), records);
}

/** Reads `<dir>/<name>/migration.sql` for every migration folder, in name order (as Prisma orders them). */
export async function readMigrations(dir: string): Promise<LocalMigration[]> {
  const entries = await readdir(dir, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    throw new MigrationError(`cannot read the migrations folder ${dir}: ${error.message}`, undefined, { cause: error });
  });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name);
  names.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)); // byte order, not locale order: like Prisma
  const migrations: LocalMigration[] = [];
  for (const name of names) {
    const file = join(dir, name, "migration.sql");
    // Like Prisma (P3015): a migration folder without its script is a mistake, not something to skip.
    const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
      throw new MigrationError(`cannot read ${file} (${error.code}): restore it or delete the folder ${name}`, name, { cause: error });
    });
    migrations.push({ name, file, script: bytes.toString("utf8"), checksum: sha256(bytes) });
  }
  return migrations;
}

async function hasMigrationsTable(sql: SqlRunner): Promise<boolean> {
  // to_regclass follows search_path, so this finds the table in the schema the connection uses.
  const [row] = await sql.query<{ found: boolean }>(`SELECT to_regclass('_prisma_migrations') IS NOT NULL AS found`);
  return row?.found === true;
}

async function readRecords(sql: SqlRunner): Promise<MigrationRecord[]> {
  return sql.query<MigrationRecord>(
    `SELECT id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count
       FROM _prisma_migrations ORDER BY started_at, migration_name`,
  );
}

function compare(local: LocalMigration[], records: MigrationRecord[]): MigrationStatus {
  // Rows rolled back (by `prisma migrate resolve --rolled-back`) no longer count, as in Prisma.
  const live = records.filter((r) => r.rolled_back_at === null);
  const done = new Map(live.filter((r) => r.finished_at !== null).map((r) => [r.migration_name, r]));
  const byName = new Map(local.map((m) => [m.name, m]));
  const status: MigrationStatus = { applied: [], pending: [], failed: [], modified: [], missing: [] };
  for (const m of local) {
    const record = done.get(m.name);
    if (!record) status.pending.push(m.name);
    else {
      status.applied.push(m.name);
      if (!matchesChecksum(m, record.checksum)) status.modified.push({ name: m.name, recorded: record.checksum, now: m.checksum });
    }
  }
  status.failed = live.filter((r) => r.finished_at === null && !done.has(r.migration_name));
  status.missing = [...done.keys()].filter((name) => !byName.has(name));
  return status;
}

function assertHealthy(status: MigrationStatus, dir: string): void {
  const [failed] = status.failed;
  if (failed) {
    const name = failed.migration_name;
    throw new MigrationError(
      `migration ${name} was started at ${failed.started_at.toISOString()} but never finished` +
        (failed.logs ? ` (${failed.logs.trim().split("\n")[0]})` : "") +
        `, so the database may be half-migrated. Check it by hand, then mark the migration rolled back ` +
        `(\`npx prisma migrate resolve --rolled-back ${name}\`, or UPDATE _prisma_migrations SET rolled_back_at = now() ` +
        `WHERE migration_name = '${name}' AND finished_at IS NULL) and migrate again.`,
      name,
    );
  }
  const [modified] = status.modified;
  if (modified) {
    const others = status.modified.length > 1 ? ` (also edited: ${status.modified.slice(1).map((m) => m.name).join(", ")})` : "";
    throw new MigrationError(
      `migration ${modified.name} was edited after it was applied: checksum ${modified.recorded.slice(0, 12)}… in ` +
        `_prisma_migrations, ${modified.now.slice(0, 12)}… for ${join(dir, modified.name, "migration.sql")}${others}. ` +
        `Applied migrations must not change: restore the file and put the change in a new migration.`,
      modified.name,
    );
  }
}

/** Returns false when another process applied the migration while this one waited for the lock. */
async function applyOne(sql: SqlRunner, m: LocalMigration): Promise<boolean> {
  // The script runs first in execInTransaction, so the lock and the "still pending?" re-check go in front
  // of it: a DO block that aborts the transaction before any of the migration has run.
  const guard = `DO $relay$ BEGIN
  IF EXISTS (SELECT 1 FROM _prisma_migrations WHERE migration_name = ${quote(m.name)} AND finished_at IS NOT NULL AND rolled_back_at IS NULL) THEN
    RAISE EXCEPTION USING ERRCODE = '${ALREADY_APPLIED}', MESSAGE = 'migration already applied';
  END IF;
END $relay$;
`;
  const prefix = `${LOCK}\n${guard}`;
  try {
    await sql.execInTransaction(prefix + m.script, async (tx) => {
      // started_at = now() is the transaction's start; finished_at the moment the script is done.
      await tx.query(
        `INSERT INTO _prisma_migrations (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
         VALUES ($1, $2, clock_timestamp(), $3, NULL, NULL, now(), 1)`,
        [randomUUID(), m.checksum, m.name],
      );
    });
    return true;
  } catch (error) {
    const e = error as { code?: string; message?: string; position?: string | number; detail?: string; hint?: string };
    if (e.code === ALREADY_APPLIED) return false;
    const line = lineOf(prefix, m.script, Number(e.position));
    throw new MigrationError(
      `migration ${m.name} failed and was rolled back, nothing of it was applied: ${e.message ?? String(error)}` +
        (e.code ? ` (SQLSTATE ${e.code})` : "") +
        (e.detail ? `; ${e.detail}` : "") +
        (e.hint ? `; hint: ${e.hint}` : "") +
        (line ? ` at ${m.file}:${line}` : ` in ${m.file}`),
      m.name,
      { cause: error },
    );
  }
}

/** Line in the migration file of an error `position` (1-based, counted in the whole script sent). */
function lineOf(prefix: string, script: string, position: number): number | undefined {
  const offset = position - 1 - prefix.length;
  if (!Number.isInteger(position) || offset < 0 || offset > script.length) return undefined;
  return script.slice(0, offset).split("\n").length;
}

// Prisma accepts a checksum of the file with its line endings converted either way (git autocrlf).
function matchesChecksum(m: LocalMigration, checksum: string): boolean {
  if (m.checksum === checksum) return true;
  const lf = m.script.replace(/\r\n/g, "\n");
  return sha256(lf) === checksum || sha256(lf.replace(/\n/g, "\r\n")) === checksum;
}

function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

function quote(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}
