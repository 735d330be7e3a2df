// The Telegram adapter end to end, over real HTTP against the fake Bot API, through both transports:
// private chats, deep-link joins, groups, buttons, escaping, splitting, duplicates and ignored updates.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { anonymousAdminMessage, callbackQuery, channel, channelPost, editedMessage, group, groupCommand, groupMessage, myChatMember, privateMessage, sticker, user } from "../../support/fake-telegram.ts";
import { TelegramOffice, type Transport } from "../../support/telegram-office.ts";

const wang = user(1001, "王", { last_name: "主任", language_code: "zh-hans" });
const li = user(1002, "李明");
const zhao = user(1003, "Zhao", { language_code: "en" });
const office = group(-1001234567890, "城关镇党政办工作群");

describe.each(["polling", "webhook"] as Transport[])("Telegram over %s", (transport) => {
  let tg: TelegramOffice;
  beforeAll(async () => {
    tg = await TelegramOffice.open(transport);
  });
  afterAll(async () => tg?.close());

  it("sets up in a private chat and joins a colleague through a /start deep link", async () => {
    await tg.deliver(privateMessage(wang, "/setup 王主任 城关镇"));
    await tg.waitFor(wang.id, "王主任，你是第一位管理员");
    await tg.deliver(privateMessage(wang, "邀请 李明 成员 党政办 王主任"));
    const invite = await tg.waitFor(wang.id, "生成邀请码");
    const raw = /\/start ([A-Z0-9]{8})/.exec(invite.text)![1]!;
    await tg.deliver(privateMessage(li, `/start ${raw}`));
    await tg.waitFor(li.id, "欢迎，李明！你已加入名册（成员，党政办）");
    await tg.waitFor(wang.id, "李明 已通过你的邀请码加入。");
    const identity = await tg.db.prisma.identity.findFirstOrThrow({ where: { platform: "telegram", externalId: String(li.id) } });
    expect(identity.displayName).toBe("李明");
  });

  it("learns a group when added, and an admin binds it to a unit with /bind@relay_bot", async () => {
    await tg.deliver(myChatMember(office, wang, "member"));
    await tg.waitFor(office.id, "请管理员或秘书在本群发送“绑定 单位名称”");
    await tg.deliver(groupCommand(wang, office, "/bind@relay_bot 党政办"));
    await tg.waitFor(office.id, "本群已绑定到：党政办");
    const channelRow = await tg.db.prisma.channel.findFirstOrThrow({ include: { unit: true } });
    expect(channelRow).toMatchObject({ platform: "telegram", externalId: String(office.id), title: "城关镇党政办工作群", active: true });
    expect(channelRow.unit?.name).toBe("党政办");
    // A member may not bind, and another bot's command is not ours.
    await tg.deliver(groupCommand(li, office, "/bind@relay_bot 城关镇"));
    await tg.waitFor(office.id, "只有管理员或秘书可以这样做。");
    const before = tg.fake.sent(office.id).length;
    await tg.deliver(groupCommand(wang, office, "/bind@other_bot 城关镇"));
    await tg.deliver(groupMessage(li, office, "大家好，今天下午开会吗？"));
    await tg.settle();
    expect(tg.fake.sent(office.id)).toHaveLength(before);
  });

  it("asks an anonymous group admin to post from their own account", async () => {
    await tg.deliver(anonymousAdminMessage(office, "/whoami@relay_bot"));
    await tg.waitFor(office.id, "匿名管理员");
  });

  it("escapes user text in HTML and splits a 4,500-character message", async () => {
    const long = `<b>不是粗体</b> & ${"很长的提醒内容。".repeat(560)}`; // 4,500+ characters
    await tg.deliver(privateMessage(li, `/remind 明天上午9点 ${long}`));
    const parts = await waitForParts(tg, li.id, 2);
    expect(parts[0]!.source).toContain("&lt;b&gt;不是粗体&lt;/b&gt; &amp; ");
    expect(parts.map((p) => p.text.length).every((n) => n <= 4096)).toBe(true);
    expect(parts.map((p) => p.text).join("")).toContain(long);
    expect(parts[0]!.reply_markup).toBeUndefined();
    expect(parts[1]!.reply_markup?.inline_keyboard[0]![0]).toMatchObject({ text: expect.stringMatching(/^取消 #\d+$/) });
  });

  it("answers a button press at once, with the refusal as a toast", async () => {
    const withButton = tg.fake.sent(li.id).findLast((m) => m.reply_markup)!;
    const data = withButton.reply_markup!.inline_keyboard[0]![0]! as { callback_data: string };
    // Zhao is not on the roster: pressing Li's button is refused with a toast, nothing posted.
    const posted = tg.fake.sent(li.id).length;
    await tg.deliver(callbackQuery(zhao, withButton, data.callback_data));
    await expect.poll(() => tg.fake.callbackAnswers.at(-1)?.text).toContain("You are not on your office's roster yet");
    expect(tg.fake.sent(li.id)).toHaveLength(posted);
    // Li presses it: cancelled, and the answer comes.
    const answered = tg.fake.callbackAnswers.length;
    await tg.deliver(callbackQuery(li, withButton, data.callback_data));
    await tg.waitFor(li.id, /^已取消提醒 #\d+/);
    await expect.poll(() => tg.fake.callbackAnswers.length).toBe(answered + 1);
    // A button of a build that no longer exists: the spinner still stops.
    await tg.deliver(callbackQuery(li, withButton, "gone.away|1"));
    await expect.poll(() => tg.fake.callbackAnswers.at(-1)?.text).toBe("这个按钮已失效，请重新发起。");
  });

  it("has the effect of a duplicated update once", async () => {
    const update = privateMessage(li, "/whoami");
    const before = tg.fake.sent(li.id).length;
    await tg.deliver(update);
    await tg.deliver(update);
    await tg.waitFor(li.id, "李明（#2）");
    await tg.settle();
    expect(tg.fake.sent(li.id).length - before).toBe(1);
  });

  it("ignores edits, channel posts and stickers quietly", async () => {
    const calls = tg.fake.callsTo("sendMessage").length;
    const original = privateMessage(li, "/whoami");
    await tg.deliver(editedMessage(original.message!, "/people"));
    await tg.deliver(channelPost(channel(-1009999, "公告频道"), "/whoami"));
    await tg.deliver(sticker(li));
    await tg.settle();
    expect(tg.fake.callsTo("sendMessage")).toHaveLength(calls);
  });
});

async function waitForParts(tg: TelegramOffice, chatId: number, n: number) {
  await expect.poll(() => tg.fake.sent(chatId).filter((m) => m.text.includes("很长的提醒内容")).length).toBeGreaterThanOrEqual(n);
  return tg.fake.sent(chatId).filter((m) => m.text.includes("很长的提醒内容"));
}

describe("linking a second account to the same person", () => {
  let tg: TelegramOffice;
  beforeAll(async () => {
    tg = await TelegramOffice.open("webhook");
  });
  afterAll(async () => tg?.close());

  it("binds another account with a one-time /link code, so both reach the same roster entry", async () => {
    const phone = user(1001, "王");
    const laptop = user(1077, "王（电脑）");
    await tg.deliver(privateMessage(phone, "/setup 王主任 城关镇"));
    await tg.waitFor(phone.id, "第一位管理员");
    await tg.deliver(privateMessage(phone, "关联账号"));
    const link = await tg.waitFor(phone.id, "关联码");
    const raw = /\/start ([A-Z0-9]{8})/.exec(link.text)![1]!;
    await tg.deliver(privateMessage(laptop, `/start ${raw}`));
    await tg.waitFor(laptop.id, "欢迎，王主任！");
    await tg.deliver(privateMessage(laptop, "/whoami"));
    const me = await tg.waitFor(laptop.id, "王主任（#1）");
    expect(me.text).toContain("角色：管理员");
    expect(await tg.db.prisma.person.count()).toBe(1);
    expect(await tg.db.prisma.identity.count({ where: { personId: 1 } })).toBe(2);
    await tg.deliver(privateMessage(user(1099, "别人"), `/start ${raw}`));
    await tg.waitFor(1099, "这个邀请码已经用过了");
  });
});
