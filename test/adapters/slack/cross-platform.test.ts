// One office, two chat apps: a notice published from Slack reaches one member on Slack and one on Telegram,
// both confirm with their app's buttons, and /status shows both; /link adds a Slack account to a Telegram user.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callbackQuery, FakeTelegram, privateMessage, user, type SentMessage } from "../../support/fake-telegram.ts";
import { TestClock } from "../../support/office.ts";
import { DEFAULT_WORKSPACE } from "../../support/fake-slack.ts";
import { appMention, envelope } from "../../support/slack-signing.ts";
import { buttons, SlackOffice, textOf } from "../../support/slack-office.ts";
import { SAFETY_NET_MS } from "../../support/wait.ts";

const wang = "U0WANG00001"; // the admin, on Slack
const li = "U0LIWEI0001"; // a member on Slack
const zhang = user(3001, "张敏"); // a member on Telegram
const zhao = user(3002, "赵强"); // a Telegram member who links a Slack account too
const zhaoSlack = "U0ZHAOQ0001";
const liu = "U0LIUYANG01"; // a member on Slack who does not answer

async function waitForTelegram(tg: FakeTelegram, chatId: number, match: string | RegExp, timeoutMs = SAFETY_NET_MS): Promise<SentMessage> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = tg.sent(chatId).find((m) => (typeof match === "string" ? m.text.includes(match) : match.test(m.text)));
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no Telegram message to ${chatId} matching ${match}; got:\n${tg.sent(chatId).map((m) => m.text).join("\n---\n")}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("one roster on Slack and Telegram", () => {
  let slack: SlackOffice;
  let tg: FakeTelegram;
  const clock = new TestClock(new Date("2026-11-24T10:00:00+08:00")); // a Tuesday morning

  async function invite(name: string): Promise<string> {
    await slack.dm(wang, `/invite ${name} member 党政办 王主任`);
    const message = await slack.waitFor(wang, `为 ${name}`);
    return /([A-Z0-9]{8})/.exec(textOf(message).replace(/-/g, ""))![1]!;
  }

  beforeAll(async () => {
    tg = await FakeTelegram.start({ limits: false });
    slack = await SlackOffice.open({ telegram: tg, clock });
    await slack.dm(wang, "/setup 王主任 城关镇");
    await slack.waitFor(wang, "第一位管理员");
    await slack.dm(wang, "/units add 党政办");
    await slack.command(li, slack.fake.dmWith(li), "/join", await invite("李伟"));
    await slack.waitFor(li, "欢迎");
    await slack.command(liu, slack.fake.dmWith(liu), "/join", await invite("刘洋"));
    await slack.waitFor(liu, "欢迎");
    tg.pushUpdate(privateMessage(zhang, `/start ${await invite("张敏")}`));
    await waitForTelegram(tg, zhang.id, "欢迎");
  });
  afterAll(async () => {
    await slack?.close();
    await tg?.close();
  });

  it("publishes from Slack to a member on Slack and one on Telegram; both confirm; /status shows both", async () => {
    await slack.dm(wang, "/notice 周五下午全体大会 发给 李伟 张敏 截止 周五17:00");
    const preview = await slack.waitFor(wang, "请确认");
    expect(await slack.press(wang, preview, "circular.publish")).toBe(200);

    // Li gets it in his direct chat with the app (opened with conversations.open), Zhang in Telegram.
    const onSlack = await slack.waitFor(li, "周五下午全体大会");
    // Li only used slash commands, so his direct chat was opened (once, when he joined); Wang wrote to Relay
    // in his, so its id was known without asking.
    const opened = slack.fake.callsTo("conversations.open").map((c) => c.body.users);
    expect(opened).toContain(li);
    expect(opened).not.toContain(wang);
    expect(new Set(opened).size).toBe(opened.length);
    expect(buttons(onSlack).map((b) => b.text.text)).toContain("收到");
    const onTelegram = await waitForTelegram(tg, zhang.id, "周五下午全体大会");

    await slack.press(li, onSlack, "circular.ack");
    await slack.waitFor(li, "已记录：收到");
    const ack = (onTelegram.reply_markup!.inline_keyboard[0]![0] as { callback_data: string }).callback_data;
    tg.pushUpdate(callbackQuery(zhang, onTelegram, ack));
    await waitForTelegram(tg, zhang.id, "已记录：收到");

    const id = /\|(\d+)$/.exec(ack)![1];
    await slack.dm(wang, `/status ${id}`);
    const status = await slack.waitFor(wang, /已回复 2\/2/);
    expect(textOf(status)).toMatch(/李伟/);
    expect(textOf(status)).toMatch(/张敏/);
  });

  it("posts a notice in a bound channel with a live counter (chat.update), mentions the missing, and whispers refusals", async () => {
    const office = "C0OFFICE001";
    await slack.post(envelope({ type: "member_joined_channel", user: DEFAULT_WORKSPACE.bot_user_id, channel: office, channel_type: "C", team: DEFAULT_WORKSPACE.team_id, inviter: wang, event_ts: "1" }));
    await slack.waitFor(office, "绑定 单位名称");
    await slack.command(wang, office, "/relay", "bind 党政办");
    await slack.waitFor(office, "本群已绑定到：党政办");

    // A guided notice in the channel: Relay's questions are answered by mentioning it.
    await slack.command(wang, office, "/notice", "周一例会");
    await slack.waitFor(office, "发给谁？");
    await slack.post(appMention({ user: wang, channel: office, text: "本群" }));
    await slack.waitFor(office, "截止时间？");
    await slack.post(appMention({ user: wang, channel: office, text: "周五17:00" }));
    const preview = await slack.waitFor(office, "请确认");
    await slack.press(wang, preview, "circular.publish");
    const post = await slack.waitFor(office, /^【通知】.*周一例会/s);
    expect(textOf(post)).toMatch(/已确认 0\/\d/);
    await slack.press(li, post, "circular.ack");
    // The counter is edited in place (batched a few seconds, as group posts are rate-limited).
    await expect.poll(() => textOf(slack.fake.posted(office).find((m) => m.ts === post.ts)!)).toMatch(/已确认 1\//);
    expect(slack.fake.callsTo("chat.update").some((c) => c.body.ts === post.ts)).toBe(true);
    // The presser is told privately, through the response_url of the press.
    await expect.poll(() => slack.fake.responses.map((r) => String(r.body.text))).toContainEqual(expect.stringContaining("已记录"));
    expect(slack.fake.responses.at(-1)!.body).toMatchObject({ response_type: "ephemeral", replace_original: false });

    // Someone not on the roster presses: told privately, the counter does not move.
    const responses = slack.fake.responses.length;
    await slack.press("U0STRANGER1", post, "circular.ack");
    await expect.poll(() => slack.fake.responses.length).toBe(responses + 1);
    expect(String(slack.fake.responses.at(-1)!.body.text)).toContain("名册");
    expect(textOf(slack.fake.posted(office).find((m) => m.ts === post.ts)!)).toMatch(/已确认 1\//);

    // 催办: when the first chase comes due, the group is reminded with a real mention of the Slack member
    // who has not answered (the clock moves to the job's time and the job runs now).
    const scheduler = slack.runtime.app.scheduler;
    const [job] = (await scheduler.upcoming("circular.chase")).filter((j) => Number(j.data.circularId) === Number(buttons(post)[0]!.value));
    clock.set(job!.at);
    await scheduler.promote(job!.id);
    const chase = await slack.waitFor(office, `<@${liu}>`, 10_000);
    expect(textOf(chase)).toContain("张敏"); // on Telegram only: named, not mentioned
    expect(textOf(chase)).not.toContain(`<@${li}>`);
  });

  it("marks a Slack member whose account was deactivated unreachable, and /status says so", async () => {
    slack.fake.failNext("chat.postMessage", "account_inactive", 1, liu); // only in his direct chat
    await slack.dm(wang, "/notice 安全月报 发给 刘洋 截止 周五17:00");
    await slack.press(wang, await slack.waitFor(wang, /请确认通知.*安全月报/s), "circular.publish");
    const [, id] = /已发布 通知〔2026〕\d+号（#(\d+)）/.exec(textOf(await slack.waitFor(wang, /已发布 通知〔2026〕\d+号（#\d+）.*共 1 人/s)))!;
    await expect.poll(() => slack.db.prisma.receipt.findFirst({ where: { circularId: Number(id) } }).then((r) => r?.delivery)).toBe("unreachable");
    await slack.dm(wang, `/status ${id}`);
    expect(textOf(await slack.waitFor(wang, "已回复 0/1"))).toContain("刘洋（无法送达：屏蔽了机器人或账号已停用）");
    expect((await slack.db.prisma.identity.findFirstOrThrow({ where: { externalId: liu } })).unreachableAt).not.toBeNull();
  });

  it("links a Slack account to a Telegram user with /link, and then reaches them on Slack", async () => {
    tg.pushUpdate(privateMessage(zhao, `/start ${await invite("赵强")}`));
    await waitForTelegram(tg, zhao.id, "欢迎");
    tg.pushUpdate(privateMessage(zhao, "/link"));
    const link = await waitForTelegram(tg, zhao.id, "关联码");
    const code = /加入 ([A-Z0-9-]+)/.exec(link.text)![1]!;
    await slack.command(zhaoSlack, slack.fake.dmWith(zhaoSlack), "/relay", `join ${code}`);
    await slack.waitFor(zhaoSlack, "赵强");
    await slack.command(zhaoSlack, slack.fake.dmWith(zhaoSlack), "/relay", "whoami");
    await slack.waitFor(zhaoSlack, /赵强（#\d+）\n.*党政办/s); // the /whoami answer, not the welcome

    await slack.dm(wang, "/notice 材料报送 发给 赵强 截止 周五17:00");
    await slack.press(wang, await slack.waitFor(wang, "材料报送"), "circular.publish");
    await slack.waitFor(zhaoSlack, "材料报送");
    expect(await slack.runtime.app.outbox.idle(SAFETY_NET_MS)).toBe(0); // everything the notice set going has gone
    expect(tg.sent(zhao.id).some((m) => m.text.includes("材料报送"))).toBe(false); // one copy, on the account linked last

    // Later he writes from Telegram again: that is where he is now, so that is where the next notice goes.
    clock.advance(10 * 60_000);
    tg.pushUpdate(privateMessage(zhao, "/whoami"));
    await waitForTelegram(tg, zhao.id, /赵强（#/);
    await slack.dm(wang, "/notice 周报 发给 赵强 截止 周五17:00");
    await slack.press(wang, await slack.waitFor(wang, /请确认通知.*周报/s), "circular.publish");
    await waitForTelegram(tg, zhao.id, "周报");
    expect(slack.fake.posted(zhaoSlack).some((m) => textOf(m).includes("周报"))).toBe(false);
  });
});
