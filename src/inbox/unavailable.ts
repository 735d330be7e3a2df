// Which failures mean "PostgreSQL cannot be reached now" rather than a bug: what Prisma's pg adapter and pg itself
// throw when the server is down, restarting or cut off (checked against a cut TCP proxy: a refused connection is
// Prisma's P1001 with DriverAdapterError kind DatabaseNotReachable; a connection cut mid-query is pg's plain
// "Connection terminated unexpectedly", or "…not queryable" inside a transaction).
import { StoreUnavailableError } from "../bot/errors.ts";

/** Prisma's codes for an unreachable, timed-out or closed database, and an exhausted pool. */
const PRISMA_CODES = new Set(["P1001", "P1002", "P1008", "P1017", "P2024"]);
/** The driver adapter's kinds of the same. */
const ADAPTER_KINDS = new Set(["DatabaseNotReachable", "ConnectionClosed", "SocketTimeout", "TooManyConnections"]);
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "ECONNABORTED"]);
/** SQLSTATEs of a server shutting down or not accepting yet (57P0x), and the connection exceptions (08xxx). */
const SQLSTATE = /^(57P0[1-3]|08\w{3})$/;
const MESSAGES = /Connection terminated|connection error and is not queryable|Client was closed and is not queryable|timeout exceeded when trying to connect|Can't reach database server/i;

/** Whether `error` (or what caused it) says the database cannot be reached now. */
export function databaseUnavailable(error: unknown): boolean {
  for (let e = error as Record<string, unknown> | undefined, depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    if (e instanceof StoreUnavailableError) return e.store === "database";
    const code = typeof e.code === "string" ? e.code : undefined;
    if (code && (PRISMA_CODES.has(code) || NETWORK_CODES.has(code) || SQLSTATE.test(code))) return true;
    const kind = (e.meta as { driverAdapterError?: { cause?: { kind?: string } } } | undefined)?.driverAdapterError?.cause?.kind ?? (e.kind as string | undefined);
    if (kind && ADAPTER_KINDS.has(kind)) return true;
    if (typeof e.message === "string" && MESSAGES.test(e.message)) return true;
    e = e.cause as Record<string, unknown> | undefined;
  }
  return false;
}

/** `error` as a StoreUnavailableError when it means the database is down; otherwise `error` itself. */
export function asDatabaseUnavailable(error: unknown): unknown {
  return databaseUnavailable(error) && !(error instanceof StoreUnavailableError) ? new StoreUnavailableError("database", { cause: error }) : error;
}

/** Rejects with StoreUnavailableError(`store`) unless `work` settles within `ms`: a store that hangs counts as down. */
export async function within<T>(store: StoreUnavailableError["store"], ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(store, { cause: new Error(`no answer within ${ms} ms`) })), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}
