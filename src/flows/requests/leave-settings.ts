// /balance (假期余额): see mine, or (admins) set someone's; /deputy (代理人): who decides my approvals while I am away.
import type { App } from "../../app.ts";
import { UserError } from "../../bot/errors.ts";
import type { MessageKey } from "../../bot/i18n/index.ts";
import { audit } from "../../db/audit.ts";
import { personByName } from "../org/directory.ts";
import { usage } from "../org/org-commands.ts";
import { balancesOf, officeYear } from "./balances.ts";
import { leaveTypeOf } from "./leave-types.ts";

const CLEAR = new Set(["无", "取消", "none", "off"]);

export function registerLeaveSettings(app: App): void {
  const { router } = app.bot;

  router.command({
    name: "balance",
    aliases: ["假期余额", "余额", "我的假期"],
    audience: "roster",
    summary: "balance.summary",
    usage: "balance.usage",
    async run(ctx) {
      const year = officeYear(app, app.clock.now());
      const words = ctx.args.split(/\s+/).filter(Boolean);
      if (words.length === 0) {
        const lines = await balancesOf(app, ctx.member!.id, year);
        if (lines.length === 0) return void (await ctx.reply(ctx.t("balance.noneSet", { year })));
        const text = lines.map((b) => ctx.t("balance.line", { type: ctx.t(`leave.type.${b.leaveType}` as MessageKey), left: b.days - b.used, days: b.days, used: b.used }));
        return void (await ctx.reply([ctx.t("balance.heading", { year }), ...text].join("\n")));
      }
      // "/balance 甲 年假 5": set someone's balance (admins only).
      if (ctx.member!.role !== "admin") return void (await ctx.reply(ctx.t("router.forbidden", { who: ctx.t("role.admin") })));
      const [name, typeWord, daysText] = words;
      const type = typeWord ? leaveTypeOf(typeWord) : undefined;
      const days = Number(daysText);
      if (!name || !type || !Number.isFinite(days) || days < 0 || days > 366 || (days * 2) % 1 !== 0) return usage(ctx);
      const person = await personByName(app.prisma, name);
      await app.prisma.$transaction(async (tx) => {
        await tx.leaveBalance.upsert({
          where: { personId_year_leaveType: { personId: person.id, year, leaveType: type } },
          create: { personId: person.id, year, leaveType: type, days },
          update: { days },
        });
        await audit(tx, { actorId: ctx.member!.id, action: "balance.set", entity: "Person", entityId: person.id, data: { year, type, days } });
      });
      await ctx.reply(ctx.t("balance.set", { name: person.name, year, type: ctx.t(`leave.type.${type}` as MessageKey), days }));
    },
  });

  router.command({
    name: "deputy",
    aliases: ["代理人", "代理"],
    audience: "roster",
    summary: "deputy.summary",
    usage: "deputy.usage",
    async run(ctx) {
      const words = ctx.args.split(/\s+/).filter(Boolean);
      // "/deputy 李主任" sets mine; an admin may set someone else's: "/deputy 陈书记 李主任".
      const [whoName, deputyName] = words.length === 2 ? words : [undefined, words[0]];
      if (whoName && ctx.member!.role !== "admin") return void (await ctx.reply(ctx.t("router.forbidden", { who: ctx.t("role.admin") })));
      const who = whoName ? await personByName(app.prisma, whoName) : await app.prisma.person.findUniqueOrThrow({ where: { id: ctx.member!.id } });
      if (!deputyName) {
        const current = who.deputyId ? await app.prisma.person.findUnique({ where: { id: who.deputyId } }) : null;
        return void (await ctx.reply(current ? ctx.t("deputy.current", { name: who.name, deputy: current.name }) : ctx.t("deputy.noneSet", { name: who.name })));
      }
      const deputy = CLEAR.has(deputyName.toLowerCase()) ? null : await personByName(app.prisma, deputyName);
      if (deputy?.id === who.id) throw new UserError("deputy.self");
      await app.prisma.$transaction(async (tx) => {
        await tx.person.update({ where: { id: who.id }, data: { deputyId: deputy?.id ?? null } });
        await audit(tx, { actorId: ctx.member!.id, action: "person.deputy", entity: "Person", entityId: who.id, data: { deputy: deputy?.id ?? null } });
      });
      await ctx.reply(deputy ? ctx.t("deputy.set", { name: who.name, deputy: deputy.name }) : ctx.t("deputy.cleared", { name: who.name }));
    },
  });
}
