// The fake Telegram must answer like Telegram, or adapter tests prove nothing: grammY talks to it over HTTP here.
import { afterEach, describe, expect, it } from "vitest";
import { randomBytes } from "node:crypto";
import { Bot, GrammyError, HttpError, InlineKeyboard, InputFile } from "grammy";
import {
  FakeTelegram, MAX_UPLOAD_BYTES, type FakeTelegramOptions, anonymousAdminMessage, callbackQuery, channel, channelPost, editedMessage,
  group, groupCommand, myChatMember, parseHtml, privateMessage, sticker, user,
} from "./fake-telegram.ts";
import { until } from "./wait.ts";

const li = user(1001, "Li", { username: "li_wei", language_code: "zh-hans" });
const office = group(-1001234567890, "Office");
let fake: FakeTelegram;
let bot: Bot;

async function start(opts: FakeTelegramOptions = {}, timeoutSeconds?: number): Promise<void> {
  fake = await FakeTelegram.start(opts);
  bot = new Bot(fake.token, { client: { apiRoot: fake.url, ...(timeoutSeconds ? { timeoutSeconds } : {}) } });
}
const apiError = (error_code: number, description: string) => expect.objectContaining({ name: "GrammyError", error_code, description });

afterEach(async () => {
  await fake?.close();
});

