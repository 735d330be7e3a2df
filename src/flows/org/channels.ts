// Group chats: Relay learns a group when it is added, and an admin or secretary binds it to a unit
// ("/bind 党政办" in the group), so notices to that unit can also go to its group.
import type { App } from "../../app.ts";
import type { Context } from "../../bot/router.ts";
import { officeStaff } from "../../bot/roles.ts";
import { audit } from "../../db/audit.ts";
import type { Channel } from "../../generated/prisma/client.ts";
import { unitByName } from "./directory.ts";
import { usage } from "./org-commands.ts";

export function registerChannels(app: App): void {
  const { router } = app.bot;

  router.onMembership(async (ctx, joined) => {
    const channel = await recordChannel(app, ctx, joined);
    if (joined) await ctx.reply(ctx.t(channel.unitId ? "channel.welcomeBack" : "channel.welcome"));
  });

  router.command({
    name: "bind",
    aliases: ["绑定"],
    audience: officeStaff,
    summary: "channel.bind.summary",
    usage: "channel.bind.usage",
    async run(ctx) {
      if (ctx.chat.kind !== "group") return void (await ctx.reply(ctx.t("channel.onlyInGroup")));
      if (!ctx.args) return usage(ctx);
      const unit = await unitByName(app.prisma, ctx.args);
      if (!unit) {
        const known = (await app.prisma.unit.findMany({ orderBy: { id: "asc" }, take: 30 })).map((u) => u.name).join("、") || "—";
        return void (await ctx.reply(ctx.t("org.noSuchUnit", { name: ctx.args, known })));
      }
      const channel = await recordChannel(app, ctx, true);
      await app.prisma.$transaction(async (tx) => {
        await tx.channel.update({ where: { id: channel.id }, data: { unitId: unit.id } });
        await audit(tx, { actorId: ctx.member!.id, action: "channel.bind", entity: "Channel", entityId: channel.id, data: { unit: unit.name, from: channel.unitId } });
      });
      await ctx.reply(ctx.t("channel.bound", { unit: unit.name }));
    },
  });
}

/** Creates or updates the Channel row for the group `ctx` happens in. */
async function recordChannel(app: App, ctx: Context, active: boolean): Promise<Channel> {
  const { platform, id, title } = ctx.chat;
  return app.prisma.$transaction(async (tx) => {
    const before = await tx.channel.findUnique({ where: { platform_externalId: { platform, externalId: id } } });
    const channel = await tx.channel.upsert({
      where: { platform_externalId: { platform, externalId: id } },
      create: { platform, externalId: id, title, active },
      update: { title, active },
    });
    if (!before || before.active !== active) {
      await audit(tx, { actorId: ctx.member?.id ?? null, action: active ? "channel.join" : "channel.leave", entity: "Channel", entityId: channel.id, data: { title: title ?? null } });
    }
    return channel;
  });
}
