// General requests (申请: anything else that needs a decision) and the admin's /approvers, which shows and
// changes the approval chains of every kind.
import type { App } from "../../app.ts";
import type { Context } from "../../bot/router.ts";
import { personByName } from "../org/directory.ts";
import { usage } from "../org/org-commands.ts";
import { fileRequest } from "./approval.ts";
import { chainSettings, configuredApprovers, DEFAULT_CHAINS, updateChains } from "./chains.ts";
import { leaveApprovers } from "./leave-chain.ts";

const KIND_WORDS: Record<string, "seal" | "generic"> = { seal: "seal", 用印: "seal", generic: "generic", 申请: "generic", 一般: "generic", 其他: "generic" };
const RESET = new Set(["默认", "default", "reset"]);

export function registerGeneral(app: App): void {
  const { router } = app.bot;

  router.command({
    name: "apply",
    aliases: ["申请"],
    audience: "roster",
    summary: "general.summary",
    usage: "general.usage",
    async run(ctx) {
      const text = ctx.args.trim();
      if (!text) return usage(ctx);
      const configured = await configuredApprovers(app, "generic", ctx.member!.id);
      const approvers = configured.length ? configured : await leaveApprovers(app.prisma, ctx.member!.id, 0);
      const request = await fileRequest(app, ctx.member!, { kind: "generic", form: { text }, reason: text, approvers }, () => text);
      await ctx.reply(ctx.t("general.filed", { id: request.id, approver: request.steps[0]!.approver.name }));
    },
  });

  router.command({
    name: "approvers",
    aliases: ["审批流程", "审批人"],
    audience: ["admin"],
    summary: "chains.summary",
    usage: "chains.usage",
    async run(ctx) {
      const [first, ...rest] = ctx.args.split(/\s+/).filter(Boolean);
      const resetOnly = rest.length === 1 && RESET.has(rest[0]!.toLowerCase());
      if (first && RESET.has(first.toLowerCase()) && rest.length === 0) {
        // "审批流程 默认": every kind back to the built-in rule.
        await updateChains(app, ctx.member!.id, { ...DEFAULT_CHAINS });
        return void (await ctx.reply(await resetReply(app, ctx, ["leave", "seal", "generic"])));
      }
      if (first === "leave" || first === "请假") {
        if (resetOnly) {
          await updateChains(app, ctx.member!.id, { leaderAfterDays: DEFAULT_CHAINS.leaderAfterDays, principalAfterDays: DEFAULT_CHAINS.principalAfterDays });
          return void (await ctx.reply(await resetReply(app, ctx, ["leave"])));
        }
        const [leader, principal] = rest.map(Number);
        if (!Number.isFinite(leader) || !Number.isFinite(principal) || leader! < 0 || principal! < leader!) return usage(ctx);
        await updateChains(app, ctx.member!.id, { leaderAfterDays: leader!, principalAfterDays: principal! });
      } else if (first && KIND_WORDS[first.toLowerCase()]) {
        const kind = KIND_WORDS[first.toLowerCase()]!;
        if (rest.length === 0) return usage(ctx);
        if (resetOnly) {
          await updateChains(app, ctx.member!.id, { [kind]: [] });
          return void (await ctx.reply(await resetReply(app, ctx, [kind])));
        }
        const ids = await Promise.all(rest.map(async (name) => (await personByName(app.prisma, name)).id));
        await updateChains(app, ctx.member!.id, { [kind]: ids });
      } else if (first) return usage(ctx);
      await ctx.reply(await describeChains(app, ctx));
    },
  });
}

/** What each reset kind's chain is now, then all the chains. */
async function resetReply(app: App, ctx: Context, kinds: ("leave" | "seal" | "generic")[]): Promise<string> {
  const lines = kinds.map((kind) =>
    kind === "leave"
      ? ctx.t("chains.resetLeave", { leader: DEFAULT_CHAINS.leaderAfterDays, principal: DEFAULT_CHAINS.principalAfterDays })
      : ctx.t(kind === "seal" ? "chains.resetSeal" : "chains.resetGeneric"),
  );
  return [...lines, "", await describeChains(app, ctx)].join("\n");
}

async function describeChains(app: App, ctx: Context): Promise<string> {
  const s = await chainSettings(app);
  const people = await app.prisma.person.findMany({ where: { id: { in: [...s.seal, ...s.generic] } } });
  const names = (ids: number[]) => ids.map((id) => people.find((p) => p.id === id)?.name ?? `#${id}`).join(" → ");
  const seal = s.seal.length ? names(s.seal) : ctx.t("chains.sealDefault");
  const generic = s.generic.length ? names(s.generic) : ctx.t("chains.genericDefault");
  return ctx.t("chains.show", { leader: s.leaderAfterDays, principal: s.principalAfterDays, seal, generic });
}
