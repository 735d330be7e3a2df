// Fresh, migrated databases for tests: a throw-away schema in PostgreSQL's `test` database, or a PGlite.
//
// A new PGlite costs ~1.5 s (it runs initdb), so each process builds a template data directory once —
// migrated or empty, keyed by the PGlite version and the migrations' checksums so edits rebuild it — and
// every test database opens a copy of it (~0.4 s). The copy goes through `openDatabase({ dataDir })`
// like production, and is deleted by `drop()`.
import { randomBytes, createHash } from "node:crypto";
import { constants, existsSync, readFileSync } from "node:fs";
import { cp, mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { defaultMigrationsDir, migrate, readMigrations } from "../../src/db/migrator.ts";

export type TestDatabase = Database & {
  /** Removes everything this database holds (schema or data directory) and closes it. Safe to call twice. */
  drop(): Promise<void>;
};

/** The PostgreSQL database tests create their schemas in. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

const pgliteRoot = join(tmpdir(), "relay-test-pglite");

/** A fresh database of `kind` with all migrations applied (or none, with `{ migrate: false }`). */
export async function testDatabase(kind: "postgres" | "pglite", opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const migrated = opts.migrate !== false;
  if (kind === "pglite") return pgliteCopy(await pgliteTemplate(migrated));
  const db = await postgresSchema();
  if (migrated) await migrate(db.sql).catch(async (error: unknown) => {
    await db.drop();
    throw error;
  });
  return db;
}

async function postgresSchema(): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const db = await openDatabase({ url: TEST_DATABASE_URL, schema });
  return withDrop(db, async () => {
    try {
      await db.sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await db.close();
    }
  });
}

async function pgliteCopy(template: string): Promise<TestDatabase> {
  const dataDir = join(pgliteRoot, `db-${randomBytes(6).toString("hex")}`);
  // FICLONE makes the copy copy-on-write where the file system can; elsewhere it is a plain copy.
  await cp(template, dataDir, { recursive: true, mode: constants.COPYFILE_FICLONE });
  const db = await openDatabase({ dataDir }).catch(async (error: unknown) => {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  });
  return withDrop(db, async () => {
    try {
      await db.close();
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
}

function withDrop(db: Database, drop: () => Promise<void>): TestDatabase {
  let dropped: Promise<void> | undefined;
  return Object.assign(db, { drop: () => (dropped ??= drop()) });
}

const templates = new Map<string, Promise<string>>();

/** The data directory of a closed PGlite, migrated or not; built once and shared by all test processes. */
async function pgliteTemplate(migrated: boolean): Promise<string> {
  const migrations = migrated ? await readMigrations(defaultMigrationsDir) : [];
  const key = createHash("sha256")
    .update(pgliteVersion())
    .update(migrations.map((m) => `${m.name}:${m.checksum}`).join("\n"))
    .digest("hex")
    .slice(0, 16);
  let template = templates.get(key);
  if (!template) {
    template = buildTemplate(join(pgliteRoot, `template-${key}`), migrated);
    templates.set(key, template);
    template.catch(() => templates.delete(key)); // let a later call retry
  }
  return template;
}

async function buildTemplate(dir: string, migrated: boolean): Promise<string> {
  if (existsSync(dir)) return dir; // only ever created complete, by the rename below
  await mkdir(pgliteRoot, { recursive: true });
  await sweepStale();
  const building = join(pgliteRoot, `building-${randomBytes(6).toString("hex")}`);
  try {
    const db = await openDatabase({ dataDir: building });
    try {
      if (migrated) await migrate(db.sql);
    } finally {
      await db.close();
    }
    // Test files run in parallel processes: several may build the same template; the first rename wins.
    await rename(building, dir).catch((error: NodeJS.ErrnoException) => {
      if (!existsSync(dir)) throw error;
    });
    return dir;
  } finally {
    await rm(building, { recursive: true, force: true });
  }
}

// Copies left by crashed runs and templates of older migrations: 40 MB each, so clear those a day old.
async function sweepStale(): Promise<void> {
  const dayAgo = Date.now() - 24 * 3600_000;
  for (const name of await readdir(pgliteRoot).catch(() => [])) {
    const path = join(pgliteRoot, name);
    const info = await stat(path).catch(() => undefined);
    if (info && info.mtimeMs < dayAgo) await rm(path, { recursive: true, force: true }).catch(() => {});
  }
}

function pgliteVersion(): string {
  const entry = createRequire(import.meta.url).resolve("@electric-sql/pglite");
  let dir = dirname(entry);
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
}
