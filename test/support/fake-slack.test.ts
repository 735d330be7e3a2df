// The fake Slack must answer like Slack, and the signed requests must pass Bolt's real checks, or Slack adapter
// tests prove nothing: here a real WebClient and a real Bolt App talk to them over HTTP.
import { createHmac } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { App, ErrorCode as BoltErrorCode, HTTPReceiver, LogLevel, SocketModeReceiver, verifySlackRequest, webApi, type Logger } from "@slack/bolt";
import { WebSocket } from "ws";
import { DEFAULT_WORKSPACE, FakeSlack, type FakeSlackOptions } from "./fake-slack.ts";
import { freePort } from "./net.ts";
import {
  appMention, blockAction, blockActionObject, messageEvent, postSigned, signSlackRequest, slashCommand, slashCommandObject, urlVerification,
} from "./slack-signing.ts";

const { WebClient, ErrorCode } = webApi;
const li = "U0LIWEI001";
const general = "C0GENERAL01";
const SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
let fake: FakeSlack;
let app: App | undefined;

async function start(opts: FakeSlackOptions = {}): Promise<webApi.WebClient> {
  fake = await FakeSlack.start(opts);
  return new WebClient(fake.token, { slackApiUrl: fake.url, retryConfig: { retries: 0 }, logLevel: webApi.LogLevel.ERROR });
}
const platformError = (error: string) => expect.objectContaining({ code: ErrorCode.PlatformError, data: expect.objectContaining({ ok: false, error }) });

afterEach(async () => {
  await app?.stop();
  app = undefined;
  await fake?.close();
});

