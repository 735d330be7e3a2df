import { afterEach, describe, expect, it } from "vitest";
import {
  describeRecurrence,
  formatLocal,
  nextOccurrence,
  formatNear,
  parseWhen,
  readTrailingWhen,
  readWhen,
  type Recurrence,
  type TimeRef,
  type When,
} from "../../src/bot/time-parse.ts";
import { formatInstant, fromZoned, zonedParts } from "../../src/bot/time-zone.ts";

const SHANGHAI = "Asia/Shanghai";
const NEW_YORK = "America/New_York";
const ref = (iso: string, timeZone = SHANGHAI): TimeRef => ({ now: new Date(iso), timeZone });

// Friday 2026-11-27 10:00 in Shanghai: an ordinary working Friday.
const FRIDAY = ref("2026-11-27T10:00:00+08:00");
// Wednesday before the National Day holiday (10-01 … 10-07; Saturday 10-10 is a 调休 working day).
const BEFORE_NATIONAL_DAY = ref("2026-09-30T10:00:00+08:00");
// Friday evening before Qingming (Sat 04-04 … Mon 04-06 off).
const BEFORE_QINGMING = ref("2026-04-03T17:59:00+08:00");
// The 调休 Saturday itself.
const MAKE_UP_SATURDAY = ref("2026-10-10T10:00:00+08:00");
// Evening of the last day of November.
const MONTH_END_EVENING = ref("2026-11-30T18:00:00+08:00");

function once(input: string, at: TimeRef = FRIDAY): { at: string; rest: string } {
  const when = parseWhen(input, at);
  expect(when, input).toMatchObject({ kind: "once" });
  const found = when as Extract<When, { kind: "once" }>;
  return { at: formatInstant(found.at, at.timeZone), rest: found.rest };
}

function recurring(input: string, at: TimeRef = FRIDAY): { rule: Recurrence; first: string; rest: string } {
  const when = parseWhen(input, at);
  expect(when, input).toMatchObject({ kind: "recurring" });
  const found = when as Extract<When, { kind: "recurring" }>;
  return { rule: found.rule, first: formatInstant(found.first, at.timeZone), rest: found.rest };
}

describe("parseWhen, Chinese, at Friday 2026-11-27 10:00", () => {
  const cases: Array<[input: string, at: string, rest: string]> = [
    // relative
    ["10分钟后 喝水", "2026-11-27T10:10:00+08:00", "喝水"],
    ["半小时后开会", "2026-11-27T10:30:00+08:00", "开会"],
    ["2小时后", "2026-11-27T12:00:00+08:00", ""],
    ["一个半小时后 打电话", "2026-11-27T11:30:00+08:00", "打电话"],
    ["2秒后", "2026-11-27T10:00:02+08:00", ""],
    ["3天后 交报告", "2026-11-30T10:00:00+08:00", "交报告"],
    ["3天后下午3点 交报告", "2026-11-30T15:00:00+08:00", "交报告"],
    ["一周后", "2026-12-04T10:00:00+08:00", ""],
    ["1个月后 复查", "2026-12-27T10:00:00+08:00", "复查"],
    // day words, parts of day
    ["明天下午3点交材料", "2026-11-28T15:00:00+08:00", "交材料"],
    ["明天下午3点 交材料", "2026-11-28T15:00:00+08:00", "交材料"],
    ["明天交材料", "2026-11-28T09:00:00+08:00", "交材料"],
    ["今天下午4点 例会", "2026-11-27T16:00:00+08:00", "例会"],
    ["今天上午9点", "2026-11-27T09:00:00+08:00", ""], // already past: returned as is
    ["后天上午9点", "2026-11-29T09:00:00+08:00", ""],
    ["大后天", "2026-11-30T09:00:00+08:00", ""],
    ["今晚8点 值班", "2026-11-27T20:00:00+08:00", "值班"],
    ["明早", "2026-11-28T09:00:00+08:00", ""],
    ["上午11点", "2026-11-27T11:00:00+08:00", ""],
    ["中午12点半 吃饭", "2026-11-27T12:30:00+08:00", "吃饭"],
    ["晚上8点", "2026-11-27T20:00:00+08:00", ""],
    ["晚上12点", "2026-11-28T00:00:00+08:00", ""],
    ["凌晨3点", "2026-11-28T03:00:00+08:00", ""], // past today → tomorrow
    ["下午开会", "2026-11-27T15:00:00+08:00", "开会"],
    // clock times, Chinese numerals, the office-hours reading of 1–6
    ["三点开会", "2026-11-27T15:00:00+08:00", "开会"],
    ["十点半", "2026-11-27T10:30:00+08:00", ""],
    ["两点一刻", "2026-11-27T14:15:00+08:00", ""],
    ["九点零五分", "2026-11-28T09:05:00+08:00", ""],
    ["9点", "2026-11-28T09:00:00+08:00", ""],
    ["8点半 晨会", "2026-11-28T08:30:00+08:00", "晨会"],
    ["03:00 备份", "2026-11-28T03:00:00+08:00", "备份"],
    ["明天９：３０开会", "2026-11-28T09:30:00+08:00", "开会"],
    ["明天，下午3点，交材料", "2026-11-28T15:00:00+08:00", "交材料"],
    // dates
    ["11月30日下午2点半 开会", "2026-11-30T14:30:00+08:00", "开会"],
    ["12月1日 9:00 例会", "2026-12-01T09:00:00+08:00", "例会"],
    ["2026-12-01 09:00 提交", "2026-12-01T09:00:00+08:00", "提交"],
    ["2026年12月1日", "2026-12-01T09:00:00+08:00", ""],
    ["1月5日 报销", "2027-01-05T09:00:00+08:00", "报销"], // before today → next year
    ["十二月三十一日晚上八点", "2026-12-31T20:00:00+08:00", ""],
    // weekdays
    ["下周一", "2026-11-30T09:00:00+08:00", ""],
    ["下周五下午3点", "2026-12-04T15:00:00+08:00", ""],
    ["本周五下午5点", "2026-11-27T17:00:00+08:00", ""],
    ["本周一", "2026-11-23T09:00:00+08:00", ""], // fixed, already past
    ["周三", "2026-12-02T09:00:00+08:00", ""],
    ["星期四 开会", "2026-12-03T09:00:00+08:00", "开会"],
    ["下个星期二", "2026-12-01T09:00:00+08:00", ""],
    ["周五", "2026-12-04T09:00:00+08:00", ""], // today's 09:00 has passed
    ["周五下午5点", "2026-11-27T17:00:00+08:00", ""], // today's 17:00 is still ahead
    ["礼拜天下午", "2026-11-29T15:00:00+08:00", ""],
    ["下下周一", "2026-12-07T09:00:00+08:00", ""],
    // month days and month end
    ["月底", "2026-11-30T18:00:00+08:00", ""], // a "by" phrase: the end of that day
    ["月末 交报表", "2026-11-30T18:00:00+08:00", "交报表"],
    ["下个月1号", "2026-12-01T09:00:00+08:00", ""],
    ["下个月底", "2026-12-31T18:00:00+08:00", ""],
    ["5号", "2026-12-05T09:00:00+08:00", ""],
    ["30号下午", "2026-11-30T15:00:00+08:00", ""],
    // working days
    ["下一个工作日 9点", "2026-11-30T09:00:00+08:00", ""],
    ["3个工作日后", "2026-12-02T10:00:00+08:00", ""],
  ];

  it.each(cases)("%s → %s", (input, at, rest) => {
    expect(once(input)).toEqual({ at, rest });
  });

  it("gives the matched text", () => {
    expect(parseWhen("明天下午3点交材料", FRIDAY)).toMatchObject({ matched: "明天下午3点", rest: "交材料" });
  });
});

