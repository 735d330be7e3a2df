// The `relay` command line as users run it: when, help, health, and a clean stop on SIGTERM.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConsoleSession, runRelay } from "./support/cli.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "./support/redis.ts";
import { freePort } from "./support/net.ts";


describe("relay when", () => {
  it("prints the instant in the office's zone, whatever the server's TZ", async () => {
    for (const TZ of ["UTC", "America/New_York"]) {
      const { code, stdout } = await runRelay(["when", "明天下午3点"], { TZ });
      expect(code).toBe(0);
      expect(stdout.trim()).toMatch(/^\d{4}-\d\d-\d\dT15:00:00\+08:00$/);
    }
  });

  it("honours RELAY_TIMEZONE and shows recurring rules", async () => {
    const { stdout } = await runRelay(["when", "every Monday 9am"], { RELAY_TIMEZONE: "Europe/London" });
    expect(stdout.trim()).toMatch(/^\d{4}-\d\d-\d\dT09:00:00\+00:00 {2}\(every Monday at 09:00; first occurrence\)$/);
  });

  it("prints a deadline's reading beside a day alone, one instant for by-phrases, and says what is past", async () => {
    const day = await runRelay(["when", "明天"], {});
    expect(day.stdout.trim()).toMatch(/^\d{4}-\d\d-\d\dT09:00:00\+08:00 {2}\(as a deadline: \d{4}-\d\d-\d\dT18:00:00\+08:00\)$/);
    const within = await runRelay(["when", "3个工作日内"], {});
    expect(within.stdout.trim()).toMatch(/^\d{4}-\d\d-\d\dT18:00:00\+08:00$/);
    const past = await runRelay(["when", "yesterday"], {});
    expect([past.code, past.stdout.trim()]).toEqual([0, expect.stringMatching(/^\d{4}-\d\d-\d\dT09:00:00\+08:00 {2}\(in the past\)$/)]);
  });

  it("says clearly when it cannot understand", async () => {
    const { code, stderr } = await runRelay(["when", "喝水"], {});
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('relay: cannot understand "喝水" as a time (Asia/Shanghai)');
  });
});

describe("relay help and unknown commands", () => {
  it("prints usage", async () => {
    const { code, stdout } = await runRelay(["help"], {});
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: relay <command>");
  });

  it("refuses an unknown command with usage", async () => {
    const { code, stderr } = await runRelay(["frob"], {});
    expect(code).toBe(2);
    expect(stderr).toContain('relay: unknown command "frob"');
  });
});

describe("relay import, then relay start", () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-cli-import-"));
  const prefix = uniquePrefix("cli-import");
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await flushPrefix(prefix);
  });

  it("imports the example, says how the first admin is made, and /setup in the console does it", { timeout: 180_000 }, async () => {
    const env = { RELAY_DATA_DIR: dir, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, RELAY_CONSOLE_USER: "root" };
    const imported = await runRelay(["import", "docs/roster-example.csv"], env);
    expect(imported.code).toBe(0);
    expect(imported.stdout.trim().split("\n")).toEqual([
      "导入完成：新建 5 个单位，新增 8 人，更新 0 人。",
      "下一步：名册中还没有管理员。启动 Relay（npm start，或已安装时 relay start）后，在与 Relay 的私聊中发送：/setup 姓名 [单位]，成为第一位管理员；名册中已有的人会关联到自己的记录，例如：/setup 陈建国 青石镇",
    ]);

    const started = await runRelay(["start"], env, "/setup 陈建国 青石镇\n/whoami\n/people 综治办\n");
    expect(started.code).toBe(0);
    expect(started.stdout).toContain("初始化完成：你的账号已关联到名册中的 陈建国（#1，青石镇），你是第一位管理员。");
    expect(started.stdout).toContain("角色：管理员");
    expect(started.stdout).toContain("账号：telegram:5011000001，console:root");
    expect(started.stdout).toContain("· 孙强 #5 — 成员，上级 赵敏");
    expect(started.stdout).not.toContain("已完成初始化");

    // The same file again would make him 领导 again and leave nobody to act as admin: refused, saying why.
    const again = await runRelay(["import", "docs/roster-example.csv"], env);
    expect(again.code).toBe(1);
    expect(again.stdout.trim().split("\n")).toEqual([
      "未导入任何数据，请改正以下 1 处错误后重试：",
      "第 2 行：陈建国 是本单位能操作的管理员；导入会把其角色改为“领导”，本单位将没有管理员。请把这一行的角色改为“管理员”或留空",
    ]);
    const fixed = join(dir, "roster-fixed.csv");
    writeFileSync(fixed, readFileSync("docs/roster-example.csv", "utf8").replace("陈建国,青石镇,,领导", "陈建国,青石镇,,管理员"));
    const third = await runRelay(["import", fixed], { ...env, RELAY_LOCALE: "en" });
    expect(third.code).toBe(0);
    expect(third.stdout.trim().split("\n").slice(1)).toEqual([
      "The admin 陈建国 already has a chat account and can use Relay in chat now.",
      "3 people on the roster have no chat account yet: an admin or secretary gives each an invite code with /invite NAME; joining links them to their entry.",
    ]);
  });
});

