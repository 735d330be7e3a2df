// The Slack adapter in Socket Mode (SLACK_APP_TOKEN set): the same payloads arrive as WebSocket envelopes from the
// fake instead of signed HTTP requests, are acked at once, and go through the same mapping and deduplication.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StartupError } from "../../../src/startup-error.ts";
import { testDatabase, type TestDatabase } from "../../support/db.ts";
import { FakeSlack } from "../../support/fake-slack.ts";
import { startupError } from "../../support/startup.ts";
import { blockActionObject, eventId, messageEvent, slashCommandObject } from "../../support/slack-signing.ts";
import { SlackOffice, textOf } from "../../support/slack-office.ts";

const wang = "U0WANG00001";

describe("Slack in Socket Mode", () => {
  let fake: FakeSlack;
  let slack: SlackOffice;
  beforeAll(async () => {
    fake = await FakeSlack.start();
    // No signing secret needed: Socket Mode takes precedence, and nothing listens at /slack/events.
    slack = await SlackOffice.open({ fake, env: { SLACK_APP_TOKEN: fake.appToken, SLACK_SIGNING_SECRET: "" } });
    await fake.waitForSocket();
  });
  afterAll(async () => {
    await slack?.close(); // stops the Socket Mode client before the fake goes away
    await fake?.close();
  });

  it("connects with the app token and takes direct messages, acking each envelope", async () => {
    expect(fake.callsTo("apps.connections.open")[0]).toMatchObject({ token: fake.appToken });
    const envelope = await fake.socketSend("events_api", messageEvent({ user: wang, channel: fake.dmWith(wang), text: "/setup 王主任 城关镇" }));
    await slack.waitFor(wang, "第一位管理员");
    expect(fake.socketAcks.map((a) => a.envelope_id)).toContain(envelope);
    expect((await fetch(slack.url, { method: "POST", body: "{}" })).status).toBe(404); // no HTTP receiver
  });

  it("takes slash commands and button presses, as over HTTP", async () => {
    // The author is never in their own audience: address someone on the roster (imported, no account yet).
    await slack.db.prisma.person.create({ data: { name: "李伟", role: "member" } });
    const command = await fake.socketSend("slash_commands", slashCommandObject({ command: "/notice", text: "周五例会 发给 李伟 截止 周五17:00", user_id: wang, channel_id: fake.dmWith(wang), response_url: fake.responseUrl() }));
    const preview = await slack.waitFor(wang, "请确认");
    expect(fake.socketAcks.map((a) => a.envelope_id)).toContain(command);
    const publish = preview.blocks!.flatMap((b) => ((b as { elements?: { action_id: string; value: string }[] }).elements ?? [])).find((e) => e.action_id.startsWith("circular.publish#"))!;
    await fake.socketSend("interactive", blockActionObject({ user: wang, channel: preview.channel, action_id: publish.action_id, value: publish.value, message_ts: preview.ts, response_url: fake.responseUrl() }));
    await slack.waitFor(wang, /已发布 通知〔\d+〕1号/);
  });

  it("handles an event Slack sends again (retry_attempt) once", async () => {
    const id = eventId();
    const event = messageEvent({ user: wang, channel: fake.dmWith(wang), text: "提醒 明天上午9点 开会材料", event_id: id });
    await fake.socketSend("events_api", event);
    await fake.socketSend("events_api", event, { retryAttempt: 1, retryReason: "timeout" });
    await slack.waitFor(wang, "开会材料");
    await new Promise((r) => setTimeout(r, 500));
    expect(fake.posted(wang).filter((m) => textOf(m).includes("开会材料"))).toHaveLength(1);
  });
});

describe("Slack tokens Slack refuses", () => {
  let fake: FakeSlack;
  let db: TestDatabase;
  beforeAll(async () => {
    fake = await FakeSlack.start();
    db = await testDatabase("postgres");
  });
  afterAll(async () => {
    await db?.drop();
    await fake?.close();
  });

  it("stops start-up with one line naming the variable", async () => {
    const bot = await startupError({ SLACK_API_URL: fake.url, SLACK_BOT_TOKEN: "xoxb-not-the-right-one", SLACK_SIGNING_SECRET: "8f742231b10e8888" }, db);
    expect(bot).toBeInstanceOf(StartupError);
    expect((bot as Error).message).toBe("Slack refused SLACK_BOT_TOKEN (invalid_auth): check the token in the app's settings at https://api.slack.com/apps");
    const app = await startupError({ SLACK_API_URL: fake.url, SLACK_BOT_TOKEN: fake.token, SLACK_APP_TOKEN: "xapp-1-A0RELAYAPP-0000000001-wrong" }, db);
    expect(app).toBeInstanceOf(StartupError);
    expect((app as Error).message).toContain("Slack refused SLACK_APP_TOKEN (invalid_auth)");
  });
});
