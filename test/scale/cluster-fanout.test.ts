// Scaling out on existing engines: two `relay serve` and two `relay worker` processes on one PostgreSQL and a
// real Redis Cluster (three masters of the test's own, REDIS_URL in the cluster form with a password, the
// default {relay} prefix) deliver a notice to 2,000 people through the Telegram adapter, and one worker is
// killed (SIGKILL) midway while its sends are on the wire. Nobody is lost and nobody gets it twice: every
// receipt ends sent, or uncertain for exactly the sends the dead worker had in flight, which are not resent.
//
// Only what is outside the processes is looked at: the fake Bot API, the receipts' delivery column, and an
// HTTP hop in front of the killed worker that holds its answers, so the test knows which sends were in flight.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { RELAY_BIN, childEnv } from "../support/cli.ts";
import { testDatabase, TEST_DATABASE_URL, type TestDatabase } from "../support/db.ts";
import { FakeTelegram, callbackQuery, privateMessage, user } from "../support/fake-telegram.ts";
import { HoldingProxy } from "../support/holding-proxy.ts";
import { freePorts } from "../support/net.ts";
import { PrivateRedisCluster } from "../support/redis-cluster.ts";
import { SECRET } from "../support/telegram-office.ts";

const PEOPLE = 2000;
const TITLE = "关于开展安全生产大检查的通知";
/**
 * Above Telegram's 30/s so the test takes seconds, not a minute; the fake enforces the same ceiling.
 * CLUSTER_RATE=2000 takes it out of the way, to see what the processes manage on this machine.
 */
const RATE = Number(process.env.CLUSTER_RATE ?? 200);
const FIRST_ID = 100_000; // Telegram ids of the roster: above the secretary's
const DOOMED = "relay-doomed-worker";

/** A `relay serve|worker` child with its stderr kept for a failure's message. */
class RelayProcess {
  readonly child: ChildProcessWithoutNullStreams;
  stderr = "";
  readonly exited: Promise<void>;

