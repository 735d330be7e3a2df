// Who approves longer leave in an office with nobody in the leader role (its leader became the first admin
// at /setup, as the README's import order does): the admin takes the leader's step, it is not skipped.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

describe("leave chains without a leader", () => {
  let office: Office;
  const clock = new TestClock(new Date("2026-12-02T10:00:00+08:00")); // a Wednesday
  beforeAll(async () => {
    office = await openOffice("postgres", { clock });
    const join = await setupOffice(office.chat, "chen", "陈建国", "青石镇");
    await join("zhao", "赵敏", "secretary", "综治办", "陈建国");
    await join("sun", "孙强", "member", "综治办", "赵敏");
  });
  afterAll(async () => office?.close());

  it("sends three days of leave to the supervisor, then to the admin standing in for a leader", async () => {
    const [filed] = await office.chat.say("sun", "请假 年假 12月7日到12月9日 回老家");
    expect(filed).toContain("共 3 个工作日");
    const id = Number(/#(\d+)/.exec(filed!)![1]);
    const steps = await office.runtime.app.prisma.requestStep.findMany({ where: { requestId: id }, orderBy: { position: "asc" }, include: { approver: true } });
    expect(steps.map((s) => s.approver.name)).toEqual(["赵敏", "陈建国"]);
    await office.chat.press("zhao", "request.approve");
    await office.chat.waitFor("chen", `孙强 的申请 #${id} 等待你审批`);
  });

  it("keeps one working day with the supervisor alone", async () => {
    const [filed] = await office.chat.say("sun", "请假 事假 12月10日 有事");
    const id = Number(/#(\d+)/.exec(filed!)![1]);
    const steps = await office.runtime.app.prisma.requestStep.findMany({ where: { requestId: id }, include: { approver: true } });
    expect(steps.map((s) => s.approver.name)).toEqual(["赵敏"]);
  });
});
