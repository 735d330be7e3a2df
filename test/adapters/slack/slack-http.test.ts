// The Slack adapter over real HTTP: signed requests against the receiver on Relay's own port, slash commands,
// direct messages, mentions and retried events, with replies landing in the fake Web API.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_WORKSPACE } from "../../support/fake-slack.ts";
import { appMention, blockAction, eventId, messageEvent, postSigned, slashCommand, urlVerification } from "../../support/slack-signing.ts";
import { SlackOffice, textOf } from "../../support/slack-office.ts";

const wang = "U0WANG00001";
const li = "U0LIWEI0001";
const general = "C0GENERAL01";

describe("Slack over HTTP events", () => {
  let slack: SlackOffice;
  beforeAll(async () => {
    slack = await SlackOffice.open();
  });
  afterAll(async () => slack?.close());

  it("accepts only requests signed with the app's secret and fresh: wrong, stale and unsigned get 401, an ssl_check 200", async () => {
    const body = slashCommand({ command: "/relay", text: "help", user_id: wang, channel_id: slack.fake.dmWith(wang) });
    const before = slack.fake.posted().length;
    const wrong = await postSigned(slack.url, body, "another-apps-signing-secret", { timestamp: slack.signedAt() });
    const forged = await slack.post(body, { signature: "v0=" + "0".repeat(64) });
    const stale = await slack.post(body, { timestamp: slack.signedAt(-6 * 60) });
    const unsigned = await fetch(slack.url, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect([wrong.status, forged.status, stale.status, unsigned.status]).toEqual([401, 401, 401, 401]);
    // Slack's ssl_check comes unsigned: answered 200, and a payload smuggled beside it goes nowhere.
    const press = blockAction({ user: wang, channel: slack.fake.dmWith(wang), action_id: "circular.ack#0", value: "1", message_ts: "1732700000.000001" });
    const sslCheck = await fetch(slack.url, { method: "POST", body: `ssl_check=1&token=x&${press}`, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(sslCheck.status).toBe(200);
    const verified = await slack.post(urlVerification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"));
    expect([verified.status, await verified.json()]).toEqual([200, { challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" }]);
    await new Promise((r) => setTimeout(r, 200));
    expect(slack.fake.posted().length).toBe(before); // nothing reached the bot
  });

  it("acks a slash command at once and answers after: /relay with no text is help, in Chinese by default", async () => {
    // Slack wants the ack within 3 s whatever the reply costs: it comes while the reply is still held at the API.
    const release = slack.fake.hold("chat.postMessage");
    expect(await slack.command(wang, slack.fake.dmWith(wang), "/relay")).toBe(200);
    expect(slack.fake.posted(wang)).toEqual([]);
    release();
    // Commands are shown as Slack users type them: "/relay setup" (Slack keeps /remind, /leave… for itself).
    const help = await slack.waitFor(wang, "初始化 (/relay setup)");
    expect(help.channel).toBe(slack.fake.dmWith(wang)); // a reply goes to the chat it came from
    expect(textOf(help)).toContain("在频道中请 @Relay，或用 /relay 加命令");
  });

  it("sets up the office from a direct message and reads Chinese commands as typed", async () => {
    expect(await slack.dm(wang, "/setup 王主任 城关镇")).toBe(200);
    await slack.waitFor(wang, "第一位管理员");
    await slack.dm(wang, "我是谁");
    await slack.waitFor(wang, /王主任.*管理员/s);
    expect(slack.fake.callsTo("auth.test")).toHaveLength(1); // at start only: nothing stands before an ack
    // users.info gave the name and locale; it is asked once, then remembered.
    expect(slack.fake.callsTo("users.info").filter((c) => c.body.user === wang)).toHaveLength(1);
  });

  it("takes per-command slash commands and /relay with a command word alike", async () => {
    await slack.command(wang, slack.fake.dmWith(wang), "/invite", "李伟 member 党政办 王主任");
    const invite = await slack.waitFor(wang, "为 李伟");
    const code = /([A-Z0-9]{4}-?[A-Z0-9]{4})/.exec(textOf(invite))![1]!;
    await slack.command(li, slack.fake.dmWith(li), "/relay", `join ${code}`);
    await slack.waitFor(li, "欢迎");
    await slack.command(li, slack.fake.dmWith(li), "/relay", "whoami");
    await slack.waitFor(li, /李伟/);
    // Usage help shows commands as they are typed on Slack.
    await slack.command(li, slack.fake.dmWith(li), "/relay", "help remind");
    await slack.waitFor(li, "/relay remind");
    // Li has only used slash commands: his direct chat with Relay is opened now, while nothing waits on it,
    // and remembered in Redis for every Relay process.
    await expect.poll(() => slack.fake.callsTo("conversations.open").map((c) => c.body.users)).toContain(li);
    expect(await slack.runtime.redis.hget(`${slack.prefix}:slack:direct-chats`, li)).toBe(slack.fake.dmWith(li));
  });

  it("hears a mention in a channel as said to the bot, and stays quiet about colleagues' talk", async () => {
    const before = slack.fake.posted(general).length;
    expect((await slack.post(messageEvent({ user: li, channel: general, channel_type: "channel", text: "帮助一下" }))).status).toBe(200);
    await slack.post(appMention({ user: li, channel: general, text: "我是谁" }));
    const reply = await slack.waitFor(general, /李伟/);
    expect(slack.fake.posted(general).length).toBe(before + 1);
    expect(textOf(reply)).toContain("李伟");
  });

  it("answers a mention made in a thread in that thread", async () => {
    const thread = "1732700000.000100";
    await slack.post(appMention({ user: li, channel: general, text: "我的待办", thread_ts: thread }));
    const reply = await slack.waitFor(general, "没有待你回复的文件");
    expect(reply.thread_ts).toBe(thread);
    await slack.post(appMention({ user: li, channel: general, text: "我是谁" }));
    await expect.poll(() => slack.fake.posted(general).filter((m) => textOf(m).includes("李伟（#")).length).toBe(2);
    expect(slack.fake.posted(general).filter((m) => textOf(m).includes("李伟（#")).at(-1)!.thread_ts).toBeUndefined(); // not in a thread: not threaded
  });

  it("reads a mention typed in a command as the person's roster name", async () => {
    // With should_escape (app-manifest.yaml) Slack sends "@李伟" picked from its menu as <@U…|li.wei>.
    await slack.command(wang, slack.fake.dmWith(wang), "/notice", `季度报表 发给 <@${li}|li.wei> 截止 明天17:00`);
    const preview = await slack.waitFor(wang, "季度报表");
    expect(textOf(preview)).toMatch(/李伟/);
    await slack.press(wang, preview, "circular.discard"); // leave no draft behind
    await slack.waitFor(wang, "（此预览已处理）");
  });

  it("answers a command typed in a channel it has not joined only to the person who typed it", async () => {
    const elsewhere = "C0NOTJOINED";
    slack.fake.failNext("chat.postMessage", "not_in_channel");
    const before = slack.fake.responses.length;
    await slack.command(li, elsewhere, "/relay", "我是谁");
    await expect.poll(() => slack.fake.responses.length).toBe(before + 1);
    expect(slack.fake.responses.at(-1)!.body).toMatchObject({ response_type: "ephemeral", text: expect.stringContaining("李伟") });
    expect(slack.fake.posted(elsewhere)).toHaveLength(0);
  });

  it("handles an event Slack retries (same event_id, X-Slack-Retry-Num) once", async () => {
    const id = eventId();
    const event = messageEvent({ user: li, channel: slack.fake.dmWith(li), text: "提醒 明天上午9点 交季度报表", event_id: id });
    expect((await slack.post(event)).status).toBe(200);
    for (const n of [1, 2]) {
      const retry = await slack.post(event, { headers: { "x-slack-retry-num": String(n), "x-slack-retry-reason": "http_timeout" } });
      expect(retry.status).toBe(200);
    }
    await slack.waitFor(li, "交季度报表");
    await new Promise((r) => setTimeout(r, 500));
    expect(slack.fake.posted(li).filter((m) => textOf(m).includes("交季度报表"))).toHaveLength(1);
    const rows = await slack.db.prisma.processedUpdate.count({ where: { platform: "slack", updateId: id } });
    expect(rows).toBe(1);
  });

  it("ignores its own messages and edits echoed back as events", async () => {
    const before = slack.fake.posted(li).length;
    const own = messageEvent({ user: DEFAULT_WORKSPACE.bot_user_id, channel: slack.fake.dmWith(li), text: "帮助" });
    const edited = messageEvent({ user: li, channel: slack.fake.dmWith(li), text: "帮助" });
    (edited.event as { subtype?: string }).subtype = "message_changed";
    await slack.post(own);
    await slack.post(edited);
    await new Promise((r) => setTimeout(r, 400));
    expect(slack.fake.posted(li).length).toBe(before);
  });

  it("escapes user text: <!channel> typed in a notice arrives as text, and an @here mention does not ping", async () => {
    // Slack sends what a person typed literally as entities, and what became a mention as <…>.
    await slack.dm(wang, "/notice 紧急 &lt;!channel&gt; &amp; <!here> 看这里 发给 李伟 截止 明天17:00");
    const preview = await slack.waitFor(wang, /请确认.*紧急/s);
    const raw = JSON.stringify(preview.blocks) + preview.text;
    expect(raw).not.toMatch(/<!(channel|here|everyone)/);
    expect(raw).toContain("&lt;!channel&gt; &amp; @here");
    expect(textOf(preview)).toContain("紧急 <!channel> & @here 看这里");
  });

  it("opens, at start, the direct chats of imported people who never wrote, so a first notice does not wait", async () => {
    const imported = "U0IMPORT001";
    const person = await slack.db.prisma.person.create({ data: { name: "导入的人" } });
    await slack.db.prisma.identity.create({ data: { personId: person.id, platform: "slack", externalId: imported } });
    await slack.runtime.close();
    await slack.boot(); // a restart, as after `relay import`
    await expect.poll(() => slack.fake.callsTo("conversations.open").map((c) => c.body.users)).toContain(imported);
    expect(await slack.runtime.redis.hget(`${slack.prefix}:slack:direct-chats`, imported)).toBe(slack.fake.dmWith(imported));
    expect(slack.fake.callsTo("conversations.open").filter((c) => c.body.users === li)).toHaveLength(1); // known ones are not opened again
  });
});
