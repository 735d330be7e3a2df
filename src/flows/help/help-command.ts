// /help (帮助): what this person may do, in their language; "/help remind" explains one command, and says
// who may use it when this person may not.
import type { App } from "../../app.ts";
import { forPlatform } from "../../bot/command-syntax.ts";
import { commandTitle, didYouMean, rolesText, type CommandSpec, type Context } from "../../bot/router.ts";
import { setupOpen } from "../org/org-service.ts";

export function registerHelp(app: App): void {
  const { router } = app.bot;
  router.command({
    name: "help",
    aliases: ["帮助", "help?", "?", "？"],
    audience: "anyone",
    summary: "help.summary",
    usage: "help.usage",
    async run(ctx) {
      const open = await setupOpen(app.prisma);
      if (ctx.args) {
        const typed = ctx.args.split(/\s+/)[0]!;
        const spec = router.findCommand(typed);
        if (!spec) {
          const near = router.nearestCommand(typed);
          return void (await ctx.reply(near ? didYouMean(ctx, typed, near) : ctx.t("router.unknownCommand", { name: typed })));
        }
        const lines = [`${commandTitle(ctx, spec)} — ${ctx.t(spec.summary)}`, forPlatform(ctx.t(spec.usage), ctx.chat.platform)];
        const refusal = whyNot(ctx, spec, open);
        if (refusal) lines.push(refusal);
        return void (await ctx.reply(lines.join("\n")));
      }
      const mine = router.list().filter((spec) => !spec.hidden && whyNot(ctx, spec, open) === undefined);
      const heading = ctx.member ? ctx.t("help.heading", { role: ctx.t(`role.${ctx.member.role}`) }) : ctx.t("help.guestHeading");
      const lines = mine.map((spec) => `${commandTitle(ctx, spec)} — ${ctx.t(spec.summary)}`);
      const footer = [ctx.t(ctx.chat.platform === "slack" ? "help.footerSlack" : "help.footer")];
      if (!ctx.member) footer.unshift(ctx.t(open ? "help.guestSetup" : "help.guestJoin"));
      await ctx.reply([heading, ...lines, "", ...footer].join("\n"));
    },
  });
}

/** Why this person cannot use `spec` now, in words; undefined when they can. `open`: /setup is still open. */
function whyNot(ctx: Context, spec: CommandSpec, open: boolean): string | undefined {
  // Joining is for people not on the roster; setting up only while no admin can act, for anyone.
  if (spec.name === "join" || spec.name === "start") return ctx.member ? ctx.t("org.alreadyJoined") : undefined;
  if (spec.name === "setup") return open ? undefined : ctx.t("help.setupClosed");
  if (spec.audience === "anyone") return undefined;
  if (!ctx.member) return ctx.t("help.rosterOnly");
  const roles = spec.audience === "roster" ? spec.usefulTo : spec.audience.filter((r) => !spec.usefulTo || spec.usefulTo.includes(r));
  if (!roles || roles.includes(ctx.member.role)) return undefined;
  return ctx.t("help.onlyFor", { who: rolesText(ctx, roles) });
}
