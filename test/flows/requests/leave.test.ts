// Leave requests end to end: filing in Chinese, the approval chain by working days, decisions by button
// and command, refusals, withdrawal, /requests and /out — on real PostgreSQL and Redis.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

describe("leave requests", () => {
  let office: Office;
  const clock = new TestClock(new Date("2026-11-25T10:00:00+08:00")); // Wednesday
  beforeAll(async () => {
    office = await openOffice("postgres", { clock });
    const join = await setupOffice(office.chat);
    await join("chen", "陈书记", "leader", "城关镇");
    await join("li", "李主任", "secretary", "综治办", "陈书记");
    await join("jia", "甲", "member", "综治办", "李主任");
    await join("yi", "乙", "member", "综治办", "李主任");
  });
  afterAll(async () => office?.close());

  const chat = () => office.chat;

  it("files half a day with the supervisor, who approves by button; the requester is told", async () => {
    const [filed] = await chat().say("jia", "请假 事假 明天下午 家里有事");
    expect(filed).toMatch(/^已提交请假申请 #1，等待 李主任 审批。\n事假 .*共 0\.5 个工作日；事由：家里有事$/s);
    const ask = await chat().waitFor("li", "甲 的申请 #1 等待你审批");
    expect(ask.buttons.map((b) => b.label)).toEqual(["✓ 批准", "✗ 驳回"]);
    expect(await chat().press("li", "request.approve")).toEqual(["已批准申请 #1，申请人会收到通知。"]);
    await chat().waitFor("jia", "你的申请 #1 已获批准（李主任）。");
  });

  it("sends more than one working day on to a leader after the supervisor", async () => {
    const [filed] = await chat().say("yi", "请假 年假 下周一到周三 回老家");
    expect(filed).toContain("共 3 个工作日");
    await chat().say("li", "批准 2 同意");
    await chat().waitFor("yi", "已由 李主任 同意（意见：同意），转 陈书记 审批");
    await chat().waitFor("chen", "乙 的申请 #2 等待你审批");
    await chat().press("chen", "request.approve");
    await chat().waitFor("yi", "你的申请 #2 已获批准（陈书记）。");
  });

  it("refuses a decision from someone who is not the current approver, even by a forged button", async () => {
    await chat().say("jia", "请假 病假 12月7日 看病");
    const forged = await chat().deliver({ kind: "action", action: "request.approve", value: "3", user: { platform: "console", id: "yi" }, chat: { platform: "console", id: "yi", kind: "direct" } });
    expect(forged).toEqual(["申请 #3 当前由 李主任 审批，你不能代为决定。"]);
    expect(await chat().say("chen", "批准 3")).toEqual(["申请 #3 当前由 李主任 审批，你不能代为决定。"]);
  });

  it("needs a reason to reject, and tells the requester why", async () => {
    expect(await chat().press("li", "request.reject")).toEqual(["驳回需要写明理由，请发送：驳回 3 理由"]);
    expect((await chat().say("li", "驳回 3"))[0]).toContain("用法：");
    expect(await chat().say("li", "驳回 3 本周有检查，请改期")).toEqual(["已驳回申请 #3，申请人会收到通知。"]);
    await chat().waitFor("jia", "你的申请 #3 被驳回（李主任）（意见：本周有检查，请改期）。");
    expect(await chat().say("li", "批准 3")).toEqual(["申请 #3 已经不在审批中了。"]);
  });

  it("refuses overlapping leave and a period with no working day", async () => {
    expect(await chat().say("jia", "请假 事假 明天 还是家里有事")).toEqual(["与你的请假申请 #1 时间重叠，请先撤销或换个时间。"]);
    expect(await chat().say("jia", "请假 事假 11月28日 周六")).toEqual(["这段时间没有工作日，无需请假。"]);
    expect(await chat().say("jia", "请假 事假 后天")).toEqual(["请写上请假事由，例如：请假 事假 明天下午 家里有事"]);
  });

  it("lists my requests and those waiting for me", async () => {
    await chat().say("jia", "请假 调休 12月9日上午 补休");
    const [mine] = await chat().say("jia", "我的申请");
    expect(mine).toContain("#4 待李主任审批 调休");
    expect(mine).toContain("#3 已驳回 病假");
    const [waiting] = await chat().say("li", "/requests");
    expect(waiting).toMatch(/^待你审批（1项）：\n#4 甲 调休/);
  });

  it("lets the requester withdraw, and tells the approvers involved", async () => {
    expect(await chat().say("yi", "撤销申请 2")).toEqual(["已撤销申请 #2，已告知相关审批人。"]);
    await chat().waitFor("chen", "乙 已撤销申请 #2。");
    expect(await chat().say("jia", "撤销申请 4")).toEqual(["已撤销申请 #4，已告知相关审批人。"]);
    expect(await chat().say("yi", "撤销申请 1")).toEqual(["只有申请人可以撤销。"]);
  });

  it("shows who is out on a day, by unit", async () => {
    expect(await chat().say("wang", "今日请假 明天")).toEqual(["明天请假（1人）：\n  综治办：甲（事假）"]);
    expect(await chat().say("wang", "今日请假")).toEqual(["今天没有人请假。"]);
  });

  it("writes audit events for filing, decisions and withdrawal", async () => {
    const actions = (await office.runtime.app.prisma.auditEvent.findMany({ where: { entity: "Request" } })).map((e) => e.action);
    expect(actions.filter((a) => a === "request.file")).toHaveLength(4);
    expect(actions).toEqual(expect.arrayContaining(["request.approve", "request.reject", "request.cancel"]));
  });

  it("files leave said the way people say it: 请病假 …, 休年假 …, 我要请假 …; 待审批 lists them", async () => {
    expect((await chat().say("yi", "请病假 12月10日 发烧"))[0]).toMatch(/^已提交请假申请 #5，等待 李主任 审批。\n病假 12月10日\(周四\).*事由：发烧$/s);
    expect((await chat().say("yi", "休年假 12月14日到12月15日 探亲"))[0]).toMatch(/^已提交请假申请 #6.*\n年假 .*共 2 个工作日；事由：探亲$/s);
    expect((await chat().say("jia", "我要请假 12月11日上午 看病"))[0]).toMatch(/^已提交请假申请 #7.*\n事假 .*共 0\.5 个工作日；事由：看病$/s);
    const [waiting] = await chat().say("li", "待审批");
    expect(waiting).toMatch(/^待你审批（3项）：/);
    expect(await chat().say("yi", "请病假", undefined, "综治办工作群")).toEqual([]); // between colleagues: not a request
  });
});

describe("balances, stand-ins and leave seen by circulars", () => {
  let office: Office;
  const clock = new TestClock(new Date("2026-11-25T10:00:00+08:00")); // Wednesday
  beforeAll(async () => {
    office = await openOffice("postgres", { clock });
    const join = await setupOffice(office.chat);
    await join("chen", "陈书记", "leader", "城关镇");
    await join("zhou", "周秘书", "secretary", "党政办", "陈书记");
    await join("li", "李主任", "secretary", "综治办", "陈书记");
    await join("jia", "甲", "member", "综治办", "李主任");
  });
  afterAll(async () => office?.close());

  const chat = () => office.chat;

  it("puts the leader on leave today, approved by the admin", async () => {
    expect(await chat().say("chen", "代理人 周秘书")).toEqual(["已设置：陈书记 请假时由 周秘书 代为审批。"]);
    expect((await chat().say("chen", "请假 事假 今天 下乡调研"))[0]).toContain("等待 王主任 审批");
    await chat().press("wang", "request.approve");
    expect(await chat().say("wang", "今日请假")).toEqual(["今天请假（1人）：\n  城关镇：陈书记（事假）"]);
  });

  it("refuses leave beyond the balance an admin set, and counts what is used", async () => {
    expect(await chat().say("jia", "假期余额 甲 年假 5")).toEqual(["只有管理员可以这样做。"]);
    await chat().say("wang", "假期余额 甲 年假 2");
    expect(await chat().say("jia", "请假 年假 下周一到周三 回老家")).toEqual(["年假余额不足：还剩 2 天，本次需要 3 天。"]);
    expect(await chat().say("wang", "假期余额 甲 年假 5")).toEqual(["已设置 甲 2026年年假 5 天。"]);
    expect((await chat().say("jia", "请假 年假 下周一到周三 回老家"))[0]).toContain("等待 李主任 审批");
    expect(await chat().say("jia", "/balance")).toEqual(["2026年假期余额：\n  年假：剩 2 天（额度 5，已用或在审 3）"]);
  });

  it("sends the leader's step to their deputy while the leader is on leave", async () => {
    await chat().press("li", "request.approve");
    const ask = await chat().waitFor("zhou", "甲 的申请 #2 等待你审批");
    expect(ask.text).toContain("（陈书记 请假中，由你代为审批）");
    await chat().waitFor("jia", "转 周秘书（代 陈书记） 审批");
    expect(await chat().say("chen", "批准 2")).toEqual(["申请 #2 当前由 周秘书 审批，你不能代为决定。"]);
    await chat().press("zhou", "request.approve");
    await chat().waitFor("jia", "你的申请 #2 已获批准（周秘书，代 陈书记）。");
    const step = await office.runtime.app.prisma.requestStep.findFirstOrThrow({ where: { requestId: 2, position: 1 }, include: { approver: true, onBehalfOf: true } });
    expect([step.approver.name, step.onBehalfOf?.name, step.status]).toEqual(["周秘书", "陈书记", "approved"]);
  });

  it("does not chase a person on leave for a notice, and /status says they are on leave", async () => {
    await chat().say("zhou", "通知 周五安全检查 发给 城关镇 截止 2026-11-27 17:00");
    await chat().press("zhou", "circular.publish");
    await chat().waitFor("chen", "周五安全检查");
    const scheduler = office.runtime.app.scheduler;
    const [chase] = await scheduler.upcoming("circular.chase");
    clock.set(chase!.at);
    await scheduler.promote(chase!.id);
    await expect.poll(() => scheduler.isScheduled(chase!.id)).toBe(false);
    const receipts = await office.runtime.app.prisma.receipt.findMany({ include: { person: true } });
    // The round asked for 甲 (sent with the batched nudge) and skipped 陈书记, who is away.
    expect(receipts.find((r) => r.person.name === "陈书记")!.chasesOwed).toBe(0);
    expect(receipts.find((r) => r.person.name === "甲")!.chasesOwed).toBe(1);
    expect((await chat().say("zhou", "状态 1"))[0]).toContain("陈书记（请假中）");
  });

  it("reminds an approver who sits on a request in working hours, then tells their supervisor", async () => {
    const [filed] = await chat().say("jia", "请假 病假 12月8日 看病");
    const id = Number(/#(\d+)/.exec(filed!)![1]);
    const scheduler = office.runtime.app.scheduler;
    const li = await office.runtime.app.prisma.person.findFirstOrThrow({ where: { name: "李主任" } });
    const run = async (type: string) => {
      const job = (await scheduler.upcoming(type)).find((j) => j.data.requestId === id || j.data.personId === li.id);
      if (!job) throw new Error(`no ${type} job`);
      clock.set(job.at);
      await scheduler.promote(job.id);
      await expect.poll(() => scheduler.isScheduled(job.id)).toBe(false);
      return job;
    };
    const reminder = await run("request.remind");
    expect(reminder.at.getTime() - clock.now().getTime()).toBeLessThanOrEqual(0);
    await run("circular.nudge");
    const nudge = await chat().waitFor("li", `申请 #${id}（甲）待你审批`);
    expect(nudge.buttons).toContainEqual({ label: `批准 #${id}`, action: "request.approve", value: String(id) });
    await run("request.escalate");
    await chat().waitFor("chen", `申请 #${id}（甲）在 李主任 处已等待审批超过 8 个工作小时，请督促。`);
    await chat().press("li", "request.approve");
    await chat().waitFor("jia", `你的申请 #${id} 已获批准（李主任）。`);
  });
});
