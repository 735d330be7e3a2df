// Replayed Slack requests over real HTTP. A signed request stamped more than five minutes from the office clock,
// either way, is refused with 401 and reaches nothing; the same signed slash command or button press posted again,
// to this Relay or to a second `relay serve` on the same Redis and database, is answered 200 with nothing in it and
// has no effect. The office clock stands months from the machine's, so none of this leans on the wall clock (Bolt's
// own check, by Date.now(), would refuse every request here).
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase, type Database } from "../../../src/db/database.ts";
import { TEST_DATABASE_URL } from "../../support/db.ts";
import { FakeSlack } from "../../support/fake-slack.ts";
import { TestClock } from "../../support/office.ts";
import { PrivateRedis } from "../../support/private-redis.ts";
import { blockAction, signSlackRequest, slashCommand } from "../../support/slack-signing.ts";
import { buttons, SIGNING_SECRET, SlackOffice, textOf } from "../../support/slack-office.ts";

const wang = "U0WANG00001";
const BUSY = "系统繁忙，稍后处理。";

/** A /relay command from wang in his direct chat, as Slack would post it (a fresh trigger_id each time). */
const command = (fake: FakeSlack, text: string) => slashCommand({ command: "/relay", text, user_id: wang, channel_id: fake.dmWith(wang), response_url: fake.responseUrl() });

describe("Slack requests outside the window or replayed", () => {
  const clock = new TestClock(new Date("2026-06-10T10:00:00+08:00")); // a Wednesday morning
  const logged: { level: number; msg: string; reason?: string }[] = [];
  const lines: string[] = [];
  let fake: FakeSlack;
  let one: SlackOffice;
  let two: SlackOffice;
  let twoDb: Database;

  beforeAll(async () => {
    fake = await FakeSlack.start();
    const log = pino({ level: "warn" }, { write: (line: string) => void (lines.push(line), logged.push(JSON.parse(line))) });
    one = await SlackOffice.open({ fake, clock, log });
    // The second process: its own adapter, inbox and connections (a pool of its own on the same schema).
    const [row] = await one.db.sql.query<{ schema: string }>("SELECT current_schema() AS schema");
    twoDb = await openDatabase({ url: TEST_DATABASE_URL, schema: row!.schema });
    two = await SlackOffice.open({ fake, clock, db: Object.assign(twoDb, { drop: () => twoDb.close() }), prefix: one.prefix, mode: "serve" });
    await one.dm(wang, "/setup 王主任 城关镇");
    await one.waitFor(wang, "第一位管理员");
  });
  afterAll(async () => {
    await two?.close({ keep: true });
    await twoDb?.close();
    await one?.close();
    await fake?.close();
  });

  const said = () => fake.posted(wang).map(textOf);
  const reminders = () => one.db.prisma.reminder.findMany({ orderBy: { id: "asc" }, select: { text: true, status: true } });
  /** Waits until `office` has answered a fresh 我是谁: what it was given before in this chat is handled by then. */
  const barrier = async (office: SlackOffice) => {
    const answered = said().filter((t) => t.includes("王主任（#1）")).length;
    expect(await office.post(command(fake, "我是谁"))).toHaveProperty("status", 200);
    await expect.poll(() => said().filter((t) => t.includes("王主任（#1）")).length).toBe(answered + 1);
  };

  it("refuses a request stamped 10 minutes ahead or 6 minutes behind the office clock, and takes one 4 minutes ahead", async () => {
    const ahead = await one.post(command(fake, "提醒 明天上午9点 交甲表"), { timestamp: one.signedAt(10 * 60) });
    const behind = await one.post(command(fake, "提醒 明天上午9点 交乙表"), { timestamp: one.signedAt(-6 * 60) });
    expect([ahead.status, await ahead.text(), behind.status, await behind.text()]).toEqual([401, "", 401, ""]);
    const early = await one.post(command(fake, "提醒 明天上午9点 交丙表"), { timestamp: one.signedAt(4 * 60) });
    expect(early.status).toBe(200);
    await one.waitFor(wang, "提醒你：交丙表");
    // One chat's requests are handled in order: had either refused one gone in, it would be here by now.
    expect(await reminders()).toEqual([{ text: "交丙表", status: "pending" }]);
    expect(said().filter((t) => /交[甲乙]表/.test(t))).toEqual([]);
    expect(await one.db.prisma.processedUpdate.count({ where: { updateId: { startsWith: "sig-" } } })).toBe(1);
    // Logged as refused, with why, and never the secret.
    const refused = logged.filter((l) => l.msg === "refused a slack request");
    expect(refused.map((l) => l.level)).toEqual([40, 40]);
    expect(refused[0]!.reason).toMatch(/ahead of the clock/);
    expect(refused[1]!.reason).toMatch(/stale/);
    expect(lines.join("\n")).not.toContain(SIGNING_SECRET);
  });

  it("makes one reminder and one reply of a signed slash command posted three times, and a second process's copy too", async () => {
    const body = command(fake, "提醒 明天下午3点 交季度报表");
    const timestamp = one.signedAt();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await one.post(body, { timestamp }));
    // The same signature with its headers spelt differently (what Bolt's check reads the same) is the same request.
    const signature = signSlackRequest(body, SIGNING_SECRET, { timestamp })["x-slack-signature"];
    answers.push(await one.post(body, { timestamp, headers: { "x-slack-request-timestamp": `0${timestamp}`, "x-slack-signature": `${signature}=` } }));
    const elsewhere = await two.post(body, { timestamp });
    // Each answered as Slack expects an ack, so Slack retries nothing; nothing in the body tells a replay apart.
    expect(await Promise.all([...answers, elsewhere].map(async (r) => [r.status, await r.text()]))).toEqual([[200, ""], [200, ""], [200, ""], [200, ""], [200, ""]]);
    await barrier(one);
    await barrier(two);
    expect(said().filter((t) => t.includes("提醒你：交季度报表"))).toHaveLength(1);
    expect((await reminders()).filter((r) => r.text === "交季度报表")).toHaveLength(1);
  });

  it("gives a replayed button press one effect, in either process", async () => {
    const created = await one.waitFor(wang, "提醒你：交季度报表");
    const cancel = buttons(created).find((b) => b.action_id.startsWith("reminder.cancel#"))!;
    const press = blockAction({ user: wang, channel: created.channel, action_id: cancel.action_id, value: cancel.value, message_ts: created.ts, response_url: fake.responseUrl() });
    const timestamp = one.signedAt();
    const responses = fake.responses.length;
    const statuses = [(await one.post(press, { timestamp })).status, (await one.post(press, { timestamp })).status, (await two.post(press, { timestamp })).status];
    expect(statuses).toEqual([200, 200, 200]);
    await barrier(one);
    await barrier(two);
    // Cancelled once, said once; a second press would have been answered "提醒 #… 已经结束了。".
    expect(said().filter((t) => t.startsWith("已取消提醒"))).toHaveLength(1);
    expect([...said(), ...fake.responses.slice(responses).map((r) => JSON.stringify(r.body))].filter((t) => t.includes("已经结束了"))).toEqual([]);
    expect((await reminders()).find((r) => r.text === "交季度报表")!.status).toBe("cancelled");
  });

  it("still takes a new command with a new timestamp, and refuses an old one replayed once the window has passed", async () => {
    const old = command(fake, "提醒 明天上午11点 交年度总结");
    const oldAt = one.signedAt();
    expect((await one.post(old, { timestamp: oldAt })).status).toBe(200);
    await one.waitFor(wang, "交年度总结");
    clock.advance(6 * 60_000);
    expect((await two.post(old, { timestamp: oldAt })).status).toBe(401);
    expect((await two.post(command(fake, "提醒 明天上午10点 交考勤表"))).status).toBe(200);
    await one.waitFor(wang, "提醒你：交考勤表");
    expect((await reminders()).map((r) => r.text)).toEqual(["交丙表", "交季度报表", "交年度总结", "交考勤表"]);
  });
});