describe("parseWhen, English, at Friday 2026-11-27 10:00", () => {
  const cases: Array<[input: string, at: string, rest: string]> = [
    ["in 10 minutes call Li", "2026-11-27T10:10:00+08:00", "call Li"],
    ["in 2 hours", "2026-11-27T12:00:00+08:00", ""],
    ["in 3 days", "2026-11-30T10:00:00+08:00", ""],
    ["in 5 seconds", "2026-11-27T10:00:05+08:00", ""],
    ["in half an hour", "2026-11-27T10:30:00+08:00", ""],
    ["in an hour submit the report", "2026-11-27T11:00:00+08:00", "submit the report"],
    ["in 2 weeks", "2026-12-11T10:00:00+08:00", ""],
    ["2 days from now", "2026-11-29T10:00:00+08:00", ""],
    ["tomorrow 3pm", "2026-11-28T15:00:00+08:00", ""],
    ["tomorrow at 3pm send the draft", "2026-11-28T15:00:00+08:00", "send the draft"],
    ["the day after tomorrow", "2026-11-29T09:00:00+08:00", ""],
    ["tomorrow morning", "2026-11-28T09:00:00+08:00", ""],
    ["tomorrow afternoon", "2026-11-28T15:00:00+08:00", ""],
    ["tonight at 8", "2026-11-27T20:00:00+08:00", ""],
    ["3pm tomorrow", "2026-11-28T15:00:00+08:00", ""],
    ["Dec 1 3pm", "2026-12-01T15:00:00+08:00", ""],
    ["December 1st at 9:30 budget review", "2026-12-01T09:30:00+08:00", "budget review"],
    ["1 Dec 2026 10am", "2026-12-01T10:00:00+08:00", ""],
    ["Jan 5", "2027-01-05T09:00:00+08:00", ""],
    ["next Monday 9am", "2026-11-30T09:00:00+08:00", ""],
    ["next Friday", "2026-12-04T09:00:00+08:00", ""],
    ["Friday 5pm", "2026-11-27T17:00:00+08:00", ""],
    ["on Monday", "2026-11-30T09:00:00+08:00", ""],
    ["at 9am on Monday", "2026-11-30T09:00:00+08:00", ""],
    ["at 3 call the bureau", "2026-11-27T15:00:00+08:00", "call the bureau"],
    ["9am", "2026-11-28T09:00:00+08:00", ""],
    ["12:30 lunch", "2026-11-27T12:30:00+08:00", "lunch"],
    ["3:30 p.m. meeting", "2026-11-27T15:30:00+08:00", "meeting"],
    ["at noon", "2026-11-27T12:00:00+08:00", ""],
    ["8 in the evening", "2026-11-27T20:00:00+08:00", ""],
    ["next working day", "2026-11-30T09:00:00+08:00", ""],
    ["in 3 working days", "2026-12-02T10:00:00+08:00", ""],
    ["end of month", "2026-11-30T18:00:00+08:00", ""],
    ["the 1st of next month", "2026-12-01T09:00:00+08:00", ""],
    ["the 5th", "2026-12-05T09:00:00+08:00", ""],
  ];

  it.each(cases)("%s → %s", (input, at, rest) => {
    expect(once(input)).toEqual({ at, rest });
  });
});

