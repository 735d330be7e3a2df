// Approval chains an admin changes in chat, general requests, and leave over a weekend and a holiday.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

describe("approval chains and general requests", () => {
  let office: Office;
  const clock = new TestClock(new Date("2026-09-22T10:00:00+08:00")); // Tuesday before Mid-autumn and National Day
  beforeAll(async () => {
    office = await openOffice("postgres", { clock });
    const join = await setupOffice(office.chat);
    await join("chen", "陈书记", "leader", "城关镇");
    await join("li", "李主任", "secretary", "综治办", "陈书记");
    await join("jia", "甲", "member", "综治办", "李主任");
  });
  afterAll(async () => office?.close());

  const chat = () => office.chat;
  const approvers = async (id: number) =>
    (await office.runtime.app.prisma.requestStep.findMany({ where: { requestId: id }, include: { approver: true }, orderBy: { position: "asc" } })).map((s) => s.approver.name);

  it("counts a leave over a weekend and the holiday in working days, and sends it up the chain", async () => {
    const [filed] = await chat().say("jia", "请假 年假 9月24日到9月29日 回老家");
    expect(filed).toContain("共 3 个工作日"); // 24 (Thu), 28 (Mon), 29 (Tue): the weekend and 25 September are free
    expect(await approvers(1)).toEqual(["李主任", "陈书记"]);
  });

  it("shows the chains, and lets only an admin change them", async () => {
    expect((await chat().say("wang", "审批流程"))[0]).toBe(
      "审批流程：\n请假：上级；超过 1 个工作日加单位领导；超过 5 个工作日加主要领导\n用印：办公室主任（默认）\n其他申请：上级（默认）",
    );
    expect(await chat().say("li", "审批流程 用印 陈书记")).toEqual(["只有管理员可以这样做。"]);
    expect((await chat().say("wang", "审批流程 用印 李主任 陈书记"))[0]).toContain("用印：李主任 → 陈书记");
    expect((await chat().say("wang", "审批流程 请假 0 5"))[0]).toContain("超过 0 个工作日加单位领导");
    const actions = (await office.runtime.app.prisma.auditEvent.findMany({ where: { action: "setting.chains" } })).length;
    expect(actions).toBe(2);
  });

  it("uses the changed chains for new requests", async () => {
    const [filed] = await chat().say("jia", "请假 事假 10月9日下午 办事");
    const id = Number(/#(\d+)/.exec(filed!)![1]);
    expect(await approvers(id)).toEqual(["李主任", "陈书记"]); // half a day, but the threshold is now 0
    const [seal] = await chat().say("jia", "用印 公章 关于申请项目资金的报告 3份 用途 报县财政局");
    const sealId = Number(/#(\d+)/.exec(seal!)![1]);
    expect(await approvers(sealId)).toEqual(["李主任", "陈书记"]);
  });

  it("resets each kind's chain with 默认 / default, saying what the default now is", async () => {
    const leave = (await chat().say("wang", "审批流程 请假 默认"))[0]!.split("\n");
    expect(leave[0]).toBe("请假的审批流程已改回默认：上级；超过 1 个工作日加单位领导；超过 5 个工作日加主要领导。");
    expect(leave).toContain("用印：李主任 → 陈书记"); // the others are left alone
    const seal = (await chat().say("wang", "/approvers seal default", "en"))[0]!.split("\n");
    expect(seal[0]).toBe("Seal use is back to the default chain: the office director."); // wang chose no language: the app's
    await chat().say("wang", "审批流程 申请 李主任");
    await chat().say("wang", "审批流程 请假 2 8");
    expect(await chat().say("wang", "审批流程 默认")).toEqual([
      [
        "请假的审批流程已改回默认：上级；超过 1 个工作日加单位领导；超过 5 个工作日加主要领导。",
        "用印的审批流程已改回默认：办公室主任。",
        "其他申请的审批流程已改回默认：上级。",
        "",
        "审批流程：\n请假：上级；超过 1 个工作日加单位领导；超过 5 个工作日加主要领导\n用印：办公室主任（默认）\n其他申请：上级（默认）",
      ].join("\n"),
    ]);
    expect(await chat().say("wang", "审批流程 请假 默认 1")).toEqual([expect.stringContaining("用法：")]);
    const changes = await office.runtime.app.prisma.auditEvent.count({ where: { action: "setting.chains" } });
    expect(changes).toBe(7); // 2 before, then leave, seal, generic, leave 2 8, all
  });

  it("files a general request to the supervisor, who decides it", async () => {
    expect(await chat().say("jia", "申请 借用三楼会议室周五下午")).toEqual(["已提交申请 #4，等待 李主任 审批。"]);
    const ask = await chat().waitFor("li", "甲 的申请 #4 等待你审批");
    expect(ask.text).toContain("借用三楼会议室周五下午");
    await chat().press("li", "request.approve");
    await chat().waitFor("jia", "你的申请 #4 已获批准（李主任）。");
    expect((await chat().say("jia", "我的申请"))[0]).toContain("#4 已批准 借用三楼会议室周五下午");
  });
});
