// A fault in the middle of a fan-out: a `relay worker` process is killed (SIGKILL) while it sends a notice
// to 200 people through the Telegram adapter, then started again. Nobody gets the notice twice; every
// receipt ends sent, or — for the few in flight at the kill — uncertain, shown to the author, never resent.
import { spawn, type ChildProcess } from "node:child_process";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../src/config.ts";
import { createRuntime, type Runtime } from "../../../src/runtime.ts";
import { RELAY_BIN, childEnv } from "../../support/cli.ts";
import { testDatabase, TEST_DATABASE_URL, type TestDatabase } from "../../support/db.ts";
import { FakeTelegram, callbackQuery, privateMessage, user } from "../../support/fake-telegram.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../../support/redis.ts";

const COUNT = 200;

describe("a worker killed in the middle of a fan-out", () => {
  let fake: FakeTelegram;
  let db: TestDatabase;
  let serve: Runtime;
  const prefix = uniquePrefix("fault");
  const children: ChildProcess[] = [];
  let env: Record<string, string>;

  beforeAll(async () => {
    fake = await FakeTelegram.start();
    db = await testDatabase("postgres");
    const schema = ((await db.sql.query<{ s: string }>("SELECT current_schema() AS s"))[0]!).s;
    env = {
      DATABASE_URL: `${TEST_DATABASE_URL}?schema=${schema}`,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_PREFIX: prefix,
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.url,
      RELAY_JOB_LOCK_SECONDS: "2", // a dead worker's jobs come back in seconds, not half a minute
      LOG_LEVEL: "error",
    };
    // The receiving side runs here (no workers: `relay serve`); sending is left to the child workers.
    serve = await createRuntime({ config: loadConfig(env), mode: "serve", adapters: [], db, log: pino({ level: "silent" }) });
  });
  afterAll(async () => {
    for (const child of children) child.kill("SIGKILL");
    await serve?.close();
    await db?.drop();
    await fake?.close();
    await flushPrefix(prefix);
  });

  const worker = () => {
    const child = spawn(process.execPath, [RELAY_BIN, "worker"], { env: childEnv(env), stdio: "ignore" });
    children.push(child);
    return child;
  };
  const copies = () => {
    const counts = new Map<string, number>();
    for (const call of fake.callsTo("sendMessage")) {
      const recipient = Number(call.body.chat_id) >= 10_000; // the roster below, not the secretary's preview
      if (recipient && String(call.body.text).includes("【通知】")) counts.set(String(call.body.chat_id), (counts.get(String(call.body.chat_id)) ?? 0) + 1);
    }
    return counts;
  };

  it("delivers to everyone at most once, and says which ones are uncertain", async () => {
    const secretary = user(1, "赵秘书");
    fake.pushUpdate(privateMessage(secretary, "/setup 赵秘书 城关镇"));
    await expect.poll(() => fake.sent(secretary.id).length).toBeGreaterThan(0);
    const unit = await db.prisma.unit.findFirstOrThrow();
    await db.prisma.person.createMany({ data: Array.from({ length: COUNT }, (_, i) => ({ name: `干部${i}`, unitId: unit.id })) });
    const people = await db.prisma.person.findMany({ where: { name: { startsWith: "干部" } } });
    await db.prisma.identity.createMany({ data: people.map((p) => ({ personId: p.id, platform: "telegram" as const, externalId: String(10_000 + p.id) })) });

    const first = worker();
    fake.pushUpdate(privateMessage(secretary, "/notice 防汛值班安排 发给 城关镇 截止 不限"));
    await expect.poll(() => fake.sent(secretary.id).find((m) => m.text.includes("请确认通知"))).toBeTruthy();
    const preview = fake.sent(secretary.id).find((m) => m.text.includes("请确认通知"))!;
    fake.pushUpdate(callbackQuery(secretary, preview, (preview.reply_markup!.inline_keyboard[0]![0] as { callback_data: string }).callback_data));

    await expect.poll(() => copies().size, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(50);
    first.kill("SIGKILL");
    await new Promise((resolve) => first.on("exit", resolve));
    const atKill = copies().size;
    expect(atKill).toBeLessThan(COUNT);

    worker();
    const total = await db.prisma.receipt.count(); // the 200, and the secretary (also in 城关镇)
    await expect
      .poll(() => db.prisma.receipt.count({ where: { delivery: { in: ["sent", "uncertain"] } } }), { timeout: 60_000, interval: 200 })
      .toBe(total);
    const receipts = await db.prisma.receipt.findMany({ where: { person: { name: { startsWith: "干部" } } }, select: { delivery: true, chatId: true } });
    const uncertain = receipts.filter((r) => r.delivery === "uncertain").length;
    const counts = copies();
    expect([...counts.values()].every((n) => n === 1)).toBe(true); // nobody twice
    expect(uncertain).toBeLessThanOrEqual(16); // at most the jobs in flight when the worker died
    expect(counts.size).toBeGreaterThanOrEqual(COUNT - uncertain);
    for (const r of receipts.filter((x) => x.delivery === "sent")) expect(counts.get(r.chatId!)).toBe(1);
    console.log(`fault test: ${atKill} sent before the kill, ${counts.size} of ${COUNT} received once, ${uncertain} uncertain, 0 twice`);
  });
});