  constructor(
    readonly name: string,
    mode: "serve" | "worker",
    env: Record<string, string>,
    readonly port: number,
  ) {
    this.child = spawn(process.execPath, [RELAY_BIN, mode], { env: childEnv({ ...env, PORT: String(port) }) });
    this.child.stdout.resume();
    this.child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.once("exit", () => resolve()));
  }

  /** Waits until its /healthz says 200 (database, Redis Cluster and, for serve, Telegram all fine). */
  async healthy(timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer";
    for (;;) {
      if (this.child.exitCode !== null) throw new Error(`${this.name} exited (${this.child.exitCode}):\n${this.stderr}`);
      const res = await fetch(`http://127.0.0.1:${this.port}/healthz`).catch((e: Error) => e);
      if (!(res instanceof Error)) {
        if (res.status === 200) return;
        last = `${res.status} ${await res.text()}`;
      }
      if (Date.now() > deadline) throw new Error(`${this.name} not healthy within ${timeoutMs} ms: ${last}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async kill(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
    await this.exited;
  }
}

describe("two serve and two worker processes on PostgreSQL and a Redis Cluster", () => {
  let cluster: PrivateRedisCluster;
  let fake: FakeTelegram;
  let proxy: HoldingProxy;
  let db: TestDatabase;
  const processes: RelayProcess[] = [];

  beforeAll(async () => {
    [cluster, fake, db] = await Promise.all([
      PrivateRedisCluster.start({ password: "cluster-pw@1" }), // "@" in the password: the URL must percent-encode it
      FakeTelegram.start({ limits: { globalPerSecond: RATE } }),
      testDatabase("postgres"), // migrated here, so the four processes start on a database that is up to date
    ]);
    proxy = await HoldingProxy.start(fake.url);
  });
  afterAll(async () => {
    await Promise.all(processes.map((p) => p.kill()));
    await proxy?.close();
    await fake?.close();
    await cluster?.close();
    await db?.drop();
  });

  it("delivers a notice to 2,000 people once each, with a worker killed midway", { timeout: 240_000 }, async () => {
    const schema = (await db.sql.query<{ s: string }>("SELECT current_schema() AS s"))[0]!.s;
    const env = {
      // Four processes at 4 connections each: two suites at once stay within PostgreSQL's 100 connections.
      DATABASE_URL: `${TEST_DATABASE_URL}?schema=${schema}&connection_limit=4`,
      REDIS_URL: cluster.url, // no REDIS_PREFIX: {relay} is the default on a cluster
      TELEGRAM_BOT_TOKEN: fake.token,
      TELEGRAM_API_ROOT: fake.url,
      RELAY_DELIVER_RATE: `telegram=${RATE}/s`,
      // The dead worker's jobs come back within about two of these. Not shorter: a survivor slowed down by a
      // busy machine must still renew its own locks in time (every half of it), or it too is taken for dead
      // and its sends in flight are marked uncertain.
      RELAY_JOB_LOCK_SECONDS: "5",
      LOG_LEVEL: "warn",
    };
    const ports = await freePorts(4);
    const serveEnv = { ...env, TELEGRAM_WEBHOOK_SECRET: SECRET };
    const [serve1, serve2, doomed, survivor] = [
      new RelayProcess("serve 1", "serve", serveEnv, ports[0]!),
      new RelayProcess("serve 2", "serve", serveEnv, ports[1]!),
      // Named in pg_stat_activity, so the test can tell when PostgreSQL is done with what it had sent.
      new RelayProcess("worker 1 (killed)", "worker", { ...env, DATABASE_URL: `${env.DATABASE_URL}&application_name=${DOOMED}`, TELEGRAM_API_ROOT: proxy.url }, ports[2]!),
      new RelayProcess("worker 2", "worker", env, ports[3]!),
    ] as const;
    processes.push(serve1, serve2, doomed, survivor);
    await Promise.all(processes.map((p) => p.healthy()));

    // A load balancer in front of the serve processes: any update may reach either.
    const webhook = async (serve: RelayProcess, update: object) => {
      const res = await fetch(`http://127.0.0.1:${serve.port}/telegram/webhook`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify(update),
      });
      expect(res.status).toBe(200);
    };
    const toSecretary = async (text: string) => {
      await expect.poll(() => fake.sent(secretary.id).some((m) => m.text.includes(text)), { timeout: 30_000, interval: 50 }).toBe(true);
      return fake.sent(secretary.id).find((m) => m.text.includes(text))!;
    };

    const secretary = user(1, "赵秘书");
    await webhook(serve1, privateMessage(secretary, "/setup 赵秘书 城关镇"));
    await toSecretary("第一位管理员");
    // The roster: 2,000 people with Telegram accounts, as `relay import` would leave them.
    const unit = await db.prisma.unit.findFirstOrThrow();
    await db.prisma.person.createMany({ data: Array.from({ length: PEOPLE }, (_, i) => ({ name: `干部${i}`, unitId: unit.id })) });
    const people = await db.prisma.person.findMany({ where: { name: { startsWith: "干部" } }, select: { id: true } });
    await db.prisma.identity.createMany({ data: people.map((p, i) => ({ personId: p.id, platform: "telegram" as const, externalId: String(FIRST_ID + i) })) });

    // Composed through one serve process, published through the other: the draft lives in the database.
    await webhook(serve2, privateMessage(secretary, `/notice ${TITLE} 内容 请于周五前完成自查 发给 全体 截止 3个工作日内`));
    const preview = await toSecretary("请确认通知");
    const started = performance.now();
    await webhook(serve1, callbackQuery(secretary, preview, (preview.reply_markup!.inline_keyboard[0]![0] as { callback_data: string }).callback_data));
    await toSecretary("已发布");

    /** Copies of the notice that reached the platform, by chat. */
    const copies = () => {
      const counts = new Map<number, number>();
      for (const m of fake.sent()) if (m.chat.id >= FIRST_ID && m.text.includes(TITLE)) counts.set(m.chat.id, (counts.get(m.chat.id) ?? 0) + 1);
      return counts;
    };
    const copiesCount = () => [...copies().values()].reduce((a, b) => a + b, 0);

    // Midway: a third delivered. Then the doomed worker's sends still reach Telegram but it hears nothing
    // back; once a few hang like that, it dies.
    await expect.poll(copiesCount, { timeout: 60_000, interval: 50 }).toBeGreaterThanOrEqual(PEOPLE / 3);
    const doomedSessions = async () =>
      Number((await db.sql.query<{ n: string }>("SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1", [DOOMED]))[0]!.n);
    expect(await doomedSessions()).toBeGreaterThan(0);
    proxy.hold();
    await expect.poll(() => proxy.held.filter((c) => c.method === "sendMessage").length, { interval: 10 }).toBeGreaterThanOrEqual(3);
    await doomed.kill();
    const atKill = copiesCount();
    const beforeKill = (performance.now() - started) / 1000;
    // A statement the worker sent just before dying (claiming a receipt) may still commit after it: look at
    // the receipts once PostgreSQL has ended the dead worker's sessions, which it does after their last statement.
    await expect.poll(doomedSessions, { timeout: 30_000, interval: 20 }).toBe(0);
    // Sends Telegram took from the dead worker without it hearing so.
    const inFlight = new Set(proxy.held.filter((c) => c.method === "sendMessage" && c.ok).map((c) => Number(c.body.chat_id)));
    // What the outbox had claimed for the wire, or in doubt, when the worker died (the survivor's sends among them):
    // a claim committed just before the kill may never have been written to Telegram, and is rightly uncertain.
    const unsettledAtKill = new Set(
      (await db.prisma.outboxMessage.findMany({ where: { purpose: "circular.copy", state: { in: ["sending", "uncertain"] } }, select: { person: { select: { identities: { select: { externalId: true } } } } } })).map(
        (r) => Number(r.person!.identities[0]!.externalId),
      ),
    );
    expect(atKill).toBeLessThan(PEOPLE);

    // The survivor finishes, including the jobs the dead worker held (once their lock lapses).
    const receipts = () =>
      db.prisma.receipt.findMany({ where: { person: { name: { startsWith: "干部" } } }, select: { id: true, delivery: true, deliveryError: true, person: { select: { identities: { select: { externalId: true } } } } } });
    await expect
      .poll(async () => (await receipts()).filter((r) => r.delivery === "sent" || r.delivery === "uncertain").length, { timeout: 150_000, interval: 250 })
      .toBe(PEOPLE);
    const seconds = (performance.now() - started) / 1000;

    const final = await receipts();
    const chatOf = (r: (typeof final)[number]) => Number(r.person.identities[0]!.externalId);
    const uncertain = new Set(final.filter((r) => r.delivery === "uncertain").map(chatOf));
    const sent = final.filter((r) => r.delivery === "sent").map(chatOf);
    const counts = copies();
    // Duplicated: 0. Lost: 0 — each receipt is sent (one copy at Telegram) or uncertain.
    expect([...counts.entries()].filter(([, n]) => n > 1)).toEqual([]);
    expect(sent.length + uncertain.size).toBe(PEOPLE);
    expect(sent.filter((chat) => counts.get(chat) !== 1)).toEqual([]);
    // Uncertain are exactly the sends in doubt: every one the dead worker had on the wire (each arrived,
    // once), and otherwise only receipts that were being sent at the kill.
    for (const chat of inFlight) {
      expect(uncertain.has(chat)).toBe(true);
      expect(counts.get(chat)).toBe(1);
    }
    const unexplained = final.filter((r) => r.delivery === "uncertain" && !inFlight.has(chatOf(r)) && !unsettledAtKill.has(chatOf(r)));
    expect(unexplained.map((r) => ({ receipt: r.id, chat: chatOf(r), error: r.deliveryError, copies: counts.get(chatOf(r)) ?? 0 }))).toEqual([]);
    const received = [...counts.keys()].length;
    console.log(
      `cluster fan-out: ${PEOPLE} people, 2 serve + 2 worker on a 3-master Redis Cluster; ${seconds.toFixed(1)} s from publishing ` +
        `(${(PEOPLE / seconds).toFixed(0)} msg/s, ceiling ${RATE}/s; ${(atKill / beforeKill).toFixed(0)} msg/s before the kill); ` +
        `killed at ${atKill} copies with ${inFlight.size} on the wire; ` +
        `${received} received once, ${uncertain.size} uncertain (${[...uncertain].filter((c) => !counts.has(c)).length} never reached Telegram), 0 twice, 0 lost; ` +
        `429s ${fake.tooManyRequests}`,
    );
  });
});
