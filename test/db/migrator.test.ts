// The migrator against real PostgreSQL (in a throw-away schema) and PGlite: applies, records like Prisma,
// rolls a broken migration back whole, refuses edited or half-applied history, and serialises itself.
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../src/db/database.ts";
import { defaultMigrationsDir, migrate, MigrationError, migrationStatus, readMigrations } from "../../src/db/migrator.ts";
import { TEST_DATABASE_URL, testDatabase, type TestDatabase } from "../support/db.ts";
import { until } from "../support/wait.ts";

const repoMigrations = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

// Temp migration folders: { name: sql }.
const temps: string[] = [];
function migrationsDir(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "relay-migrations-"));
  temps.push(dir);
  for (const [name, sql] of Object.entries(files)) writeMigration(dir, name, sql);
  return dir;
}
function writeMigration(dir: string, name: string, sql: string): void {
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, "migration.sql"), sql);
}
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

async function exists(db: TestDatabase, table: string): Promise<boolean> {
  const [row] = await db.sql.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [`"${table}"`]);
  return row?.found === true;
}

it("refuses a migration folder without its migration.sql, as Prisma does", async () => {
  const dir = migrationsDir({ "20260101000000_a": `SELECT 1;\n` });
  mkdirSync(join(dir, "20260102000000_empty"));
  await expect(readMigrations(dir)).rejects.toThrow(/^cannot read .*20260102000000_empty\/migration\.sql \(ENOENT\): restore it or delete the folder 20260102000000_empty$/);
});

