// Fresh, migrated databases for tests: a throw-away schema in PostgreSQL's `test` database, or an
// in-memory PGlite.
//
// A new PGlite runs initdb (~1.5–2.5 s). Loading a saved data-directory image instead takes ~0.5 s, so
// the first test process saves an image of a fresh cluster under the temp directory (keyed by PGlite's
// version) and every PGlite test database starts from it, then runs the real migrations.
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { openDatabase, type Database } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrator.ts";

export type TestDatabase = Database & {
  /** Removes everything this database holds (its schema, or the PGlite instance) and closes it. Safe to call twice. */
  drop(): Promise<void>;
};

/** The PostgreSQL database tests create their schemas in. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

/** A fresh database of `kind` with all migrations applied (or none, with `{ migrate: false }`). */
export async function testDatabase(kind: "postgres" | "pglite", opts: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const db = kind === "postgres" ? await postgresSchema() : await pgliteFromImage();
  if (opts.migrate !== false) {
    await migrate(db.sql).catch(async (error: unknown) => {
      await db.drop();
      throw error;
    });
  }
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

async function pgliteFromImage(): Promise<TestDatabase> {
  const db = await openDatabase({ loadDataDir: await freshClusterImage() });
  return withDrop(db, () => db.close());
}

function withDrop(db: Database, drop: () => Promise<void>): TestDatabase {
  let dropped: Promise<void> | undefined;
  return Object.assign(db, { drop: () => (dropped ??= drop()) });
}

let image: Promise<Blob> | undefined;

/** A tarball of a freshly initialised PGlite cluster: read from the temp directory, or made and saved there. */
function freshClusterImage(): Promise<Blob> {
  image ??= (async () => {
    const file = join(tmpdir(), "relay-test", `pglite-${pgliteVersion()}.tar`);
    if (existsSync(file)) return new Blob([await readFile(file)]);
    const lite = await PGlite.create();
    const tar = await lite.dumpDataDir("none"); // uncompressed: 40 MB, but loads faster than gzip
    await lite.close();
    // Test files run in parallel processes; write-then-rename so none reads a half-written image.
    await mkdir(dirname(file), { recursive: true });
    const partial = `${file}.${randomBytes(4).toString("hex")}.partial`;
    await writeFile(partial, new Uint8Array(await tar.arrayBuffer()));
    await rename(partial, file).catch(() => rm(partial, { force: true }));
    return tar;
  })();
  image.catch(() => (image = undefined)); // let a later call retry
  return image;
}

function pgliteVersion(): string {
  let dir = dirname(createRequire(import.meta.url).resolve("@electric-sql/pglite"));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return (JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { version: string }).version;
}
