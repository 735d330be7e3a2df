// Checking the audit chain: `relay audit verify` walks all of it in id order (the order events were chained
// in), /audit checks the few events it shows. Either names the first event that no longer fits, and why.
import type { AuditEvent } from "../generated/prisma/client.ts";
import { eventHash, GENESIS } from "./audit-chain.ts";
import type { PrismaClient } from "./database.ts";

/** An event as a report names it. */
export type EventRef = Pick<AuditEvent, "id" | "seq" | "at" | "action" | "entity" | "entityId">;

/**
 * unchained: no hash, so not recorded through the chain (inserted by hand, or its hash cleared);
 * altered: its fields no longer give its hash; missing: events between it and the one before are gone;
 * relinked: its prevHash is not the hash of the event before; misplaced: its place is not after the one before.
 */
export type BreakReason = "unchained" | "altered" | "missing" | "relinked" | "misplaced";

/** The first event that does not fit, and why. */
export interface ChainBreak {
  reason: BreakReason;
  event: EventRef;
  /** The event before it in the chain; none when the break is at the start. */
  previous?: EventRef;
  /** For "missing": how many events are gone. */
  missing?: number;
}

/** What a walk over the whole chain found. */
export interface Verification {
  /** Events that fit, from the start up to the break (all of them when there is none). */
  count: number;
  first?: EventRef;
  /** The last event that fits, with its hash: the head to note down elsewhere. */
  last?: EventRef & { hash: string };
  break?: ChainBreak;
  /** Asked to find a hash noted earlier: the event that has it, or null when none does any more. */
  expected?: EventRef | null;
}

/** Rows read per query: 100k events are 20 queries. */
const BATCH = 5000;

/** Why `event` does not follow `previous` (undefined: it should be the first event); undefined when it does. */
export function linkProblem(previous: AuditEvent | undefined, event: AuditEvent): Pick<ChainBreak, "reason" | "missing"> | undefined {
  if (event.seq === null || event.hash === null) return { reason: "unchained" };
  if (eventHash(event) !== event.hash) return { reason: "altered" };
  const before = previous ? { seq: previous.seq ?? 0, hash: previous.hash } : GENESIS;
  if (event.seq > before.seq + 1) return { reason: "missing", missing: event.seq - before.seq - 1 };
  if (event.seq <= before.seq) return { reason: "misplaced" };
  if (event.prevHash !== before.hash) return { reason: "relinked" };
  return undefined;
}

/** Walks the whole chain, in batches, and stops at the first event that does not fit. */
export async function verifyAuditChain(prisma: PrismaClient, opts: { expect?: string } = {}): Promise<Verification> {
  const result: Verification = { count: 0, expected: opts.expect === undefined ? undefined : null };
  let previous: AuditEvent | undefined;
  for (;;) {
    const rows = await prisma.auditEvent.findMany({ where: { id: { gt: previous?.id ?? 0 } }, orderBy: { id: "asc" }, take: BATCH });
    for (const event of rows) {
      const problem = linkProblem(previous, event);
      if (problem) return { ...result, break: { ...problem, event: refOf(event), previous: previous && refOf(previous) } };
      result.count++;
      result.first ??= refOf(event);
      result.last = { ...refOf(event), hash: event.hash! };
      if (opts.expect !== undefined && event.hash === opts.expect) result.expected = refOf(event);
      previous = event;
    }
    if (rows.length < BATCH) return result;
  }
}

/** Checks only `events` (as /audit shows them): each against its hash and the event before it in the chain. */
export async function checkEvents(prisma: PrismaClient, events: AuditEvent[]): Promise<ChainBreak | undefined> {
  for (const event of events) {
    // The event before it: in the chain by its place; one outside the chain has only its id to go by.
    const previous =
      (event.seq === null
        ? await prisma.auditEvent.findFirst({ where: { id: { lt: event.id } }, orderBy: { id: "desc" } })
        : await prisma.auditEvent.findFirst({ where: { seq: { lt: event.seq } }, orderBy: { seq: "desc" } })) ?? undefined;
    const problem = linkProblem(previous, event);
    if (problem) return { ...problem, event: refOf(event), previous: previous && refOf(previous) };
  }
  return undefined;
}

function refOf(e: AuditEvent): EventRef {
  return { id: e.id, seq: e.seq, at: e.at, action: e.action, entity: e.entity, entityId: e.entityId };
}