describe.each(["postgres", "pglite"] as const)("migrator on %s", (kind) => {
  const open: TestDatabase[] = [];
  const fresh = async () => {
    const db = await testDatabase(kind, { migrate: false });
    open.push(db);
    return db;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.drop()));
  });

  it("applies every migration in prisma/migrations, then has nothing left to do", async () => {
    const db = await fresh();
    const local = await readMigrations(repoMigrations);
    expect(defaultMigrationsDir).toBe(repoMigrations);
    expect(local.length).toBeGreaterThan(0);
    const lines: string[] = [];

    const first = await migrate(db.sql, { log: (line) => lines.push(line) });
    expect(first).toEqual({ applied: local.map((m) => m.name), pending: local.length });
    expect(lines).toEqual(local.map((m) => expect.stringMatching(new RegExp(`^applied migration ${m.name} \\(\\d+ ms\\)$`))));
    for (const table of ["Unit", "Person", "Identity", "Channel", "Invite", "Reminder", "AuditEvent"]) expect(await exists(db, table)).toBe(true);

    expect(await migrate(db.sql)).toEqual({ applied: [], pending: 0 });
    expect(await migrationStatus(db.sql)).toEqual({ applied: local.map((m) => m.name), pending: [], failed: [], modified: [], missing: [] });
    // The migrated database works through Prisma too.
    const unit = await db.prisma.unit.create({ data: { name: "党政办" } });
    expect(unit.id).toBe(1);
  });

  it("records each migration in _prisma_migrations exactly as Prisma's table has them", async () => {
    const db = await fresh();
    expect((await migrationStatus(db.sql)).pending.length).toBeGreaterThan(0); // no table yet: all pending
    await migrate(db.sql);

    const columns = await db.sql.query(
      `SELECT column_name, data_type, character_maximum_length AS length, is_nullable, column_default
         FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = '_prisma_migrations'
        ORDER BY ordinal_position`,
    );
    expect(columns).toEqual([
      { column_name: "id", data_type: "character varying", length: 36, is_nullable: "NO", column_default: null },
      { column_name: "checksum", data_type: "character varying", length: 64, is_nullable: "NO", column_default: null },
      { column_name: "finished_at", data_type: "timestamp with time zone", length: null, is_nullable: "YES", column_default: null },
      { column_name: "migration_name", data_type: "character varying", length: 255, is_nullable: "NO", column_default: null },
      { column_name: "logs", data_type: "text", length: null, is_nullable: "YES", column_default: null },
      { column_name: "rolled_back_at", data_type: "timestamp with time zone", length: null, is_nullable: "YES", column_default: null },
      { column_name: "started_at", data_type: "timestamp with time zone", length: null, is_nullable: "NO", column_default: "now()" },
      { column_name: "applied_steps_count", data_type: "integer", length: null, is_nullable: "NO", column_default: "0" },
    ]);
    const [pk] = await db.sql.query<{ columns: string[] }>(
      `SELECT ARRAY(SELECT a.attname::text FROM unnest(x.indkey::int2[]) k(n) JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.n) AS columns
         FROM pg_index x WHERE x.indrelid = '_prisma_migrations'::regclass AND x.indisprimary`,
    );
    expect(pk?.columns).toEqual(["id"]);

    const rows = await db.sql.query<Record<string, unknown>>(`SELECT * FROM _prisma_migrations ORDER BY migration_name`);
    const local = await readMigrations(repoMigrations);
    expect(rows).toHaveLength(local.length);
    for (const [i, m] of local.entries()) {
      const row = rows[i] as Record<string, unknown>;
      expect(row).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        checksum: createHash("sha256").update(readFileSync(join(repoMigrations, m.name, "migration.sql"))).digest("hex"),
        finished_at: expect.any(Date),
        migration_name: m.name,
        logs: null,
        rolled_back_at: null,
        started_at: expect.any(Date),
        applied_steps_count: 1,
      });
      expect((row.finished_at as Date).getTime()).toBeGreaterThanOrEqual((row.started_at as Date).getTime());
    }
  });

  it("rolls a failing migration back entirely and names it, the file and the line", async () => {
    const db = await fresh();
    const dir = migrationsDir({
      "20260101000000_good": `CREATE TABLE "Good" ("id" INTEGER NOT NULL);\n`,
      "20260102000000_broken": `-- CreateTable\nCREATE TABLE "Half" ("id" INTEGER NOT NULL);\n\nINSERT INTO "Nowhere" VALUES (1);\n`,
      "20260103000000_after": `CREATE TABLE "After" ("id" INTEGER NOT NULL);\n`,
    });

    const error = await migrate(db.sql, { dir }).then(() => undefined, (e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).migration).toBe("20260102000000_broken");
    expect((error as Error).message).toBe(
      `migration 20260102000000_broken failed and was rolled back, nothing of it was applied: relation "Nowhere" does not exist ` +
        `(SQLSTATE 42P01) at ${join(dir, "20260102000000_broken", "migration.sql")}:4`,
    );
    expect(await exists(db, "Good")).toBe(true);
    expect(await exists(db, "Half")).toBe(false);
    expect(await exists(db, "After")).toBe(false); // stops at the first failure
    const names = await db.sql.query<{ migration_name: string }>(`SELECT migration_name FROM _prisma_migrations`);
    expect(names.map((r) => r.migration_name)).toEqual(["20260101000000_good"]);

    // Fixed, it goes through; nothing was left behind to get in its way.
    writeMigration(dir, "20260102000000_broken", `CREATE TABLE "Half" ("id" INTEGER NOT NULL);\n`);
    expect(await migrate(db.sql, { dir })).toEqual({ applied: ["20260102000000_broken", "20260103000000_after"], pending: 2 });
  });

  it("refuses to go on when an applied migration's file was edited, but not for line endings", async () => {
    const db = await fresh();
    const dir = migrationsDir({ "20260101000000_a": `CREATE TABLE "A" ("id" INTEGER NOT NULL);\n` });
    await migrate(db.sql, { dir });

    writeMigration(dir, "20260101000000_a", `CREATE TABLE "A" ("id" INTEGER NOT NULL);\r\n`); // git autocrlf
    writeMigration(dir, "20260102000000_b", `CREATE TABLE "B" ("id" INTEGER NOT NULL);\n`);
    expect(await migrate(db.sql, { dir })).toEqual({ applied: ["20260102000000_b"], pending: 1 });

    writeMigration(dir, "20260101000000_a", `CREATE TABLE "A" ("id" BIGINT NOT NULL);\n`);
    writeMigration(dir, "20260103000000_c", `CREATE TABLE "C" ("id" INTEGER NOT NULL);\n`);
    await expect(migrate(db.sql, { dir })).rejects.toThrow(
      /^migration 20260101000000_a was edited after it was applied: checksum [0-9a-f]{12}… in _prisma_migrations, [0-9a-f]{12}… for .*20260101000000_a\/migration\.sql\. Applied migrations must not change/,
    );
    expect(await exists(db, "C")).toBe(false);
    expect((await migrationStatus(db.sql, dir)).modified).toEqual([
      { name: "20260101000000_a", recorded: expect.stringMatching(/^[0-9a-f]{64}$/), now: expect.stringMatching(/^[0-9a-f]{64}$/) },
    ]);
  });

  it("refuses to go on after a migration Prisma's CLI left half-applied, until it is marked rolled back", async () => {
    const db = await fresh();
    const dir = migrationsDir({ "20260101000000_a": `CREATE TABLE "A" ("id" INTEGER NOT NULL);\n` });
    await migrate(db.sql, { dir: migrationsDir({}) }); // just creates _prisma_migrations
    // What `prisma migrate deploy` leaves when a statement fails: started, never finished.
    await db.sql.query(
      `INSERT INTO _prisma_migrations (id, checksum, migration_name, logs, started_at, applied_steps_count)
       VALUES ('8c1b1a4e-0000-4000-8000-000000000000', 'x', '20260101000000_a', 'ERROR: boom', now(), 0)`,
    );
    const status = await migrationStatus(db.sql, dir);
    expect(status.failed.map((r) => r.migration_name)).toEqual(["20260101000000_a"]);
    expect(status.pending).toEqual(["20260101000000_a"]);
    await expect(migrate(db.sql, { dir })).rejects.toThrow(
      /^migration 20260101000000_a was started at .* but never finished \(ERROR: boom\), so the database may be half-migrated\. .*prisma migrate resolve --rolled-back 20260101000000_a/,
    );

    await db.sql.query(`UPDATE _prisma_migrations SET rolled_back_at = now() WHERE migration_name = '20260101000000_a'`);
    expect(await migrate(db.sql, { dir })).toEqual({ applied: ["20260101000000_a"], pending: 1 });
  });

  it("warns about applied migrations that have no folder here", async () => {
    const db = await fresh();
    await migrate(db.sql, { dir: migrationsDir({ "20260101000000_a": `SELECT 1;\n` }) });
    const lines: string[] = [];
    await migrate(db.sql, { dir: migrationsDir({}), log: (line) => lines.push(line) });
    expect(lines).toEqual([expect.stringMatching(/^warning: migration 20260101000000_a is recorded in the database but has no folder in /)]);
  });

  if (kind === "postgres") it("applies each migration once when several processes migrate at the same time", async () => {
    const db = await fresh();
    const schema = (await db.sql.query<{ s: string }>(`SELECT current_schema() AS s`))[0]?.s as string;
    const dir = migrationsDir({
      // The marker finds our own waiting migrators in pg_stat_activity (other test files share the database).
      "20260101000000_hits": `-- ${schema}\nCREATE TABLE "Hits" ("n" INTEGER NOT NULL);\n`,
      // Not idempotent: applied twice, these would leave duplicate rows.
      "20260102000000_two": `INSERT INTO "Hits" VALUES (2);\n`,
      "20260103000000_three": `INSERT INTO "Hits" VALUES (3);\n`,
    });
    await migrate(db.sql, { dir: migrationsDir({}) }); // _prisma_migrations exists, nothing applied
    // Separate pools on the same schema, like separate processes; and Prisma's lock held the way
    // `prisma migrate deploy` holds it, so all four see every migration pending and then queue up.
    const others = await Promise.all([1, 2, 3].map(() => openDatabase({ url: TEST_DATABASE_URL, schema })));
    const prisma = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await prisma.connect();
    try {
      await prisma.query(`SELECT pg_advisory_lock(72707369)`);
      const running = [db, ...others].map((d) => migrate(d.sql, { dir }));
      await until(async () => {
        const { rows } = await prisma.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND query LIKE $1`,
          [`%-- ${schema}%`],
        );
        return rows[0].n === 4;
      }, "all four migrators to wait for the lock");
      await prisma.query(`SELECT pg_advisory_unlock(72707369)`);
      const results = await Promise.all(running);

      expect(results.map((r) => r.pending)).toEqual([3, 3, 3, 3]);
      expect(results.flatMap((r) => r.applied).sort()).toEqual(["20260101000000_hits", "20260102000000_two", "20260103000000_three"]);
      expect(await db.sql.query(`SELECT n FROM "Hits" ORDER BY n`)).toEqual([{ n: 2 }, { n: 3 }]);
      const counts = await db.sql.query(`SELECT migration_name, count(*)::int AS n FROM _prisma_migrations GROUP BY 1 ORDER BY 1`);
      expect(counts).toEqual([
        { migration_name: "20260101000000_hits", n: 1 },
        { migration_name: "20260102000000_two", n: 1 },
        { migration_name: "20260103000000_three", n: 1 },
      ]);
    } finally {
      await prisma.end();
      await Promise.all(others.map((d) => d.close()));
    }
  });

  if (kind === "pglite") it("applies each migration once when migrate() runs twice at the same time", async () => {
    const db = await fresh();
    const results = await Promise.all([migrate(db.sql), migrate(db.sql)]);
    const local = await readMigrations(repoMigrations);
    expect(results.flatMap((r) => r.applied).sort()).toEqual(local.map((m) => m.name));
    expect(await db.sql.query(`SELECT count(*)::int AS n FROM _prisma_migrations`)).toEqual([{ n: local.length }]);
  });
});
