// What `relay when` prints, at fixed instants: a reminder's reading, with a deadline's beside it where it differs.
import { describe, expect, it } from "vitest";
import { explainWhen } from "../../src/bot/time-explain.ts";
import { packageCalendar } from "../../src/bot/working-days.ts";

const at = (iso: string) => ({ now: new Date(iso), timeZone: "Asia/Shanghai" });
const FRIDAY = at("2026-11-27T14:30:00+08:00");

describe("explainWhen", () => {
  it.each([
    // "by" phrases: one instant for reminders and deadlines, so no note
    ["月底", "2026-11-30T18:00:00+08:00"],
    ["周五前", "2026-11-27T18:00:00+08:00"],
    ["3个工作日内", "2026-12-02T18:00:00+08:00"],
    ["within 3 working days", "2026-12-02T18:00:00+08:00"],
    ["明天下午3点", "2026-11-28T15:00:00+08:00"],
    // a day alone: 09:00 for a reminder, 18:00 for a deadline
    ["明天", "2026-11-28T09:00:00+08:00  (as a deadline: 2026-11-28T18:00:00+08:00)"],
    ["周五", "2026-12-04T09:00:00+08:00  (today 09:00 has passed, so Fri 4 Dec 09:00; as a deadline: 2026-11-27T18:00:00+08:00)"],
    // rolled over, and said so
    ["下午两点", "2026-11-28T14:00:00+08:00  (today 14:00 has passed, so tomorrow 14:00)"],
    // past
    ["昨天", "2026-11-26T09:00:00+08:00  (in the past)"],
    ["yesterday 3pm", "2026-11-26T15:00:00+08:00  (in the past)"],
    ["今天上午10点", "2026-11-27T10:00:00+08:00  (in the past)"],
    // a week: a deadline's Friday
    ["下周", "2026-12-04T18:00:00+08:00  (as a deadline: the week's last working day; a reminder needs the day, e.g. \"next Monday 9am\")"],
    ["每月最后一个工作日 17点", "2026-11-30T17:00:00+08:00  (every month on the last working day at 17:00; first occurrence)"],
    ["每两周周一 9点 例会", "2026-11-30T09:00:00+08:00  (every other Monday at 09:00; first occurrence)  rest: \"例会\""],
  ])("%s", (expression, text) => {
    expect(explainWhen(expression, FRIDAY)).toEqual({ ok: true, text });
  });

  it("says why when there is no instant", () => {
    expect(explainWhen("喝水", FRIDAY)).toEqual({ ok: false, text: 'cannot understand "喝水" as a time (Asia/Shanghai)' });
    expect(explainWhen("春节后第一个工作日", FRIDAY)).toEqual({
      ok: false,
      text: "Relay does not know the 2027 Spring Festival arrangement yet: the 2027 holidays are not loaded (an admin can load them with /calendar import). Please give the date.",
    });
    expect(explainWhen("国庆节后第一个工作日", at("2026-09-20T10:00:00+08:00"))).toEqual({ ok: true, text: "2026-10-08T09:00:00+08:00  (as a deadline: 2026-10-08T18:00:00+08:00)" });
  });

  it("says when a date falls in a year the holiday calendar does not cover, and counts with the office's calendar", () => {
    const newYearsEve = at("2026-12-30T10:00:00+08:00");
    const note = "2027 holidays not loaded, so counted as plain Monday–Friday: load them with relay calendar import FILE";
    expect(explainWhen("3个工作日内", newYearsEve)).toEqual({ ok: true, text: `2027-01-04T18:00:00+08:00  (${note})` });
    expect(explainWhen("每个工作日 9点", at("2026-12-31T10:00:00+08:00")).text).toBe(`2027-01-01T09:00:00+08:00  (every working day at 09:00; first occurrence; ${note})`);
    // An office that loaded 2027 (days made up for the test): no note, and its holidays are skipped.
    const office = packageCalendar.withOffice([["2027-01-01", { kind: "holiday", name: "元旦" }], ["2027-01-04", { kind: "holiday", name: "元旦" }]], [2027]);
    expect(explainWhen("3个工作日内", { ...newYearsEve, calendar: office })).toEqual({ ok: true, text: "2027-01-06T18:00:00+08:00" });
    expect(explainWhen("3个工作日内", FRIDAY).text).toBe("2026-12-02T18:00:00+08:00"); // 2026 is covered: no note
  });
});
