// The audit trail is a hash chain: every AuditEvent stores its place (seq), the hash of the event before it and
// its own hash over both and its fields, so a row changed, removed or slipped in afterwards no longer fits.
// The hash is computed from the values exactly as they come back from the database (jsonb reorders keys and
// rewrites numbers; `at` is TIMESTAMP(3), milliseconds like a JS Date), so verifying recomputes the same bytes.
import { createHash } from "node:crypto";
import type { AuditEvent } from "../generated/prisma/client.ts";
import type { Tx } from "./audit.ts";

/** The fields the hash covers: everything but the hash itself. */
export type ChainedEvent = Pick<AuditEvent, "id" | "at" | "actorId" | "action" | "entity" | "entityId" | "data" | "seq" | "prevHash">;

/** The end of the chain: the last event's place and hash (seq 0, no hash, before the first). */
export interface Link {
  seq: number;
  hash: string | null;
}

export const GENESIS: Link = { seq: 0, hash: null };

// One chain per schema, so the lock is keyed by it (tests keep one schema each in a shared database). The
// two-key form is a separate key space from the migrator's one-key lock.
const LOCK_CHAIN = "SELECT pg_advisory_xact_lock(72707370, hashtext(current_schema()))";

/** How many earlier events are chained per statement. */
const BACKLOG_BATCH = 1000;

/**
 * sha256 (hex) of the event's canonical encoding: the JSON array [seq, prevHash, id, at (ISO 8601, UTC, ms),
 * actorId, action, entity, entityId, data], with data's object keys sorted.
 */
export function eventHash(e: ChainedEvent): string {
  const fields = [e.seq, e.prevHash, e.id, e.at.toISOString(), e.actorId, e.action, e.entity, e.entityId, e.data];
  return createHash("sha256").update(canonicalJson(fields)).digest("hex");
}

/** JSON with object keys sorted at every depth: one text for one value, whatever order the keys came in. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  const object = value as Record<string, unknown>;
  let out = "";
  for (const key of Object.keys(object).sort()) {
    if (object[key] === undefined) continue; // as JSON.stringify leaves it out
    out += `${out ? "," : ""}${JSON.stringify(key)}:${canonicalJson(object[key])}`;
  }
  return `{${out}}`;
}

/**
 * Takes the chain's lock until the transaction ends and returns the chain's last link. Holding the lock from
 * reading the head to committing keeps concurrent transactions (in any process) appending one after another,
 * in commit order. When nothing is chained yet, the events already there (recorded before the chain existed)
 * are chained first, in id order, so no unhashed beginning is left for anyone to extend.
 */
export async function lockChain(tx: Tx): Promise<{ head: Link; chained: number }> {
  // A statement of its own: under READ COMMITTED the next statement's snapshot then sees every commit before ours.
  await tx.$executeRawUnsafe(LOCK_CHAIN);
  const head = await tx.auditEvent.findFirst({ where: { seq: { not: null } }, orderBy: { seq: "desc" }, select: { seq: true, hash: true } });
  if (head) return { head: { seq: head.seq!, hash: head.hash }, chained: 0 };
  return chainBacklog(tx);
}

async function chainBacklog(tx: Tx): Promise<{ head: Link; chained: number }> {
  let head = GENESIS;
  let chained = 0;
  for (;;) {
    const rows = await tx.auditEvent.findMany({ where: { seq: null }, orderBy: { id: "asc" }, take: BACKLOG_BATCH });
    if (rows.length === 0) return { head, chained };
    const links = rows.map((row) => {
      const linked = { ...row, seq: head.seq + 1, prevHash: head.hash };
      head = { seq: linked.seq, hash: eventHash(linked) };
      return { id: row.id, seq: linked.seq, prevHash: linked.prevHash, hash: head.hash };
    });
    await tx.$executeRawUnsafe(
      `UPDATE "AuditEvent" AS e SET "seq" = v."seq", "prevHash" = v."prevHash", "hash" = v."hash"
         FROM jsonb_to_recordset($1::jsonb) AS v("id" int, "seq" int, "prevHash" text, "hash" text) WHERE e."id" = v."id"`,
      JSON.stringify(links),
    );
    chained += rows.length;
  }
}
