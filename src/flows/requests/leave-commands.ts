// Leave (请假): /leave TYPE PERIOD REASON, decisions by button or /approve and /reject, /withdraw,
// /requests (mine and those waiting for me) and /out (who is out on a day, by unit).
import { parseRecordId } from "../../bot/record-id.ts";
import type { App } from "../../app.ts";
import type { Locale, MessageKey } from "../../bot/i18n/index.ts";
import { spokenTo, type CommandContext, type Context } from "../../bot/router.ts";
import { parseWhen } from "../../bot/time-parse.ts";
import { formatLocal } from "../../bot/time-parse.ts";
import { compareDates, formatClock, fromZoned, zonedParts, type PlainDate } from "../../bot/time-zone.ts";
import type { Request } from "../../generated/prisma/client.ts";
import { usage } from "../org/org-commands.ts";
import { decide, fileRequest, requestsOf, withdraw, type RequestWithSteps } from "./approval.ts";
import { registerApproverChasing } from "./approver-chasing.ts";
import { chainSettings } from "./chains.ts";
import { leaveApprovers } from "./leave-chain.ts";
import { leaveTypeOf } from "./leave-types.ts";
import { officeYear, remaining } from "./balances.ts";
import { describePeriod, overlaps, periodInstants, periodPhrase, readLeavePeriod, type LeaveRefusal } from "./leave-period.ts";
import { leaveSummary, typeLabel, type LeaveForm } from "./leave-summary.ts";
import { requestSummary } from "./summary.ts";


