// The audit trail as a hash chain on PostgreSQL and PGlite: kept one line by concurrent transactions, and any row
// changed, deleted or slipped in afterwards named by verifyAuditChain. (Built by ordinary flows: test/flows/audit.)
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { audit, chainEarlierEvents } from "../../src/db/audit.ts";
import { canonicalJson, eventHash } from "../../src/db/audit-chain.ts";
import { verifyAuditChain } from "../../src/db/audit-verify.ts";
import { openDatabase } from "../../src/db/database.ts";
import { defaultMigrationsDir, migrate, readMigrations } from "../../src/db/migrator.ts";
import { openOffice, TestClock, type Office } from "../support/office.ts";
import { TEST_DATABASE_URL, testDatabase, type TestDatabase } from "../support/db.ts";
import { SAFETY_NET_MS } from "../support/wait.ts";

/** Verifies the whole chain, expecting it to hold. */
async function intact(prisma: TestDatabase["prisma"]) {
  const result = await verifyAuditChain(prisma);
  expect(result.break).toBeUndefined();
  return result;
}

const record = (db: TestDatabase, action: string, data?: object, actorId: number | null = null) =>
  db.prisma.$transaction((tx) => audit(tx, { actorId, action, entity: "Test", entityId: action, data: data as never }));

describe("canonical encoding", () => {
  it("gives one text whatever order the keys came in, at every depth", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: null, y: "é" }], c: true } })).toBe('{"a":{"c":true,"d":[1,{"y":"é","z":null}]},"b":1}');
    expect(canonicalJson({ a: 1 })).toBe(canonicalJson(JSON.parse('{"a": 1}')));
  });
});

