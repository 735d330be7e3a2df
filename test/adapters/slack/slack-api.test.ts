// Slack Web API calls through SlackApi against the fake over real HTTP and a real Redis: 1 post a second in a
// channel, a workspace budget shared by every process, 429s waited out (Retry-After) and retried, refusals
// about people turned into "unreachable", and a post whose answer never came reported as uncertain.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { webApi } from "@slack/bolt";
import { channelKey, SlackApi, WORKSPACE_KEY, type SlackLimits } from "../../../adapters/slack/slack-api.ts";
import { DeliveryUncertainError, RecipientUnreachableError } from "../../../src/bot/delivery-errors.ts";
import { FakeSlack } from "../../support/fake-slack.ts";
import { closestSpacing, RecordingLimiter } from "../../support/grants.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../../support/redis.ts";

const general = "C0GENERAL01";
const office = "C0OFFICE001";
const connections: Redis[] = [];
let fake: FakeSlack;
let prefix: string;

/**
 * A Relay "process": its own Redis connection and client, sharing the limits under `prefix`. Its limiter keeps the
 * time of each grant on the limiter's clock (Redis's), which the pacing is checked by. `timeout` ends a call that
 * was not answered: generous, unless a test waits for exactly that.
 */
function relay(limits: Partial<SlackLimits> = {}, url = fake.url, timeout = 30_000): SlackApi & { recorder: RecordingLimiter } {
  const redis = new Redis(TEST_REDIS_URL);
  connections.push(redis);
  const client = new webApi.WebClient(fake.token, { slackApiUrl: url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout, logLevel: webApi.LogLevel.ERROR });
  const limiter = new RecordingLimiter(redis, prefix);
  return Object.assign(new SlackApi(client, limiter, { backoffMs: 50, ...limits }), { recorder: limiter });
}
const post = (api: SlackApi, channel: string, text: string) => api.call("chat.postMessage", { channel, text });

beforeEach(async () => {
  prefix = uniquePrefix("slackapi");
  fake = await FakeSlack.start();
});
afterEach(async () => {
  await fake.close();
  await flushPrefix(prefix);
});
afterAll(() => {
  for (const c of connections) c.disconnect();
});

describe("SlackApi: rate limits", () => {
  it("posts at most one message a second in a channel, while other channels go at once", async () => {
    const api = relay({ workspace: { limit: 100, windowMs: 1000, burst: 10 } });
    await Promise.all([post(api, general, "1"), post(api, general, "2"), post(api, general, "3"), post(api, office, "a")]);
    const inGeneral = api.recorder.timesOf(channelKey(general));
    expect(inGeneral).toHaveLength(3);
    expect(closestSpacing(inGeneral)).toBeGreaterThanOrEqual(1000); // three in #general: a second apart
    // #office's post did not wait behind them: it went before #general's second.
    expect(api.recorder.timesOf(channelKey(office))[0]!).toBeLessThan(inGeneral[1]!);
    expect(fake.posted(general).map((m) => m.text).sort()).toEqual(["1", "2", "3"]);
    expect(fake.posted(office)).toHaveLength(1);
    expect(api.stats.sent).toBe(4);
  });

  it("shares one workspace budget between two processes", async () => {
    const a = relay({ workspace: { limit: 10, windowMs: 1000, burst: 1 } });
    const b = relay({ workspace: { limit: 10, windowMs: 1000, burst: 1 } });
    const channels = Array.from({ length: 10 }, (_, i) => `C0CHAN${String(i).padStart(5, "0")}`);
    await Promise.all(channels.map((c, i) => post(i % 2 ? a : b, c, `m${i}`)));
    // Ten posts at 10/s, evenly spaced, whichever process sends each: counted on the limiter's clock.
    const grants = [...a.recorder.timesOf(WORKSPACE_KEY), ...b.recorder.timesOf(WORKSPACE_KEY)];
    expect(grants).toHaveLength(10);
    expect(closestSpacing(grants)).toBeGreaterThanOrEqual(100);
    expect(fake.posted()).toHaveLength(10);
  });

  it("waits out a 429's Retry-After and posts once, never dropping or duplicating", async () => {
    const api = relay();
    fake.rateLimitNext("chat.postMessage", 1, 1);
    const sent = await post(api, general, "大会通知");
    // The retry's slot came at least the Retry-After (1 s) after the first, on the limiter's clock.
    const [first, retry] = api.recorder.timesOf(WORKSPACE_KEY);
    expect(retry! - first!).toBeGreaterThanOrEqual(1000);
    expect(sent).toMatchObject({ ok: true, channel: general });
    expect(fake.callsTo("chat.postMessage").map((c) => c.error)).toEqual(["ratelimited", undefined]);
    expect(fake.posted(general)).toHaveLength(1);
    expect(api.stats.retried429).toBe(1);
  });

  it("makes every process wait when one is told to: the block is kept in Redis", async () => {
    const a = relay();
    const b = relay();
    fake.rateLimitNext("chat.postMessage", 1, 2);
    const first = post(a, general, "first"); // told to wait 2 s: the whole workspace is blocked meanwhile
    await expect.poll(() => fake.rateLimited).toBe(1);
    await post(b, office, "second"); // another process, another channel: it waits for the block too
    // Its slot came at least 2 s after the slot of the call that was told to wait, on the limiter's clock.
    expect(b.recorder.timesOf(WORKSPACE_KEY)[0]! - a.recorder.timesOf(WORKSPACE_KEY)[0]!).toBeGreaterThanOrEqual(2000);
    await first;
    const calls = fake.callsTo("chat.postMessage");
    expect(calls.map((c) => c.error)).toEqual(["ratelimited", undefined, undefined]);
  });
});

describe("SlackApi: failures", () => {
  it("calls a person unreachable when Slack refuses their direct chat, and leaves channel refusals to the caller", async () => {
    const api = relay();
    fake.failNext("conversations.open", "user_disabled");
    await expect(api.call("conversations.open", { users: "U0GONE00001" })).rejects.toEqual(expect.any(RecipientUnreachableError));
    fake.failNext("chat.postMessage", "channel_not_found");
    await expect(post(api, "D0GONE00001", "x")).rejects.toMatchObject({ name: "RecipientUnreachableError", chatId: "D0GONE00001", reason: "channel_not_found" });
    fake.failNext("chat.postMessage", "not_in_channel");
    await expect(post(api, general, "x")).rejects.toMatchObject({ code: webApi.ErrorCode.PlatformError, data: { error: "not_in_channel" } });
    expect(api.stats.unreachable).toBe(2);
  });

  it("retries when Slack could not be reached at all, and gives up after a few tries", async () => {
    const closed = await new Promise<Server>((resolve) => {
      const s = createServer();
      s.listen(0, "127.0.0.1", () => resolve(s));
    });
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/api/`;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const api = relay({ maxAttempts: 3, backoffMs: 20 }, url);
    await expect(post(api, general, "x")).rejects.toMatchObject({ code: webApi.ErrorCode.RequestError });
    expect(api.stats.retriedOther).toBe(2);
  });

  it("never resends a post whose answer did not come, but retries an edit", async () => {
    let requests = 0;
    const silent = createServer(() => void requests++); // reads the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/api/`;
    try {
      const api = relay({ maxAttempts: 2, backoffMs: 20 }, url, 300);
      await expect(post(api, general, "x")).rejects.toEqual(expect.any(DeliveryUncertainError));
      expect([requests, api.stats.uncertain]).toEqual([1, 1]);
      await expect(api.call("chat.update", { channel: general, ts: "1.000001", text: "y" })).rejects.toThrow();
      expect(requests).toBe(3); // the edit was tried twice
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});
