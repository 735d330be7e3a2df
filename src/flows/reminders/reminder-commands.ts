// /remind (提醒), /reminders (我的提醒), /unremind (取消提醒) and the buttons on a fired reminder.
import { parseRecordId } from "../../bot/record-id.ts";
import type { App } from "../../app.ts";
import type { Button } from "../../bot/message.ts";
import { spokenTo, type ActionContext, type Context } from "../../bot/router.ts";
import type { MessageKey } from "../../bot/i18n/index.ts";
import { describeRecurrence, formatLocal, formatNear, readTrailingWhen, readWhen, type Unclear, type When } from "../../bot/time-parse.ts";
import { HOLIDAY_IDS } from "../../bot/working-days.ts";
import type { Reminder } from "../../generated/prisma/client.ts";
import { usage } from "../org/org-commands.ts";
import { SNOOZES, type Snooze } from "./reminder-message.ts";
import {
  FIRE,
  REMINDER,
  occurrencesDone,
  queueOccurrence,
  cancelReminder,
  completeReminder,
  createReminder,
  dueOccurrence,
  openReminders,
  reconcileReminders,
  recurrenceOf,
  snoozeReminder,
  zoneOf,
} from "./reminder-service.ts";


export function registerReminders(app: App): void {
  const { router } = app.bot;

  router.command({
    name: "remind",
    aliases: ["提醒"],
    audience: "roster",
    summary: "reminder.remind.summary",
    usage: "reminder.remind.usage",
    async run(ctx) {
      // "提醒我明天…" / "/remind me in 2 hours to …": the "me" is implied.
      const input = ctx.args.replace(/^(我|me\s+)/i, "");
      if (!input) return usage(ctx);
      const ref = { now: app.clock.now(), timeZone: zoneOf(app, ctx.member!), calendar: app.calendar };
      // The time first ("明天下午3点 交材料", "at 5pm tomorrow to call Li"), else after the text ("to call Li at 5pm tomorrow").
      const when = readWhen(input, ref) ?? readTrailingWhen(input, ref);
      if (!when) return void (await ctx.reply(`${ctx.t("reminder.noTime", { input })}\n${ctx.t("reminder.remind.usage")}`));
      await remind(ctx, when, when.rest);
    },
  });

  // The time first, as people say it: "明天下午三点提醒我开会", "每天早上8点半提醒我打卡", "at 5pm remind me to
  // call Li". Only in a direct chat or said to the bot, where nobody else is being spoken to.
  router.onText(async (ctx, text) => {
    if (!spokenTo(ctx.inbound)) return false;
    const when = readWhen(text, { now: app.clock.now(), timeZone: zoneOf(app, ctx.member!), calendar: app.calendar });
    const ask = when && /^(?:提醒我?|叫我|remind\s+me)\s*/i.exec(when.rest);
    if (!when || !ask) return false;
    await remind(ctx, when, when.rest.slice(ask[0].length));
    return true;
  });

  async function remind(ctx: Context, when: When | Unclear, rest: string): Promise<void> {
    if (when.kind === "unclear") return void (await ctx.reply(unclearReply(ctx, when)));
    const text = rest.replace(/^(to\s+|[,，:：;；]\s*)/i, "").trim();
    if (!text) return void (await ctx.reply(ctx.t("reminder.noText")));
    const now = app.clock.now();
    const zone = zoneOf(app, ctx.member!);
    const at = when.kind === "once" ? when.at : when.first;
    // 今晚8点 at 21:00 is refused, not moved: the person named the day. A bare 8点 rolls over, and says so below.
    if (at.getTime() <= now.getTime() - 1000) return void (await ctx.reply(ctx.t("reminder.past", { when: formatNear(at, zone, ctx.locale, now) })));
    const r = await createReminder(app, ctx.member!, when, text);
    const rolled = when.kind === "once" && when.passed
      ? `\n${ctx.t("time.passed", { passed: formatNear(when.passed, zone, ctx.locale, now), when: formatNear(at, zone, ctx.locale, now) })}`
      : "";
    await ctx.reply({ text: describeCreated(app, ctx, r) + rolled, buttons: [[{ label: ctx.t("reminder.cancelButton", { id: r.id }), action: "reminder.cancel", value: String(r.id) }]] });
  }

  router.command({
    name: "reminders",
    aliases: ["我的提醒", "提醒列表"],
    audience: "roster",
    summary: "reminder.list.summary",
    usage: "reminder.list.usage",
    async run(ctx) {
      const list = await openReminders(app, ctx.member!);
      if (list.length === 0) return void (await ctx.reply(ctx.t("reminder.none")));
      const lines = list.map((r) => `#${r.id} ${schedule(app, ctx, r)} ${r.text}${r.status === "fired" ? ctx.t("reminder.awaitingDone") : ""}`);
      const buttons: Button[][] = list.slice(0, 20).map((r) => [
        { label: ctx.t("reminder.cancelButton", { id: r.id }), action: "reminder.cancel", value: String(r.id) },
      ]);
      await ctx.reply({ text: `${ctx.t("reminder.listHeading", { count: list.length })}\n${lines.join("\n")}`, buttons });
    },
  });

  router.command({
    name: "unremind",
    aliases: ["取消提醒"],
    audience: "roster",
    summary: "reminder.cancel.summary",
    usage: "reminder.cancel.usage",
    async run(ctx) {
      const id = parseRecordId(ctx.args);
      if (id === undefined) return usage(ctx);
      await cancel(ctx, id);
    },
  });

  const cancel = async (ctx: Context, id: number) => {
    const r = await cancelReminder(app, ctx.member!, id);
    await ctx.reply(ctx.t("reminder.cancelled", { id: r.id, text: r.text }));
  };
  router.action({ action: "reminder.cancel", audience: "roster", run: (ctx) => cancel(ctx, ctx.recordId()) });

  router.action({
    action: "reminder.done",
    audience: "roster",
    async run(ctx) {
      const r = await completeReminder(app, ctx.member!, ctx.recordId());
      await closeFiredMessage(app, ctx, `${r.text}\n${ctx.t("reminder.doneMark")}`);
      await ctx.reply(ctx.t("reminder.done", { text: r.text }));
    },
  });

  router.action({
    action: "reminder.snooze",
    audience: "roster",
    async run(ctx) {
      const id = ctx.recordId();
      const choice = ctx.value.split(":")[1] as Snooze;
      if (!Object.hasOwn(SNOOZES, choice)) return void (await ctx.reply(ctx.t("router.staleButton")));
      const now = app.clock.now();
      const minutes = SNOOZES[choice];
      const at = new Date(now.getTime() + (minutes === 0 ? 24 * 60 : minutes) * 60_000);
      const r = await snoozeReminder(app, ctx.member!, id, at);
      const when = formatLocal(at, r.timeZone, ctx.locale, now);
      await closeFiredMessage(app, ctx, `${r.text}\n${ctx.t("reminder.snoozedMark", { when })}`);
      await ctx.reply(ctx.t("reminder.snoozed", { when, text: r.text }));
    },
  });

  // An occurrence is a send in the outbox, due at its time, its message written when it was queued: a cancelled
  // or snoozed occurrence is withdrawn from the outbox, so nothing needs reading when it fires. Once its
  // outcome is known it counts as fired (a failed send is not retried forever: /reminders still lists it).
  app.outbox.purpose(REMINDER, {
    async settled(done) {
      const occurrences = done.filter(({ outcome }) => outcome.state !== "skipped").map(({ send, outcome }) => {
        const o = send.subject as { reminderId: number; seq: number; recurring?: boolean };
        if (outcome.state !== "sent") app.log.warn({ reminder: o.reminderId, outcome: outcome.state }, "reminder fired but could not be delivered");
        return { reminderId: o.reminderId, seq: o.seq, recurring: o.recurring !== false };
      });
      await occurrencesDone(app, occurrences);
    },
  });
  // Occurrences scheduled before the outbox (a job of the scheduler) move to it when they fire.
  app.scheduler.handle(FIRE, async (data) => {
    const due = await dueOccurrence(app, Number(data.reminderId), Number(data.seq));
    if (due) await queueOccurrence(app, due.reminder);
  });
  app.scheduler.reconcileWith(() => reconcileReminders(app));
}

