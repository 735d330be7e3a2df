// Roster commands: /setup /invite /join /start /whoami /people /units /lang.
import { tellAdminsOfGaps } from "../calendar/coverage-check.ts";
import type { App } from "../../app.ts";
import { displayInviteCode } from "./invite-code.ts";
import type { CommandContext, Context } from "../../bot/router.ts";
import { forPlatform } from "../../bot/command-syntax.ts";
import { t, toLocale, type MessageKey } from "../../bot/i18n/index.ts";
import { formatLocal } from "../../bot/time-parse.ts";
import { officeStaff, parseRole, type Role } from "../../bot/roles.ts";
import type { Platform } from "../../bot/message.ts";
import type { Send } from "../../delivery/outbox.ts";
import { unitByName, unitSubtreeIds } from "./directory.ts";
import { addUnit, createInvite, createLinkCode, join, setLocale, setup, type SetupDone } from "./org-service.ts";

export function registerOrg(app: App): void {
  const { router } = app.bot;

  router.command({
    name: "setup",
    aliases: ["初始化"],
    audience: "anyone",
    summary: "org.setup.summary",
    usage: "org.setup.usage",
    async run(ctx) {
      const [name, ...office] = words(ctx.args);
      const done = await setup(app, ctx.user, { member: ctx.member, name, officeName: office.join(" ") || undefined, locale: toLocale(ctx.inbound.locale) });
      const { person } = done;
      const lines = done.linked
        ? [ctx.t("org.setupLinked", { name: person.name, id: person.id, unit: done.unit?.name ?? ctx.t("org.noUnit") })]
        : [ctx.t("org.setupDoneFirst", { name: person.name })];
      if (done.previousRole) lines.push(ctx.t("org.setupRoleChanged", { from: roleName(ctx, done.previousRole) }));
      if (done.withoutAccount > 0) lines.push(ctx.t("org.setupNextImported", { count: done.withoutAccount, example: await unlinkedExample(app) }));
      await ctx.reply(lines.join("\n"));
      await tellOfSetup(app, ctx, done);
      // The first admin hears now, not at tomorrow's check, that the coming year's holidays are missing.
      await tellAdminsOfGaps(app);
    },
  });

  router.command({
    name: "invite",
    aliases: ["邀请"],
    audience: officeStaff,
    summary: "org.invite.summary",
    usage: "org.invite.usage",
    async run(ctx) {
      const req = parseInvite(ctx.args);
      if (!req) return usage(ctx);
      const { invite, existing, unit, unitCreated, supervisor, supervisorPending } = await createInvite(app, ctx.member!, req);
      const lines = [
        ctx.t("org.inviteCreated", {
          name: invite.name,
          role: roleName(ctx, invite.role),
          unit: unit?.name ?? ctx.t("org.noUnit"),
          code: displayInviteCode(invite.code),
          expires: formatLocal(invite.expiresAt, app.config.timeZone, ctx.locale, app.clock.now()),
        }),
      ];
      if (existing) lines.push(ctx.t("org.inviteExisting", { name: existing.name, id: existing.id }));
      if (supervisor) lines.push(ctx.t(supervisorPending ? "org.inviteSupervisorPending" : "org.inviteSupervisor", { supervisor: supervisor.name }));
      if (unitCreated) lines.push(ctx.t("org.unitCreated", { name: unit!.name }));
      lines.push(ctx.t("org.inviteHowTo", { code: displayInviteCode(invite.code), raw: invite.code }));
      await ctx.reply(lines.join("\n"));
    },
  });

  const joinWith = async (ctx: CommandContext, code: string) => {
    const { person, invite, unit } = await join(app, ctx.user, code, toLocale(ctx.inbound.locale));
    await ctx.reply(ctx.t("org.joined", { name: person.name, role: roleName(ctx, person.role), unit: unit?.name ?? ctx.t("org.noUnit") }));
    // Tell whoever issued the code that it worked: they are waiting for it.
    await app.outbox.send({ key: `joined-invite${invite.id}`, to: { personId: invite.createdById }, message: { text: ctx.t("org.joinedNotice", { name: person.name }) }, priority: "personal" });
    if (person.role === "admin") await tellAdminsOfGaps(app);
  };

  router.command({
    name: "join",
    aliases: ["加入"],
    audience: "anyone",
    summary: "org.join.summary",
    usage: "org.join.usage",
    async run(ctx) {
      if (!ctx.args) return usage(ctx);
      if (ctx.member) return void (await ctx.reply(ctx.t("org.alreadyJoined")));
      await joinWith(ctx, ctx.args);
    },
  });

  router.command({
    name: "start",
    aliases: ["开始"],
    audience: "anyone",
    hidden: true, // Telegram sends it by itself (its Start button, deep links); /help and typos need not offer it
    summary: "org.start.summary",
    usage: "org.start.usage",
    async run(ctx) {
      // Telegram deep links (t.me/bot?start=CODE) arrive as "/start CODE".
      if (ctx.args && !ctx.member) return joinWith(ctx, ctx.args);
      await ctx.reply(ctx.member ? ctx.t("org.welcomeBack", { name: ctx.member.name }) : ctx.t("org.welcome"));
    },
  });

  router.command({
    name: "link",
    aliases: ["关联账号", "绑定账号"],
    audience: "roster",
    summary: "org.link.summary",
    usage: "org.link.usage",
    async run(ctx) {
      const invite = await createLinkCode(app, ctx.member!);
      await ctx.reply(ctx.t("org.linkCode", { code: displayInviteCode(invite.code), raw: invite.code }));
    },
  });

  router.command({
    name: "whoami",
    aliases: ["我是谁", "我的信息"],
    audience: "roster",
    summary: "org.whoami.summary",
    usage: "org.whoami.usage",
    async run(ctx) {
      const me = ctx.member!;
      const person = await app.prisma.person.findUniqueOrThrow({ where: { id: me.id }, include: { supervisor: true, identities: true } });
      const accounts = person.identities.map((i) => `${i.platform}:${i.displayName ?? i.externalId}`).join("，");
      await ctx.reply(
        ctx.t("org.whoamiText", {
          name: person.name,
          id: person.id,
          role: roleName(ctx, person.role),
          unit: me.unitName ?? ctx.t("org.noUnit"),
          supervisor: person.supervisor?.name ?? "—",
          accounts,
          language: ctx.t(ctx.locale === "en" ? "lang.en" : "lang.zh"),
        }),
      );
    },
  });

  router.command({
    name: "people",
    aliases: ["人员", "名册", "通讯录"],
    audience: "roster",
    summary: "org.people.summary",
    usage: "org.people.usage",
    async run(ctx) {
      let unitIds: number[] | undefined;
      if (ctx.args) {
        const unit = await unitByName(app.prisma, ctx.args);
        if (!unit) return void (await ctx.reply(ctx.t("org.noSuchUnit", { name: ctx.args, known: await knownUnits(app) })));
        unitIds = await unitSubtreeIds(app.prisma, unit.id);
      }
      const people = await app.prisma.person.findMany({
        where: { active: true, ...(unitIds ? { unitId: { in: unitIds } } : {}) },
        include: { unit: true, supervisor: true },
        orderBy: [{ unitId: "asc" }, { id: "asc" }],
      });
      if (people.length === 0) return void (await ctx.reply(ctx.t("org.nobody")));
      const groups = new Map<string, string[]>();
      for (const p of people) {
        const unit = p.unit?.name ?? ctx.t("org.noUnit");
        const boss = p.supervisor ? ctx.t("org.supervisedBy", { name: p.supervisor.name }) : "";
        groups.set(unit, [...(groups.get(unit) ?? []), `· ${p.name} #${p.id} — ${roleName(ctx, p.role)}${boss}`]);
      }
      const text = [...groups].map(([unit, lines]) => `${ctx.t("org.unitHeading", { unit, count: lines.length })}\n${lines.join("\n")}`);
      await ctx.reply(text.join("\n\n"));
    },
  });

  router.command({
    name: "units",
    aliases: ["单位", "部门"],
    audience: "roster",
    summary: "org.units.summary",
    usage: "org.units.usage",
    async run(ctx) {
      const [sub, name, parent] = words(ctx.args);
      if (sub) {
        if (!["add", "添加", "新增", "新建"].includes(sub.toLowerCase()) || !name) return usage(ctx);
        if (ctx.member!.role !== "admin") return void (await ctx.reply(ctx.t("router.forbidden", { who: roleName(ctx, "admin") })));
        const unit = await addUnit(app, ctx.member!, name, parent);
        return void (await ctx.reply(ctx.t("org.unitCreated", { name: unit.name })));
      }
      await ctx.reply(await unitTree(app, ctx));
    },
  });

  router.command({
    name: "lang",
    aliases: ["语言", "language"],
    audience: "roster",
    summary: "org.lang.summary",
    usage: "org.lang.usage",
    async run(ctx) {
      const locale = toLocale(ctx.args);
      if (!locale) return usage(ctx);
      await setLocale(app, ctx.member!, locale);
      await ctx.reply(t(locale, "lang.set")); // answered in the new language
    },
  });
}

