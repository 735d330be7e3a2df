// Exports over Telegram, over real HTTP against the fake Bot API with its rate limits on: /export and /seal_export
// arrive as documents (multipart sendDocument) with the right name and bytes, a 3,000-row register included; they
// are paced like any other send; a file over Telegram's 50 MB is refused before anything is sent.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fileTooLarge } from "../../../src/bot/adapter.ts";
import { UserError } from "../../../src/bot/errors.ts";
import type { ChatRef } from "../../../src/bot/message.ts";
import { readCsv } from "../../support/csv.ts";
import { callbackQuery, FakeTelegram, MAX_UPLOAD_BYTES, privateMessage, user, type SentMessage } from "../../support/fake-telegram.ts";
import { TestClock } from "../../support/office.ts";
import { TelegramOffice } from "../../support/telegram-office.ts";

const wang = user(1001, "王", { last_name: "主任", language_code: "zh-hans" });
const li = user(1002, "李明");
const chatOf = (u: { id: number }): ChatRef => ({ platform: "telegram", id: String(u.id), kind: "direct" });
const data = (m: SentMessage) => (m.reply_markup!.inline_keyboard[0]![0] as { callback_data: string }).callback_data;

describe("exports over Telegram", () => {
  let tg: TelegramOffice;
  const clock = new TestClock(new Date("2026-11-25T10:00:00+08:00")); // a Wednesday morning
  beforeAll(async () => {
    // Telegram's limits on (1 message a second in a private chat after a short burst): a send past them gets a 429.
    tg = await TelegramOffice.open("polling", { fake: await FakeTelegram.start(), clock });
    await tg.deliver(privateMessage(wang, "/setup 王主任 城关镇"));
    await tg.waitFor(wang.id, "第一位管理员");
    await tg.deliver(privateMessage(wang, "/invite 李明 member 党政办 王主任"));
    const invite = await tg.waitFor(wang.id, "为 李明（成员");
    await tg.deliver(privateMessage(li, `/start ${/\/start ([A-Z0-9]{8})/.exec(invite.text)![1]}`));
    await tg.waitFor(li.id, "欢迎");
  });
  afterAll(async () => tg?.close());

  it("sends /export as a document named for the circular, the CSV byte for byte, its caption beside it", async () => {
    await tg.deliver(privateMessage(wang, "/notice 周五下午全体大会 发给 党政办 截止 周五17:00"));
    const preview = await tg.waitFor(wang.id, "请确认通知");
    await tg.deliver(callbackQuery(wang, preview, data(preview)));
    await tg.waitFor(wang.id, "已发布 通知〔2026〕1号（#1）");
    const notice = await tg.waitFor(li.id, /^【通知】/);
    await tg.deliver(callbackQuery(li, notice, data(notice)));
    await expect.poll(() => tg.db.prisma.receipt.count({ where: { response: "ack" } })).toBe(1);

    const texts = tg.fake.sent(wang.id).length;
    await tg.deliver(privateMessage(wang, "/export 1"));
    await expect.poll(() => tg.fake.documents(wang.id).length).toBe(1);
    const [doc] = tg.fake.documents(wang.id);
    expect(doc!.document).toMatchObject({ file_name: "circular-1-20261125-100000.csv", mime_type: "text/csv", file_size: doc!.data.length });
    expect(doc!.caption).toBe("通知〔2026〕1号（#1）回执表，共 1 行（CSV 文件，可用 Excel/WPS 打开）");
    expect(readCsv(doc!.data)).toEqual({
      bom: true,
      rows: [
        ["姓名", "单位", "回复", "说明", "委派给", "回复时间", "送达情况", "催办次数"],
        ["李明", "党政办", "收到", "", "", "2026-11-25 10:00", "已送达", "0"],
      ],
    });
    // No CSV pasted into a message, no path on the server.
    await tg.settle();
    expect(tg.fake.sent(wang.id).slice(texts).map((m) => m.text)).toEqual([]);
    const call = tg.fake.callsTo("sendDocument")[0]!;
    expect(call.body).toMatchObject({ chat_id: String(wang.id), document: expect.stringMatching(/^attach:\/\//) });
    expect(call.body).not.toHaveProperty("parse_mode"); // the caption is plain text
  });

  // A bound, not a speed test: 3,000 rows through PostgreSQL, CSV and multipart on a machine running the whole suite.
  it("sends a 3,000-row seal register whole, as one document", { timeout: 180_000 }, async () => {
    const me = await tg.db.prisma.person.findFirstOrThrow({ where: { name: "王主任" } });
    const requests = await tg.db.prisma.request.createManyAndReturn({
      data: Array.from({ length: 3000 }, () => ({ kind: "seal" as const, requesterId: me.id, status: "approved" as const, reason: "存档", form: {} })),
      select: { id: true },
    });
    await tg.db.prisma.sealEntry.createMany({
      data: requests.map((r, i) => ({
        requestId: r.id, year: 2026, serial: i + 1, seal: "official", document: `关于第${i + 1}批项目资金使用情况的报告`, copies: 2, purpose: "报县财政局, 存档", createdAt: clock.now(),
      })),
    });
    await tg.deliver(privateMessage(wang, "/seal_export"));
    await expect.poll(() => tg.fake.documents(wang.id).length, { timeout: 120_000 }).toBe(2);
    const doc = tg.fake.documents(wang.id)[1]!;
    expect(doc.document.file_name).toBe("seal-register-20261125-100000.csv");
    expect(doc.caption).toBe("用印登记表，共 3000 行（CSV 文件，可用 Excel/WPS 打开）");
    const { bom, rows } = readCsv(doc.data);
    expect(bom).toBe(true);
    expect(rows).toHaveLength(3001);
    expect(rows[1]).toEqual(["〔2026〕第1号", "2026-11-25", "公章", "关于第1批项目资金使用情况的报告", "2", "报县财政局, 存档", "王主任", "—"]);
    expect(rows[3000]![0]).toBe("〔2026〕第3000号");
    expect(doc.data.length).toBeGreaterThan(200_000);
  });

  it("paces documents like messages: five exports in a row meet no 429", async () => {
    const before = tg.fake.documents(wang.id).length;
    for (let i = 0; i < 5; i++) await tg.deliver(privateMessage(wang, "/export 1"));
    await expect.poll(() => tg.fake.documents(wang.id).length).toBe(before + 5);
    expect(tg.fake.tooManyRequests).toBe(0);
  });

  it("refuses a file over 50 MB before sending, and puts a caption too long for Telegram in a message first", async () => {
    const adapter = tg.runtime.app.bot.adapterFor("telegram")!;
    const calls = tg.fake.callsTo("sendDocument").length;
    const big = { filename: "big.csv", data: new Uint8Array(MAX_UPLOAD_BYTES + 1), mimeType: "text/csv" };
    const refused = adapter.sendFile(chatOf(wang), big);
    await expect(refused).rejects.toBeInstanceOf(UserError);
    await expect(refused).rejects.toMatchObject({ key: "file.tooLarge", params: fileTooLarge(big, MAX_UPLOAD_BYTES).params });
    expect(tg.fake.callsTo("sendDocument")).toHaveLength(calls);

    const caption = "说明".repeat(600); // 1,200 characters: over a caption's 1,024
    await adapter.sendFile(chatOf(li), { filename: "note.csv", data: Buffer.from("a\r\n"), mimeType: "text/csv", caption });
    expect(tg.fake.sent(li.id).at(-1)!.text).toBe(caption);
    expect(tg.fake.documents(li.id).at(-1)).toMatchObject({ document: { file_name: "note.csv" } });
    expect(tg.fake.documents(li.id).at(-1)).not.toHaveProperty("caption");
  });
});
