// Exports on the console, through the real `relay start` with piped stdin: the console's user is on the server,
// so the CSV is saved under RELAY_DATA_DIR/exports (never over an earlier file) and its path printed.
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { ConsoleSession } from "../../support/cli.ts";
import { readCsv } from "../../support/csv.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../../support/redis.ts";

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

describe("exports on the console", () => {
  const prefix = uniquePrefix("console-export");
  const dataDir = mkdtempSync(join(tmpdir(), "relay-console-export-"));
  const schema = `t_cexport_${prefix.slice(-8)}`;
  const env = { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, RELAY_CONSOLE_USER: "wang", RELAY_DATA_DIR: dataDir, DATABASE_URL: `${PG_URL}?schema=${schema}` };
  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await flushPrefix(prefix);
    const client = new pg.Client(PG_URL);
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await client.end();
  });

  it("saves /export and /seal_export under RELAY_DATA_DIR/exports and prints where, never overwriting", async () => {
    const s = new ConsoleSession(env);
    try {
      s.type("/setup 王主任 城关镇");
      await s.waitFor(/你是第一位管理员/, 90_000); // a cold start
      s.type("/invite 李明 成员 城关镇");
      const [, code] = await s.waitFor(/生成邀请码：([A-Z0-9]{4}-[A-Z0-9]{4})/);
      s.type("/as 李明");
      s.type(`/join ${code}`);
      await s.waitFor(/欢迎，李明/);
      s.type("/as 王主任");
      s.type("/notice 周五大会 发给 李明 截止 周五17:00");
      const [, publish] = await s.waitFor(/\[(\d+)\] ✓ 发布/);
      s.type(publish!);
      await s.waitFor(/已发布 通知/);
      s.type("/as 李明");
      s.type("回复 1 收到");
      await s.waitFor(/已记录：收到/);
      s.type("/as 王主任");
      for (const line of ["/export 1", "/export 1", "/seal_export"]) s.type(line);
      await s.waitFor(/(📎 \S+[\s\S]*){3}/);
    } finally {
      await s.end();
    }
    const { stdout } = s;
    const saved = [...stdout.matchAll(/^\s*📎 (\S+)$/gm)].map((m) => m[1]!);
    expect(saved).toHaveLength(3);
    const exportsDir = join(dataDir, "exports");
    expect(saved[0]).toMatch(new RegExp(`^${exportsDir}/circular-1-\\d{8}-\\d{6}\\.csv$`));
    expect(saved[2]).toMatch(new RegExp(`^${exportsDir}/seal-register-\\d{8}-\\d{6}\\.csv$`));
    expect(new Set(saved).size).toBe(3); // a second export within the same second gets "-2", never the first one's name
    expect(stdout).toMatch(/Relay ▸ 通知〔\d{4}〕1号（#1）回执表，共 1 行（CSV 文件，可用 Excel\/WPS 打开）\n\s+📎 /);
    for (const path of saved) expect(existsSync(path)).toBe(true);
    const receipts = readCsv(readFileSync(saved[1]!));
    expect(receipts.bom).toBe(true);
    expect(receipts.rows[0]).toEqual(["姓名", "单位", "回复", "说明", "委派给", "回复时间", "送达情况", "催办次数"]);
    expect(receipts.rows[1]!.slice(0, 3)).toEqual(["李明", "城关镇", "收到"]);
    expect(readFileSync(saved[0]!).equals(readFileSync(saved[1]!))).toBe(true);
    expect(readCsv(readFileSync(saved[2]!)).rows).toEqual([["编号", "日期", "印章", "文件", "份数", "用途", "申请人", "批准人"]]);
    expect(stdout).not.toContain("姓名,单位"); // the table is in the file, not on the screen
  });
});
