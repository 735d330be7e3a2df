// Prints how long the audit chain takes: chaining N events recorded before it existed (the first start after
// the migration), `relay audit verify` over them, and appending one event with audit() (p50/p99), on
// PostgreSQL and PGlite. Run: npx tsx bench/audit-chain.ts [events]
import { audit, chainEarlierEvents } from "../src/db/audit.ts";
import { verifyAuditChain } from "../src/db/audit-verify.ts";
import { testDatabase } from "../test/support/db.ts";

const EVENTS = Number(process.argv[2] ?? 100_000);
const APPENDS = 500;

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;

async function measure(kind: "postgres" | "pglite"): Promise<string> {
  const db = await testDatabase(kind);
  try {
    // Rows shaped like a real trail: a respond event with a comment, ~150 bytes of jsonb each.
    await db.sql.query(
      `INSERT INTO "AuditEvent" ("action", "entity", "entityId", "data")
         SELECT 'circular.respond', 'Circular', (i % 500)::text, jsonb_build_object('response', 'ack', 'comment', '已安排专人负责 ' || i, 'delegate', null)
           FROM generate_series(1, ${EVENTS}) AS i`,
    );
    let t0 = performance.now();
    const chained = await chainEarlierEvents(db.prisma);
    const chaining = performance.now() - t0;
    t0 = performance.now();
    const verified = await verifyAuditChain(db.prisma);
    const verifying = performance.now() - t0;
    if (chained !== EVENTS || verified.count !== EVENTS || verified.break) throw new Error(`unexpected: chained ${chained}, verified ${JSON.stringify(verified)}`);
    const appends: number[] = [];
    for (let i = 0; i < APPENDS; i++) {
      const t = performance.now();
      await db.prisma.$transaction((tx) => audit(tx, { actorId: null, action: "bench.append", entity: "Bench", entityId: i, data: { i } }));
      appends.push(performance.now() - t);
    }
    appends.sort((a, b) => a - b);
    const p = (q: number) => `${appends[Math.ceil(q * appends.length) - 1]!.toFixed(2)} ms`;
    return `${kind.padEnd(8)}  chain ${EVENTS} earlier events: ${seconds(chaining)}  verify: ${seconds(verifying)}  audit() in its own transaction: p50=${p(0.5)} p99=${p(0.99)}`;
  } finally {
    await db.drop();
  }
}

console.log(`audit chain (node ${process.version})`);
for (const kind of ["postgres", "pglite"] as const) console.log(await measure(kind));