describe.each(["postgres", "pglite"] as const)("the audit chain on %s", (kind) => {
  const open: TestDatabase[] = [];
  const fresh = async () => {
    const db = await testDatabase(kind);
    open.push(db);
    return db;
  };
  afterEach(async () => {
    await Promise.all(open.splice(0).map((db) => db.drop()));
  });

  it("links each event to the one before, and hashes values as jsonb gives them back", async () => {
    const db = await fresh();
    // jsonb reorders keys (shorter first), writes 1e21 out in full and keeps no -0: the hash must not care.
    await record(db, "a", { zeta: 1, a: [1.5, 1e21, -0, 0.1], nested: { long_key: "汉字\u2028", k: null }, big: 2 ** 60 });
    await record(db, "b");
    await record(db, "c", { n: 12345678901234567890 });
    const rows = await db.prisma.auditEvent.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((r) => r.seq)).toEqual([1, 2, 3]);
    expect(rows.map((r) => r.prevHash)).toEqual([null, rows[0]!.hash, rows[1]!.hash]);
    for (const row of rows) expect(eventHash(row)).toBe(row.hash);
    expect(await intact(db.prisma)).toMatchObject({ count: 3, first: { id: rows[0]!.id }, last: { id: rows[2]!.id, hash: rows[2]!.hash } });
  });

  it("names the event whose data, action or actor was changed with SQL", async () => {
    const db = await fresh();
    const person = await db.prisma.person.create({ data: { name: "王芳" } });
    const other = await db.prisma.person.create({ data: { name: "李明" } });
    for (const action of ["one", "two", "three", "four"]) await record(db, action, { n: 1 }, person.id);
    const [, two, three, four] = await db.prisma.auditEvent.findMany({ orderBy: { id: "asc" } });
    const tampered = [
      `UPDATE "AuditEvent" SET "data" = '{"n": 2}' WHERE "id" = ${two!.id}`,
      `UPDATE "AuditEvent" SET "action" = 'nothing' WHERE "id" = ${three!.id}`,
      `UPDATE "AuditEvent" SET "actorId" = ${other.id} WHERE "id" = ${four!.id}`,
    ];
    // Each in turn (the earlier ones put back): the first break is the row changed.
    for (const [i, sql] of tampered.entries()) {
      const row = [two, three, four][i]!;
      await db.sql.query(sql);
      const result = await verifyAuditChain(db.prisma);
      expect(result.break).toMatchObject({ reason: "altered", event: { id: row.id, action: i === 1 ? "nothing" : row.action } });
      expect(result.count).toBe(i + 1);
      await db.sql.query(`UPDATE "AuditEvent" SET "data" = '{"n": 1}', "action" = $2, "actorId" = $3 WHERE "id" = $1`, [row.id, row.action, person.id]);
    }
    expect((await verifyAuditChain(db.prisma)).break).toBeUndefined();
  });

  it("names the event after a deleted one, the first one after a deleted start, and a row slipped in", async () => {
    const db = await fresh();
    for (const action of ["one", "two", "three", "four", "five"]) await record(db, action);
    const [one, two, three, four] = await db.prisma.auditEvent.findMany({ orderBy: { id: "asc" } });

    await db.sql.query(`DELETE FROM "AuditEvent" WHERE "id" IN ($1, $2)`, [two!.id, three!.id]);
    expect((await verifyAuditChain(db.prisma)).break).toMatchObject({ reason: "missing", missing: 2, event: { id: four!.id }, previous: { id: one!.id } });

    await db.sql.query(`DELETE FROM "AuditEvent" WHERE "id" = $1`, [one!.id]);
    expect((await verifyAuditChain(db.prisma)).break).toMatchObject({ reason: "missing", missing: 3, event: { id: four!.id }, previous: undefined });

    // A forged row, as someone with SQL would add one: no hash, or a made-up one in the next place.
    const db2 = await fresh();
    for (const action of ["one", "two"]) await record(db2, action);
    const [forged] = await db2.sql.query<{ id: number }>(`INSERT INTO "AuditEvent" ("action", "entity") VALUES ('request.approve', 'Request') RETURNING "id"`);
    await record(db2, "three"); // Relay carries on after the last chained event, leaving the forged row out
    expect((await verifyAuditChain(db2.prisma)).break).toMatchObject({ reason: "unchained", event: { id: forged!.id, action: "request.approve" } });
    await db2.sql.query(`DELETE FROM "AuditEvent" WHERE "id" = $1`, [forged!.id]);
    expect((await verifyAuditChain(db2.prisma)).break).toBeUndefined();

    const head = (await verifyAuditChain(db2.prisma)).last!;
    const [next] = await db2.sql.query<{ id: number }>(
      `INSERT INTO "AuditEvent" ("action", "entity", "seq", "prevHash", "hash") VALUES ('seal.register', 'SealEntry', $1, $2, $3) RETURNING "id"`,
      [head.seq! + 1, head.hash, "0".repeat(64)],
    );
    expect((await verifyAuditChain(db2.prisma)).break).toMatchObject({ reason: "altered", event: { id: next!.id } });
  });

  it("finds a head noted earlier, and says when it is gone", async () => {
    const db = await fresh();
    for (const action of ["one", "two", "three"]) await record(db, action);
    const noted = (await verifyAuditChain(db.prisma)).last!;
    await record(db, "four");
    expect((await verifyAuditChain(db.prisma, { expect: noted.hash })).expected).toMatchObject({ id: noted.id });
    await db.sql.query(`DELETE FROM "AuditEvent" WHERE "id" = $1`, [noted.id]); // the tail cut back to before it
    await db.sql.query(`DELETE FROM "AuditEvent" WHERE "id" > $1`, [noted.id]);
    const cut = await verifyAuditChain(db.prisma, { expect: noted.hash });
    expect([cut.break, cut.count, cut.expected]).toEqual([undefined, 2, null]);
  });

  it("keeps parallel transactions in one line", async () => {
    const db = await fresh();
    await Promise.all(Array.from({ length: 20 }, (_, i) => record(db, `parallel-${i}`, { i })));
    const rows = await db.prisma.auditEvent.findMany({ orderBy: { id: "asc" } });
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect((await verifyAuditChain(db.prisma)).count).toBe(20);
  });

  it("will not let a person named in the trail be deleted, which would rewrite the rows", async () => {
    const db = await fresh();
    const person = await db.prisma.person.create({ data: { name: "王芳" } });
    await record(db, "one", {}, person.id);
    await expect(db.prisma.person.delete({ where: { id: person.id } })).rejects.toThrow(/foreign key/i);
    expect((await verifyAuditChain(db.prisma)).break).toBeUndefined();
  });
});

