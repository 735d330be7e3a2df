// Slack cannot be reached at start (nothing listens where SLACK_API_URL points): Relay comes up anyway, says
// so in one line, answers /healthz naming the adapter as not connected (and events with 503, which Slack
// retries), and connects once the Web API is there — over HTTP events and in Socket Mode. Real sockets: the
// fake Web API is started later on the very port Relay was told about.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { testDatabase, type TestDatabase } from "../../support/db.ts";
import { DEFAULT_WORKSPACE, FakeSlack } from "../../support/fake-slack.ts";
import { freePort } from "../../support/net.ts";
import { messageEvent, postSigned } from "../../support/slack-signing.ts";
import { SIGNING_SECRET, textOf } from "../../support/slack-office.ts";
import { startRelay, type StartedRelay } from "../../support/startup.ts";
import { until } from "../../support/wait.ts";

const RETRY = { waitMs: 5000, firstDelayMs: 20, maxDelayMs: 100 };
const wang = "U0WANG00001";

describe("Slack unreachable at start", () => {
  let db: TestDatabase;
  const opened: { relay?: StartedRelay; fake?: FakeSlack }[] = [];
  beforeAll(async () => {
    db = await testDatabase("postgres");
  });
  afterAll(async () => {
    for (const { relay, fake } of opened) {
      await relay?.close();
      await fake?.close();
    }
    await db?.drop();
  });

  for (const mode of ["http", "socket"] as const) {
    it(`comes up, says so once, reports it on /healthz, and connects when the Web API is there (${mode})`, async () => {
      const port = await freePort(); // nothing listens here yet
      const env = {
        SLACK_BOT_TOKEN: DEFAULT_WORKSPACE.token,
        SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
        ...(mode === "http" ? { SLACK_SIGNING_SECRET: SIGNING_SECRET } : { SLACK_APP_TOKEN: DEFAULT_WORKSPACE.app_token }),
      };
      const relay = await startRelay(env, db, RETRY);
      const slot: (typeof opened)[number] = { relay };
      opened.push(slot);

      const warning = `slack: cannot reach 127.0.0.1:${port} (ECONNREFUSED) — retrying`;
      expect(said(relay)).toEqual([warning]);
      expect(await relay.health()).toEqual({
        status: 503,
        body: { status: "degraded", database: "ok", redis: "ok", adapters: { slack: { connected: false, error: `cannot reach 127.0.0.1:${port} (ECONNREFUSED)` } } },
      });
      const events = `http://127.0.0.1:${relay.port}/slack/events`;
      if (mode === "http") expect((await postSigned(events, messageEvent({ user: wang, channel: "D0WANG00001", text: "帮助" }), SIGNING_SECRET)).status).toBe(503);
      await relay.healthUntil(() => relay.logs.filter((l) => l.level === 20 && l.msg === warning).length >= 3);
      expect(said(relay)).toEqual([warning]);

      const fake = await FakeSlack.start({ port });
      slot.fake = fake;
      const up = await relay.healthUntil((h) => h.status === 200);
      expect(up.body).toEqual({ status: "ok", database: "ok", redis: "ok", adapters: { slack: { connected: true } } });
      expect(relay.logs.map((l) => l.msg)).toContain(`slack: connected to 127.0.0.1:${port}`);

      // And it works: a direct message gets its answer.
      const dm = fake.dmWith(wang);
      const event = messageEvent({ user: wang, channel: dm, text: "帮助" });
      if (mode === "http") expect((await postSigned(events, event, SIGNING_SECRET)).status).toBe(200);
      else {
        await fake.waitForSocket();
        await fake.socketSend("events_api", event);
      }
      await until(() => fake.posted(dm).length > 0, "the answer to 帮助");
      expect(fake.posted(dm).map(textOf).join("\n")).toContain("邀请码");
    });
  }
});

/** The warnings and errors Relay said about Slack (retries of the same trouble are debug lines). */
function said(relay: StartedRelay): string[] {
  return relay.logs.filter((l) => l.level >= 40 && l.msg.startsWith("slack:")).map((l) => l.msg);
}