describe("parseWhen around holidays and month ends", () => {
  const cases: Array<[input: string, now: TimeRef, at: string]> = [
    ["下一个工作日", BEFORE_NATIONAL_DAY, "2026-10-08T09:00:00+08:00"],
    ["明天", BEFORE_NATIONAL_DAY, "2026-10-01T09:00:00+08:00"], // a holiday, but asked for
    ["2个工作日后", BEFORE_NATIONAL_DAY, "2026-10-09T10:00:00+08:00"],
    ["3个工作日后", BEFORE_NATIONAL_DAY, "2026-10-10T10:00:00+08:00"], // the 调休 Saturday
    ["下一个工作日 9点", BEFORE_QINGMING, "2026-04-07T09:00:00+08:00"],
    ["next working day 9am", BEFORE_QINGMING, "2026-04-07T09:00:00+08:00"],
    ["下一个工作日", MAKE_UP_SATURDAY, "2026-10-12T09:00:00+08:00"],
    ["月底", MONTH_END_EVENING, "2026-12-31T18:00:00+08:00"], // today's 18:00 is now → next month's
    ["月底晚上7点", MONTH_END_EVENING, "2026-11-30T19:00:00+08:00"],
    ["本月底", ref("2026-11-30T19:00:00+08:00"), "2026-11-30T18:00:00+08:00"], // fixed: past, returned as is
    // 月底 is the month's last working day: 31 October 2026 is a Saturday, 31 May a Sunday.
    ["月底", ref("2026-10-12T10:00:00+08:00"), "2026-10-30T18:00:00+08:00"],
    ["5月底", ref("2026-05-06T10:00:00+08:00"), "2026-05-29T18:00:00+08:00"],
    ["end of the month", ref("2026-05-06T10:00:00+08:00"), "2026-05-29T18:00:00+08:00"],
    ["1个月后", ref("2027-01-31T10:00:00+08:00"), "2027-02-28T10:00:00+08:00"],
  ];

  it.each(cases)("%s", (input, now, at) => {
    expect(once(input, now).at).toBe(at);
  });
});

describe("parseWhen, recurring", () => {
  const at9 = { hour: 9, minute: 0 };
  const cases: Array<[input: string, rule: Recurrence, first: string, rest: string]> = [
    ["每天 8:00", { every: "day", time: { hour: 8, minute: 0 } }, "2026-11-28T08:00:00+08:00", ""],
    ["每天早上8点 吃药", { every: "day", time: { hour: 8, minute: 0 } }, "2026-11-28T08:00:00+08:00", "吃药"],
    ["每天", { every: "day", time: at9 }, "2026-11-28T09:00:00+08:00", ""],
    ["每个工作日 8:30", { every: "workday", time: { hour: 8, minute: 30 } }, "2026-11-30T08:30:00+08:00", ""],
    ["每周一 9:00 交周报", { every: "week", weekdays: [1], time: at9 }, "2026-11-30T09:00:00+08:00", "交周报"],
    ["每周一三五 9点", { every: "week", weekdays: [1, 3, 5], time: at9 }, "2026-11-30T09:00:00+08:00", ""],
    ["每周一至周五 17:30", { every: "week", weekdays: [1, 2, 3, 4, 5], time: { hour: 17, minute: 30 } },
      "2026-11-27T17:30:00+08:00", ""],
    ["每周五五点", { every: "week", weekdays: [5], time: { hour: 17, minute: 0 } }, "2026-11-27T17:00:00+08:00", ""],
    ["每月1号 10点", { every: "month", day: 1, time: { hour: 10, minute: 0 } }, "2026-12-01T10:00:00+08:00", ""],
    ["每月底 17:00", { every: "month", day: "last", time: { hour: 17, minute: 0 } }, "2026-11-30T17:00:00+08:00", ""],
    ["every day 7am", { every: "day", time: { hour: 7, minute: 0 } }, "2026-11-28T07:00:00+08:00", ""],
    ["daily at 6pm", { every: "day", time: { hour: 18, minute: 0 } }, "2026-11-27T18:00:00+08:00", ""],
    ["every weekday 8:30", { every: "workday", time: { hour: 8, minute: 30 } }, "2026-11-30T08:30:00+08:00", ""],
    ["every working day 8:30 stand-up", { every: "workday", time: { hour: 8, minute: 30 } },
      "2026-11-30T08:30:00+08:00", "stand-up"],
    ["every Monday 9am", { every: "week", weekdays: [1], time: at9 }, "2026-11-30T09:00:00+08:00", ""],
    ["every Monday, Wednesday and Friday at 9am", { every: "week", weekdays: [1, 3, 5], time: at9 },
      "2026-11-30T09:00:00+08:00", ""],
    ["every month on the 1st at 10am", { every: "month", day: 1, time: { hour: 10, minute: 0 } },
      "2026-12-01T10:00:00+08:00", ""],
    ["every month on the last day at 5pm", { every: "month", day: "last", time: { hour: 17, minute: 0 } },
      "2026-11-30T17:00:00+08:00", ""],
    ["每月最后一个工作日 17点 报考勤", { every: "month", day: "lastWorkday", time: { hour: 17, minute: 0 } },
      "2026-11-30T17:00:00+08:00", "报考勤"],
    ["每月第一个工作日", { every: "month", day: "firstWorkday", time: at9 }, "2026-12-01T09:00:00+08:00", ""],
    ["the last working day of every month at 5pm", { every: "month", day: "lastWorkday", time: { hour: 17, minute: 0 } },
      "2026-11-30T17:00:00+08:00", ""],
    ["每两周周一 9点 例会", { every: "week", weekdays: [1], time: at9, interval: 2, anchor: "2026-11-30" },
      "2026-11-30T09:00:00+08:00", "例会"],
    ["隔周周五下午3点", { every: "week", weekdays: [5], time: { hour: 15, minute: 0 }, interval: 2, anchor: "2026-11-23" },
      "2026-11-27T15:00:00+08:00", ""],
    ["每隔一周的周三", { every: "week", weekdays: [3], time: at9, interval: 2, anchor: "2026-11-30" }, "2026-12-02T09:00:00+08:00", ""],
    ["every other Monday 9am", { every: "week", weekdays: [1], time: at9, interval: 2, anchor: "2026-11-30" },
      "2026-11-30T09:00:00+08:00", ""],
    ["every 2 weeks on Friday", { every: "week", weekdays: [5], time: at9, interval: 2, anchor: "2026-11-30" },
      "2026-12-04T09:00:00+08:00", ""],
  ];

  it.each(cases)("%s", (input, rule, first, rest) => {
    expect(recurring(input)).toEqual({ rule, first, rest });
  });

  it("starts a workday rule on the 调休 Saturday when that is next", () => {
    expect(recurring("每个工作日 8:30", ref("2026-10-09T10:00:00+08:00")).first).toBe("2026-10-10T08:30:00+08:00");
  });
});

