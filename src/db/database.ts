// The database: a Prisma client over PostgreSQL (a postgres URL) or embedded PGlite (no URL).
// The migrator needs plain SQL on the same connection, so both drivers also expose `SqlRunner`.
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "../generated/prisma/client.ts";

export type { PrismaClient } from "../generated/prisma/client.ts";

/** Plain SQL on the database Relay uses: for migrations, health checks and tests. */
export interface SqlRunner {
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements inside one transaction. */
  execInTransaction(script: string, after?: (tx: SqlRunner) => Promise<void>): Promise<void>;
}

export interface Database {
  kind: "postgres" | "pglite";
  prisma: PrismaClient;
  sql: SqlRunner;
  /** Human-readable location for logs (never includes a password). */
  where: string;
  close(): Promise<void>;
}

export interface DatabaseOptions {
  /** A postgresql:// URL; unset means embedded PGlite. */
  url?: string;
  /** PGlite data directory; unset with no url means in memory. */
  dataDir?: string;
  /** PostgreSQL schema to use instead of `public` (tests isolate themselves with one). */
  schema?: string;
  /** A PGlite data-directory image to start from instead of running initdb (tests, ~4x faster). */
  loadDataDir?: Blob;
}

/** Opens the database described by `opts`. */
export async function openDatabase(opts: DatabaseOptions): Promise<Database> {
  return opts.url ? openPostgres(opts.url, opts.schema) : openPGlite(opts.dataDir, opts.loadDataDir);
}

async function openPostgres(url: string, schemaParam?: string): Promise<Database> {
  const params = new URL(url).searchParams;
  const schema = schemaParam ?? params.get("schema") ?? undefined;
  const connectionString = stripOwnParams(url);
  const pool = new pg.Pool({
    connectionString,
    // Prisma's own URL parameter, for those who size pools by it (several processes on one small server).
    max: Number(params.get("connection_limit")) || DEFAULT_POOL_SIZE,
    // Bounded, so a database that stops answering (not refusing) is noticed as down instead of holding a command
    // forever (pg waits without limit by default); keep-alive notices a dead peer under an idle connection.
    connectionTimeoutMillis: 10_000,
    keepAlive: true,
    // Unqualified names in our own SQL (migrations, health) resolve in the chosen schema.
    options: schema ? `-c search_path="${schema}"` : undefined,
  });
  pool.on("error", () => {}); // an idle client dying is reported on the next query instead
  if (schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS "${schema}"`);
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, schema ? { schema } : undefined) });
  const sql: SqlRunner = {
    async query(text, params) {
      return (await pool.query(text, params as unknown[])).rows;
    },
    async execInTransaction(script, after) {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query(script);
        if (after) await after({ query: async (t, p) => (await client.query(t, p as unknown[])).rows, execInTransaction: notNested });
        await client.query("COMMIT");
      } catch (error) {
        await client.query("ROLLBACK").catch(() => {});
        throw error;
      } finally {
        client.release();
      }
    },
  };
  const u = new URL(connectionString);
  return {
    kind: "postgres",
    prisma,
    sql,
    where: `postgresql://${u.host}${u.pathname}${schema ? ` (schema ${schema})` : ""}`,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

async function openPGlite(dataDir?: string, loadDataDir?: Blob): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const lite = await PGlite.create({ dataDir, loadDataDir });
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(lite) });
  const sql: SqlRunner = {
    async query(text, params) {
      return (await lite.query(text, params as unknown[])).rows as never[];
    },
    async execInTransaction(script, after) {
      await lite.transaction(async (tx) => {
        await tx.exec(script);
        if (after) await after({ query: async (t, p) => (await tx.query(t, p as unknown[])).rows as never[], execInTransaction: notNested });
      });
    },
  };
  return {
    kind: "pglite",
    prisma,
    sql,
    where: dataDir ? `PGlite at ${dataDir}` : "PGlite in memory",
    async close() {
      await prisma.$disconnect();
      await lite.close();
    },
  };
}

function notNested(): Promise<void> {
  return Promise.reject(new Error("nested transactions are not supported"));
}

/** Connections per process unless the URL's `connection_limit` says otherwise. */
const DEFAULT_POOL_SIZE = 10;

/** The URL without the parameters Relay reads itself (pg would take them for server settings). */
function stripOwnParams(url: string): string {
  const u = new URL(url);
  u.searchParams.delete("schema");
  u.searchParams.delete("connection_limit");
  return u.toString();
}