export function registerLeave(app: App): void {
  const { router } = app.bot;
  registerApproverChasing(app);
  const summary = (request: Request) => (locale: Locale) => requestSummary(request, locale);

  router.command({
    name: "leave",
    aliases: ["请假"],
    audience: "roster",
    summary: "leave.summary",
    usage: "leave.usage",
    run: (ctx) => fileLeave(ctx, ctx.args),
  });

  // "请病假 明天 发烧", "休年假 下周一到周三 回老家": the type inside the verb, as people say it.
  router.onText(async (ctx, text) => {
    const m = /^\s*[请休]((?:年休|陪产|[事病年婚产丧])假|调休|补休)\s*/.exec(text);
    if (!spokenTo(ctx.inbound) || !m || !leaveTypeOf(m[1]!)) return false;
    await fileLeave(ctx, `${m[1]} ${text.slice(m[0].length)}`);
    return true;
  });

  async function fileLeave(ctx: Context, args: string): Promise<void> {
    const [first = "", ...others] = args.split(/\s+/);
    const type = leaveTypeOf(first);
    // "sick leave tomorrow": the English type may carry the word "leave" too.
    const text = type ? others.join(" ").replace(/^leave\b\s*/i, "") : args;
    const now = app.clock.now();
    const tz = app.config.timeZone;
    const read = readLeavePeriod(text, { now, timeZone: tz, calendar: app.calendar });
    if ("refused" in read) return void (await ctx.reply(refusal(app, ctx, read.refused, text, type ? first : undefined)));
    const { period } = read;
    const today = zonedParts(now, tz);
    // A day already behind us cannot be taken; leave after the fact goes to the approver in person.
    if (compareDates(period.start.date, today) < 0) return void (await ctx.reply(ctx.t("leave.past", { day: describeDay(app, period.start.date, ctx) })));
    if (period.workingDays === 0) return void (await ctx.reply(ctx.t("leave.noWorkingDays")));
    const reason = period.rest.replace(/^[,，:：;；\s]+/, "").trim();
    if (!reason) return void (await ctx.reply(ctx.t("leave.noReason")));
    const mine = await app.prisma.request.findMany({ where: { requesterId: ctx.member!.id, kind: "leave", status: { in: ["pending", "approved"] } } });
    const clash = mine.find((r) => overlaps((r.form as unknown as LeaveForm).period, period));
    if (clash) return void (await ctx.reply(ctx.t("leave.overlap", { id: clash.id })));
    const form: LeaveForm = { type: type ?? "personal", period: { start: period.start, end: period.end, workingDays: period.workingDays } };
    const { from, to } = periodInstants(period, app.config.timeZone);
    const left = await remaining(app, ctx.member!.id, form.type, officeYear(app, from));
    if (left !== null && left < period.workingDays) {
      return void (await ctx.reply(ctx.t("leave.insufficient", { type: typeLabel(form.type, ctx.locale), left, days: period.workingDays })));
    }
    const approvers = await leaveApprovers(app.prisma, ctx.member!.id, period.workingDays, await chainSettings(app));
    const request = await fileRequest(
      app,
      ctx.member!,
      { kind: "leave", form: form as never, reason, approvers, leave: { type: form.type, startsAt: from, endsAt: to, workingDays: period.workingDays } },
      (locale) => leaveSummary({ form: form as never, reason, leaveType: form.type }, locale),
    );
    const step = request.steps[0]!;
    const first_ = step.onBehalfOf ? ctx.t("request.nameOnBehalf", { name: step.approver.name, of: step.onBehalfOf.name }) : step.approver.name;
    await ctx.reply(`${ctx.t("leave.filed", { id: request.id, approver: first_ })}\n${leaveSummary(request, ctx.locale)}`);
  }

  const decideAndTell = async (ctx: Context, id: number, approve: boolean, comment: string) => {
    const request = await app.prisma.request.findUnique({ where: { id } });
    const { outcome } = await decide(app, ctx.member!, id, approve, comment, request ? summary(request) : () => "");
    await ctx.answer(ctx.t(`request.decided.${outcome}` as MessageKey, { id }));
  };

  router.command({
    name: "approve",
    aliases: ["批准", "同意"],
    audience: "roster",
    summary: "request.approve.summary",
    usage: "request.approve.usage",
    async run(ctx) {
      const [id, comment] = idAndText(ctx);
      if (!id) return usage(ctx);
      await decideAndTell(ctx, id, true, comment);
    },
  });

  router.command({
    name: "reject",
    aliases: ["驳回", "不同意", "不批准"],
    audience: "roster",
    summary: "request.reject.summary",
    usage: "request.reject.usage",
    async run(ctx) {
      const [id, reason] = idAndText(ctx);
      if (!id || !reason) return usage(ctx); // a rejection always says why
      await decideAndTell(ctx, id, false, reason);
    },
  });

  router.action({ action: "request.approve", audience: "roster", run: (ctx) => decideAndTell(ctx, ctx.recordId(), true, "") });
  router.action({
    action: "request.reject",
    audience: "roster",
    // A rejection needs a reason, which a button cannot carry: say how to give one.
    run: async (ctx) => void (await ctx.reply(ctx.t("request.rejectHow", { id: ctx.recordId() }))),
  });

  router.command({
    name: "withdraw",
    aliases: ["撤销申请", "取消请假"],
    audience: "roster",
    summary: "request.withdraw.summary",
    usage: "request.withdraw.usage",
    async run(ctx) {
      const [id] = idAndText(ctx);
      if (!id) return usage(ctx);
      await withdraw(app, ctx.member!, id);
      await ctx.reply(ctx.t("request.withdrawn", { id }));
    },
  });

  router.command({
    name: "requests",
    aliases: ["我的申请", "审批", "待审批", "我的审批"],
    audience: "roster",
    summary: "request.list.summary",
    usage: "request.list.usage",
    async run(ctx) {
      const { mine, waiting } = await requestsOf(app, ctx.member!);
      if (mine.length === 0 && waiting.length === 0) return void (await ctx.reply(ctx.t("request.none")));
      const lines: string[] = [];
      if (waiting.length) lines.push(ctx.t("request.waitingHeading", { count: waiting.length }), ...waiting.map((r) => `#${r.id} ${r.requester.name} ${requestSummary(r, ctx.locale)}`));
      if (mine.length) lines.push(ctx.t("request.mineHeading"), ...mine.map((r) => `#${r.id} ${statusLabel(ctx, r)} ${requestSummary(r, ctx.locale)}`));
      const buttons = waiting.slice(0, 10).map((r) => [
        { label: ctx.t("request.approveButtonId", { id: r.id }), action: "request.approve", value: String(r.id) },
        { label: ctx.t("request.rejectButtonId", { id: r.id }), action: "request.reject", value: String(r.id) },
      ]);
      await ctx.reply({ text: lines.join("\n"), buttons });
    },
  });

  router.command({
    name: "out",
    aliases: ["今日请假", "谁请假", "请假情况", "今天谁请假", "谁不在"],
    audience: "roster",
    summary: "leave.out.summary",
    usage: "leave.out.usage",
    async run(ctx) {
      const day = dayOf(app, ctx.args);
      if (!day) return usage(ctx);
      const out = await app.prisma.request.findMany({
        where: { kind: "leave", status: "approved", startsAt: { lt: day.to }, endsAt: { gt: day.from } },
        include: { requester: { include: { unit: true } } },
        orderBy: { requester: { unitId: "asc" } },
      });
      const label = ctx.args.trim() || ctx.t("leave.today");
      if (out.length === 0) return void (await ctx.reply(ctx.t("leave.nobodyOut", { day: label })));
      const groups = new Map<string, string[]>();
      for (const r of out) {
        const unit = r.requester.unit?.name ?? ctx.t("org.noUnit");
        groups.set(unit, [...(groups.get(unit) ?? []), `${r.requester.name}（${typeLabel(r.leaveType, ctx.locale)}）`]);
      }
      await ctx.reply([ctx.t("leave.outHeading", { day: label, count: out.length }), ...[...groups].map(([u, names]) => `  ${u}：${names.join("、")}`)].join("\n"));
    },
  });
}

