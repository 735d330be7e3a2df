// `relay audit verify` as an operator runs it, on PostgreSQL and the embedded PGlite: intact, a head noted
// earlier, and the exact event named (exit 1) after a row is changed or deleted with SQL.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../src/db/database.ts";
import { consoleEnvironment, runRelay } from "./support/cli.ts";

describe("relay audit with the wrong words", () => {
  it("answers with its usage, and exit 2", { timeout: 120_000 }, async () => {
    for (const args of [["audit"], ["audit", "check"], ["audit", "verify", "--head", "xyz"], ["audit", "verify", "--head"]]) {
      expect(await runRelay(args, {})).toMatchObject({ code: 2, stderr: "relay: usage: relay audit verify [--head HASH]\n" });
    }
  });
});

describe.each(["postgres", "pglite"] as const)("relay audit verify on %s", (kind) => {
  const { env, cleanup } = consoleEnvironment(kind, "audit");
  const en = { ...env, RELAY_LOCALE: "en" };
  /** Runs SQL on the database the relay processes use (none of them is running in between). */
  const sql = async (text: string) => {
    const vars: Record<string, string | undefined> = env;
    const db = await openDatabase({ url: vars.DATABASE_URL, dataDir: vars.RELAY_DATA_DIR });
    try {
      return await db.sql.query<{ id: number }>(text);
    } finally {
      await db.close();
    }
  };
  let head = "";
  beforeAll(async () => {
    const started = await runRelay(["start"], env, "/setup 王主任 城关镇\n/invite 李明 成员 综治办\n/lang en\n");
    expect(started.code).toBe(0);
  }, 120_000);
  afterAll(() => cleanup());

  it("says the chain is intact, from the first event to the last, and prints the head to note down", { timeout: 120_000 }, async () => {
    const ok = await runRelay(["audit", "verify"], en);
    expect([ok.code, ok.stderr]).toEqual([0, ""]);
    const lines = ok.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^5 events, chain intact \(first #1 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00, last #5 \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00\)\.$/);
    head = /^Head \(no\. 5\) hash: ([0-9a-f]{64})$/.exec(lines[1]!)![1]!;
    expect(lines[2]).toContain(`To check later: relay audit verify --head ${head}`);
    const zh = await runRelay(["audit", "verify"], env);
    expect(zh.stdout).toMatch(/^共 5 条审计记录，哈希链完好（第一条 #1 .+，最后一条 #5 .+）。\n链头（第 5 条）哈希：[0-9a-f]{64}\n/);
  });

  it("finds a head noted earlier, and says when one is not in the chain", { timeout: 120_000 }, async () => {
    const found = await runRelay(["audit", "verify", "--head", head], en);
    expect([found.code, found.stdout.trim().split("\n").at(-1)]).toEqual([0, expect.stringMatching(new RegExp(`^The head kept elsewhere, ${head}, is event #5 \\(no\\. 5, .+\\): nothing up to it was rewritten\\.$`))]);
    const unknown = await runRelay(["audit", "verify", "--head", "ab".repeat(32)], en);
    expect([unknown.code, unknown.stdout.trim().split("\n").at(-1)]).toEqual([1, `The head kept elsewhere, ${"ab".repeat(32)}, is no longer in the chain: the chain was rewritten or cut short.`]);
  });

  it("names the event whose row was changed, then the one after a deleted row, and exits 1", { timeout: 120_000 }, async () => {
    await sql(`UPDATE "AuditEvent" SET "data" = jsonb_set("data", '{name}', '"张三"') WHERE "id" = 4`); // the invitation
    const changed = await runRelay(["audit", "verify"], en);
    expect(changed.code).toBe(1);
    expect(changed.stdout).toMatch(/^Chain broken at event #4 \(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00, invite\.create on Invite 1\): its content no longer matches its hash \(the row was changed\)\.\nBefore it, 3 events are intact\.\n$/);
    const zh = await runRelay(["audit", "verify"], env);
    expect(zh.stdout).toMatch(/^哈希链在记录 #4 处断开（.+，invite\.create，Invite 1）：它的内容与记录时的哈希不符（记录被改过）。\n此前 3 条记录完好。\n$/);

    await sql(`DELETE FROM "AuditEvent" WHERE "id" = 4`);
    const deleted = await runRelay(["audit", "verify", "--head", head], en);
    expect(deleted.code).toBe(1);
    expect(deleted.stdout).toMatch(/^Chain broken at event #5 \(.+, person\.locale on Person 1\): 1 event is missing between #3 and it \(deleted\)\.\nBefore it, 3 events are intact\.\n$/);
  });
});
