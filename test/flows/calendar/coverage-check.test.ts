// A year with no holidays loaded never passes silently: on 4 December 2026 the next 60 days reach 2027, which
// chinese-days does not know. Every start logs it; the admins hear it once in chat, whether Relay restarts or
// two processes start at once; a process that runs into the window notices at its morning check; a loaded year
// is quiet. The 2027 days loaded here are made up for the test.
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.ts";
import { COVERAGE_CHECK } from "../../../src/flows/calendar/coverage-check.ts";
import { createRuntime, type Runtime } from "../../../src/runtime.ts";
import { testDatabase, type TestDatabase } from "../../support/db.ts";
import { TestClock } from "../../support/office.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../../support/redis.ts";
import { setupOffice } from "../../support/roster.ts";
import { TestAdapter } from "../../support/test-adapter.ts";

const NOTICE = "⚠ Relay 还没有 2027 年的节假日安排";

/** Relays on one database and Redis prefix, started one after another (or side by side), each with its own log. */
function offices(kind: "postgres" | "pglite", label: string, clock: TestClock) {
  const prefix = uniquePrefix(`${label}-${kind}`);
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix });
  const running: Runtime[] = [];
  let db: TestDatabase | undefined;
  return {
    async boot() {
      db ??= await testDatabase(kind);
      const lines: string[] = [];
      const log = pino({ level: "warn" }, { write: (line: string) => void lines.push(line) });
      const chat = new TestAdapter();
      const runtime = await createRuntime({ config, mode: "start", adapters: [chat], db, log, clock });
      chat.afterEvent = () => runtime.app.outbox.idle(10_000);
      running.push(runtime);
      /** The warnings this start logged about `year`. */
      const warned = (year: number) => lines.map((l) => JSON.parse(l) as { year?: number; msg: string }).filter((l) => l.year === year && l.msg.includes(`no arrangement for ${year}`));
      return { runtime, chat, warned, close: () => runtime.close() };
    },
    db: () => db!,
    async close() {
      for (const r of running) await r.close();
      await db?.drop();
      await flushPrefix(prefix);
    },
  };
}

describe.each(["postgres", "pglite"] as const)("the uncovered-year warning on %s", (kind) => {
  const clock = new TestClock(new Date("2026-12-04T10:00:00+08:00"));
  const relays = offices(kind, "coverage", clock);
  afterAll(() => relays.close());

  // Five starts on one database take a while on a busy machine.
  it("is logged at every start and told to each admin once, across restarts and processes", { timeout: 120_000 }, async () => {
    // A fresh install: nobody to tell yet, but the log says it; the first admin hears at /setup, a new admin on joining.
    const first = await relays.boot();
    expect(first.warned(2027)).toHaveLength(1);
    const join = await setupOffice(first.chat);
    await join("li", "李副主任", "admin");
    await join("qian", "钱干事", "member");
    await first.runtime.app.outbox.idle(10_000);
    for (const [who, times] of [["wang", 1], ["li", 1], ["qian", 0]] as const) expect(first.chat.inbox(who).filter((m) => m.text.startsWith(NOTICE))).toHaveLength(times);
    const [notice] = first.chat.inbox("wang").filter((m) => m.text.startsWith(NOTICE));
    expect(notice!.text).toContain("内置节假日表（chinese-days 1.5.7）只到 2026 年");
    expect(notice!.text).toContain("2027 年一律按周一至周五上班计算");
    expect(notice!.text).toContain("“日历 导入”");
    expect(notice!.text).toContain("relay calendar import 文件");
    await first.close();

    // Meanwhile someone makes 钱干事 an admin in the database: two processes starting at once each log it, and
    // she hears it once between them.
    const prisma = relays.db().prisma;
    await prisma.person.updateMany({ where: { name: "钱干事" }, data: { role: "admin" } });
    const [a, b] = await Promise.all([relays.boot(), relays.boot()]);
    expect([a.warned(2027).length, b.warned(2027).length]).toEqual([1, 1]);
    await expect.poll(() => prisma.outboxMessage.count({ where: { key: { startsWith: "calendar-uncovered-y2027" }, state: "sent" } }), { timeout: 30_000 }).toBe(3);
    for (const [who, times] of [["wang", 0], ["li", 0], ["qian", 1]] as const) {
      expect([...a.chat.inbox(who), ...b.chat.inbox(who)].filter((m) => m.text.startsWith(NOTICE))).toHaveLength(times);
    }
    expect(await prisma.calendarWarning.count({ where: { year: 2027 } })).toBe(3);
    await Promise.all([a.close(), b.close()]);

    // Another start: logged again, told again to nobody.
    const third = await relays.boot();
    expect(third.warned(2027)).toHaveLength(1);
    await third.runtime.app.outbox.idle(5000);
    expect(third.chat.inbox("wang").filter((m) => m.text.startsWith(NOTICE))).toEqual([]);
    expect(await prisma.outboxMessage.count({ where: { key: { startsWith: "calendar-uncovered" } } })).toBe(3);
    await third.close();
  });
});

describe("a long-running Relay's morning check", () => {
  const clock = new TestClock(new Date("2026-10-01T10:00:00+08:00")); // 60 days ahead is 30 November: all 2026
  const relays = offices("postgres", "coverage-daily", clock);
  afterAll(() => relays.close());

  it("notices when it runs into the window, and is quiet once the year is loaded", { timeout: 60_000 }, async () => {
    const relay = await relays.boot();
    expect(relay.warned(2027)).toEqual([]);
    await setupOffice(relay.chat);
    const scheduler = relay.runtime.app.scheduler;
    const [check] = await scheduler.upcoming(COVERAGE_CHECK);
    expect(check!.id).toBe("calendar-check-2026-10-02");

    // Weeks later, the morning check finds 2027 within 60 days.
    clock.set(new Date("2026-11-05T09:00:00+08:00"));
    await scheduler.promote(check!.id);
    const told = await relay.chat.waitFor("wang", NOTICE, 30_000);
    expect(told.text).toContain("2027");
    expect(relay.warned(2027)).toHaveLength(1);
    await expect.poll(async () => (await scheduler.upcoming(COVERAGE_CHECK)).map((j) => j.id)).toEqual(["calendar-check-2026-11-06"]);

    // The office loads 2027 (days made up for this test): the next start has nothing to say.
    const [loaded] = await relay.chat.say("wang", "日历 导入\n2027年 # made up for this test\n春节 放假 2月1日至2月3日");
    expect(loaded).toContain("已载入 2027 年的节假日安排");
    await relay.close();
    const again = await relays.boot();
    expect(again.warned(2027)).toEqual([]);
    await again.close();
  });
});
