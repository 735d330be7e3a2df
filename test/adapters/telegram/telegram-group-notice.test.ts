// A notice in a Telegram group: the live counter, presses matched to the roster, a blocked recipient.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callbackQuery, group, groupCommand, mentionInGroup, myChatMember, privateMessage, replyTo, user } from "../../support/fake-telegram.ts";
import { TestClock } from "../../support/office.ts";
import { TelegramOffice, type Transport } from "../../support/telegram-office.ts";

const wang = user(1001, "王", { last_name: "主任", language_code: "zh-hans" });
const office = group(-1001234567890, "城关镇党政办工作群");

describe.each(["webhook", "polling"] as Transport[])("a notice in a Telegram group over %s", (transport) => {
  let tg: TelegramOffice;
  const members = [user(2001, "甲"), user(2002, "乙"), user(2003, "丙")];
  const blocked = user(2004, "丁");
  const outsider = user(2009, "路人");
  const clock = new TestClock(new Date("2026-11-24T10:00:00+08:00")); // a Tuesday morning
  beforeAll(async () => {
    tg = await TelegramOffice.open(transport, { clock });
    await tg.deliver(privateMessage(wang, "/setup 王主任 城关镇"));
    await tg.waitFor(wang.id, "第一位管理员");
    for (const person of [...members, blocked]) {
      await tg.deliver(privateMessage(wang, `/invite ${person.first_name} member 党政办 王主任`));
      const invite = await tg.waitFor(wang.id, `为 ${person.first_name}（成员`);
      await tg.deliver(privateMessage(person, `/start ${/\/start ([A-Z0-9]{8})/.exec(invite.text)![1]}`));
      await tg.waitFor(person.id, "欢迎");
    }
    await tg.deliver(myChatMember(office, wang, "administrator"));
    await tg.deliver(groupCommand(wang, office, "/bind@relay_bot 党政办"));
    await tg.waitFor(office.id, "本群已绑定到：党政办");
  });
  afterAll(async () => tg?.close());

  it("posts with a live counter that three presses move, and tells an outsider privately", async () => {
    await tg.deliver(groupCommand(wang, office, "/notice@relay_bot 周五下午全体大会 发给 本群 截止 周五17:00"));
    const preview = await tg.waitFor(office.id, "请确认通知");
    await tg.deliver(callbackQuery(wang, preview, "circular.publish|" + /\|(\d+)$/.exec((preview.reply_markup!.inline_keyboard[0]![0] as { callback_data: string }).callback_data)![1]));
    const post = await tg.waitFor(office.id, /^【通知】/);
    expect(post.text).toContain("已确认 0/4");
    const ack = (post.reply_markup!.inline_keyboard[0]![0] as { callback_data: string }).callback_data;
    expect(ack).toMatch(/^circular\.ack\|\d+$/);
    const edits = tg.fake.callsTo("editMessageText").length;
    for (const member of members) await tg.deliver(callbackQuery(member, post, ack));
    await expect.poll(() => tg.fake.callbackAnswers.length).toBeGreaterThanOrEqual(3);
    // Presses within a few seconds share one edit: a group allows ~20 messages a minute.
    await expect.poll(() => tg.fake.sent(office.id).find((m) => m.message_id === post.message_id)?.text).toContain("已确认 3/4");
    expect(tg.fake.callbackAnswers.slice(-3).map((a) => a.text)).toEqual(Array(3).fill("已记录：收到（通知〔2026〕1号）"));
    expect(tg.fake.callsTo("editMessageText").length - edits).toBeLessThanOrEqual(2);
    await tg.deliver(callbackQuery(outsider, post, ack));
    await expect.poll(() => tg.fake.callbackAnswers.at(-1)?.text).toContain("你还不在本单位名册中");
    expect(tg.fake.sent(office.id).find((m) => m.message_id === post.message_id)?.text).toContain("已确认 3/4");
  });

  it("composes in the group through a mention and replies to its questions (what privacy mode lets through)", async () => {
    await tg.deliver(mentionInGroup(wang, office, "通知 周二学习会"));
    await tg.deliver(replyTo(wang, await tg.waitFor(office.id, "发给谁？"), "本群"));
    await tg.deliver(replyTo(wang, await tg.waitFor(office.id, "截止时间？"), "周五17:00"));
    const preview = await tg.waitFor(office.id, /请确认通知：\n标题：周二学习会/);
    expect(preview.text).toContain("发给：城关镇党政办工作群（共 4 人）");
    await tg.deliver(callbackQuery(wang, preview, (preview.reply_markup!.inline_keyboard[0]![1] as { callback_data: string }).callback_data)); // 取消
    await tg.waitFor(office.id, "（此预览已处理）");
  });

  it("chases in the group by mentioning who is missing", async () => {
    const scheduler = tg.runtime.app.scheduler;
    const [chase] = (await scheduler.upcoming("circular.chase")).filter((j) => j.data.circularId === 1);
    clock.set(chase!.at);
    await scheduler.promote(chase!.id);
    const mention = await tg.waitFor(office.id, "以下同志请尽快确认", 20_000);
    expect(mention.source).toContain('<a href="tg://user?id=2004">丁</a>');
    expect(mention.source).not.toContain("甲");
    expect(mention.reply_markup?.inline_keyboard[0]![0]).toMatchObject({ text: "收到" });
  });

  it("marks a person who blocked the bot unreachable, and the author sees it in /status", async () => {
    tg.fake.blockUser(blocked.id);
    await tg.deliver(privateMessage(wang, "/notice 报送材料 发给 党政办 截止 周五17:00"));
    const preview = await tg.waitFor(wang.id, "报送材料");
    await tg.deliver(callbackQuery(wang, preview, (preview.reply_markup!.inline_keyboard[0]![0] as { callback_data: string }).callback_data));
    await tg.waitFor(wang.id, "已发布 通知〔2026〕2号");
    await expect.poll(() => tg.db.prisma.receipt.count({ where: { circularId: 2, delivery: { not: "pending" } } })).toBe(4);
    await tg.deliver(privateMessage(wang, "/status 2"));
    const status = await tg.waitFor(wang.id, "已回复 0/4");
    expect(status.text).toContain("丁（无法送达：屏蔽了机器人或账号已停用）");
    const identity = await tg.db.prisma.identity.findFirstOrThrow({ where: { externalId: String(blocked.id) } });
    expect(identity.unreachableAt).not.toBeNull();
  });
});