describe.each(["postgres", "pglite"] as const)("events recorded before the chain existed, on %s", (kind) => {
  let db: TestDatabase;
  let earlier: string;
  beforeAll(async () => {
    db = await testDatabase(kind, { migrate: false });
    // The migrations up to the one that added the chain, then a trail written as Relay wrote it then.
    earlier = mkdtempSync(join(tmpdir(), "relay-migrations-"));
    for (const m of (await readMigrations(defaultMigrationsDir)).filter((m) => !m.name.endsWith("_audit_chain"))) {
      cpSync(join(defaultMigrationsDir, m.name), join(earlier, m.name), { recursive: true });
    }
    await migrate(db.sql, { dir: earlier });
    await db.sql.query(`INSERT INTO "Person" ("name", "updatedAt") VALUES ('王芳', now())`);
    await db.sql.query(
      `INSERT INTO "AuditEvent" ("actorId", "action", "entity", "entityId", "data")
         SELECT 1, 'circular.respond', 'Circular', i::text, jsonb_build_object('response', 'ack', 'comment', '第 ' || i || ' 条', 'x', i / 3.0)
           FROM generate_series(1, 2500) AS i`,
    );
  });
  afterAll(async () => {
    rmSync(earlier, { recursive: true, force: true });
    await db?.drop();
  });

  it("chains them in id order at the first start, then carries on from them", async () => {
    await migrate(db.sql);
    expect((await verifyAuditChain(db.prisma)).break).toMatchObject({ reason: "unchained", previous: undefined });
    expect(await chainEarlierEvents(db.prisma)).toBe(2500);
    expect(await chainEarlierEvents(db.prisma)).toBe(0); // once only
    await record(db, "after");
    expect(await intact(db.prisma)).toMatchObject({ count: 2501, first: { id: 1, seq: 1 }, last: { id: 2501, seq: 2501, action: "after" } });
  });

  it("counts a row without a hash after the chain began as a break, and neither start nor audit() hides it", async () => {
    const [stray] = await db.sql.query<{ id: number }>(`INSERT INTO "AuditEvent" ("action", "entity") VALUES ('person.join', 'Person') RETURNING "id"`);
    expect(await chainEarlierEvents(db.prisma)).toBe(0);
    await record(db, "later");
    expect((await verifyAuditChain(db.prisma)).break).toMatchObject({ reason: "unchained", event: { id: stray!.id } });
  });
});

describe("concurrent audits from separate connection pools (as from several processes) on postgres", () => {
  let office: Office;
  afterAll(async () => office?.close());

  it("form one intact chain in commit order", async () => {
    office = await openOffice("postgres", { clock: new TestClock(new Date("2026-12-01T10:00:00+08:00")) });
    const schema = (await office.runtime.app.db.sql.query<{ s: string }>("SELECT current_schema() AS s"))[0]!.s;
    // Small pools: the point is several pools, and two suites at once must stay within PostgreSQL's connections.
    const others = await Promise.all([1, 2, 3].map(() => openDatabase({ url: `${TEST_DATABASE_URL}?connection_limit=3`, schema })));
    try {
      const pools = [office.runtime.app.prisma, ...others.map((o) => o.prisma)];
      // Each transaction changes a row of its own and records it, all at once across the four pools.
      const units = await Promise.all(Array.from({ length: 40 }, (_, i) => office.runtime.app.prisma.unit.create({ data: { name: `单位${i}` } })));
      await Promise.all(
        units.map((unit, i) =>
          pools[i % pools.length]!.$transaction(async (tx) => {
            await tx.unit.update({ where: { id: unit.id }, data: { name: `改名${i}` } });
            await audit(tx, { actorId: null, action: "unit.rename", entity: "Unit", entityId: unit.id, data: { name: `改名${i}` } });
            // Forty at once wait their turn for a connection and for the chain's lock: on a busy machine longer
            // than Prisma's defaults (2 s for a connection, 5 s in all), which are not what is tested here.
          }, { maxWait: SAFETY_NET_MS, timeout: SAFETY_NET_MS }),
        ),
      );
      const rows = await office.runtime.app.prisma.auditEvent.findMany({ orderBy: { id: "asc" } });
      expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i + 1)); // id order is chain order: no fork, no gap
      expect(await intact(office.runtime.app.prisma)).toMatchObject({ count: 40 });
    } finally {
      await Promise.all(others.map((o) => o.close()));
    }
  });
});