describe("FakeSlack: the Web API", () => {
  it("answers auth.test as the Relay bot, and refuses another token, no token and unknown methods", async () => {
    const client = await start();
    expect(await client.auth.test()).toMatchObject({
      ok: true, team_id: DEFAULT_WORKSPACE.team_id, user_id: DEFAULT_WORKSPACE.bot_user_id, bot_id: DEFAULT_WORKSPACE.bot_id,
    });
    expect(fake.calls[0]).toMatchObject({ method: "auth.test", token: fake.token });
    await expect(new WebClient("xoxb-wrong", { slackApiUrl: fake.url }).auth.test()).rejects.toEqual(platformError("invalid_auth"));
    await expect(new WebClient(undefined, { slackApiUrl: fake.url }).auth.test()).rejects.toEqual(platformError("not_authed"));
    await expect(client.apiCall("chat.telepathy", { channel: general })).rejects.toEqual(platformError("unknown_method"));
    expect(fake.calls.map((c) => [c.method, c.error])).toEqual([
      ["auth.test", undefined], ["auth.test", "invalid_auth"], ["auth.test", "not_authed"], ["chat.telepathy", "unknown_method"],
    ]);
  });

  it("posts a message with blocks (sent form-encoded, blocks as a JSON string) and returns Slack's shape", async () => {
    const client = await start({ now: () => 1_732_700_000_123 });
    const blocks = [
      { type: "section", text: { type: "mrkdwn", text: "*周五大会*" } },
      { type: "actions", elements: [{ type: "button", action_id: "notice.ack", value: "42", text: { type: "plain_text", text: "确认" } }] },
    ];
    const sent = await client.chat.postMessage({ channel: general, text: "周五大会", blocks });
    expect(sent).toMatchObject({
      ok: true, channel: general, ts: "1732700000.000001",
      message: { type: "message", ts: "1732700000.000001", text: "周五大会", user: DEFAULT_WORKSPACE.bot_user_id, bot_id: DEFAULT_WORKSPACE.bot_id, blocks },
    });
    expect(fake.callsTo("chat.postMessage")[0]!.body).toEqual({ channel: general, text: "周五大会", blocks });
    expect(fake.posted(general)).toEqual([expect.objectContaining({ channel: general, ts: sent.ts, text: "周五大会", blocks })]);
    expect((await client.chat.postMessage({ channel: general, text: "second" })).ts).toBe("1732700000.000002");

    await expect(client.chat.postMessage({ channel: general, text: " " })).rejects.toEqual(platformError("no_text"));
    await expect(client.chat.postMessage({ channel: "#general", text: "x" })).rejects.toEqual(platformError("channel_not_found"));
    await expect(client.chat.postMessage({ channel: general, text: "x", blocks: [{ text: "no type" } as never] })).rejects.toEqual(platformError("invalid_blocks"));
    fake.failNext("chat.postMessage", "not_in_channel");
    await expect(client.chat.postMessage({ channel: general, text: "x" })).rejects.toEqual(platformError("not_in_channel"));
    expect(fake.posted()).toHaveLength(2);
  });

  it("updates a message in place, keeping blocks an update omits, and refuses an unknown ts", async () => {
    const client = await start();
    const blocks = [{ type: "section", text: { type: "mrkdwn", text: "大会 0/12" } }];
    const { ts } = await client.chat.postMessage({ channel: general, text: "大会 0/12", blocks });
    const updated = await client.chat.update({ channel: general, ts: ts!, text: "大会 1/12" });
    expect(updated).toMatchObject({ ok: true, channel: general, ts, text: "大会 1/12", message: { edited: { user: DEFAULT_WORKSPACE.bot_user_id } } });
    expect(fake.posted(general)).toEqual([expect.objectContaining({ ts, text: "大会 1/12", blocks, edited: expect.any(Object) })]);
    await client.chat.update({ channel: general, ts: ts!, text: "大会 2/12", blocks: [] });
    expect(fake.posted(general)[0]).not.toHaveProperty("blocks");
    await expect(client.chat.update({ channel: general, ts: "1732700000.999999", text: "x" })).rejects.toEqual(platformError("message_not_found"));
  });

  it("opens a stable DM per user, posts to it by user id, and tells who a user is", async () => {
    const client = await start({ users: { [li]: { name: "li.wei", real_name: "李伟", display_name: "小李" } } });
    const first = await client.conversations.open({ users: li });
    expect(first.channel?.id).toMatch(/^D[A-Z0-9]{8,}$/);
    expect((await client.conversations.open({ users: li })).channel?.id).toBe(first.channel?.id);
    expect((await client.conversations.open({ users: "U0OTHER0001" })).channel?.id).not.toBe(first.channel?.id);
    await expect(client.conversations.open({ users: "nobody" })).rejects.toEqual(platformError("user_not_found"));

    const byUser = await client.chat.postMessage({ channel: li, text: "你好" });
    expect(byUser.channel).toBe(first.channel?.id); // as on Slack: a user id means the app's DM with them
    expect(fake.posted(li).map((m) => m.text)).toEqual(["你好"]);

    expect((await client.users.info({ user: li })).user).toMatchObject({
      id: li, name: "li.wei", real_name: "李伟", tz: "Asia/Shanghai", tz_offset: 28_800, is_bot: false, profile: { display_name: "小李" },
    });
    expect((await client.users.info({ user: "U0STRANGER1" })).user).toMatchObject({ tz: "Asia/Shanghai", profile: { display_name: expect.any(String) } });
    await expect(client.users.info({ user: "x" })).rejects.toEqual(platformError("user_not_found"));
  });

  it("posts ephemeral messages only the user sees, apart from posted()", async () => {
    const client = await start();
    const answer = await client.chat.postEphemeral({ channel: general, user: li, text: "只有你能看到" });
    expect(answer).toMatchObject({ ok: true, message_ts: expect.stringMatching(/^\d{10}\.\d{6}$/) });
    expect(fake.ephemeral(general)).toEqual([{ channel: general, user: li, message_ts: answer.message_ts, text: "只有你能看到" }]);
    expect(fake.posted()).toEqual([]);
  });

  it("takes JSON bodies with a Bearer token too, as Slack does", async () => {
    await start();
    const res = await fetch(`${fake.url}chat.postMessage`, {
      method: "POST", body: JSON.stringify({ channel: general, text: "json" }),
      headers: { "content-type": "application/json; charset=utf-8", authorization: `Bearer ${fake.token}` },
    });
    expect([res.status, await res.json()]).toEqual([200, expect.objectContaining({ ok: true, channel: general })]);
  });
});