describe("parseWhen, office shorthand, at Friday 2026-11-27 14:16:35", () => {
  // A moment with seconds, so a time of day that kept them would show.
  const AFTERNOON = ref("2026-11-27T14:16:35+08:00");
  const cases: Array<[input: string, at: string, rest: string]> = [
    // bare times are whole minutes
    ["下午4点", "2026-11-27T16:00:00+08:00", ""],
    ["3pm 开会", "2026-11-27T15:00:00+08:00", "开会"],
    ["晚上", "2026-11-27T20:00:00+08:00", ""],
    // the working day's edges
    ["下班前 交日报", "2026-11-27T18:00:00+08:00", "交日报"],
    ["本周五下班前", "2026-11-27T18:00:00+08:00", ""],
    ["下周一上班 提醒开会", "2026-11-30T09:00:00+08:00", "提醒开会"],
    ["Friday EOD send the report", "2026-11-27T18:00:00+08:00", "send the report"],
    ["by end of day", "2026-11-27T18:00:00+08:00", ""],
    ["tomorrow COB", "2026-11-28T18:00:00+08:00", ""],
    // "by": 前, 之前, 之内; by, before
    ["明天前 交材料", "2026-11-28T18:00:00+08:00", "交材料"],
    ["12月31日之前", "2026-12-31T18:00:00+08:00", ""],
    ["明天前往县里", "2026-11-28T09:00:00+08:00", "前往县里"], // 前往 is "go to", not "before"
    ["明天内容：见附件", "2026-11-28T09:00:00+08:00", "内容：见附件"],
    ["before 5pm call Li", "2026-11-27T17:00:00+08:00", "call Li"],
    ["by Monday", "2026-11-30T18:00:00+08:00", ""],
    // durations
    ["1小时30分钟后 开会", "2026-11-27T15:46:35+08:00", "开会"],
    ["两小时零五分后", "2026-11-27T16:21:35+08:00", ""],
    ["一小时内", "2026-11-27T15:16:35+08:00", ""],
    ["3个工作日内", "2026-12-02T18:00:00+08:00", ""], // the end of the third working day
    ["in 1 hour 30 minutes", "2026-11-27T15:46:35+08:00", ""],
    ["in 1h30m", "2026-11-27T15:46:35+08:00", ""],
    ["in an hour and a half", "2026-11-27T15:46:35+08:00", ""],
    // weekends, month and year edges, short dates
    ["周末 大扫除", "2026-11-28T09:00:00+08:00", "大扫除"],
    ["下周末", "2026-12-05T09:00:00+08:00", ""],
    ["月初", "2026-12-01T09:00:00+08:00", ""],
    ["下个月初", "2026-12-01T09:00:00+08:00", ""],
    ["12月初", "2026-12-01T09:00:00+08:00", ""],
    ["11月底", "2026-11-30T18:00:00+08:00", ""],
    ["3月底", "2027-03-31T18:00:00+08:00", ""],
    ["年底 总结", "2026-12-31T18:00:00+08:00", "总结"],
    ["明年底", "2027-12-31T18:00:00+08:00", ""],
    ["12/3 交报表", "2026-12-03T09:00:00+08:00", "交报表"],
    ["12.3下午", "2026-12-03T15:00:00+08:00", ""],
    ["1/5", "2027-01-05T09:00:00+08:00", ""],
  ];
  it.each(cases)("%s → %s, rest %j", (input, at, rest) => {
    expect(once(input, AFTERNOON)).toEqual({ at, rest });
  });
});

describe("parseWhen as a deadline", () => {
  const DEADLINE: TimeRef = { ...ref("2026-11-27T14:30:00+08:00"), deadline: true };
  it("reads a day without a time at the end of the working day, so a weekday still ahead today is today", () => {
    expect(once("周五", DEADLINE)).toEqual({ at: "2026-11-27T18:00:00+08:00", rest: "" });
    expect(once("周五", ref("2026-11-27T14:30:00+08:00"))).toEqual({ at: "2026-12-04T09:00:00+08:00", rest: "" }); // 09:00 has passed
    expect(once("下周一", DEADLINE)).toEqual({ at: "2026-11-30T18:00:00+08:00", rest: "" });
    expect(once("周五下午3点", DEADLINE)).toEqual({ at: "2026-11-27T15:00:00+08:00", rest: "" }); // a time given wins
    expect(once("3天后", DEADLINE)).toEqual({ at: "2026-11-30T18:00:00+08:00", rest: "" }); // a reminder keeps 14:30
    expect(once("一小时后", DEADLINE)).toEqual({ at: "2026-11-27T15:30:00+08:00", rest: "" });
  });

  it("ends a part of day alone with it: 上午 at noon, 下午 at 18:00; 上班 stays 09:00", () => {
    expect(once("明天上午", DEADLINE).at).toBe("2026-11-28T12:00:00+08:00");
    expect(once("明天下午", DEADLINE).at).toBe("2026-11-28T18:00:00+08:00");
    expect(once("明天上班前", DEADLINE).at).toBe("2026-11-28T09:00:00+08:00");
    expect(once("Dec 3 afternoon", DEADLINE).at).toBe("2026-12-03T18:00:00+08:00");
  });

  it("gives a week alone its last working day, Friday 18:00", () => {
    expect(once("下周", DEADLINE).at).toBe("2026-12-04T18:00:00+08:00");
    expect(once("本周", DEADLINE).at).toBe("2026-11-27T18:00:00+08:00");
    expect(once("next week", DEADLINE).at).toBe("2026-12-04T18:00:00+08:00");
    // The week of National Day 2026: Thursday 10-01 and Friday 10-02 are off, so it ends on Wednesday.
    expect(once("下周", { ...ref("2026-09-23T10:00:00+08:00"), deadline: true }).at).toBe("2026-09-30T18:00:00+08:00");
  });
});