describe("a replayed Slack command while Redis is down", () => {
  const clock = new TestClock(new Date("2026-06-10T10:00:00+08:00"));
  let redis: PrivateRedis;
  let slack: SlackOffice;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    slack = await SlackOffice.open({ clock, env: { REDIS_URL: redis.url } });
    await slack.dm(wang, "/setup 王主任 城关镇");
    await slack.waitFor(wang, "第一位管理员");
  });
  afterAll(async () => {
    await redis?.restart(); // closing waits on Redis: back up, should a failure have left it stopped
    await slack?.close();
    await redis?.close();
  });

  it("is held once under its signature, handled once when Redis is back, and ignored after", async () => {
    const said = () => slack.fake.posted(wang).map(textOf);
    await redis.stop();
    await expect.poll(async () => (await slack.runtime.inbox!.held()).redis).toBeUndefined();
    const body = command(slack.fake, "提醒 明天上午9点 交季度报表");
    const timestamp = slack.signedAt();
    expect([(await slack.post(body, { timestamp })).status, (await slack.post(body, { timestamp })).status]).toEqual([200, 200]);
    await expect.poll(() => said().filter((t) => t === BUSY).length).toBe(1);
    expect((await slack.runtime.inbox!.held()).database).toBe(1); // the replay was not held a second time

    await redis.restart();
    await slack.waitFor(wang, "提醒你：交季度报表", 20_000);
    await expect.poll(() => slack.runtime.inbox!.holding).toBe(false);
    expect((await slack.post(body, { timestamp })).status).toBe(200);
    expect((await slack.post(command(slack.fake, "我是谁"))).status).toBe(200);
    await slack.waitFor(wang, "王主任（#1）");
    expect(said().filter((t) => t === BUSY)).toHaveLength(1);
    expect(said().filter((t) => t.includes("提醒你：交季度报表"))).toHaveLength(1);
    expect(await slack.db.prisma.reminder.count()).toBe(1);
  });
});
