// Telegram cannot be reached at start (nothing listens where TELEGRAM_API_ROOT points): Relay comes up anyway,
// says so in one line, answers /healthz naming the adapter as not connected, and connects once the Bot API is
// there. Over real sockets: the fake Bot API is started later on the very port Relay was told about.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { consoleEnvironment, ConsoleSession } from "../../support/cli.ts";
import { testDatabase, type TestDatabase } from "../../support/db.ts";
import { FakeTelegram, privateMessage, user } from "../../support/fake-telegram.ts";
import { freePort } from "../../support/net.ts";
import { startRelay, type StartedRelay } from "../../support/startup.ts";
import { SAFETY_NET_MS, until } from "../../support/wait.ts";

const RETRY = { waitMs: 5000, firstDelayMs: 20, maxDelayMs: 100 };
const TOKEN = "123456:TEST-token";
const wang = user(1001, "王", { last_name: "主任" });

describe("Telegram unreachable at start", () => {
  let db: TestDatabase;
  const opened: { relay?: StartedRelay; fake?: FakeTelegram }[] = [];
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

  it("comes up, says it cannot reach Telegram once, reports it on /healthz, and connects when the Bot API is there", async () => {
    const port = await freePort(); // nothing listens here yet
    const relay = await startRelay({ TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: `http://127.0.0.1:${port}` }, db, RETRY);
    const slot: (typeof opened)[number] = { relay };
    opened.push(slot);

    const warning = `telegram: cannot reach 127.0.0.1:${port} (ECONNREFUSED) — retrying`;
    expect(said(relay)).toEqual([warning]);
    const down = await relay.health();
    expect(down).toEqual({
      status: 503,
      body: { status: "degraded", database: "ok", redis: "ok", adapters: { telegram: { connected: false, error: `cannot reach 127.0.0.1:${port} (ECONNREFUSED)` } } },
    });

    // Retries (every 100 ms at most here) go on quietly: the same trouble is not said again.
    await relay.healthUntil(() => relay.logs.filter((l) => l.level === 20 && l.msg === warning).length >= 3);
    expect(said(relay)).toEqual([warning]);

    const fake = await FakeTelegram.start({ port, limits: false });
    slot.fake = fake;
    const up = await relay.healthUntil((h) => h.status === 200);
    expect(up.body).toEqual({ status: "ok", database: "ok", redis: "ok", adapters: { telegram: { connected: true } } });
    expect(relay.logs.map((l) => l.msg)).toContain(`telegram: connected to 127.0.0.1:${port}`);

    // And it works: polling runs, a message gets its answer.
    fake.pushUpdate(privateMessage(wang, "/help"));
    await until(() => fake.sent(wang.id).length > 0, "the answer to /help");
    expect(fake.sent(wang.id)[0]?.text).toContain("邀请码");
  });

  it("goes on without an answer after waitMs, and a token refused once Telegram answers is said once and shown on /healthz", async () => {
    const silent = await FakeTelegram.start({ token: "123456:not-the-right-token", limits: false });
    silent.hangNext("getMe", 1); // the first getMe never gets an answer: a network that drops packets
    const host = new URL(silent.url).host;
    const relay = await startRelay({ TELEGRAM_BOT_TOKEN: "123456:not-the-right-token", TELEGRAM_API_ROOT: silent.url }, db, { ...RETRY, waitMs: 200 });
    const slot: (typeof opened)[number] = { relay };
    opened.push(slot);
    expect(said(relay)).toEqual([`telegram: cannot reach ${host} (no answer in 0.2 s) — retrying`]);
    expect((await relay.health()).body).toMatchObject({ status: "degraded", adapters: { telegram: { connected: false, error: `cannot reach ${host} (no answer in 0.2 s)` } } });

    // The hung request is cut; then Telegram answers on the same address, and refuses the token (this fake
    // knows another one): that is final.
    await silent.close();
    slot.fake = await FakeTelegram.start({ port: Number(host.split(":")[1]), limits: false });
    const refused = "Telegram refused TELEGRAM_BOT_TOKEN (401 Unauthorized): check it with @BotFather";
    const h = await relay.healthUntil((x) => JSON.stringify(x.body).includes("refused"));
    expect(h).toEqual({ status: 503, body: { status: "degraded", database: "ok", redis: "ok", adapters: { telegram: { connected: false, error: refused } } } });
    expect(relay.logs.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([`telegram: ${refused}`]);
  });
});

describe("relay start while Telegram cannot be reached", () => {
  const { env, cleanup } = consoleEnvironment("postgres", "tg-unreachable");
  let relay: ConsoleSession | undefined;
  let fake: FakeTelegram | undefined;
  afterAll(async () => {
    relay?.kill();
    await fake?.close();
    await cleanup();
  });

  it("logs one line on stderr, serves /healthz meanwhile, and connects when the network is back", async () => {
    const [apiPort, port] = [await freePort(), await freePort()];
    relay = new ConsoleSession({ ...env, TELEGRAM_BOT_TOKEN: TOKEN, TELEGRAM_API_ROOT: `http://127.0.0.1:${apiPort}`, PORT: String(port) });
    const s = relay;
    const line = `"msg":"telegram: cannot reach 127.0.0.1:${apiPort} (ECONNREFUSED) — retrying"`;
    await until(() => s.stderr.includes(line) || s.child.exitCode !== null, "the line about Telegram", 90_000); // a cold start: tsx compiles, migrations run
    expect(s.stderr).toContain(line);
    const health = async () => {
      for (;;) {
        const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        if (res) return { status: res.status, body: (await res.json()) as { adapters: Record<string, unknown> } };
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body.adapters).toEqual({ telegram: { connected: false, error: `cannot reach 127.0.0.1:${apiPort} (ECONNREFUSED)` } });

    fake = await FakeTelegram.start({ port: apiPort, limits: false });
    let up = await health();
    await until(async () => (up = await health()).status === 200, "/healthz to say connected", SAFETY_NET_MS, 100);
    expect(up).toEqual({ status: 200, body: { status: "ok", database: "ok", redis: "ok", adapters: { telegram: { connected: true } } } });
    expect(s.stderr.split("\n").filter((l) => l.includes("telegram: cannot reach"))).toHaveLength(1);

    s.child.kill("SIGTERM");
    expect(await s.end()).toBe(0);
  });
});

/** The warnings and errors Relay said about Telegram (retries of the same trouble are debug lines). */
function said(relay: StartedRelay): string[] {
  return relay.logs.filter((l) => l.level >= 40 && l.msg.startsWith("telegram:")).map((l) => l.msg);
}