describe("by phrases mean the same instant for a reminder and a deadline (the end of that working day)", () => {
  const AT = ref("2026-11-27T14:16:35+08:00");
  const AS_DEADLINE: TimeRef = { ...AT, deadline: true };
  it.each([
    ["月底", "2026-11-30T18:00:00+08:00"],
    ["周五前", "2026-11-27T18:00:00+08:00"],
    ["3个工作日内", "2026-12-02T18:00:00+08:00"],
    ["3天内", "2026-11-30T18:00:00+08:00"],
    ["下班前", "2026-11-27T18:00:00+08:00"],
    ["本周内", "2026-11-27T18:00:00+08:00"],
    ["下周前", "2026-12-04T18:00:00+08:00"],
    ["年底前", "2026-12-31T18:00:00+08:00"],
    ["by Friday", "2026-11-27T18:00:00+08:00"],
    ["within 3 working days", "2026-12-02T18:00:00+08:00"],
    ["by the end of the week", "2026-11-27T18:00:00+08:00"],
    ["end of next week", "2026-12-04T18:00:00+08:00"],
    ["周五17:00前", "2026-11-27T17:00:00+08:00"], // a time given wins
    ["一小时内", "2026-11-27T15:16:35+08:00"], // an exact duration stays exact
  ])("%s → %s", (input, at) => {
    expect(once(input, AT).at).toBe(at);
    expect(once(input, AS_DEADLINE).at).toBe(at);
  });
});

describe("readWhen: phrases that name no instant, or one already past", () => {
  it("says a week alone names no day for a reminder", () => {
    expect(readWhen("下周 开会", FRIDAY)).toEqual({ kind: "unclear", reason: "week", matched: "下周", rest: "开会" });
    expect(readWhen("next week call Li", FRIDAY)).toMatchObject({ kind: "unclear", reason: "week", rest: "call Li" });
    expect(parseWhen("下周", FRIDAY)).toBeNull();
  });

  it("reads 昨天, 前天, 上周五, yesterday and last Friday as past days, not as nothing", () => {
    expect(once("昨天").at).toBe("2026-11-26T09:00:00+08:00");
    expect(once("昨天下午3点 开会")).toEqual({ at: "2026-11-26T15:00:00+08:00", rest: "开会" });
    expect(once("前天").at).toBe("2026-11-25T09:00:00+08:00");
    expect(once("上周五").at).toBe("2026-11-20T09:00:00+08:00");
    expect(once("yesterday 3pm").at).toBe("2026-11-26T15:00:00+08:00");
    expect(once("the day before yesterday").at).toBe("2026-11-25T09:00:00+08:00");
    expect(once("last Friday").at).toBe("2026-11-20T09:00:00+08:00");
    expect(once("last Monday").at).toBe("2026-11-23T09:00:00+08:00");
  });

  it("refuses nothing itself: an explicit 今晚 already past is returned as written, a bare time rolls over and says so", () => {
    const NIGHT = ref("2026-11-27T21:00:00+08:00");
    const tonight = parseWhen("今晚8点 值班", NIGHT);
    expect(tonight).toMatchObject({ kind: "once", rest: "值班" });
    expect(tonight?.kind === "once" && formatInstant(tonight.at, SHANGHAI)).toBe("2026-11-27T20:00:00+08:00");
    expect(tonight?.kind === "once" && tonight.passed).toBeUndefined();
    const bare = parseWhen("下午三点", NIGHT);
    expect(bare?.kind === "once" && formatInstant(bare.at, SHANGHAI)).toBe("2026-11-28T15:00:00+08:00");
    expect(bare?.kind === "once" && bare.passed && formatInstant(bare.passed, SHANGHAI)).toBe("2026-11-27T15:00:00+08:00");
    const ahead = parseWhen("下午三点", FRIDAY);
    expect(ahead?.kind === "once" && ahead.passed).toBeUndefined();
    const friday = parseWhen("周五", FRIDAY); // 09:00 today has passed: next Friday
    expect(friday?.kind === "once" && friday.passed && formatInstant(friday.passed, SHANGHAI)).toBe("2026-11-27T09:00:00+08:00");
  });
});