describe("FakeTelegram: the basics", () => {
  it("answers getMe as @relay_bot, and 401 to another token", async () => {
    await start();
    await bot.init();
    expect(bot.botInfo).toMatchObject({ id: 123456, is_bot: true, username: "relay_bot", can_join_groups: true });
    expect(fake.calls.map((c) => c.method)).toEqual(["getMe"]);
    const stranger = new Bot("999:wrong", { client: { apiRoot: fake.url } });
    await expect(stranger.api.getMe()).rejects.toEqual(apiError(401, "Unauthorized"));
  });

  it("sends HTML with an inline keyboard and returns the Message Telegram would", async () => {
    await start();
    const keyboard = new InlineKeyboard().text("确认", "notice.ack:42");
    const first = await bot.api.sendMessage(li.id, "<b>周五大会</b> &amp; <i>ack</i> please", { parse_mode: "HTML", reply_markup: keyboard });
    expect(first).toMatchObject({
      chat: { id: 1001, type: "private" }, from: { id: 123456, is_bot: true, username: "relay_bot" },
      text: "周五大会 & ack please",
      entities: [{ type: "bold", offset: 0, length: 4 }, { type: "italic", offset: 7, length: 3 }],
      reply_markup: { inline_keyboard: [[{ text: "确认", callback_data: "notice.ack:42" }]] },
    });
    expect(first).not.toHaveProperty("source");
    const second = await bot.api.sendMessage(li.id, "plain");
    expect(second.message_id).toBe(first.message_id + 1);
    expect(fake.sent(li.id).map((m) => m.source)).toEqual(["<b>周五大会</b> &amp; <i>ack</i> please", "plain"]);
    expect((await bot.api.sendMessage(office.id, "hi")).chat).toMatchObject({ id: office.id, type: "supergroup" });
  });

  it("refuses unsupported tags and malformed HTML with Telegram's parse errors", async () => {
    await start();
    await expect(bot.api.sendMessage(li.id, "<div>x</div>", { parse_mode: "HTML" }))
      .rejects.toEqual(apiError(400, `Bad Request: can't parse entities: Unsupported start tag "div" at byte offset 0`));
    await expect(bot.api.sendMessage(li.id, "<b>bold", { parse_mode: "HTML" }))
      .rejects.toEqual(apiError(400, `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "b"`));
    expect(() => parseHtml("<b>x</i>")).toThrow(`Unmatched end tag at byte offset 4, expected "</b>", found "</i>"`);
    expect(() => parseHtml("确 < 认")).toThrow(`Unsupported start tag "" at byte offset 4`); // byte offsets, not characters
    expect(() => parseHtml(`<span class="x">y</span>`)).toThrow(`Tag "span" must have class "tg-spoiler"`);
    expect(parseHtml(`<a href="https://t.me/x?a=1&amp;b=2">link</a> <pre><code class="language-ts">let x</code></pre>`)).toEqual({
      text: "link let x",
      entities: [{ type: "text_link", url: "https://t.me/x?a=1&b=2", offset: 0, length: 4 }, { type: "pre", language: "ts", offset: 5, length: 5 }],
    });
  });

  it("counts the length after parsing: 4,096 visible characters pass, 5,000 are refused", async () => {
    await start();
    await expect(bot.api.sendMessage(li.id, `<b>${"x".repeat(4096)}</b>`, { parse_mode: "HTML" })).resolves.toMatchObject({ text: "x".repeat(4096) });
    await expect(bot.api.sendMessage(li.id, "x".repeat(5000))).rejects.toEqual(apiError(400, "Bad Request: message is too long"));
    await expect(bot.api.sendMessage(li.id, " \n ")).rejects.toEqual(apiError(400, "Bad Request: message text is empty"));
  });

  it("refuses callback data over 64 bytes and text-only inline buttons", async () => {
    await start();
    const send = (keyboard: InlineKeyboard) => bot.api.sendMessage(li.id, "pick", { reply_markup: keyboard });
    await expect(send(new InlineKeyboard().text("ok", "x".repeat(64)))).resolves.toBeDefined();
    await expect(send(new InlineKeyboard().text("too long", "x".repeat(65)))).rejects.toEqual(apiError(400, "Bad Request: BUTTON_DATA_INVALID"));
    await expect(send(new InlineKeyboard().text("22 汉字", "确".repeat(22)))).rejects.toEqual(apiError(400, "Bad Request: BUTTON_DATA_INVALID"));
    await expect(bot.api.sendMessage(li.id, "pick", { reply_markup: { inline_keyboard: [[{ text: "no action" } as never]] } }))
      .rejects.toEqual(apiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"));
  });
});

describe("FakeTelegram: editing", () => {
  it("edits a message, refuses an identical edit and an unknown one, and drops buttons an edit omits", async () => {
    await start();
    const keyboard = new InlineKeyboard().text("确认", "notice.ack:42");
    const sent = await bot.api.sendMessage(li.id, "<b>大会</b>", { parse_mode: "HTML", reply_markup: keyboard });
    const edited = await bot.api.editMessageText(li.id, sent.message_id, "<b>大会</b> 1/12", { parse_mode: "HTML", reply_markup: keyboard });
    expect(edited).toMatchObject({ message_id: sent.message_id, text: "大会 1/12", edit_date: expect.any(Number) });
    expect(fake.sent(li.id)).toEqual([expect.objectContaining({ text: "大会 1/12", reply_markup: keyboard })]);

    const same = bot.api.editMessageText(li.id, sent.message_id, "<b>大会</b> 1/12", { parse_mode: "HTML", reply_markup: keyboard });
    await expect(same).rejects.toBeInstanceOf(GrammyError);
    await expect(same).rejects.toEqual(apiError(400,
      "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message"));
    await expect(bot.api.editMessageText(li.id, 999_999, "x")).rejects.toEqual(apiError(400, "Bad Request: message to edit not found"));

    await bot.api.editMessageText(li.id, sent.message_id, "<b>大会</b> 1/12", { parse_mode: "HTML" });
    expect(fake.sent(li.id)[0]).not.toHaveProperty("reply_markup");
  });
});

describe("FakeTelegram: limits and refusals", () => {
  it("answers a burst of 5 sends to one private chat with 429 and retry_after, and counts them", async () => {
    let clock = 1_800_000_000_000;
    await start({ now: () => clock });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => bot.api.sendMessage(li.id, `message ${n}`)));
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(3); // the default burst
    const refused = results.flatMap((r) => (r.status === "rejected" ? [r.reason as GrammyError] : []));
    expect(refused).toEqual([apiError(429, "Too Many Requests: retry after 1"), apiError(429, "Too Many Requests: retry after 1")]);
    expect(refused[0]!.parameters.retry_after).toBe(1);
    expect(fake.tooManyRequests).toBe(2);
    clock += 1_000;
    await expect(bot.api.sendMessage(li.id, "after waiting")).resolves.toBeDefined();
    expect(fake.sent(li.id)).toHaveLength(4);
  });

  it("lets a group have 20 messages a minute, and can be switched off", async () => {
    let clock = 1_800_000_000_000;
    await start({ now: () => clock });
    for (let i = 0; i < 20; i++) await bot.api.sendMessage(office.id, `m${i}`);
    // 20 per minute refills one message every 3 s
    await expect(bot.api.sendMessage(office.id, "one too many")).rejects.toMatchObject({ error_code: 429, parameters: { retry_after: 3 } });
    clock += 3_000;
    await expect(bot.api.sendMessage(office.id, "in time")).resolves.toBeDefined();
    await fake.close();
    await start({ limits: false });
    await Promise.all(Array.from({ length: 40 }, (_, i) => bot.api.sendMessage(li.id, `m${i}`)));
    expect(fake.tooManyRequests).toBe(0);
  });

  it("answers 403 when the user blocked the bot", async () => {
    await start();
    fake.blockUser(li.id);
    await expect(bot.api.sendMessage(li.id, "hello")).rejects.toEqual(apiError(403, "Forbidden: bot was blocked by the user"));
    expect(fake.sent(li.id)).toEqual([]);
  });

  it("injects faults: 500 is a GrammyError, 502 an HttpError, a hung call an HttpError after the client's timeout", async () => {
    await start({}, 1);
    fake.failNext("sendMessage", 1, 500);
    fake.failNext("sendMessage", 1, 502);
    await expect(bot.api.sendMessage(li.id, "a")).rejects.toEqual(apiError(500, "Internal Server Error"));
    await expect(bot.api.sendMessage(li.id, "b")).rejects.toBeInstanceOf(HttpError);
    expect(fake.sent(li.id)).toEqual([]);

    fake.hangNext("sendMessage", 1, { deliver: true }); // delivered, but the bot never learns it: outcome unknown
    await expect(bot.api.sendMessage(li.id, "c")).rejects.toBeInstanceOf(HttpError);
    expect(fake.sent(li.id).map((m) => m.text)).toEqual(["c"]);
    await expect(bot.api.sendMessage(li.id, "d")).resolves.toMatchObject({ text: "d" });
    expect(fake.callsTo("sendMessage")).toHaveLength(4);
  });

  it("answers 404 to an unknown method and 400 to a multipart body cut short", async () => {
    await start();
    const unknown = await fetch(`${fake.url}/bot${fake.token}/sendTelepathy`, { method: "POST", body: "{}", headers: { "content-type": "application/json" } });
    expect([unknown.status, await unknown.json()]).toEqual([404, { ok: false, error_code: 404, description: "Not Found" }]);
    const cut = "--b0\r\ncontent-disposition: form-data; name=\"chat_id\"\r\n\r\n1001"; // no closing delimiter
    const upload = await fetch(`${fake.url}/bot${fake.token}/sendDocument`, { method: "POST", body: cut, headers: { "content-type": "multipart/form-data; boundary=b0" } });
    expect([upload.status, await upload.json()]).toEqual([400, { ok: false, error_code: 400, description: "Bad Request: can't parse multipart/form-data request" }]);
  });
});