/** Someone on the roster without a chat account, for the example in the next-step hint. */
async function unlinkedExample(app: App): Promise<string> {
  const p = await app.prisma.person.findFirst({ where: { active: true, identities: { none: {} } }, orderBy: { id: "asc" } });
  return p?.name ?? "";
}

/**
 * Tells the office's leaders and secretaries who the admin now is, and the entry's earlier accounts that
 * another account claimed it: /setup needs no code, so whoever could be impersonated hears of it.
 */
async function tellOfSetup(app: App, ctx: CommandContext, done: SetupDone): Promise<void> {
  const account = `${ctx.user.platform}:${ctx.user.name ?? ctx.user.id}`;
  const people = await app.prisma.person.findMany({ where: { id: { in: [done.person.id, ...done.toTell.map((p) => p.id)] } } });
  const localeOf = (id: number) => toLocale(people.find((p) => p.id === id)?.locale) ?? app.config.locale;
  const occasion = `setup-p${done.person.id}-${app.clock.now().getTime()}`;
  // The earlier accounts, each on its own platform (when that platform is running here): not the one that just claimed the entry.
  const earlier = await app.prisma.identity.findMany({ where: { id: { in: done.otherIdentityIds } } });
  await app.outbox.send([
    ...earlier.filter((i) => app.bot.has(i.platform as Platform)).map((i): Send => ({
      key: `${occasion}-account${i.id}`, to: { personId: done.person.id, identityId: i.id }, priority: "personal",
      message: { text: t(localeOf(done.person.id), "org.setupLinkedNotice", { name: done.person.name, account }) },
    })),
    ...done.toTell.map((p): Send => ({ key: `${occasion}-told-p${p.id}`, to: { personId: p.id }, message: { text: t(localeOf(p.id), "org.setupNotice", { name: done.person.name }) } })),
  ]);
}

