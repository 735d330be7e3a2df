// The inbox through the test adapter (any chat app): a notice published by a button while Redis is down goes out
// once it is back; a command that Redis goes away under is not left hanging; a message held too long is not run but
// answered. Real PostgreSQL, a private redis-server stopped by its pid, the office clock where time matters.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../support/office.ts";
import { PrivateRedis } from "../support/private-redis.ts";
import { setupOffice } from "../support/roster.ts";

const BUSY = "系统繁忙，稍后处理。";

describe("the inbox while Redis is down", () => {
  let redis: PrivateRedis;
  let office: Office;
  const clock = new TestClock(new Date("2026-12-02T10:00:00+08:00")); // a Wednesday, a working day

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    office = await openOffice("postgres", { clock, env: { REDIS_URL: redis.url } });
    const join = await setupOffice(office.chat);
    await join("zhao", "赵秘书", "secretary", "党政办", "王主任");
    for (const [id, name] of [["jia", "甲"], ["yi", "乙"]]) await join(id!, name!, "member", "综治办", "王主任");
  });
  afterEach(async () => {
    await redis.restart();
    // Later tests (and closing) need the BullMQ connection back, not only the server.
    await expect.poll(() => office.runtime.redis.status).toBe("ready");
    await expect.poll(() => office.runtime.inbox!.holding).toBe(false); // everything held is handled
  });
  afterAll(async () => {
    await office?.close();
    await redis?.close();
  });

  const chat = () => office.chat;
  const prisma = () => office.runtime.app.prisma;
  /** Stops Redis and waits until Relay has noticed (a connection sees the server gone a moment after, not at once). */
  const stopRedis = async () => {
    await redis.stop();
    await expect.poll(async () => (await office.runtime.inbox!.held()).redis).toBeUndefined();
  };

  it("a notice published by its button while Redis is down: the press is told 系统繁忙, and it goes out once Redis is back", async () => {
    const [preview] = await chat().say("zhao", "通知 关于报送材料的通知 内容 请周五前报送 发给 综治办 截止 周五");
    expect(preview).toContain("请确认通知：");
    await stopRedis();
    expect(await chat().press("zhao", "circular.publish")).toEqual([BUSY]); // the toast on the button
    expect(await chat().say("jia", "待办")).toEqual([BUSY]);
    expect(await prisma().circular.count()).toBe(0);

    await redis.restart();
    await chat().waitFor("zhao", /^已发布 通知〔2026〕1号（#1），共 2 人。/);
    for (const id of ["jia", "yi"]) await chat().waitFor(id, "【通知】通知〔2026〕1号（#1）");
    // 甲's 待办, said after the press, is answered after it: the notice is already there to list.
    await chat().waitFor("jia", /^待你回复（1项）：/);
    await expect.poll(() => prisma().receipt.count({ where: { delivery: "sent" } })).toBe(2);
    // A button pressed while Redis is down is recorded afterwards; its note comes as a message then.
    await stopRedis();
    expect(await chat().press("jia", "circular.ack")).toEqual([BUSY]);
    await redis.restart();
    await chat().waitFor("jia", "已记录：收到（通知〔2026〕1号）");
    expect(await prisma().receipt.count({ where: { respondedAt: { not: null } } })).toBe(1);
  });

  it("a command Redis goes away under is not left hanging: the person is told, and it finishes, in order, when Redis is back", async () => {
    const { app } = office.runtime;
    let reached!: () => void;
    const inside = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    app.bot.router.command({
      name: "slowjob", aliases: [], audience: "roster", summary: "error.internal", usage: "error.internal", hidden: true,
      async run(ctx) {
        reached();
        await gate;
        await app.scheduler.schedule("test.nothing", "slowjob-1", {}, new Date(clock.now().getTime() + 3600_000)); // waits for Redis
        await ctx.reply("slow done");
      },
    });
    const before = chat().inbox("wang").length;
    const slow = chat().say("wang", "/slowjob");
    await inside;
    await redis.stop();
    release();
    expect(await slow).toEqual([BUSY]);
    expect(await chat().say("wang", "/whoami")).toEqual([BUSY]); // behind it, held in PostgreSQL
    expect(await office.runtime.inbox!.held()).toMatchObject({ database: 1 });

    await redis.restart();
    await chat().waitFor("wang", /^王主任（#1）/);
    expect(chat().inbox("wang").slice(before).map((m) => m.text.split("\n")[0])).toEqual([BUSY, BUSY, "slow done", "王主任（#1）"]);
    await app.scheduler.cancel("slowjob-1");
  });

  it("a message held longer than a day is not run: the person is told when it was sent and asked to send it again", async () => {
    await stopRedis();
    expect(await chat().say("yi", "/remind 10分钟后 开会")).toEqual([BUSY]);
    clock.advance(25 * 3600_000);
    await redis.restart();
    await chat().waitFor("yi", "因系统故障一直没能处理");
    expect(chat().lastTo("yi")).toBe("你在 昨天 10:00 发的消息因系统故障一直没能处理，已不再处理，请重新发送：/remind 10分钟后 开会");
    expect(await prisma().reminder.count({ where: { text: "开会" } })).toBe(0);
  });
});
