// Answering circulars as people write: a word goes to the newest open item of the kind it answers, never
// to another kind; everyday acknowledgements count only where one is expected; 不参加 needs a reason; a
// delegate is told who delegated; /status says who has no chat account at all.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

describe("answering circulars", () => {
  let office: Office;
  const clock = new TestClock(new Date("2026-12-02T10:00:00+08:00")); // a Wednesday
  beforeAll(async () => {
    office = await openOffice("postgres", { clock });
    const join = await setupOffice(office.chat);
    await join("zhou", "周秘书", "secretary", "党政办", "王主任");
    await join("li", "李明", "member", "综治办", "王主任");
    await join("zhang", "张伟", "member", "综治办", "王主任");
    await join("en", "Lina", "member", "综治办", "王主任");
    await office.chat.say("en", "/lang en");
  });
  afterAll(async () => office?.close());

  const chat = () => office.chat;
  const prisma = () => office.runtime.app.prisma;
  /** 周秘书 publishes `line` and waits until `who` has their copy; returns the circular id. */
  async function publish(line: string, who = "li"): Promise<number> {
    await chat().say("zhou", line);
    const [published] = await chat().press("zhou", "circular.publish");
    const id = Number(/（#(\d+)）/.exec(published!)![1]);
    await chat().waitFor(who, `（#${id}）`);
    return id;
  }
  const responseOf = async (id: number, name: string) =>
    (await prisma().receipt.findFirstOrThrow({ where: { circularId: id, person: { name } } })).response;

  it("签阅 or 参加 with nothing of that kind open records nothing, and says what is open", async () => {
    const notice = await publish("通知 报送年度总结 发给 综治办 截止 周五");
    const [reply] = await chat().say("li", "签阅");
    expect(reply).toBe(`没有等你“签阅”的传阅件。你待回复的是：\n#${notice} 通知〔2026〕1号 报送年度总结（回复 ${notice} 收到）`);
    expect((await chat().say("li", "参加"))[0]).toMatch(/^没有等你“参加”的会议通知。/);
    expect(await responseOf(notice, "李明")).toBeNull();
    // A number that names a notice still takes only a notice's answer.
    expect(await chat().say("li", `签阅 ${notice}`)).toEqual([`通知〔2026〕1号（#${notice}）不能用“签阅”回复，请回复：收到。`]);
    expect(await responseOf(notice, "李明")).toBeNull();
  });

  it("收到 goes to the newest open notice even when a newer meeting waits, and says what else is pending", async () => {
    const meeting = await publish("会议 综治例会 时间 周五上午9点 地点 二楼 发给 综治办");
    const later = await publish("通知 报送安全台账 发给 综治办 截止 周五");
    expect(await chat().say("li", "收到")).toEqual(["已记录：收到（通知〔2026〕2号）\n你还有 2 份待回复，发送“待办”查看。"]);
    expect(await responseOf(later, "李明")).toBe("ack");
    expect(await responseOf(meeting, "李明")).toBeNull();
    expect(await responseOf(1, "李明")).toBeNull();
  });

  it("understands everyday acknowledgements where one is expected, and only there", async () => {
    // 张伟 has two notices and a meeting open: each everyday phrase answers the newest notice still open.
    expect(await chat().say("zhang", "好的，收到")).toEqual(["已记录：收到（通知〔2026〕2号）\n你还有 2 份待回复，发送“待办”查看。"]);
    expect(await chat().say("zhang", "收到！")).toEqual(["已记录：收到（通知〔2026〕1号）\n你还有 1 份待回复，发送“待办”查看。"]);
    // No notice left: "知道了" and "ok" are conversation, not a response to the meeting.
    expect(await chat().say("zhang", "知道了")).toEqual([expect.stringContaining("没听懂")]);
    expect(await chat().say("zhang", "ok")).toEqual([expect.stringContaining("没听懂")]);
    expect(await responseOf(2, "张伟")).toBeNull(); // the meeting (#2) is untouched
    const fresh = await publish("通知 冬季防火 发给 综治办 截止 周五", "zhang");
    expect(await chat().say("zhang", "收到了")).toEqual(["已记录：收到（通知〔2026〕3号）\n你还有 1 份待回复，发送“待办”查看。"]);
    expect(await responseOf(fresh, "张伟")).toBe("ack");
    for (const phrase of ["received", "ok"]) {
      await prisma().receipt.updateMany({ where: { circularId: fresh, person: { name: "Lina" } }, data: { respondedAt: null, response: null } });
      expect((await chat().say("en", phrase))[0]).toMatch(/^Recorded: Received \(Notice 2026\/3\)/);
    }
    // In a group, said among colleagues rather than to the bot: Relay stays out of it.
    expect(await chat().say("li", "收到", undefined, "some-group")).toEqual([]);
  });

  it("已阅 with both a notice and a document open asks which, recording nothing", async () => {
    await chat().say("zhou", "传阅 年度工作要点 附件 要点.docx 发给 李明 截止 周五");
    await chat().press("zhou", "circular.publish");
    await chat().waitFor("li", "年度工作要点");
    const [ask] = await chat().say("li", "已阅");
    expect(ask).toMatch(/^你有几份待回复的文件，请写明编号，例如“回复 3 收到”：\n#5 传阅〔2026〕1号 年度工作要点（回复 5 签阅）\n#4 通知〔2026〕3号 冬季防火（回复 4 收到）/);
    expect(await prisma().receipt.count({ where: { person: { name: "李明" }, circularId: { in: [4, 5] }, respondedAt: { not: null } } })).toBe(0);
    expect(await chat().say("li", "签阅 同意")).toEqual(["已记录：签阅（传阅〔2026〕1号）\n你还有 3 份待回复，发送“待办”查看。"]);
  });

  it("不参加 asks for a reason, by button or typed, and records nothing until it has one", async () => {
    expect(await chat().press("zhang", "circular.decline")).toEqual(["不参加需要说明原因，请发送：不参加 2 原因，例如：不参加 2 在县里开会"]);
    expect(await chat().say("zhang", "不参加 2")).toEqual(["不参加需要说明原因，请发送：不参加 2 原因，例如：不参加 2 在县里开会"]);
    expect(await responseOf(2, "张伟")).toBeNull();
    expect(await chat().say("zhang", "不参加 2 在县里开会")).toEqual(["已记录：不参加（会议〔2026〕1号）"]);
    const receipt = await prisma().receipt.findFirstOrThrow({ where: { circularId: 2, person: { name: "张伟" } } });
    expect([receipt.response, receipt.comment]).toEqual(["decline", "在县里开会"]);
  });

  it("takes an English decline with the number in the middle, as the Chinese form", async () => {
    expect(await chat().say("en", "decline 2 at the county office")).toEqual(["Recorded: Decline (Meeting 2026/1)"]);
    const receipt = await prisma().receipt.findFirstOrThrow({ where: { circularId: 2, person: { name: "Lina" } } });
    expect([receipt.response, receipt.comment]).toEqual(["decline", "at the county office"]);
  });

  it("tells a delegate who delegated to them, in their copy or, if they had one, in a note", async () => {
    // 王主任 was not invited to the meeting: his copy says who handed it to him.
    expect(await chat().say("li", "委派 2 王主任")).toEqual(["已记录：委派（会议〔2026〕1号）"]);
    const copy = await chat().waitFor("wang", "会议〔2026〕1号（#2）");
    expect(copy.text).toContain("李明 委派你参加。");
    // 张伟 had his own copy: a short note instead of a second one.
    await prisma().receipt.updateMany({ where: { circularId: 2, person: { name: "Lina" } }, data: { respondedAt: null, response: null, comment: null } });
    expect(await chat().say("en", "delegate 2 to 张伟")).toEqual(["Recorded: Delegate (Meeting 2026/1)"]);
    await chat().waitFor("zhang", "Lina 委派你参加 会议〔2026〕1号（#2）综治例会。");
    expect(chat().inbox("zhang").filter((m) => m.text.startsWith("【会议通知】"))).toHaveLength(1);
  });

  it("shows people with no chat account as 未关联账号, not as waiting for delivery", async () => {
    const unit = await prisma().unit.findUniqueOrThrow({ where: { name: "综治办" } });
    await prisma().person.create({ data: { name: "赵六", role: "member", unitId: unit.id } }); // imported, never joined
    const id = await publish("通知 新通知 发给 综治办 截止 周五");
    const [status] = await chat().say("zhou", `状态 ${id}`);
    expect(status).toContain("赵六（未关联账号）");
    expect(status).not.toContain("赵六（尚未送达）");
  });
});
