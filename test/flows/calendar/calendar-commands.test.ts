// /calendar (日历) in chat, with the office clock on Friday 4 December 2026, when chinese-days knows no 2027: only
// admins may use it; a day they set wins over chinese-days in deadlines, leave and chasing; imports are all or
// nothing with line-numbered errors; every change is audited. The days set here are made up for the test.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatInstant } from "../../../src/bot/time-zone.ts";
import { parseIso } from "../../../src/bot/working-days.ts";
import { openOffice, TestClock, type Office } from "../../support/office.ts";
import { setupOffice } from "../../support/roster.ts";

const SH = "Asia/Shanghai";
const day = parseIso;

describe("/calendar", () => {
  let office: Office;
  const clock = new TestClock(new Date("2026-12-04T10:00:00+08:00"));
  beforeAll(async () => {
    office = await openOffice("postgres", { clock });
    const join = await setupOffice(office.chat);
    await join("li", "李主任", "secretary", "综治办");
    await join("jia", "甲", "member", "综治办", "李主任");
  });
  afterAll(async () => office?.close());

  const chat = () => office.chat;
  const app = () => office.runtime.app;
  const audits = (action: string) => app().prisma.auditEvent.findMany({ where: { action }, orderBy: { id: "asc" } });

  it("is for admins only, and says so", async () => {
    expect(await chat().say("jia", "日历")).toEqual(["只有管理员可以这样做。"]);
    expect(await chat().say("li", "/calendar add 2026-12-07 holiday")).toEqual(["只有管理员可以这样做。"]);
    expect(await app().prisma.calendarDay.count()).toBe(0);
    const [help] = await chat().say("wang", "/help calendar");
    expect(help).toContain("日历 放假 2026-02-15 至 2026-02-23 春节 ——设放假");
    const [helpForLi] = await chat().say("li", "帮助 日历");
    expect(helpForLi).toContain("只有管理员可以使用这个命令。");
  });

  it("shows where each year comes from, and that 2027 is not loaded", async () => {
    const [shown] = await chat().say("wang", "日历");
    expect(shown!.split("\n")).toEqual([
      "节假日日历",
      "· 2004–2026 年：内置节假日表（chinese-days 1.5.7）",
      "· 2027 年：⚠ 尚未载入，按周一至周五计算",
      "请照国务院办公厅《关于2027年部分节假日安排的通知》载入：发送“日历 导入”，换行后每行一个节日；或在服务器上运行 relay calendar import 文件。",
      "",
      "接下来一年里没有已知的放假或调休上班。",
    ]);
  });

  it("sets a day off that deadlines, leave and chasing then skip", async () => {
    expect(await chat().say("wang", "日历 放假 12月7日 测试假日")).toEqual(["已设置：12月7日(周一) 放假（测试假日）。"]);
    expect(app().calendar.isWorkday(day("2026-12-07"))).toBe(false);
    const [set] = await audits("calendar.set");
    expect(set).toMatchObject({ actorId: 1, entity: "CalendarDay", entityId: "2026-12-07", data: { kind: "holiday", name: "测试假日", before: null } });

    // 3个工作日内 from Friday: Tuesday, Wednesday, Thursday (Monday is off).
    const [preview] = await chat().say("li", "通知 报送台账 内容 无 发给 综治办 截止 3个工作日内");
    expect(preview).toContain("12月10日(周四) 18:00");
    // Two working days of leave become one.
    const [filed] = await chat().say("jia", "请假 事假 12月7日到12月8日 回老家");
    expect(filed).toContain("共 1 个工作日");
    // Published Friday evening, the first chase waits for Tuesday 09:30, not the holiday Monday.
    clock.set(new Date("2026-12-04T17:00:00+08:00"));
    await chat().press("li", "circular.publish");
    await chat().waitFor("jia", "报送台账");
    const [chase] = await app().scheduler.upcoming("circular.chase");
    expect(formatInstant(chase!.at, SH)).toBe("2026-12-08T09:30:00+08:00");
  });

  it("lists what the office set ahead, marked as its own", async () => {
    const [shown] = await chat().say("wang", "/calendar");
    expect(shown).toContain("接下来的安排：\n· 测试假日：12月7日(周一)放假（本办公室设置）");
  });

  it("removes a day the office set: chinese-days' answer applies again", async () => {
    expect(await chat().say("wang", "日历 删除 2026-12-07")).toEqual(["已删除本办公室设置的 12月7日(周一)，这些日子恢复按内置节假日表（没有时按周一至周五）计算。"]);
    expect(app().calendar.isWorkday(day("2026-12-07"))).toBe(true);
    expect(await chat().say("wang", "日历 删除 2026-12-07")).toEqual(["本办公室没有设置过 12月7日(周一)，没有可删除的。"]);
    expect(await audits("calendar.remove")).toMatchObject([{ actorId: 1, entityId: "2026-12-07", data: { kind: "holiday", name: "测试假日", source: "chat" } }]);
  });

  it("overrides chinese-days both ways: a package holiday can be made a working day", async () => {
    expect(app().calendar.isWorkday(day("2026-10-05"))).toBe(false); // National Day, in chinese-days
    expect(await chat().say("wang", "/calendar add 2026-10-05 workday")).toEqual(["已设置：10月5日(周一) 调休上班。"]);
    expect(app().calendar.isWorkday(day("2026-10-05"))).toBe(true);
    await chat().say("wang", "日历 删除 2026-10-05");
    expect(app().calendar.isWorkday(day("2026-10-05"))).toBe(false);
  });

  it("says that a day set alone leaves the rest of an unloaded year Monday–Friday", async () => {
    const [reply] = await chat().say("wang", "日历 上班 2027-02-20");
    expect(reply).toBe("已设置：2027年2月20日(周六) 调休上班。\n注意：2027 年的整年安排还没有载入，其余日子仍按周一至周五计算；载入整年安排请用“日历 导入”。");
    await chat().say("wang", "日历 删除 2027-02-20");
  });

  it("gives the reason and the usage for a bad line", async () => {
    const [bad] = await chat().say("wang", "日历 放假 2月30日");
    expect(bad).toMatch(/^没有“2月30日”这一天\n用法：\n日历（或 节假日）/);
    const [unknown] = await chat().say("wang", "日历 frob");
    expect(unknown).toMatch(/^用法：\n日历（或 节假日）——查看接下来的安排/);
    expect(await chat().say("wang", "日历 导入")).toEqual([expect.stringContaining("请在“日历 导入”之后换行，每行写一个节日")]);
  });

  it("imports a pasted arrangement all or nothing, with line numbers", async () => {
    const [refused] = await chat().say("wang", "日历 导入\n2030年\n春节 放假 2月2日至2月8日 上班 2月9日（周五）\n清明 放假 4月5日");
    expect(refused).toBe("未载入任何内容，请改正以下 1 处错误后重试：\n第 3 行：2030-02-09 是周六，不是“周五”：请核对日期");
    expect(await app().prisma.calendarYear.count()).toBe(0);

    const [loaded] = await chat().say("wang", "日历 导入\n2030年\n春节 放假 2月2日至2月8日 上班 2月9日（周六）\n清明 放假 4月5日");
    expect(loaded).toBe("已载入 2030 年的节假日安排：放假 8 天（春节 7 天、清明 1 天），调休上班 1 天。");
    expect(app().calendar.covers(2030)).toBe(true);
    expect(app().calendar.isWorkday(day("2030-02-09"))).toBe(true);
    const [shown] = await chat().say("wang", "日历");
    expect(shown).toContain("· 2030 年：本办公室载入（在聊天中导入，");

    // The year again: what was set for it before goes.
    const [again] = await chat().say("wang", "日历 导入\n2030 春节 放假 2月3日");
    expect(again).toBe("已载入 2030 年的节假日安排：放假 1 天（春节 1 天），调休上班 0 天。\n此前为 2030 年设置的 9 天已被替换。");
    expect(app().calendar.isWorkday(day("2030-02-09"))).toBe(false); // a Saturday again
    expect(app().calendar.isWorkday(day("2030-02-04"))).toBe(true);
    expect((await audits("calendar.import")).map((a) => [a.actorId, a.entityId, (a.data as { replaced: number }).replaced])).toEqual([[1, "2030", 0], [1, "2030", 9]]);
  });

  it("speaks English to an admin who reads English, and takes English words", async () => {
    await chat().say("wang", "/lang en");
    try {
      const [loaded] = await chat().say("wang", "/calendar import\n2031\nSpring Festival off Jan 22 - Jan 28 work Jan 18, Feb 8");
      expect(loaded).toBe("Loaded the 2031 holidays: 7 days off (Spring Festival 7), 2 make-up working days.");
      const [refused] = await chat().say("wang", "/calendar import\n2031\nSpring Festival off Jan 22 - Jan 20");
      expect(refused).toBe("Nothing was loaded; fix this problem and try again:\nline 3: 2031-01-22 to 2031-01-20: the end is before the start");
      expect(await chat().say("wang", "/calendar remove Jan 18 2031")).toEqual(["Removed the office's Sat 18 Jan 2031; those days follow the built-in table again (plain Monday–Friday where it has none)."]);
      const [shown] = await chat().say("wang", "/calendar");
      expect(shown).toContain("· 2027: ⚠ not loaded; counted as plain Monday–Friday");
      expect(shown).toContain("· 2031: loaded by the office (imported in chat, ");
    } finally {
      await chat().say("wang", "/lang zh");
    }
  });
});