describe("relay calendar", () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-cli-calendar-"));
  const env = { RELAY_DATA_DIR: dir };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("imports an arrangement, refuses a bad file by its lines, shows the calendar, and relay when follows it", { timeout: 240_000 }, async () => {
    const imported = await runRelay(["calendar", "import", "docs/holidays-2026.txt"], env);
    expect([imported.code, imported.stdout.trim().split("\n")]).toEqual([0, [
      "已载入 2026 年的节假日安排：放假 33 天（元旦 3 天、春节 9 天、清明 3 天、劳动节 5 天、端午 3 天、中秋 3 天、国庆节 7 天），调休上班 6 天。",
      "正在运行的 Relay 会在 10 秒内按新安排计算。",
    ]]);

    const bad = join(dir, "bad.txt");
    writeFileSync(bad, "2035年\n春节 放假 2月8日至2月14日\n上班 2月19日\n清明 放假 4月5日至\n");
    const refused = await runRelay(["calendar", "import", bad], { ...env, RELAY_LOCALE: "en" });
    expect([refused.code, refused.stdout.trim().split("\n")]).toEqual([1, [
      "Nothing was loaded; fix these problems and try again:",
      "line 3: 2035-02-19 is a Monday, a working day anyway: make-up working days are Saturdays or Sundays",
      "line 4: a range has no end date",
    ]]);
    const missing = await runRelay(["calendar", "import", join(dir, "nope.txt")], env);
    expect([missing.code, missing.stderr]).toEqual([2, expect.stringMatching(/^relay: 无法读取文件 .*nope\.txt：ENOENT/)]);

    // 2035 is in no calendar: relay when says so …
    const before = await runRelay(["when", "2035年3月5日"], env);
    expect(before.stdout).toContain("2035 holidays not loaded, so counted as plain Monday–Friday");
    // … until the office loads it (days made up for the test).
    const file = join(dir, "made-up-2035.txt");
    writeFileSync(file, "# made up for this test\n2035 春节 放假 2月8日至2月14日\n");
    expect((await runRelay(["calendar", "import", file], env)).code).toBe(0);
    const after = await runRelay(["when", "2035年3月5日"], env);
    expect(after.stdout.trim()).toBe("2035-03-05T09:00:00+08:00  (as a deadline: 2035-03-05T18:00:00+08:00)");

    const shown = await runRelay(["calendar"], env);
    expect(shown.code).toBe(0);
    expect(shown.stdout).toMatch(/· 2026 年：本办公室载入（holidays-2026\.txt，.*）\n· 2035 年：本办公室载入（made-up-2035\.txt，/);
    expect((await runRelay(["calendar", "frob"], env)).stderr).toBe("relay: usage: relay calendar [import FILE]\n");
  });
});

describe("relay start with PORT", () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-cli-"));
  const prefix = uniquePrefix("cli");
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await flushPrefix(prefix);
  });

  it("answers /healthz, refuses a second Relay on the same data directory, and stops cleanly on SIGTERM", async () => {
    const port = await freePort();
    const env = { RELAY_DATA_DIR: dir, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, PORT: String(port) };
    const relay = new ConsoleSession(env);
    try {
      let health: Response | undefined;
      for (let i = 0; i < 600 && !health; i++) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        if (!health) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health?.status).toBe(200);
      expect(await health!.json()).toEqual({ status: "ok", database: "ok", redis: "ok", adapters: { console: { connected: true } } });
      expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);

      const second = await runRelay(["start"], { ...env, PORT: undefined });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/Another Relay \(pid \d+\) is using the embedded database/);

      relay.child.kill("SIGTERM");
      const code = await new Promise((resolve) => relay.child.on("close", resolve));
      expect(code).toBe(0);
    } finally {
      relay.kill();
    }
  });
});
