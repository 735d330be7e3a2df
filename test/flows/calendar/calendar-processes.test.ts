// A calendar change made in one Relay process is counted with in the others: a `relay serve` takes an admin's
// /calendar, a `relay worker` beside it (its own database pool) sees it at its next check, and so do both when
// `relay calendar import` runs as a command of its own. The days are made up for the test.
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseWhen, type TimeRef } from "../../../src/bot/time-parse.ts";
import { formatInstant } from "../../../src/bot/time-zone.ts";
import { loadConfig } from "../../../src/config.ts";
import { openDatabase, type Database } from "../../../src/db/database.ts";
import { migrate } from "../../../src/db/migrator.ts";
import { createRuntime, type Runtime } from "../../../src/runtime.ts";
import { runRelay } from "../../support/cli.ts";
import { TEST_DATABASE_URL } from "../../support/db.ts";
import { TestClock } from "../../support/office.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../../support/redis.ts";
import { setupOffice } from "../../support/roster.ts";
import { TestAdapter } from "../../support/test-adapter.ts";

const SH = "Asia/Shanghai";
/** How often the processes here look for changes (the default is 10 s). */
const CHECK_MS = 100;

describe("one calendar across serve, worker and the command line", () => {
  const schema = `t_calendar_${randomBytes(4).toString("hex")}`;
  const prefix = uniquePrefix("calendar-processes");
  const dir = mkdtempSync(join(tmpdir(), "relay-calendar-"));
  const clock = new TestClock(new Date("2026-12-04T10:00:00+08:00"));
  const dbs: Database[] = [];
  let serve: Runtime;
  let worker: Runtime;
  const chat = new TestAdapter();

  const start = async (mode: "serve" | "worker", adapter: TestAdapter) => {
    const db = await openDatabase({ url: TEST_DATABASE_URL, schema });
    dbs.push(db);
    await migrate(db.sql);
    const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, DATABASE_URL: `${TEST_DATABASE_URL}?schema=${schema}` });
    return createRuntime({ config, mode, adapters: [adapter], db, clock, log: pino({ level: "silent" }), calendarCheckMs: CHECK_MS });
  };

  beforeAll(async () => {
    serve = await start("serve", chat);
    worker = await start("worker", new TestAdapter());
    await setupOffice(chat);
  });
  afterAll(async () => {
    await serve?.close();
    await worker?.close();
    await dbs[0]?.sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    for (const db of dbs) await db.close();
    await flushPrefix(prefix);
    rmSync(dir, { recursive: true, force: true });
  });

  const deadline = (runtime: Runtime) => {
    const ref: TimeRef = { now: clock.now(), timeZone: SH, deadline: true, calendar: runtime.app.calendar };
    const when = parseWhen("3个工作日内", ref);
    return when?.kind === "once" ? formatInstant(when.at, SH) : null;
  };

  it("an admin's day off in chat reaches the worker at its next check", async () => {
    expect(deadline(worker)).toBe("2026-12-09T18:00:00+08:00");
    expect(await chat.say("wang", "日历 放假 12月7日 测试假日")).toEqual(["已设置：12月7日(周一) 放假（测试假日）。"]);
    expect(deadline(serve)).toBe("2026-12-10T18:00:00+08:00"); // the process that made the change: at once
    await expect.poll(() => deadline(worker), { timeout: 30_000 }).toBe("2026-12-10T18:00:00+08:00");
  });

  it("a year imported on the command line reaches both", { timeout: 60_000 }, async () => {
    const file = join(dir, "made-up-2030.txt");
    writeFileSync(file, "# made up for this test\n2030年\n春节 放假 2月4日至2月8日 上班 2月9日\n");
    const imported = await runRelay(["calendar", "import", file], { DATABASE_URL: `${TEST_DATABASE_URL}?schema=${schema}` });
    expect([imported.code, imported.stdout.trim().split("\n")]).toEqual([0, [
      "已载入 2030 年的节假日安排：放假 5 天（春节 5 天），调休上班 1 天。",
      "正在运行的 Relay 会在 10 秒内按新安排计算。",
    ]]);
    for (const runtime of [serve, worker]) {
      await expect.poll(() => runtime.app.calendar.covers(2030), { timeout: 30_000 }).toBe(true);
      expect(runtime.app.calendar.isWorkday({ year: 2030, month: 2, day: 9 })).toBe(true); // a Saturday worked
      expect(runtime.app.calendar.officeYears()).toMatchObject([{ year: 2030, source: "made-up-2030.txt" }]);
    }
  });
});