describe("FakeSlack: file uploads", () => {
  it("takes the SDK's own filesUploadV2 (get URL, POST the bytes, complete) and shares the file with its comment", async () => {
    const client = await start();
    const csv = Buffer.from("\uFEFF姓名,单位\r\n甲,综治办\r\n", "utf8");
    const res = await client.filesUploadV2({ channel_id: general, file: csv, filename: "circular-1.csv", title: "circular-1.csv", initial_comment: "回执 5 条" });
    expect(res.ok).toBe(true);
    expect(fake.callsTo("files.getUploadURLExternal")[0]!.body).toMatchObject({ filename: "circular-1.csv", length: String(csv.length) });
    const [file] = fake.files(general);
    expect(file).toMatchObject({ name: "circular-1.csv", title: "circular-1.csv", channel: general, initial_comment: "回执 5 条" });
    expect(file!.data.equals(csv)).toBe(true);
    // The share is a message by the bot in the channel, the comment its text.
    expect(fake.posted(general)).toEqual([expect.objectContaining({ text: "回执 5 条", files: [{ id: file!.id, name: "circular-1.csv", title: "circular-1.csv" }] })]);
  });

  it("takes the bytes raw or as a multipart form, each upload URL once, and answers complete with the file's permalink", async () => {
    const client = await start();
    const one = await client.files.getUploadURLExternal({ filename: "a.csv", length: 4 });
    const raw = await fetch(one.upload_url!, { method: "POST", body: Buffer.from("a,b\n") });
    expect([raw.status, await raw.text()]).toEqual([200, "OK - 4"]);
    expect((await fetch(one.upload_url!, { method: "POST", body: Buffer.from("more") })).status).toBe(404);
    const two = await client.files.getUploadURLExternal({ filename: "b.csv", length: 3 });
    const form = new FormData();
    form.set("filename", new Blob([Buffer.from("x,y")]), "b.csv");
    expect((await fetch(two.upload_url!, { method: "POST", body: form })).status).toBe(200);
    const done = await client.files.completeUploadExternal({ files: [{ id: one.file_id!, title: "A" }, { id: two.file_id! }], channel_id: general, thread_ts: "1732700000.000001" });
    expect(done.files).toEqual([
      expect.objectContaining({ id: one.file_id, name: "a.csv", title: "A", size: 4, permalink: expect.stringMatching(/^https:\/\/relay-office\.slack\.com\/files\//) }),
      expect.objectContaining({ id: two.file_id, name: "b.csv", title: "b.csv", size: 3 }),
    ]);
    expect(fake.files(general).map((f) => [f.name, f.data.toString(), f.thread_ts])).toEqual([["a.csv", "a,b\n", "1732700000.000001"], ["b.csv", "x,y", "1732700000.000001"]]);
  });

  it("refuses like Slack: bad arguments, a zero length, an unknown or unfinished file, a wrong length, a bad channel, a fault", async () => {
    const client = await start();
    await expect(client.apiCall("files.getUploadURLExternal", { length: 3 })).rejects.toEqual(platformError("invalid_arguments"));
    await expect(client.files.getUploadURLExternal({ filename: "z.csv", length: 0 })).rejects.toEqual(platformError("missing_argument"));
    await expect(client.files.completeUploadExternal({ files: [{ id: "F0000000099" }], channel_id: general })).rejects.toEqual(platformError("file_not_found"));
    const url = await client.files.getUploadURLExternal({ filename: "c.csv", length: 10 });
    await expect(client.files.completeUploadExternal({ files: [{ id: url.file_id! }], channel_id: general })).rejects.toEqual(platformError("file_not_found"));
    await fetch(url.upload_url!, { method: "POST", body: Buffer.from("short") });
    await expect(client.files.completeUploadExternal({ files: [{ id: url.file_id! }], channel_id: general })).rejects.toEqual(platformError("file_upload_length_mismatch"));
    const ok = await client.files.getUploadURLExternal({ filename: "d.csv", length: 1 });
    await fetch(ok.upload_url!, { method: "POST", body: Buffer.from("d") });
    await expect(client.files.completeUploadExternal({ files: [{ id: ok.file_id! }], channel_id: "general" })).rejects.toEqual(platformError("channel_not_found"));
    fake.failNext("files.completeUploadExternal", "not_in_channel", 1, general);
    await expect(client.files.completeUploadExternal({ files: [{ id: ok.file_id! }], channel_id: general })).rejects.toEqual(platformError("not_in_channel"));
    await client.files.completeUploadExternal({ files: [{ id: ok.file_id! }], channel_id: fake.dmWith(li) });
    expect(fake.files(li).map((f) => f.name)).toEqual(["d.csv"]);
    expect(fake.files(general)).toEqual([]);
  });
});

describe("FakeSlack: rate limits", () => {
  it("answers 429 with Retry-After; a client that rejects rate-limited calls sees retryAfter at once", async () => {
    await start();
    // An hour: a client that waited it out instead of rejecting at once would still be waiting when the test times out.
    fake.rateLimitNext("chat.postMessage", 1, 3600);
    const client = new WebClient(fake.token, { slackApiUrl: fake.url, rejectRateLimitedCalls: true, logLevel: webApi.LogLevel.ERROR });
    await expect(client.chat.postMessage({ channel: general, text: "x" })).rejects.toMatchObject({ code: ErrorCode.RateLimitedError, retryAfter: 3600 });
    expect(fake.callsTo("chat.postMessage")).toHaveLength(1);
    expect(fake.rateLimited).toBe(1);
    expect(fake.posted()).toEqual([]);
    const raw = await fetch(`${fake.url}chat.postMessage`, { method: "POST" }); // the fault was used up
    expect(raw.status).toBe(200);
  });

  it("with retries: 0 the client waits out Retry-After once, then fails with a plain Error", async () => {
    const client = await start();
    fake.rateLimitNext("chat.postMessage", 1, 1);
    const t0 = Date.now();
    await expect(client.chat.postMessage({ channel: general, text: "x" })).rejects.toThrow(/A rate limit was exceeded .*retry-after: 1/);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(950); // the client's own wait: it has no clock to inject
    expect(fake.posted()).toEqual([]);
  });

  it("a default client retries after the rate-limit window and succeeds", async () => {
    await start();
    fake.rateLimitNext("chat.postMessage", 1, 1);
    const client = new WebClient(fake.token, { slackApiUrl: fake.url, logLevel: webApi.LogLevel.ERROR });
    const limited: number[] = [];
    client.on(webApi.WebClientEvent.RATE_LIMITED, (seconds: number) => limited.push(seconds));
    await expect(client.chat.postMessage({ channel: general, text: "eventually" })).resolves.toMatchObject({ ok: true });
    expect(limited).toEqual([1]);
    expect(fake.callsTo("chat.postMessage").map((c) => c.error ?? "ok")).toEqual(["ratelimited", "ok"]);
    expect(fake.posted().map((m) => m.text)).toEqual(["eventually"]);
  });
});

describe("slack-signing", () => {
  it("signs v0:timestamp:body with HMAC-SHA256, as Bolt verifies it", () => {
    const body = "token=xyz&team_id=T1DC2JH3J&command=%2Fweather&text=94070";
    const expected = `v0=${createHmac("sha256", SECRET).update(`v0:1531420618:${body}`).digest("hex")}`;
    expect(signSlackRequest(body, SECRET, { timestamp: 1531420618 })).toEqual({ "x-slack-request-timestamp": "1531420618", "x-slack-signature": expected });
    expect(expected).toMatch(/^v0=[0-9a-f]{64}$/);
    const now = Math.floor(Date.now() / 1000);
    const headers = signSlackRequest(body, SECRET, { timestamp: now });
    expect(() => verifySlackRequest({ signingSecret: SECRET, body, headers: { ...headers, "x-slack-request-timestamp": now } })).not.toThrow();
    expect(() => verifySlackRequest({ signingSecret: "other", body, headers: { ...headers, "x-slack-request-timestamp": now } })).toThrow(/signature mismatch/);
  });

  it("builds payloads in Slack's wire format", () => {
    const command = new URLSearchParams(slashCommand({ command: "/notice", text: "周五 开会", user_id: li, channel_id: general }));
    expect(Object.fromEntries(command)).toMatchObject({
      command: "/notice", text: "周五 开会", user_id: li, channel_id: general, team_id: DEFAULT_WORKSPACE.team_id,
      api_app_id: DEFAULT_WORKSPACE.app_id, response_url: expect.stringMatching(/^https:\/\//), trigger_id: expect.any(String),
    });
    const press = JSON.parse(new URLSearchParams(blockAction({ user: li, channel: general, action_id: "notice.ack", value: "42", message_ts: "1732700000.000001" })).get("payload")!);
    expect(press).toMatchObject({
      type: "block_actions", user: { id: li }, container: { type: "message", message_ts: "1732700000.000001", channel_id: general },
      channel: { id: general }, message: { ts: "1732700000.000001" }, actions: [{ type: "button", action_id: "notice.ack", value: "42" }],
    });
    const dm = messageEvent({ user: li, channel: "D0LIWEI0001", text: "hi", event_id: "Ev0TEST0001" });
    expect(dm).toMatchObject({ type: "event_callback", event_id: "Ev0TEST0001", event_time: expect.any(Number), event: { type: "message", channel_type: "im", user: li, text: "hi" } });
    const fixed = { command: "/notice", user_id: li, channel_id: general, trigger_id: "1.T.x", response_url: "https://hooks.slack.com/commands/T/1/x" };
    expect(Object.fromEntries(new URLSearchParams(slashCommand(fixed)))).toEqual(slashCommandObject(fixed)); // one field list, two encodings
    expect(appMention({ user: li, channel: general, text: "help" }).event.text).toBe(`<@${DEFAULT_WORKSPACE.bot_user_id}> help`);
    expect(messageEvent({ user: li, channel: general, text: "a" }).event_id).not.toBe(messageEvent({ user: li, channel: general, text: "a" }).event_id);
  });
});

describe("A Bolt App against the fake and signed requests", () => {
  async function startApp(): Promise<string> {
    fake = await FakeSlack.start();
    app = new App({ token: fake.token, signingSecret: SECRET, clientOptions: { slackApiUrl: fake.url }, logLevel: LogLevel.ERROR });
    const port = await freePort();
    await app.start(port);
    return `http://127.0.0.1:${port}/slack/events`;
  }

  it("accepts a signed slash command: ack() answers 200, say() and respond() reach the fake", async () => {
    const url = await startApp();
    const seen: string[] = [];
    app!.command("/notice", async ({ command, ack, say, respond }) => {
      await ack();
      seen.push(`${command.user_id}: ${command.text}`);
      await say(`收到：${command.text}`);
      await respond({ text: "已发送", response_type: "ephemeral" });
    });
    const res = await postSigned(url, slashCommand({ command: "/notice", text: "周五开会", user_id: li, channel_id: general, response_url: fake.responseUrl() }), SECRET);
    expect([res.status, await res.text()]).toEqual([200, ""]);
    await expect.poll(() => fake.responses.length).toBe(1);
    expect(seen).toEqual([`${li}: 周五开会`]);
    expect(fake.posted(general).map((m) => m.text)).toEqual(["收到：周五开会"]);
    expect(fake.responses[0]!.body).toMatchObject({ text: "已发送", response_type: "ephemeral" });
    expect(fake.callsTo("auth.test")).toHaveLength(1); // Bolt verifies the token once, at construction
  });

  it("rejects a wrong signature and a stale timestamp with 401, before any listener runs", async () => {
    const url = await startApp();
    let calls = 0;
    app!.command("/notice", async ({ ack }) => { calls++; await ack(); });
    const body = slashCommand({ command: "/notice", text: "x", user_id: li, channel_id: general });
    expect((await postSigned(url, body, "not-the-secret")).status).toBe(401);
    expect((await postSigned(url, body, SECRET, { signature: "v0=deadbeef" })).status).toBe(401);
    expect((await postSigned(url, body, SECRET, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 })).status).toBe(401);
    expect((await fetch(url, { method: "POST", body, headers: { "content-type": "application/x-www-form-urlencoded" } })).status).toBe(401);
    expect(calls).toBe(0);
    expect((await postSigned(url, body, SECRET, { timestamp: Math.floor(Date.now() / 1000) - 4 * 60 })).status).toBe(200);
    expect(calls).toBe(1);
  });

  it("routes signed DMs, mentions, button presses and url_verification like Slack's", async () => {
    const url = await startApp();
    const seen: string[] = [];
    app!.message(async ({ message }) => { if (message.subtype === undefined) seen.push(`dm ${message.channel_type}: ${message.text}`); });
    app!.event("app_mention", async ({ event }) => { seen.push(`mention: ${event.text}`); });
    app!.action("notice.ack", async ({ ack, action, body }) => {
      await ack();
      seen.push(`ack ${(action as { value?: string }).value} by ${body.user.id}`);
    });
    expect((await postSigned(url, messageEvent({ user: li, channel: "D0LIWEI0001", text: "你好" }), SECRET)).status).toBe(200);
    expect((await postSigned(url, appMention({ user: li, channel: general, text: "help" }), SECRET)).status).toBe(200);
    expect((await postSigned(url, blockAction({ user: li, channel: general, action_id: "notice.ack", value: "42", message_ts: "1732700000.000001" }), SECRET)).status).toBe(200);
    const challenge = await postSigned(url, urlVerification("3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"), SECRET);
    expect(await challenge.json()).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
    await expect.poll(() => seen.length).toBe(3);
    expect(seen).toEqual(["dm im: 你好", `mention: <@${DEFAULT_WORKSPACE.bot_user_id}> help`, `ack 42 by ${li}`]);
  });

  it("can share an existing node:http server: HTTPReceiver.requestListener throws a deferred error for other paths", async () => {
    fake = await FakeSlack.start();
    const receiver = new HTTPReceiver({ signingSecret: SECRET, logLevel: LogLevel.ERROR });
    app = undefined; // never started: the server below is ours
    const shared = new App({ token: fake.token, receiver, clientOptions: { slackApiUrl: fake.url }, logLevel: LogLevel.ERROR });
    shared.command("/notice", async ({ ack }) => { await ack("ok from bolt"); });
    const server = createServer((req, res) => {
      try {
        receiver.requestListener(req, res);
      } catch (e) {
        if ((e as { code?: string }).code !== BoltErrorCode.HTTPReceiverDeferredRequestError) throw e;
        res.writeHead(200, { "content-type": "text/plain" }).end("health ok");
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect(await (await fetch(`${base}/healthz`)).text()).toBe("health ok");
      const res = await postSigned(`${base}/slack/events`, slashCommand({ command: "/notice", user_id: li, channel_id: general }), SECRET);
      expect([res.status, await res.text()]).toEqual([200, "ok from bolt"]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe("Socket Mode against the fake", () => {
  // For the refusal test: the socket client logs the refusals it is meant to get at ERROR level.
  const silent: Logger = {
    debug: () => {}, info: () => {}, warn: () => {}, error: () => {}, setLevel: () => {}, getLevel: () => LogLevel.ERROR, setName: () => {},
  };

  // Bolt copies App's clientOptions into installerOptions.clientOptions, which is what SocketModeClient's WebClient
  // (the apps.connections.open caller) uses. Giving installerOptions its own object keeps SocketModeClient from
  // writing its retryConfig (100 retries) into App's clientOptions, which listener clients (say()) are built from.
  async function startSocketApp(): Promise<App> {
    fake = await FakeSlack.start();
    app = new App({
      token: fake.token, appToken: fake.appToken, socketMode: true, clientOptions: { slackApiUrl: fake.url },
      installerOptions: { clientOptions: { slackApiUrl: fake.url } }, logLevel: LogLevel.ERROR,
    });
    await app.start(); // resolves on the fake's hello
    expect(fake.socketConnections).toBe(1);
    return app;
  }

  it("delivers events_api envelopes to app.message / app.event, acked by Bolt, with retry_attempt as context.retryNum", async () => {
    const socketApp = await startSocketApp();
    const seen: string[] = [];
    socketApp.message(async ({ message, context }) => {
      if (message.subtype === undefined) seen.push(`${message.channel_type}: ${message.text} (retry ${context.retryNum} ${context.retryReason})`);
    });
    socketApp.event("app_mention", async ({ event, context }) => { seen.push(`mention: ${event.text} (retry ${context.retryNum} ${context.retryReason})`); });
    const first = await fake.socketSend("events_api", messageEvent({ user: li, channel: "D0LIWEI0001", text: "你好" }));
    const retried = await fake.socketSend("events_api", appMention({ user: li, channel: general, text: "help" }), { retryAttempt: 1, retryReason: "timeout" });
    await expect.poll(() => seen.length).toBe(2);
    expect(seen.sort()).toEqual(["im: 你好 (retry 0 )", `mention: <@${DEFAULT_WORKSPACE.bot_user_id}> help (retry 1 timeout)`]);
    // Bolt acks events itself, before listeners run; @slack/socket-mode always sends a payload, {} for a bare ack.
    await expect.poll(() => fake.socketAcks.length).toBe(2);
    expect(fake.socketAcks).toEqual(expect.arrayContaining([{ envelope_id: first, payload: {} }, { envelope_id: retried, payload: {} }]));
    expect(fake.callsTo("apps.connections.open")).toEqual([expect.objectContaining({ token: fake.appToken })]);
  });

  it("delivers a slash command to app.command: ack(text) travels in the ack's payload; say() and respond() reach the fake", async () => {
    const socketApp = await startSocketApp();
    socketApp.command("/notice", async ({ command, ack, say, respond }) => {
      await ack("收到");
      await say(`通知：${command.text}`);
      await respond({ text: "已发送", response_type: "ephemeral" });
    });
    const payload = slashCommandObject({ command: "/notice", text: "周五开会", user_id: li, channel_id: general, response_url: fake.responseUrl() });
    const id = await fake.socketSend("slash_commands", payload);
    await expect.poll(() => fake.responses.length).toBe(1);
    await expect.poll(() => fake.socketAcks).toEqual([{ envelope_id: id, payload: { text: "收到" } }]);
    expect(fake.posted(general).map((m) => m.text)).toEqual(["通知：周五开会"]);
    expect(fake.responses[0]!.body).toMatchObject({ text: "已发送", response_type: "ephemeral" });
    // Slack retries only Events API deliveries; asking the fake for a retried command is a test bug.
    await expect(fake.socketSend("slash_commands", payload, { retryAttempt: 1 })).rejects.toThrow(/only with events_api/);
  });

  it("delivers a block_actions payload to app.action and records its ack", async () => {
    const socketApp = await startSocketApp();
    const seen: string[] = [];
    socketApp.action("notice.ack", async ({ ack, action, body }) => {
      await ack();
      seen.push(`ack ${(action as { value?: string }).value} by ${body.user.id}`);
    });
    const id = await fake.socketSend("interactive", blockActionObject({ user: li, channel: general, action_id: "notice.ack", value: "42", message_ts: "1732700000.000001" }));
    await expect.poll(() => fake.socketAcks).toEqual([{ envelope_id: id, payload: {} }]);
    await expect.poll(() => seen).toEqual([`ack 42 by ${li}`]);
  });

  it("gives socket URLs only for the app-level token, in the header; each URL is good for one connection", async () => {
    fake = await FakeSlack.start();
    const client = (token?: string) => new WebClient(token, { slackApiUrl: fake.url, retryConfig: { retries: 0 }, logLevel: webApi.LogLevel.ERROR });
    await expect(client(fake.token).apps.connections.open({})).rejects.toEqual(platformError("not_allowed_token_type"));
    await expect(client("xapp-1-A0RELAYAPP-0000000001-wrong").apps.connections.open({})).rejects.toEqual(platformError("invalid_auth"));
    await expect(client(fake.appToken).chat.postMessage({ channel: general, text: "x" })).rejects.toEqual(platformError("not_allowed_token_type"));
    const inBody = await fetch(`${fake.url}apps.connections.open`, { method: "POST", body: new URLSearchParams({ token: fake.appToken }) });
    expect(await inBody.json()).toEqual({ ok: false, error: "not_authed" });

    const { url } = await client(fake.appToken).apps.connections.open({});
    expect(url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/socket\?ticket=\d+$/);
    const ws = new WebSocket(url!);
    const hello = await new Promise<unknown>((resolve) => ws.once("message", (data) => resolve(JSON.parse(String(data)))));
    expect(hello).toMatchObject({ type: "hello", num_connections: 1, connection_info: { app_id: DEFAULT_WORKSPACE.app_id } });
    await fake.waitForSocket();
    const again = new WebSocket(url!);
    const refused = await new Promise<Error>((resolve) => again.once("error", resolve));
    expect(refused.message).toBe("Unexpected server response: 401");
    ws.close();
  });

  it("a Bolt app started with a wrong app token fails at once (invalid_auth), and with the bot token only if it may not reconnect", async () => {
    fake = await FakeSlack.start();
    const wrong = new App({
      token: fake.token, appToken: "xapp-1-A0RELAYAPP-0000000001-wrong", socketMode: true,
      clientOptions: { slackApiUrl: fake.url }, logger: silent,
    });
    await expect(wrong.start()).rejects.toMatchObject({ data: { error: "invalid_auth" } });
    await wrong.stop();
    // not_allowed_token_type is not among @slack/socket-mode's unrecoverable errors: with autoReconnectEnabled (the
    // default) start() would call apps.connections.open again after 5 s, 10 s, ... and never settle.
    const receiver = new SocketModeReceiver({
      appToken: fake.token, autoReconnectEnabled: false, logger: silent,
      installerOptions: { clientOptions: { slackApiUrl: fake.url } },
    });
    app = new App({ token: fake.token, receiver, clientOptions: { slackApiUrl: fake.url }, logger: silent });
    await expect(app.start()).rejects.toMatchObject({ data: { error: "not_allowed_token_type" } });
    expect(fake.callsTo("apps.connections.open").map((c) => c.error)).toEqual(["invalid_auth", "not_allowed_token_type"]);
    expect(fake.socketConnections).toBe(0);
  });

  it("answers the client's pings, and a refresh_requested disconnect makes the client fetch a new URL and reconnect", async () => {
    fake = await FakeSlack.start();
    // clientPingTimeout sets the ping period (a third of it), how long a pong may be late, and the wait before
    // reconnecting. 1.5 s: a ping every half second, and a stalled machine does not make a pong look late.
    const receiver = new SocketModeReceiver({
      appToken: fake.appToken, clientPingTimeout: 1500, logLevel: LogLevel.ERROR, installerOptions: { clientOptions: { slackApiUrl: fake.url } },
    });
    app = new App({ token: fake.token, receiver, clientOptions: { slackApiUrl: fake.url }, logLevel: LogLevel.ERROR });
    const seen: string[] = [];
    app.message(async ({ message }) => { if (message.subtype === undefined) seen.push(message.text ?? ""); });
    await app.start();
    // Unanswered, the client would drop the connection after its fourth ping: six answered, and it is still the first.
    await expect.poll(() => fake.pingsAnswered, { interval: 100 }).toBeGreaterThanOrEqual(6);
    expect(fake.callsTo("apps.connections.open")).toHaveLength(1);
    expect(fake.socketConnections).toBe(1);

    await fake.socketDisconnect("refresh_requested");
    await expect.poll(() => fake.socketConnections, { interval: 20 }).toBe(0);
    await expect.poll(() => fake.callsTo("apps.connections.open").length).toBe(2);
    await fake.waitForSocket();
    await expect.poll(() => fake.socketConnections).toBe(1);
    const id = await fake.socketSend("events_api", messageEvent({ user: li, channel: "D0LIWEI0001", text: "after refresh" }));
    await expect.poll(() => seen).toEqual(["after refresh"]);
    await expect.poll(() => fake.socketAcks).toEqual([{ envelope_id: id, payload: {} }]);
  });

  it("App's clientOptions alone also reach the fake, but SocketModeClient then writes its retryConfig into that object", async () => {
    fake = await FakeSlack.start();
    const clientOptions: webApi.WebClientOptions = { slackApiUrl: fake.url };
    app = new App({ token: fake.token, appToken: fake.appToken, socketMode: true, clientOptions, logLevel: LogLevel.ERROR });
    expect(clientOptions.retryConfig).toEqual({ retries: 100, factor: 1.3 });
    await app.start();
    expect(fake.callsTo("apps.connections.open")).toHaveLength(1);
  });
});
