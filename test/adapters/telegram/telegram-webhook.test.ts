// Webhook specifics: the secret header, malformed and oversized bodies, duplicates across a restart; and a
// token Telegram refuses.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StartupError } from "../../../src/startup-error.ts";
import { testDatabase } from "../../support/db.ts";
import { FakeTelegram, privateMessage, user } from "../../support/fake-telegram.ts";
import { startupError } from "../../support/startup.ts";
import { SECRET, TelegramOffice } from "../../support/telegram-office.ts";

const wang = user(1001, "王", { last_name: "主任", language_code: "zh-hans" });

describe("Telegram webhook", () => {
  let tg: TelegramOffice;
  beforeAll(async () => {
    tg = await TelegramOffice.open("webhook");
  });
  afterAll(async () => tg?.close());

  it("refuses a missing or wrong secret with 401 and handles nothing", async () => {
    expect(await tg.deliver(privateMessage(wang, "/setup 王主任"), null)).toBe(401);
    expect(await tg.deliver(privateMessage(wang, "/setup 王主任"), "wrong")).toBe(401);
    expect(await tg.deliver(privateMessage(wang, "/setup 王主任"), SECRET.slice(0, -1))).toBe(401);
    await tg.settle();
    expect(tg.fake.callsTo("sendMessage")).toHaveLength(0);
    expect(await tg.deliver(privateMessage(wang, "/setup 王主任"))).toBe(200);
    await tg.waitFor(wang.id, "第一位管理员");
  });

  it("answers 200 to a malformed update so Telegram stops redelivering it, and 413 to a huge body", async () => {
    const post = (body: string) =>
      fetch(`http://127.0.0.1:${tg.port}/telegram/webhook`, { method: "POST", headers: { "x-telegram-bot-api-secret-token": SECRET }, body });
    expect((await post("{not json")).status).toBe(200);
    expect((await post(JSON.stringify({ hello: "world" }))).status).toBe(200);
    expect((await post("x".repeat(2 * 1024 * 1024))).status).toBe(413);
    expect((await fetch(`http://127.0.0.1:${tg.port}/healthz`)).status).toBe(200); // still serving
  });

  it("keeps duplicates out across a restart", async () => {
    const update = privateMessage(wang, "/whoami");
    await tg.deliver(update);
    await tg.waitFor(wang.id, "王主任（#1）");
    await tg.close({ keep: true });
    await tg.boot();
    await tg.deliver(update);
    await tg.deliver(privateMessage(wang, "/people"));
    await tg.waitFor(wang.id, "· 王主任 #1");
    expect(tg.fake.sent(wang.id).filter((m) => m.text.startsWith("王主任（#1）"))).toHaveLength(1);
  });
});

describe("a Telegram token Telegram refuses", () => {
  it("stops start-up with one line naming the variable", async () => {
    const fake = await FakeTelegram.start({ limits: false });
    const db = await testDatabase("postgres");
    try {
      const error = await startupError({ TELEGRAM_BOT_TOKEN: "123456:not-the-right-token", TELEGRAM_API_ROOT: fake.url }, db);
      expect(error).toBeInstanceOf(StartupError);
      expect((error as Error).message).toBe("Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): check it with @BotFather");
    } finally {
      await db.drop();
      await fake.close();
    }
  });
});