/** "11月28日(周六) 15:00" or "每个工作日 08:30（下次 …）". */
function schedule(app: App, ctx: Context, r: Reminder): string {
  const at = formatLocal(r.fireAt, r.timeZone, ctx.locale, app.clock.now());
  const rule = recurrenceOf(r);
  return rule ? `${describeRecurrence(rule, ctx.locale)}${ctx.t("reminder.nextParen", { next: at })}` : at;
}

/** Why an unclear time names no instant: 下周 without its day, a holiday the table does not reach yet. */
function unclearReply(ctx: Context, when: Unclear): string {
  if (when.reason === "week") return ctx.t("time.weekNoDay", { text: when.matched });
  const holiday = ctx.t(when.holiday ? (`time.holiday.${HOLIDAY_IDS[when.holiday]}` as MessageKey) : "time.holiday.any");
  return ctx.t("time.holidayUnknown", { holiday, year: when.year });
}

function describeCreated(app: App, ctx: Context, r: Reminder): string {
  return ctx.t("reminder.created", { id: r.id, when: schedule(app, ctx, r), text: r.text });
}

/** Takes the buttons off the fired message so it cannot be pressed twice. */
async function closeFiredMessage(app: App, ctx: ActionContext, text: string): Promise<void> {
  await ctx.update({ text });
}