/** Why a period cannot be taken, in the person's language; for hours, the half days to ask for instead. */
function refusal(app: App, ctx: Context, refused: LeaveRefusal, text: string, typeWord: string | undefined): string {
  switch (refused.why) {
    case "hours": {
      const tz = app.config.timeZone;
      const now = app.clock.now();
      const today = zonedParts(now, tz);
      const hours = refused.to ? hourSpan(refused.from, refused.to, tz, ctx.locale, now) : formatLocal(refused.from, tz, ctx.locale, now);
      const phrase = periodPhrase(refused.halves, ctx.locale, today);
      const words = [ctx.locale === "zh-CN" ? "请假" : "/leave", typeWord, phrase, refused.rest].filter(Boolean).join(" ");
      return ctx.t("leave.hours", { hours, period: describePeriod(refused.halves, ctx.locale, today.year), command: words });
    }
    case "unreadable":
      return `${ctx.t("leave.badPeriod", { text })}\n${ctx.t("leave.usage")}`;
    case "backwards":
      return ctx.t("leave.backwards", { text });
    default:
      return ctx.t(`leave.${refused.why}`);
  }
}

/** "11月26日(周四) 14:00–16:00", or both ends in full when they are on different days. */
function hourSpan(from: Date, to: Date, tz: string, locale: Locale, now: Date): string {
  const a = zonedParts(from, tz);
  const b = zonedParts(to, tz);
  const sameDay = a.year === b.year && a.month === b.month && a.day === b.day;
  return sameDay ? `${formatLocal(from, tz, locale, now)}–${formatClock(b)}` : `${formatLocal(from, tz, locale, now)} – ${formatLocal(to, tz, locale, now)}`;
}

/** "11月24日(周二)" / "Tue 24 Nov": a day, without a time. */
function describeDay(app: App, date: PlainDate, ctx: Context): string {
  const tz = app.config.timeZone;
  return formatLocal(fromZoned({ ...date, hour: 12, minute: 0 }, tz), tz, ctx.locale, app.clock.now()).replace(/\s+\d\d:\d\d$/, "");
}

function idAndText(ctx: CommandContext): [number | undefined, string] {
  const [idText = "", ...rest] = ctx.args.split(/\s+/);
  return [parseRecordId(idText), rest.join(" ").trim()];
}



function statusLabel(ctx: Context, r: RequestWithSteps): string {
  if (r.status !== "pending") return ctx.t(`request.status.${r.status}` as MessageKey);
  const step = r.steps.find((s) => s.status === "pending");
  return ctx.t("request.status.waitingFor", { name: step?.approver.name ?? "—" });
}

/** The office-time day `text` names ("今天", "明天", "12月3日"; empty: today), as [from, to). */
function dayOf(app: App, text: string): { from: Date; to: Date } | undefined {
  const now = app.clock.now();
  const tz = app.config.timeZone;
  const at = text.trim() ? parseWhen(text.trim(), { now, timeZone: tz, calendar: app.calendar }) : { kind: "once" as const, at: now, matched: "", rest: "" };
  if (!at || at.kind !== "once" || at.rest) return undefined;
  const d = zonedParts(at.at, tz);
  const from = fromZoned({ year: d.year, month: d.month, day: d.day, hour: 0, minute: 0 }, tz);
  return { from, to: new Date(from.getTime() + 24 * 3600_000) };
}