/** Replies with the command's usage line (or `key`'s, where the text was not a command), after `reason` if given. */
export async function usage(ctx: Context & { command?: CommandContext["command"] }, key?: MessageKey, reason?: string): Promise<void> {
  const line = key ?? ctx.command?.usage ?? "help.usage";
  await ctx.reply(`${reason ? `${reason}\n` : ""}${ctx.t("router.usage")}\n${forPlatform(ctx.t(line), ctx.chat.platform)}`);
}

export function roleName(ctx: Context, role: Role): string {
  return ctx.t(`role.${role}` as MessageKey);
}

function words(args: string): string[] {
  return args.split(/\s+/).filter(Boolean);
}

/** "李明 member 党政办 王主任": name, then role (optional), unit, supervisor. */
function parseInvite(args: string): { name: string; role?: Role; unitName?: string; supervisorName?: string } | undefined {
  const [name, ...rest] = words(args);
  if (!name || rest.length > 3) return undefined;
  const role = rest[0] ? parseRole(rest[0]) : undefined;
  if (role) rest.shift();
  const [unitName, supervisorName] = rest;
  return { name, role, unitName, supervisorName };
}

async function knownUnits(app: App): Promise<string> {
  const units = await app.prisma.unit.findMany({ orderBy: { id: "asc" }, take: 30 });
  return units.map((u) => u.name).join("、") || "—";
}

async function unitTree(app: App, ctx: Context): Promise<string> {
  const units = await app.prisma.unit.findMany({ orderBy: { id: "asc" }, include: { _count: { select: { people: { where: { active: true } } } } } });
  if (units.length === 0) return ctx.t("org.noUnits");
  const lines: string[] = [];
  const walk = (parentId: number | null, depth: number) => {
    for (const u of units.filter((x) => x.parentId === parentId)) {
      lines.push(`${"  ".repeat(depth)}· ${u.name}（${ctx.t("org.headcount", { count: u._count.people })}）`);
      walk(u.id, depth + 1);
    }
  };
  walk(null, 0);
  return lines.join("\n");
}