describe("parseWhen, mid-month and holidays", () => {
  it.each([
    ["月中", FRIDAY, "2026-12-15T09:00:00+08:00"], // the 15th of November has passed
    ["月中", ref("2026-11-03T10:00:00+08:00"), "2026-11-15T09:00:00+08:00"],
    ["下个月中", FRIDAY, "2026-12-15T09:00:00+08:00"],
    ["12月中旬", FRIDAY, "2026-12-15T09:00:00+08:00"],
    ["mid-month", ref("2026-11-03T10:00:00+08:00"), "2026-11-15T09:00:00+08:00"],
    ["mid-January", FRIDAY, "2027-01-15T09:00:00+08:00"],
    ["元旦后第一个工作日", ref("2025-12-20T10:00:00+08:00"), "2026-01-04T09:00:00+08:00"], // a 调休 Sunday
    ["春节后第一个工作日", ref("2026-01-20T10:00:00+08:00"), "2026-02-24T09:00:00+08:00"], // break 02-15 … 02-23
    ["春节后第一个工作日 9:30", ref("2026-02-18T10:00:00+08:00"), "2026-02-24T09:30:00+08:00"], // asked during the break
    ["国庆节后第一个工作日", BEFORE_NATIONAL_DAY, "2026-10-08T09:00:00+08:00"],
    ["国庆后第一个工作日", ref("2025-09-20T10:00:00+08:00"), "2025-10-09T09:00:00+08:00"], // 2025: 中秋 made it 8 days
    ["十一后第一个工作日", BEFORE_NATIONAL_DAY, "2026-10-08T09:00:00+08:00"],
    ["节后第一个工作日", ref("2026-04-03T10:00:00+08:00"), "2026-04-07T09:00:00+08:00"], // the next break: 清明
    ["the first working day after National Day", BEFORE_NATIONAL_DAY, "2026-10-08T09:00:00+08:00"],
    ["first working day after Chinese New Year", ref("2026-01-20T10:00:00+08:00"), "2026-02-24T09:00:00+08:00"],
  ])("%s", (input, now, at) => {
    expect(once(input, now).at).toBe(at);
  });

  it("reads the first working day after a holiday as a deadline at 18:00", () => {
    expect(once("国庆节后第一个工作日", { ...BEFORE_NATIONAL_DAY, deadline: true }).at).toBe("2026-10-08T18:00:00+08:00");
  });

  it("says so, rather than guess, when the holiday table does not cover the next break", () => {
    expect(readWhen("春节后第一个工作日 开会", FRIDAY)).toEqual({
      kind: "unclear", reason: "holiday", holiday: "春节", year: 2027, matched: "春节后第一个工作日", rest: "开会",
    });
    expect(readWhen("元旦后第一个工作日", FRIDAY)).toMatchObject({ reason: "holiday", holiday: "元旦", year: 2027 });
    expect(readWhen("节后第一个工作日", FRIDAY)).toMatchObject({ reason: "holiday", year: 2027 });
    expect(readWhen("国庆节后第一个工作日", { ...FRIDAY, deadline: true })).toMatchObject({ reason: "holiday", holiday: "国庆节" });
  });
});

describe("readTrailingWhen: the text first, then the time", () => {
  it.each([
    ["call Li at 5pm tomorrow", "2026-11-28T17:00:00+08:00", "call Li"],
    ["hand in the forms tomorrow 3pm", "2026-11-28T15:00:00+08:00", "hand in the forms"],
    ["send 3 copies on Monday", "2026-11-30T09:00:00+08:00", "send 3 copies"],
    ["交材料 明天下午3点", "2026-11-28T15:00:00+08:00", "交材料"],
  ])("%s", (input, at, rest) => {
    const when = readTrailingWhen(input, FRIDAY);
    expect(when?.kind === "once" && { at: formatInstant(when.at, SHANGHAI), rest: when.rest }).toEqual({ at, rest });
  });

  it("finds nothing when no time ends the text", () => {
    expect(readTrailingWhen("call Li about the report", FRIDAY)).toBeNull();
    expect(readTrailingWhen("at 5pm tomorrow call Li", FRIDAY)).toBeNull(); // that one starts with its time
  });
});

describe("parseWhen, no time", () => {
  it.each([
    "喝水",
    "hello",
    "",
    "   ",
    "交材料",
    "Please review the draft",
    "一点点奶茶", // 一点 here is "a little"
    "3 copies",
    "tomorrow's meeting",
    "2月30日",
    "13月1日",
    "25:00",
    "0分钟后",
    "in 0 minutes",
    "99999999999天后",
    "in 1.5 days",
    "每月32号",
    "morning run", // English parts of day only after a day
  ])("%j → null", (input) => {
    expect(parseWhen(input, FRIDAY)).toBeNull();
  });
});

describe("parseWhen never throws", () => {
  const odd = [
    "\u0000",
    "🙂明天",
    "9".repeat(10_000),
    "每周",
    "每月",
    "下下下下周一",
    "周周周",
    "点点点",
    "at at at",
    "in in 2 hours",
    "every every day",
    "明天".repeat(1000),
    "9999-99-99 99:99",
    "0000-01-01",
    "9999年12月31日 晚上12点",
  ];
  it.each(odd)("%j", (input) => {
    const when = parseWhen(input, FRIDAY);
    const instant = when && (when.kind === "once" ? when.at : when.first);
    expect(instant === null || !Number.isNaN(instant.getTime())).toBe(true);
  });

  it("survives random strings built from its own vocabulary", () => {
    const alphabet = [..."0123456789:：-/ 年月日号点时分半刻每周下本个后天明今晚上午中凌晨一二三四五六七八九十两工作底"]
      .concat(["in ", "at ", "every ", "pm", "am", "day", "Monday", "next ", "tomorrow", "hours", "the ", "1st"])
      .concat(["昨", "前", "上周", "隔周", "每两周", "节后第一个工作日", "国庆", "春节", "最后一个", "月中", "within ", "last ", "week", "other "]);
    let seed = 42;
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648);
    for (let i = 0; i < 3000; i++) {
      const input = Array.from({ length: 1 + Math.floor(random() * 12) }, () =>
        alphabet[Math.floor(random() * alphabet.length)],
      ).join("");
      const when = parseWhen(input, FRIDAY);
      const instant = when && (when.kind === "once" ? when.at : when.first);
      expect(instant === null || !Number.isNaN(instant.getTime()), input).toBe(true);
    }
  });
});

