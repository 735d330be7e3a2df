// Notices end to end on real PostgreSQL and Redis: compose, preview, publish through the outbox,
// respond by button and by /ack, the live counter in a group, /status, /pending, /cancel and refusals.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { OFFICE_EPOCH, openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

describe("notices", () => {
  let office: Office;
  const people = [["jia", "甲"], ["yi", "乙"], ["bing", "丙"], ["ding", "丁"], ["wu", "戊"]] as const;
  beforeAll(async () => {
    office = await openOffice("postgres");
    const join = await setupOffice(office.chat);
    await join("zhao", "赵秘书", "secretary", "党政办", "王主任");
    await join("leader", "陈书记", "leader", "城关镇");
    for (const [id, name] of people) await join(id, name, "member", "综治办", "王主任");
  });
  afterAll(async () => office?.close());

  const chat = () => office.chat;
  const prisma = () => office.runtime.app.prisma;

  it("publishes after a preview and reaches everyone in the unit by direct message", async () => {
    const [preview] = await chat().say("zhao", "通知 关于开展安全生产大检查的通知 内容 请于周五前完成自查 发给 综治办 截止 3个工作日内");
    expect(preview).toContain("请确认通知：");
    expect(preview).toContain("发给：综治办（共 5 人）");
    expect(preview).toMatch(/截止：.+ 18:00/);
    expect(await prisma().circular.count()).toBe(0); // nothing is sent before the confirm button

    const [published] = await chat().press("zhao", "circular.publish");
    expect(published).toBe("已发布 通知〔2026〕1号（#1），共 5 人。发送“状态 1”查看回执。");
    for (const [id] of people) {
      const got = await chat().waitFor(id, "【通知】通知〔2026〕1号（#1）");
      expect(got.text).toContain("关于开展安全生产大检查的通知\n请于周五前完成自查");
      expect(got.text).toContain("发文：赵秘书（党政办）");
      expect(got.buttons).toEqual([{ label: "收到", action: "circular.ack", value: "1" }]);
    }
    await expect.poll(() => prisma().receipt.count({ where: { delivery: "sent" } })).toBe(5);
  });

  it("records responses by button and by /ack, and /status shows who has and has not", async () => {
    for (const id of ["jia", "yi", "bing"]) expect(await chat().press(id, "circular.ack")).toEqual(["已记录：收到（通知〔2026〕1号）"]);
    expect(await chat().say("ding", "回复 1 已安排专人负责")).toEqual(["已记录：收到（通知〔2026〕1号）"]);
    expect(await chat().press("jia", "circular.ack")).toEqual(["你已回复过：收到（通知〔2026〕1号），无需再按。"]); // pressed again: nothing changed

    const [status] = await chat().say("zhao", "状态 1");
    expect(status).toBe(
      ["通知〔2026〕1号（#1）关于开展安全生产大检查的通知", "已回复 4/5", "已回复：", "  综治办：甲、乙、丙、丁：已安排专人负责", "未回复：", "  综治办：戊"].join("\n"),
    );
  });

  it("lists what is pending for a person, with a button to answer", async () => {
    const [pending] = await chat().say("wu", "待办");
    expect(pending).toMatch(/^待你回复（1项）：\n#1 通知〔2026〕1号 关于开展安全生产大检查的通知（截止 .+）$/);
    expect(await chat().say("jia", "/pending")).toEqual(["没有待你回复的文件。"]);
  });

  it("refuses, saying who may", async () => {
    expect(await chat().say("jia", "/notice 我也想发通知 发给 全体 截止 明天")).toEqual(["只有管理员或领导或秘书可以这样做。"]);
    expect(await chat().say("zhao", "/ack 1")).toEqual(["这份文件不是发给你的，无需回复。"]);
    expect(await chat().say("jia", "状态 1")).toEqual(["只有发文人、领导或管理员可以查看回执情况。"]);
    expect((await chat().say("leader", "状态 1"))[0]).toContain("已回复 4/5");
    expect(await chat().say("leader", "撤回 1")).toEqual(["只有发文人或管理员可以撤回。"]);
    expect(await chat().say("zhao", "状态 99")).toEqual(["没有编号为 #99 的文件。"]);
  });

  it("asks for what is missing, one question at a time, and can be abandoned", async () => {
    expect(await chat().say("zhao", "/notice 周一例会材料")).toEqual([expect.stringContaining("发给谁？")]);
    expect(await chat().say("zhao", "综治办、赵秘书")).toEqual([expect.stringContaining("截止时间？")]);
    expect(await chat().say("zhao", "大概下个月吧")).toEqual([expect.stringMatching(/^没看懂时间“大概下个月吧”.*\n截止时间？/s)]);
    expect(await chat().say("zhao", "2026-01-01 09:00")).toEqual([expect.stringMatching(/已经过去了.*\n截止时间？/s)]);
    const [preview] = await chat().say("zhao", "下周一上午9点");
    expect(preview).toContain("发给：综治办、赵秘书（共 5 人）"); // the author is not in their own audience
    await chat().press("zhao", "circular.discard");
    expect(await prisma().circular.count()).toBe(1);
    expect(await chat().say("zhao", "/notice 再来一个")).toEqual([expect.stringContaining("发给谁？")]);
    expect(await chat().say("zhao", "取消")).toEqual(["已取消，没有发出任何内容。"]);
    expect(await chat().say("zhao", "综治办")).toEqual([expect.stringContaining("没听懂")]);
  });

  it("posts to a bound group with a live counter, matching presses to the roster", async () => {
    const group = "zzb-group";
    await office.runtime.app.bot.handle({ kind: "membership", joined: true, user: { platform: "console", id: "wang" }, chat: { platform: "console", id: group, kind: "group", title: "综治办群" } });
    await chat().say("wang", "/bind 综治办", undefined, group);
    await chat().say("zhao", "/notice 周五下午全体大会 发给 本群 截止 周五17:00", undefined, group);
    await chat().press("zhao", "circular.publish", group);
    const post = await chat().waitFor(group, "周五下午全体大会");
    expect(post.text).toContain("已确认 0/5");
    expect(chat().inbox("jia").some((m) => m.text.includes("周五下午全体大会"))).toBe(false); // the group has it

    expect(await chat().press("jia", "circular.ack", group)).toEqual([expect.stringContaining("已记录：收到")]);
    expect(await chat().press("yi", "circular.ack", group)).toEqual([expect.stringContaining("已记录：收到")]);
    expect(await chat().press("bing", "circular.ack", group)).toEqual([expect.stringContaining("已记录：收到")]);
    // Presses within a few seconds share one edit of the counter.
    await expect.poll(() => post.text).toContain("已确认 3/5");
    expect(post.edits).toBeLessThanOrEqual(2);
    // Someone it was not addressed to is told so privately (a toast), and the counter does not move.
    expect(await chat().press("leader", "circular.ack", group)).toEqual(["这份文件不是发给你的，无需回复。"]);
    expect(post.text).toContain("已确认 3/5");
    expect(chat().inbox(group).filter((m) => m.text.includes("不是发给你的"))).toEqual([]);
  });

  it("withdraws a circular: buttons go, responses are refused, and it leaves /pending", async () => {
    const [reply] = await chat().say("zhao", "撤回 2");
    expect(reply).toBe("已撤回 通知〔2026〕2号（#2）。");
    const post = chat().inbox("zzb-group").find((m) => m.text.includes("周五下午全体大会"))!;
    expect(post.text).toContain("（已撤回）");
    expect(post.buttons).toEqual([]);
    expect(await chat().say("ding", "回复 2")).toEqual(["#2 已撤回，无需回复。"]);
  });

  it("writes audit events for publish, respond and cancel", async () => {
    const actions = (await prisma().auditEvent.findMany({ where: { entity: "Circular" } })).map((e) => e.action);
    expect(actions.filter((a) => a === "circular.publish")).toHaveLength(2);
    expect(actions.filter((a) => a === "circular.respond").length).toBeGreaterThanOrEqual(8);
    expect(actions).toContain("circular.cancel");
  });
});

describe("editing a notice", () => {
  let office: Office;
  const clock = new TestClock(OFFICE_EPOCH);
  beforeAll(async () => {
    office = await openOffice("pglite", { clock });
    const join = await setupOffice(office.chat);
    await join("zhao", "赵秘书", "secretary", "党政办");
    await join("jia", "甲", "member", "综治办");
    await join("yi", "乙", "member", "综治办");
    await office.chat.say("zhao", "通知 报送材料 发给 综治办 截止 2099-01-05 17:00");
    await office.chat.press("zhao", "circular.publish");
    await office.chat.waitFor("jia", "报送材料");
  });
  afterAll(async () => office?.close());

  it("moves the deadline, updates the copies already sent, and reschedules the escalation", async () => {
    await expect.poll(() => office.runtime.app.prisma.receipt.count({ where: { delivery: "sent" } })).toBe(2);
    const [reply] = await office.chat.say("zhao", "修改 1 截止 2099-01-12 17:00 内容 请附电子版");
    expect(reply).toBe("已修改 通知〔2026〕1号（#1）的内容、截止时间，已发出的消息会同步更新。");
    const copy = office.chat.inbox("jia").find((m) => m.text.includes("报送材料"))!;
    await expect.poll(() => copy.text).toContain("请附电子版");
    expect(copy.text).toMatch(/截止：2099年1月12日/);
    expect(copy.text.split("\n")[0]).toBe("【通知】通知〔2026〕1号（#1）（已更新）");
    // An edited message notifies no one: the new deadline also arrives as a short new message.
    for (const who of ["jia", "yi"]) {
      const note = await office.chat.waitFor(who, "已更新：");
      expect(note.text).toMatch(/^通知〔2026〕1号（#1）报送材料 已更新：截止时间改为 2099年1月12日.* 17:00$/);
    }
    const escalations = await office.runtime.app.scheduler.upcoming("circular.escalate");
    expect(escalations.map((j) => j.at.toISOString())).toContain("2099-01-12T09:00:00.000Z");
    const audit = await office.runtime.app.prisma.auditEvent.findFirstOrThrow({ where: { action: "circular.edit" } });
    expect(audit.actorId).toBe(2);
  });

  it("announces a change of time or place to everyone, of the deadline only to those yet to answer", async () => {
    await office.chat.say("zhao", "会议 季度例会 时间 2099-01-05 09:00 地点 二楼 发给 综治办");
    await office.chat.press("zhao", "circular.publish");
    await office.chat.waitFor("jia", "季度例会");
    await office.chat.waitFor("yi", "季度例会");
    await office.chat.say("jia", "参加 2");
    expect((await office.chat.say("zhao", "修改 2 地点 三楼会议室"))[0]).toContain("的地点");
    for (const who of ["jia", "yi"]) await office.chat.waitFor(who, "会议〔2026〕1号（#2）季度例会 已更新：地点改为 三楼会议室");
    clock.advance(60_000); // a minute later: each edit is an occasion of its own
    await office.chat.say("zhao", "修改 2 截止 2099-01-04 17:00");
    await office.chat.waitFor("yi", /季度例会 已更新：截止时间改为/);
    // 甲 has answered: a new reply deadline is no news to him. A body edit alone announces nothing.
    clock.advance(60_000);
    await office.chat.say("zhao", "修改 2 内容 请带笔记本");
    for (const who of ["jia", "yi"]) {
      await expect.poll(() => office.chat.inbox(who).find((m) => m.text.startsWith("【会议通知】") && m.text.includes("季度例会"))?.text).toContain("请带笔记本");
    }
    expect(office.chat.inbox("jia").filter((m) => m.text.includes("季度例会 已更新："))).toHaveLength(1);
    expect(office.chat.inbox("yi").filter((m) => m.text.includes("季度例会 已更新："))).toHaveLength(2);
  });

  it("refuses to change who it is for, nonsense times, and people who may not", async () => {
    expect(await office.chat.say("zhao", "修改 1 发给 党政办")).toEqual(["发送对象不能修改：请撤回后重新发送。"]);
    expect((await office.chat.say("zhao", "修改 1 截止 某一天"))[0]).toContain("没看懂时间“某一天”");
    expect((await office.chat.say("zhao", "修改 1 随便写点"))[0]).toContain("用法：");
    expect(await office.chat.say("jia", "修改 1 截止 2099-02-01")).toEqual(["只有管理员或领导或秘书可以这样做。"]);
    expect((await office.chat.say("zhao", "修改 1 标题 报送一季度材料"))[0]).toContain("的标题");
  });
});
