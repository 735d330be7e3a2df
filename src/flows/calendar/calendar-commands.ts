// /calendar (日历, 节假日): the admins' view of the holiday calendar and their way to change it in chat — load a
// whole year from the State Council's notice, set or remove single days. Every change is audited, and the
// running processes count with it at once (this one) or within seconds (the others: office-calendar.ts).
import type { App } from "../../app.ts";
import type { CommandContext } from "../../bot/router.ts";
import { formatLocal } from "../../bot/time-parse.ts";
import { isoDate, zonedParts, type PlainDate } from "../../bot/time-zone.ts";
import { parseDates, parseDaysLine } from "../../office/calendar-file.ts";
import { importArrangement } from "../../office/calendar-import.ts";
import { removeDays, setDays, type CalendarChange } from "../../office/calendar-store.ts";
import { calendarErrorText, describeCalendar, describeDays, describeErrors, describeImport, formatDay } from "../../office/calendar-text.ts";
import { usage } from "../org/org-commands.ts";
import { registerCoverageCheck } from "./coverage-check.ts";

const IMPORT = new Set(["import", "load", "导入", "载入"]);
const ADD = new Set(["add", "set", "添加", "设置", "新增"]);
const REMOVE = new Set(["remove", "delete", "del", "删除", "删去", "去掉", "移除"]);
const SHOW = new Set(["show", "list", "查看"]);
// "日历 放假 …" / "日历 上班 …" say the kind first: the whole text is the line to read.
const DAY_FIRST = /^(?:放假|休假|上班|补班|调休上班|holiday|off|work|workday)/i;

export function registerCalendar(app: App): void {
  registerCoverageCheck(app);
  app.bot.router.command({
    name: "calendar",
    aliases: ["日历", "节假日", "节假日安排", "holidays"],
    audience: ["admin"],
    summary: "calendar.summary",
    usage: "calendar.usage",
    async run(ctx) {
      // The rest keeps its line break: pasted lines are numbered as the message's lines ("日历 导入" is line 1).
      const [, word = "", rest = ""] = /^(\S*)[^\S\n]*([\s\S]*)$/.exec(ctx.args) ?? [];
      const sub = word.toLowerCase();
      if (!word || SHOW.has(sub)) return show(app, ctx);
      if (IMPORT.has(sub)) return importText(app, ctx, rest);
      if (REMOVE.has(sub)) return remove(app, ctx, rest);
      if (ADD.has(sub)) return add(app, ctx, rest);
      if (DAY_FIRST.test(ctx.args)) return add(app, ctx, ctx.args);
      return usage(ctx);
    },
  });
}

const officeToday = (app: App): PlainDate => zonedParts(app.clock.now(), app.config.timeZone);
const change = (app: App, ctx: CommandContext): CalendarChange => ({ actorId: ctx.member!.id, source: "chat", now: app.clock.now() });

async function show(app: App, ctx: CommandContext): Promise<void> {
  const now = app.clock.now();
  await ctx.reply(describeCalendar(app.calendar, officeToday(app), ctx.locale, (at) => formatLocal(at, app.config.timeZone, ctx.locale, now)));
}

/** "日历 导入" with the notice's lines below it: the whole arrangement of each year it names. */
async function importText(app: App, ctx: CommandContext, text: string): Promise<void> {
  if (!text.trim()) return void (await ctx.reply(ctx.t("calendar.importHowTo")));
  const outcome = await importArrangement(app.prisma, text, change(app, ctx));
  if (!outcome.ok) return void (await ctx.reply(describeErrors(outcome.errors, ctx.locale)));
  await app.calendar.reload();
  await ctx.reply(describeImport(outcome.done, ctx.locale));
}

/** "日历 放假 2026-02-15 至 2026-02-23 春节", "/calendar add 2026-02-14 workday": single days over chinese-days. */
async function add(app: App, ctx: CommandContext, line: string): Promise<void> {
  const today = officeToday(app);
  const read = parseDaysLine(line, today);
  if ("error" in read) return usage(ctx, undefined, calendarErrorText(read.error, ctx.locale, false));
  await setDays(app.prisma, read.days, change(app, ctx));
  await app.calendar.reload();
  const lines = [ctx.t("calendar.set", { days: describeDays(read.days, ctx.locale, today.year) })];
  // A day set by hand does not make its year known: the rest of it is still plain Monday–Friday.
  const uncovered = [...new Set(read.days.map((d) => d.date.year))].filter((year) => !app.calendar.covers(year));
  for (const year of uncovered) lines.push(ctx.t("calendar.dayInUncoveredYear", { year }));
  await ctx.reply(lines.join("\n"));
}

/** "日历 删除 2026-02-15": the office's own entry goes; chinese-days' answer (or Monday–Friday) applies again. */
async function remove(app: App, ctx: CommandContext, text: string): Promise<void> {
  const today = officeToday(app);
  const read = parseDates(text, today);
  if ("error" in read) return usage(ctx, undefined, calendarErrorText(read.error, ctx.locale, false));
  const removed = await removeDays(app.prisma, read.dates, change(app, ctx));
  const named = (dates: PlainDate[]) => dates.map((d) => formatDay(d, ctx.locale, today.year)).join(ctx.locale === "zh-CN" ? "、" : ", ");
  if (removed.length === 0) return void (await ctx.reply(ctx.t("calendar.notSet", { dates: named(read.dates) })));
  await app.calendar.reload();
  await ctx.reply(ctx.t("calendar.removed", { dates: named(read.dates.filter((d) => removed.includes(isoDate(d)))) }));
}