describe("nextOccurrence", () => {
  const workdayAt9: Recurrence = { every: "workday", time: { hour: 9, minute: 0 } };
  const cases: Array<[name: string, rule: Recurrence, after: string, next: string]> = [
    ["workday: over National Day", workdayAt9, "2026-09-30T10:00:00+08:00", "2026-10-08T09:00:00+08:00"],
    ["workday: Friday → the 调休 Saturday", workdayAt9, "2026-10-09T10:00:00+08:00", "2026-10-10T09:00:00+08:00"],
    ["workday: 调休 Saturday → Monday", workdayAt9, "2026-10-10T10:00:00+08:00", "2026-10-12T09:00:00+08:00"],
    ["workday: the 调休 Sunday before", workdayAt9, "2026-09-19T10:00:00+08:00", "2026-09-20T09:00:00+08:00"],
    ["workday: over Spring Festival", workdayAt9, "2026-02-14T10:00:00+08:00", "2026-02-24T09:00:00+08:00"],
    ["workday: same day if still ahead", workdayAt9, "2026-11-27T08:59:00+08:00", "2026-11-27T09:00:00+08:00"],
    ["strictly after: not the instant itself", workdayAt9, "2026-11-27T09:00:00+08:00", "2026-11-30T09:00:00+08:00"],
    ["month last: November → December", { every: "month", day: "last", time: { hour: 17, minute: 0 } },
      "2026-11-30T17:00:00+08:00", "2026-12-31T17:00:00+08:00"],
    ["month last: February", { every: "month", day: "last", time: { hour: 17, minute: 0 } },
      "2027-02-01T00:00:00+08:00", "2027-02-28T17:00:00+08:00"],
    ["month last: leap February", { every: "month", day: "last", time: { hour: 17, minute: 0 } },
      "2028-02-01T00:00:00+08:00", "2028-02-29T17:00:00+08:00"],
    ["month 31st in a 30-day month", { every: "month", day: 31, time: { hour: 9, minute: 0 } },
      "2026-11-01T00:00:00+08:00", "2026-11-30T09:00:00+08:00"],
    ["week: Monday/Wednesday/Friday from Saturday", { every: "week", weekdays: [1, 3, 5], time: { hour: 9, minute: 0 } },
      "2026-11-28T12:00:00+08:00", "2026-11-30T09:00:00+08:00"],
    ["day: past today → tomorrow", { every: "day", time: { hour: 7, minute: 30 } },
      "2026-11-27T10:00:00+08:00", "2026-11-28T07:30:00+08:00"],
    ["last working day: Saturday 10-31 is not one, Friday 10-30 is", { every: "month", day: "lastWorkday", time: { hour: 17, minute: 0 } },
      "2026-10-12T10:00:00+08:00", "2026-10-30T17:00:00+08:00"],
    ["last working day: Spring Festival ends February on the 调休 Saturday", { every: "month", day: "lastWorkday", time: { hour: 17, minute: 0 } },
      "2026-02-01T00:00:00+08:00", "2026-02-28T17:00:00+08:00"],
    ["last working day: after this month's, next month's", { every: "month", day: "lastWorkday", time: { hour: 17, minute: 0 } },
      "2026-11-30T17:00:00+08:00", "2026-12-31T17:00:00+08:00"],
    ["first working day: after National Day", { every: "month", day: "firstWorkday", time: { hour: 9, minute: 0 } },
      "2026-09-30T10:00:00+08:00", "2026-10-08T09:00:00+08:00"],
    ["every other Monday: skips the week between", { every: "week", weekdays: [1], time: { hour: 9, minute: 0 }, interval: 2, anchor: "2026-11-30" },
      "2026-11-30T09:00:00+08:00", "2026-12-14T09:00:00+08:00"],
    ["every other Monday: counts back from the anchor too", { every: "week", weekdays: [1], time: { hour: 9, minute: 0 }, interval: 2, anchor: "2026-11-30" },
      "2026-11-10T09:00:00+08:00", "2026-11-16T09:00:00+08:00"],
    ["every third Friday", { every: "week", weekdays: [5], time: { hour: 9, minute: 0 }, interval: 3, anchor: "2026-11-23" },
      "2026-11-27T10:00:00+08:00", "2026-12-18T09:00:00+08:00"],
  ];

  it.each(cases)("%s", (_name, rule, after, next) => {
    expect(formatInstant(nextOccurrence(rule, new Date(after), SHANGHAI), SHANGHAI)).toBe(next);
  });

  it("keeps the wall-clock time across a DST change in the rule's zone", () => {
    const daily = { every: "day", time: { hour: 9, minute: 0 } } as const;
    const before = nextOccurrence(daily, new Date("2026-03-07T12:00:00-05:00"), NEW_YORK);
    const after = nextOccurrence(daily, before, NEW_YORK);
    expect(formatInstant(before, NEW_YORK)).toBe("2026-03-08T09:00:00-04:00");
    expect(formatInstant(after, NEW_YORK)).toBe("2026-03-09T09:00:00-04:00");
  });

  it("refuses a weekly rule without weekdays", () => {
    expect(() => nextOccurrence({ every: "week", weekdays: [], time: { hour: 9, minute: 0 } }, new Date(), SHANGHAI))
      .toThrow(RangeError);
  });
});

