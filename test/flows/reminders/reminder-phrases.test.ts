// Reminder phrases at a fixed moment (Friday 2026-11-27 21:00 in Shanghai): the English "to WHAT at WHEN" order,
// times that roll over and say so, explicit days already past, weeks without their day, holidays and the new
// recurring rules — through the whole bot, on PGlite and real Redis.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, TestClock, type Office } from "../../support/office.ts";

describe("reminder phrases", () => {
  let office: Office;
  const clock = new TestClock(new Date("2026-11-27T21:00:00+08:00"));
  beforeAll(async () => {
    office = await openOffice("pglite", { clock });
    await office.chat.say("wang", "/setup 王主任");
    await office.chat.say("wang", "/lang en");
  });
  afterAll(async () => office?.close());

  const say = async (text: string) => (await office.chat.say("wang", text))[0];
  const zh = async <T>(run: () => Promise<T>) => {
    await office.chat.say("wang", "/lang zh");
    try {
      return await run();
    } finally {
      await office.chat.say("wang", "/lang en");
    }
  };

  it("reads English with the text first and the time last, as well as the time first", async () => {
    expect(await say("remind me to call Li at 5pm tomorrow")).toMatch(/^OK, reminder #\d+ set for Sat 28 Nov 17:00: call Li$/);
    expect(await say("remind me at 5pm tomorrow to call Li")).toMatch(/set for Sat 28 Nov 17:00: call Li$/);
    expect(await say("/remind me to send the report on Monday 9am")).toMatch(/set for Mon 30 Nov 09:00: send the report$/);
    expect(await say("remind me tomorrow at 9am to water the plants")).toMatch(/set for Sat 28 Nov 09:00: water the plants$/);
  });

  it("names the English forms in the help", async () => {
    const help = await say("/help remind");
    expect(help).toContain("remind me to call Li at 5pm tomorrow");
    expect(help).toContain("/remind every other Monday 9am team meeting");
  });

  it("rolls a bare time over to tomorrow and says so; refuses an explicit 今晚 that has passed", async () => {
    await zh(async () => {
      expect(await say("提醒 下午三点 交材料")).toMatch(/^好的，将在 11月28日\(周六\) 15:00 提醒你：交材料（#\d+）\n今天 15:00 已经过了，所以定在明天 15:00。$/);
      expect(await say("今晚8点提醒我值班")).toBe("今天 20:00 已经过去了，请换一个将来的时间。");
      expect(await say("提醒 今天下午4点 开会")).toBe("今天 16:00 已经过去了，请换一个将来的时间。");
    });
    expect(await say("remind me at 3pm to file the forms")).toMatch(/: file the forms\ntoday 15:00 has passed, so it is tomorrow 15:00\.$/);
  });

  it("says yesterday is in the past rather than not understanding it", async () => {
    await zh(async () => expect(await say("提醒 昨天 交材料")).toBe("昨天 09:00 已经过去了，请换一个将来的时间。"));
    expect(await say("remind me to call Li yesterday")).toBe("yesterday 09:00 has already passed; please choose a time in the future.");
  });

  it("reads 月底, 周五前 and 3个工作日内 as the end of that working day, as deadlines do", async () => {
    await zh(async () => {
      expect(await say("提醒 月底 交报表")).toMatch(/将在 11月30日\(周一\) 18:00 提醒你：交报表/);
      expect(await say("提醒 3个工作日内 交总结")).toMatch(/将在 12月2日\(周三\) 18:00 提醒你：交总结/);
      expect(await say("提醒 下周五前 交材料")).toMatch(/将在 12月4日\(周五\) 18:00 提醒你：交材料/);
      expect(await say("提醒 月中 对账")).toMatch(/将在 12月15日\(周二\) 09:00 提醒你：对账/);
    });
  });

  it("asks which day for a week alone, and says when the holiday table does not reach a break", async () => {
    await zh(async () => {
      expect(await say("提醒 下周 开会")).toBe("“下周”是哪一天？请写明星期几，例如：提醒 下周一 9:00 开会");
      expect(await say("下周提醒我开会")).toBe("“下周”是哪一天？请写明星期几，例如：提醒 下周一 9:00 开会");
      expect(await say("提醒 春节后第一个工作日 开会")).toBe("Relay 还不知道 2027 年春节的放假安排：2027 年的节假日尚未载入（管理员可用“日历 导入”载入）。请直接写日期。");
    });
    expect(await say("remind me to plan the week next week")).toBe('Which day is "next week"? Please name it, e.g. /remind next Monday 9am weekly meeting');
  });

  it("sets the last working day of each month and every other Monday", async () => {
    await zh(async () => {
      expect(await say("提醒 每月最后一个工作日 17点 报考勤")).toMatch(/^好的，将在 每月最后一个工作日 17:00（下次 11月30日\(周一\) 17:00） 提醒你：报考勤/);
      expect(await say("每两周周一 9点提醒我开例会")).toMatch(/每两周周一 09:00（下次 11月30日\(周一\) 09:00） 提醒你：开例会/);
    });
    expect(await say("remind me every other Monday 9am to review")).toMatch(/every other Monday at 09:00 \(next Mon 30 Nov 09:00\): review/);
  });
});