describe("FakeTelegram: long polling and webhooks", () => {
  it("holds getUpdates until an update is pushed, and confirms updates below the offset", async () => {
    await start();
    // A poll long enough that only the pushed update can end it while the test runs.
    let answered = false;
    const polling = bot.api.getUpdates({ timeout: 600 }).finally(() => (answered = true));
    await until(() => fake.callsTo("getUpdates").length === 1);
    expect(answered).toBe(false); // held: nothing to give yet
    fake.pushUpdate(privateMessage(li, "/start"));
    const [update] = await polling;
    expect(update!.message).toMatchObject({ text: "/start", chat: { id: li.id, type: "private" }, entities: [{ type: "bot_command", offset: 0, length: 6 }] });

    expect(await bot.api.getUpdates({ offset: update!.update_id })).toHaveLength(1); // not yet confirmed
    const t1 = Date.now();
    expect(await bot.api.getUpdates({ offset: update!.update_id + 1, timeout: 1 })).toEqual([]);
    expect(Date.now() - t1).toBeGreaterThanOrEqual(900); // held for its timeout: the fake's own timer, at least that long
    expect(await bot.api.getUpdates({})).toEqual([]); // confirmed updates are gone for good
  });

  it("runs a grammY bot end to end with bot.start() and bot.stop()", async () => {
    await start();
    bot.command("start", (ctx) => ctx.reply("欢迎使用 Relay"));
    fake.pushUpdate(privateMessage(li, "/start"));
    const running = bot.start({ timeout: 1 });
    await until(() => fake.sent(li.id).length === 1);
    await bot.stop();
    await running;
    expect(fake.sent(li.id)[0]).toMatchObject({ text: "欢迎使用 Relay", chat: { id: li.id, first_name: "Li", username: "li_wei" } });
    expect(fake.calls.map((c) => c.method)).toEqual(expect.arrayContaining(["getMe", "deleteWebhook", "getUpdates", "sendMessage"]));
  });

  it("answers 409 to getUpdates while a webhook is set, and ends a pending poll when one is set", async () => {
    await start();
    const polling = bot.api.getUpdates({ timeout: 5 });
    await until(() => fake.callsTo("getUpdates").length === 1);
    await expect(bot.api.setWebhook("http://relay.example/tg")).rejects.toEqual(apiError(400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"));
    await bot.api.setWebhook("https://relay.example/tg", { secret_token: "s3cr3t-token" });
    await expect(polling).rejects.toEqual(apiError(409, "Conflict: terminated by setWebhook request"));
    expect(fake.webhook).toEqual({ url: "https://relay.example/tg", secret_token: "s3cr3t-token" });
    expect(await bot.api.getWebhookInfo()).toMatchObject({ url: "https://relay.example/tg", pending_update_count: 0 });
    await expect(bot.api.getUpdates()).rejects.toEqual(apiError(409,
      "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"));
    await bot.api.deleteWebhook();
    await expect(bot.api.getUpdates()).resolves.toEqual([]);
  });
});

describe("FakeTelegram: updates in Telegram's shape", () => {
  it("builds updates grammY routes like real ones", async () => {
    await start();
    await bot.init();
    const seen: string[] = [];
    bot.command("notice", (ctx) => { seen.push(`command ${ctx.chat.type} from ${ctx.from?.id}: ${ctx.match}`); });
    bot.callbackQuery(/^notice\.ack:(\d+)$/, async (ctx) => {
      seen.push(`ack ${ctx.match[1]} by ${ctx.from.id}`);
      await ctx.answerCallbackQuery({ text: "已确认" });
    });
    bot.on("my_chat_member", (ctx) => { seen.push(`bot is ${ctx.myChatMember.new_chat_member.status} in ${ctx.chat.title}`); });
    bot.on("message:sticker", (ctx) => { seen.push(`sticker ${ctx.message.sticker.emoji}`); });
    bot.on("edited_message:text", (ctx) => { seen.push(`edited to ${ctx.editedMessage.text}`); });
    bot.on("channel_post:text", (ctx) => { seen.push(`post in ${ctx.chat.title}`); });

    const command = groupCommand(li, office, "/notice@relay_bot 周五开会");
    expect(command.message).toMatchObject({ chat: office, entities: [{ type: "bot_command", offset: 0, length: 17 }] });
    await bot.handleUpdate(command);
    await bot.handleUpdate(groupCommand(li, office, "/notice@other_bot not for us"));
    const anonymous = anonymousAdminMessage(office, "/notice 匿名");
    expect(anonymous.message).toMatchObject({ from: { id: 1087968824, username: "GroupAnonymousBot" }, sender_chat: office });
    await bot.handleUpdate(anonymous);

    const notice = await bot.api.sendMessage(li.id, "大会", { reply_markup: new InlineKeyboard().text("确认", "notice.ack:42") });
    const press = callbackQuery(li, notice, "notice.ack:42");
    await bot.handleUpdate(press);
    expect(fake.callbackAnswers).toEqual([{ callback_query_id: press.callback_query!.id, text: "已确认" }]);
    await expect(bot.api.answerCallbackQuery(press.callback_query!.id)).rejects.toMatchObject({ error_code: 400 });

    const added = myChatMember(office, li, "administrator");
    expect(added.my_chat_member).toMatchObject({ old_chat_member: { status: "left", user: { id: 123456 } }, new_chat_member: { status: "administrator", can_manage_chat: true } });
    await bot.handleUpdate(added);
    await bot.handleUpdate(sticker(li));
    const original = privateMessage(li, "周五");
    await bot.handleUpdate(editedMessage(original.message!, "周六"));
    await bot.handleUpdate(channelPost(channel(-1009876543210, "Announcements"), "hello"));

    expect(seen).toEqual([
      "command supergroup from 1001: 周五开会",
      "command supergroup from 1087968824: 匿名",
      "ack 42 by 1001",
      "bot is administrator in Office",
      "sticker 👍",
      "edited to 周六",
      "post in Announcements",
    ]);
    expect(new Set([command, anonymous, press, added].map((u) => u.update_id)).size).toBe(4);
  });

  it("answers getChat and getChatMember with what pushed updates told it", async () => {
    await start();
    fake.pushUpdate(myChatMember(office, li, "member"));
    expect(await bot.api.getChat(office.id)).toMatchObject({ id: office.id, type: "supergroup", title: "Office" });
    expect(await bot.api.getChatMember(office.id, 123456)).toMatchObject({ status: "member", user: { id: 123456 } });
    expect(await bot.api.getChatMember(office.id, li.id)).toMatchObject({ status: "member", user: { id: li.id, is_bot: false } });
    await bot.api.setMyCommands([{ command: "notice", description: "发通知" }]);
    expect(await bot.api.getMyCommands()).toEqual([{ command: "notice", description: "发通知" }]);
    await expect(bot.api.setMyCommands([{ command: "Notice!", description: "x" }])).rejects.toEqual(apiError(400, "Bad Request: BOT_COMMAND_INVALID"));
  });
});

describe("FakeTelegram: documents (multipart uploads)", () => {
  it("takes grammY's multipart sendDocument, keeps the bytes and name, and answers with Telegram's DocumentMessage", async () => {
    await start();
    const csv = Buffer.from("\uFEFF姓名,单位\r\n甲,综治办\r\n", "utf8");
    const first = await bot.api.sendMessage(li.id, "before");
    const sent = await bot.api.sendDocument(li.id, new InputFile(csv, "circular-1-20261125-100600.csv"), { caption: "通知〔2026〕1号 回执 5 条" });
    expect(sent).toMatchObject({
      message_id: first.message_id + 1, chat: { id: li.id, type: "private" }, from: { id: 123456, is_bot: true },
      caption: "通知〔2026〕1号 回执 5 条",
      document: { file_name: "circular-1-20261125-100600.csv", mime_type: "text/csv", file_size: csv.length, file_id: expect.any(String), file_unique_id: expect.any(String) },
    });
    expect(sent).not.toHaveProperty("data");
    const [doc] = fake.documents(li.id);
    expect(doc!.data.equals(csv)).toBe(true); // byte for byte, BOM included
    expect(fake.sent(li.id).map((m) => m.text)).toEqual(["before"]); // a document is not a text message
    // The call went out as multipart/form-data with the file attached under an attach:// name, as grammY does it.
    expect(fake.callsTo("sendDocument")[0]!.body.document).toMatch(/^attach:\/\/\w+$/);
  });

  it("keeps arbitrary bytes exact, including ones that look like a boundary, and takes a UTF-8 file name", async () => {
    await start();
    const data = Buffer.concat([randomBytes(200_000), Buffer.from("\r\n--\r\n\r\n"), randomBytes(1000)]);
    await bot.api.sendDocument(office.id, new InputFile(data, "回执表.csv"));
    const [doc] = fake.documents(office.id);
    expect(doc!.document.file_name).toBe("回执表.csv");
    expect(doc!.data.equals(data)).toBe(true);
    expect(doc).not.toHaveProperty("caption");
  });

  it("takes a plain multipart form with the file in a part named document, and a file_id it already has", async () => {
    await start();
    const form = new FormData();
    form.set("chat_id", String(li.id));
    form.set("document", new Blob([Buffer.from("a,b\r\n")]), "plain.csv");
    const res = await fetch(`${fake.url}/bot${fake.token}/sendDocument`, { method: "POST", body: form });
    const body = (await res.json()) as { ok: boolean; result: { document: { file_id: string; file_name: string } } };
    expect(body).toMatchObject({ ok: true, result: { document: { file_name: "plain.csv" } } });
    const again = await bot.api.sendDocument(office.id, body.result.document.file_id);
    expect(again.document.file_name).toBe("plain.csv");
    expect(fake.documents(office.id)[0]!.data.toString()).toBe("a,b\r\n");
  });

  it("refuses what Telegram refuses: no document, an unknown file_id, an empty file, a long caption, over 50 MB, a blocked user", async () => {
    await start();
    const form = new FormData();
    form.set("chat_id", String(li.id));
    const res = await fetch(`${fake.url}/bot${fake.token}/sendDocument`, { method: "POST", body: form });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ ok: false, error_code: 400, description: "Bad Request: there is no document in the request" });
    await expect(bot.api.sendDocument(li.id, "no-such-file-id")).rejects.toEqual(apiError(400, "Bad Request: wrong file identifier/HTTP URL specified"));
    await expect(bot.api.sendDocument(li.id, new InputFile(new Uint8Array(0), "empty.csv"))).rejects.toEqual(apiError(400, "Bad Request: file must be non-empty"));
    await expect(bot.api.sendDocument(li.id, new InputFile(Buffer.from("x"), "x.csv"), { caption: "字".repeat(1025) }))
      .rejects.toEqual(apiError(400, "Bad Request: message caption is too long"));
    await expect(bot.api.sendDocument(li.id, new InputFile(Buffer.from("x"), "x.csv"), { caption: "字".repeat(1024) })).resolves.toMatchObject({ caption: "字".repeat(1024) });
    await expect(bot.api.sendDocument(li.id, new InputFile(Buffer.alloc(MAX_UPLOAD_BYTES + 1), "big.csv"))).rejects.toEqual(apiError(413, "Request Entity Too Large"));
    await expect(bot.api.sendDocument(li.id, new InputFile(Buffer.alloc(MAX_UPLOAD_BYTES), "just.csv"))).resolves.toMatchObject({ document: { file_size: MAX_UPLOAD_BYTES } });
    fake.blockUser(li.id);
    await expect(bot.api.sendDocument(li.id, new InputFile(Buffer.from("x"), "x.csv"))).rejects.toEqual(apiError(403, "Forbidden: bot was blocked by the user"));
    expect(fake.documents(li.id).map((d) => d.document.file_name)).toEqual(["x.csv", "just.csv"]);
  });
});