describe("time zones", () => {
  const originalTz = process.env.TZ;
  afterEach(() => {
    process.env.TZ = originalTz;
  });

  it("resolves in the reference's zone, not Shanghai", () => {
    // 2026-11-27 10:00 in Shanghai is Thursday 2026-11-26 21:00 in New York.
    const newYork = ref("2026-11-27T10:00:00+08:00", NEW_YORK);
    expect(once("明天上午9点", newYork).at).toBe("2026-11-27T09:00:00-05:00");
    expect(once("tomorrow 9am", newYork).at).toBe("2026-11-27T09:00:00-05:00");
    expect(once("in 2 hours", newYork).at).toBe("2026-11-26T23:00:00-05:00");
    expect(once("Friday 5pm", newYork).at).toBe("2026-11-27T17:00:00-05:00");
    expect(recurring("每天 8:00", newYork).first).toBe("2026-11-27T08:00:00-05:00");
  });

  it("gives the same answers whatever the process's TZ is", () => {
    const inputs = ["明天下午3点", "下周一", "月底", "3个工作日后", "每个工作日 8:30", "Friday 5pm", "Dec 1 3pm"];
    const answer = () =>
      inputs.map((input) => {
        const when = parseWhen(input, FRIDAY);
        return when && formatInstant(when.kind === "once" ? when.at : when.first, SHANGHAI);
      });
    process.env.TZ = "UTC";
    const inUtc = answer();
    for (const tz of ["America/New_York", "Pacific/Kiritimati", "Asia/Kolkata"]) {
      process.env.TZ = tz;
      expect(new Date(2026, 0, 1).getTimezoneOffset(), `switched to ${tz}`).not.toBe(0);
      expect(answer(), tz).toEqual(inUtc);
    }
  });

  it("reads and builds wall clocks across DST (New York)", () => {
    // 02:30 on 2026-03-08 does not exist there: it lands just after the gap.
    expect(formatInstant(fromZoned({ year: 2026, month: 3, day: 8, hour: 2, minute: 30 }, NEW_YORK), NEW_YORK))
      .toBe("2026-03-08T03:30:00-04:00");
    // 01:30 on 2026-11-01 happens twice: the first one.
    expect(formatInstant(fromZoned({ year: 2026, month: 11, day: 1, hour: 1, minute: 30 }, NEW_YORK), NEW_YORK))
      .toBe("2026-11-01T01:30:00-04:00");
    expect(zonedParts(new Date("2026-11-27T16:00:00Z"), SHANGHAI)).toEqual({
      year: 2026, month: 11, day: 28, hour: 0, minute: 0, second: 0, weekday: 6,
    });
  });
});

describe("describeRecurrence", () => {
  const t = { hour: 8, minute: 30 };
  it.each<[Recurrence, string, string]>([
    [{ every: "day", time: t }, "每天 08:30", "every day at 08:30"],
    [{ every: "workday", time: t }, "每个工作日 08:30", "every working day at 08:30"],
    [{ every: "week", weekdays: [1], time: t }, "每周一 08:30", "every Monday at 08:30"],
    [{ every: "week", weekdays: [0, 1, 3, 5], time: t }, "每周一、三、五、日 08:30",
      "every Monday, Wednesday, Friday and Sunday at 08:30"],
    [{ every: "month", day: 1, time: t }, "每月1号 08:30", "every month on the 1st at 08:30"],
    [{ every: "month", day: 22, time: t }, "每月22号 08:30", "every month on the 22nd at 08:30"],
    [{ every: "month", day: "last", time: t }, "每月最后一天 08:30", "every month on the last day at 08:30"],
    [{ every: "month", day: "lastWorkday", time: t }, "每月最后一个工作日 08:30", "every month on the last working day at 08:30"],
    [{ every: "month", day: "firstWorkday", time: t }, "每月第一个工作日 08:30", "every month on the first working day at 08:30"],
    [{ every: "week", weekdays: [1], time: t, interval: 2, anchor: "2026-11-30" }, "每两周周一 08:30", "every other Monday at 08:30"],
    [{ every: "week", weekdays: [1, 3], time: t, interval: 3, anchor: "2026-11-30" }, "每3周周一、三 08:30",
      "every 3 weeks on Monday and Wednesday at 08:30"],
  ])("%j", (rule, zh, en) => {
    expect(describeRecurrence(rule, "zh-CN")).toBe(zh);
    expect(describeRecurrence(rule, "en")).toBe(en);
  });
});

describe("formatLocal", () => {
  const now = FRIDAY.now;
  it("shows weekday and time, and the year only when it differs from now's", () => {
    const saturday = new Date("2026-11-28T15:00:00+08:00");
    expect(formatLocal(saturday, SHANGHAI, "zh-CN", now)).toBe("11月28日(周六) 15:00");
    expect(formatLocal(saturday, SHANGHAI, "en", now)).toBe("Sat 28 Nov 15:00");
    const nextYear = new Date("2027-01-05T09:00:00+08:00");
    expect(formatLocal(nextYear, SHANGHAI, "zh-CN", now)).toBe("2027年1月5日(周二) 09:00");
    expect(formatLocal(nextYear, SHANGHAI, "en", now)).toBe("Tue 5 Jan 2027 09:00");
  });

  it("shows the year when it does not know now", () => {
    expect(formatLocal(new Date("2026-11-28T15:00:00+08:00"), SHANGHAI, "zh-CN")).toBe("2026年11月28日(周六) 15:00");
  });

  it("uses the given zone", () => {
    expect(formatLocal(new Date("2026-11-28T15:00:00+08:00"), NEW_YORK, "en", now)).toBe("Sat 28 Nov 02:00");
  });
});

describe("formatNear", () => {
  const now = FRIDAY.now;
  it("names today, tomorrow and yesterday, and falls back to the date further off", () => {
    expect(formatNear(new Date("2026-11-27T15:00:00+08:00"), SHANGHAI, "zh-CN", now)).toBe("今天 15:00");
    expect(formatNear(new Date("2026-11-28T15:00:00+08:00"), SHANGHAI, "zh-CN", now)).toBe("明天 15:00");
    expect(formatNear(new Date("2026-11-29T09:00:00+08:00"), SHANGHAI, "zh-CN", now)).toBe("后天 09:00");
    expect(formatNear(new Date("2026-11-26T20:00:00+08:00"), SHANGHAI, "zh-CN", now)).toBe("昨天 20:00");
    expect(formatNear(new Date("2026-11-28T15:00:00+08:00"), SHANGHAI, "en", now)).toBe("tomorrow 15:00");
    expect(formatNear(new Date("2026-11-29T09:00:00+08:00"), SHANGHAI, "en", now)).toBe("Sun 29 Nov 09:00");
    expect(formatNear(new Date("2026-12-04T09:00:00+08:00"), SHANGHAI, "zh-CN", now)).toBe("12月4日(周五) 09:00");
  });
});
