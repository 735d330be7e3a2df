// Slack while PostgreSQL is down: a direct message (an event with an event_id) is acked, held in Redis and said to
// be waiting; Slack's retries of it are not held again; it is handled once when the database is back. A slash command
// (no event_id: held under its signature) likewise, and a replay of it is not held again either. PostgreSQL is
// reached through a TCP proxy the test cuts; the shared server is not touched.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PgProxy, proxiedDatabase } from "../support/pg-proxy.ts";
import { SlackOffice, textOf } from "../support/slack-office.ts";
import { eventId, messageEvent, slashCommand } from "../support/slack-signing.ts";

const wang = "U0WANG00001";
const BUSY = "系统繁忙，稍后处理。";

describe("Slack while PostgreSQL is down", () => {
  let proxy: PgProxy;
  let slack: SlackOffice;
  beforeAll(async () => {
    proxy = await PgProxy.start();
    slack = await SlackOffice.open({ db: await proxiedDatabase(proxy) });
    await slack.dm(wang, "/setup 王主任 城关镇");
    await slack.waitFor(wang, "第一位管理员");
    await slack.dm(wang, "我是谁"); // answered after the setup has finished (one channel's events in order)
    await slack.waitFor(wang, "王主任（#1）");
  });
  afterEach(async () => proxy.restore());
  afterAll(async () => {
    await slack?.close();
    await proxy?.close();
  });

  const texts = () => slack.fake.posted(wang).map(textOf);

  it("holds a direct message and a slash command in Redis, and handles each once when the database is back", async () => {
    const before = texts().length;
    await proxy.cut();
    const event = messageEvent({ user: wang, channel: slack.fake.dmWith(wang), text: "提醒 明天上午9点 交季度报表", event_id: eventId() });
    expect((await slack.post(event)).status).toBe(200);
    await expect.poll(() => texts().slice(before)).toEqual([BUSY]);
    const retry = await slack.post(event, { headers: { "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" } });
    expect(retry.status).toBe(200);
    const command = slashCommand({ command: "/relay", text: "我是谁", user_id: wang, channel_id: slack.fake.dmWith(wang), response_url: slack.fake.responseUrl() });
    const timestamp = slack.signedAt();
    for (let i = 0; i < 2; i++) expect((await slack.post(command, { timestamp })).status).toBe(200);
    // Both told (one post a second in a channel, so the second comes a moment later); the retry and the replay were
    // not held again.
    await expect.poll(() => texts().slice(before)).toEqual([BUSY, BUSY]);
    expect(await slack.runtime.inbox!.held()).toEqual({ database: undefined, redis: 2, memory: 0 });

    await proxy.restore();
    await expect.poll(() => texts().slice(before).filter((t) => t.includes("王主任（#1）")).length).toBe(1);
    const after = texts().slice(before);
    expect(after.filter((t) => t === BUSY)).toHaveLength(2);
    expect(after.filter((t) => t.includes("交季度报表"))).toHaveLength(1);
    expect(after.findIndex((t) => t.includes("交季度报表"))).toBeLessThan(after.findIndex((t) => t.includes("王主任（#1）")));
    await expect.poll(async () => (await slack.runtime.inbox!.held()).redis).toBe(0);
  });
});
