// /help (帮助): what this person may do, in their language; "/help remind" explains one command.
import type { App } from "../../app.ts";
import { forPlatform, slash } from "../../bot/command-syntax.ts";
import type { Context } from "../../bot/router.ts";
import type { CommandSpec } from "../../bot/router.ts";

export function registerHelp(app: App): void {
  const { router } = app.bot;
  router.command({
    name: "help",
    aliases: ["帮助", "help?", "?", "？"],
    audience: "anyone",
    summary: "help.summary",
    usage: "help.usage",
    async run(ctx) {
      if (ctx.args) {
        const spec = router.findCommand(ctx.args.split(/\s+/)[0]!);
        if (!spec) return void (await ctx.reply(ctx.t("router.unknownCommand", { name: ctx.args })));
        return void (await ctx.reply(`${title(ctx, spec)} — ${ctx.t(spec.summary)}\n${forPlatform(ctx.t(spec.usage), ctx.chat.platform)}`));
      }
      const mine = router.list().filter((spec) => mayUse(ctx, spec));
      const heading = ctx.member ? ctx.t("help.heading", { role: ctx.t(`role.${ctx.member.role}`) }) : ctx.t("help.guestHeading");
      const lines = mine.map((spec) => `${title(ctx, spec)} — ${ctx.t(spec.summary)}`);
      await ctx.reply([heading, ...lines, "", ctx.t(ctx.chat.platform === "slack" ? "help.footerSlack" : "help.footer")].join("\n"));
    },
  });
}

/**
 * "提醒 (/remind)" for Chinese readers, "/remind (提醒)" for English ones. On Slack a command is typed as
 * "/relay remind": Slack keeps "/remind", "/leave" and others for itself.
 */
function title(ctx: Context, spec: CommandSpec): string {
  const typed = slash(ctx.chat.platform, spec.name);
  const zh = spec.aliases.find((a) => /[\u4e00-\u9fff]/.test(a));
  if (!zh) return typed;
  return ctx.locale === "en" ? `${typed} (${zh})` : `${zh} (${typed})`;
}

function mayUse(ctx: Context, spec: CommandSpec): boolean {
  if (spec.audience === "anyone") return !ctx.member || !["setup", "join"].includes(spec.name);
  if (!ctx.member) return false;
  return spec.audience === "roster" || spec.audience.includes(ctx.member.role);
}
