// /notice /meeting /document to compose (one line, or Relay asks for what is missing), a preview with a
// confirm button, then /ack (or the buttons), /status, /pending and /cancel.
import { parseRecordId } from "../../bot/record-id.ts";
import type { App } from "../../app.ts";
import { UserError } from "../../bot/errors.ts";
import type { MessageKey } from "../../bot/i18n/index.ts";
import { spokenTo, type ActionContext, type CommandContext, type Context } from "../../bot/router.ts";
import { formatLocal } from "../../bot/time-parse.ts";
import type { Circular, CircularDraft, CircularKind } from "../../generated/prisma/client.ts";
import { usage } from "../org/org-commands.ts";
import { onLeave } from "../requests/on-leave.ts";
import { describeAudience } from "./audience.ts";
import { chaseNow, registerChasing } from "./chasing.ts";
import { parseCompose, type Part } from "./compose.ts";
import {
  REFRESH_COUNTER, REISSUE, cancelCircular, circularStatus, editCircular, enqueuePending, pendingFor, publishDraft,
  refreshPosts, registerCopies, reissue, respond, type Responded,
} from "./circular-service.ts";
import { answerDraft, discardDraft, draftOf, partAtFault, reaskDraft, recheckGiven, resolveDraft, startDraft } from "./drafts.ts";
import { isEverydayAck, isLeadingResponseWord, isResponseWord, kindsFor, parseResponse, responseLabel, RESPONSES, serialLabel } from "./circular-text.ts";

const PUBLISHERS = ["admin", "leader", "secretary"] as const;
const CANCEL_WORDS = new Set(["取消", "算了", "不发了", "cancel", "stop"]);

export function registerCirculars(app: App): void {
  const { router } = app.bot;

  const compose = (kind: CircularKind, name: string, aliases: string[]) =>
    router.command({
      name,
      aliases,
      audience: PUBLISHERS,
      summary: `circular.${kind}.summary` as MessageKey,
      usage: `circular.${kind}.usage` as MessageKey,
      async run(ctx) {
        const fields = parseCompose(ctx.args);
        // The command alone starts the conversation: Relay asks for the title, the text and the rest.
        if (!ctx.args.trim()) fields.guided = true;
        const draft = await startDraft(app, ctx.member!, kind, fields, ctx.chat);
        await nextStep(app, ctx, draft);
      },
    });
  compose("notice", "notice", ["通知", "发通知", "发布通知"]);
  compose("meeting", "meeting", ["会议", "会议通知", "开会", "发会议通知"]);
  // Not 签阅: that is what recipients reply ("回复 12 签阅"), not a way to start a document.
  compose("document", "document", ["传阅", "传阅件"]);

  // While a draft is asking a question, the next plain message answers it, even one that starts with a
  // command word; "取消" drops it, at the preview too.
  const answerDraftText = async (ctx: Context, text: string): Promise<boolean> => {
    const draft = await draftOf(app, ctx.member!);
    if (!draft) return false;
    if (CANCEL_WORDS.has(text.trim().toLowerCase())) {
      await discardDraft(app, ctx.member!);
      await ctx.reply(ctx.t("circular.discarded"));
      return true;
    }
    if (!draft.asking) return false;
    let next;
    try {
      next = await answerDraft(app, draft, text, ctx.chat);
    } catch (error) {
      // Checked as it is given: say why, and ask the same question again.
      if (!(error instanceof UserError)) throw error;
      await ctx.reply(`${ctx.t(error.key, error.params)}\n${ctx.t(`circular.ask.${draft.asking as Part}` as MessageKey)}`);
      return true;
    }
    await nextStep(app, ctx, next);
    return true;
  };
  router.onAnswer(answerDraftText);
  // Unaddressed text in a group (where privacy mode is off) still answers its author's draft, after commands.
  router.onText(answerDraftText);

  router.action({
    action: "circular.publish",
    audience: PUBLISHERS,
    async run(ctx) {
      const { circular, recipients } = await publishDraft(app, ctx.member!, ctx.recordId(), ctx.chat);
      await closeButtons(app, ctx);
      await ctx.reply(ctx.t("circular.published", { serial: serialLabel(circular, ctx.locale), id: circular.id, count: recipients }));
    },
  });

  router.action({
    action: "circular.discard",
    audience: "roster",
    async run(ctx) {
      // Only the draft this preview shows: an older preview's 取消 must not drop a newer draft.
      const current = await draftOf(app, ctx.member!);
      if (current && current.id !== ctx.recordId()) return ctx.answer(ctx.t("circular.staleDraft"));
      await discardDraft(app, ctx.member!, ctx.recordId());
      await closeButtons(app, ctx);
      await ctx.reply(ctx.t("circular.discarded"));
    },
  });

  // One action per response; the value is the circular id. Refusals come back as toasts.
  for (const response of new Set(Object.values(RESPONSES).flat())) {
    router.action({
      action: `circular.${response}`,
      audience: "roster",
      async run(ctx) {
        const id = ctx.recordId();
        // Declining needs a reason (the author plans around it): ask for it rather than record a bare 不参加.
        if (response === "decline") return ctx.answer(ctx.t("circular.declineReason", { id }));
        const text = recordedText(ctx, await respond(app, ctx.member!, id, response));
        if (ctx.chat.kind === "group") await ctx.answer(text);
        else await ctx.reply(text);
      },
    });
  }

  router.command({
    name: "ack",
    aliases: ["回复", "确认", "回执"],
    audience: "roster",
    summary: "circular.ack.summary",
    usage: "circular.ack.usage",
    run: (ctx) => answer(ctx, ctx.args.split(/\s+/).filter(Boolean)),
  });

  // A reply as people write it, in a direct chat or to the bot: "收到", "不参加 1 在县里开会", "签阅 3",
  // "decline 14 at the county office"; and, where a notice waits for one, everyday words ("好的，收到", "ok").
  router.onText(async (ctx, text) => {
    if (!spokenTo(ctx.inbound)) return false;
    const [word = "", next, ...rest] = text.trim().split(/\s+/);
    if (isLeadingResponseWord(word)) {
      await answer(ctx, /^#?\d+$/.test(next ?? "") ? [next!, word, ...rest] : [word, ...(next ? [next] : []), ...rest]);
      return true;
    }
    if (!isEverydayAck(text)) return false;
    const open = await openReceipts(ctx.member!.id, ["notice"]);
    if (open.length === 0) return false; // "ok" with nothing to acknowledge is just conversation
    await record(ctx, open[0]!.circular, "ack", "", true);
    return true;
  });

  /**
   * "12 收到 说明" answers circular 12. Without a number ("收到", "不参加 有会", "签阅") the newest open item
   * of the kind that word answers; when there is none, or the word fits several open kinds, Relay says so
   * and records nothing.
   */
  async function answer(ctx: Context, words: string[]): Promise<void> {
    const id = parseRecordId(words[0] ?? "");
    if (id === undefined && words.length > 0 && !isResponseWord(words[0])) return usage(ctx, "circular.ack.usage");
    if (id !== undefined) {
      words.shift();
      const circular = await app.prisma.circular.findUnique({ where: { id } });
      if (!circular) return void (await ctx.reply(ctx.t("circular.notFound", { id })));
      return answerCircular(ctx, circular, words);
    }
    const kinds = kindsFor(words[0]);
    const open = await openReceipts(ctx.member!.id, kinds);
    if (open.length === 0) return void (await ctx.reply(await nothingOfKind(ctx, words[0], kinds)));
    // "已阅" with a notice and a document both open could mean either: ask, naming both.
    const openKinds = new Set(open.map((r) => r.circular.kind));
    if (words[0] && openKinds.size > 1) return void (await ctx.reply(`${ctx.t("circular.whichOne")}\n${pendingLines(ctx, open)}`));
    return answerCircular(ctx, open[0]!.circular, words, true);
  }

  /** Records `words` ("不参加 在县里开会", "委派 李明", "签阅 同意", "已安排专人") as the answer to `circular`. */
  async function answerCircular(ctx: Context, circular: Circular, words: string[], unnumbered = false): Promise<void> {
    const [word, ...rest] = words;
    let response = parseResponse(circular.kind, word);
    let comment = rest.join(" ");
    if (!response && isResponseWord(word)) {
      const expected = new Intl.ListFormat(ctx.locale, { type: "disjunction" }).format(RESPONSES[circular.kind].map((r) => responseLabel(r, ctx.locale)));
      return void (await ctx.reply(ctx.t("circular.wrongResponse", { serial: serialLabel(circular, ctx.locale), id: circular.id, word: word!, expected })));
    }
    // A meeting needs an answer (参加 / 不参加 / 委派): free text is not taken as attending.
    if (!response && circular.kind === "meeting") return usage(ctx, "circular.ack.usage");
    if (!response) {
      // "/ack 12 已安排专人负责": no response word, so it is the kind's one response with a comment.
      response = RESPONSES[circular.kind][0]!;
      comment = words.join(" ");
    }
    if (response === "decline" && !comment) return void (await ctx.reply(ctx.t("circular.declineReason", { id: circular.id })));
    let delegate: string | undefined;
    if (response === "delegate") {
      const named = await delegateIn(rest);
      if (!named) return void (await ctx.reply(ctx.t("circular.delegateWho")));
      ({ name: delegate, comment } = named);
    }
    await record(ctx, circular, response, comment, unnumbered, delegate);
  }

  /** Records the answer; an answer given without a number also says what else still waits, so none is forgotten. */
  async function record(ctx: Context, circular: Circular, response: string, comment: string, unnumbered: boolean, delegate?: string): Promise<void> {
    const result = await respond(app, ctx.member!, circular.id, response, comment, delegate);
    const text = recordedText(ctx, result);
    const others = unnumbered ? await app.prisma.receipt.count({ where: { personId: ctx.member!.id, respondedAt: null, circular: { status: "published" } } }) : 0;
    await ctx.reply(others > 0 ? `${text}\n${ctx.t("circular.morePending", { count: others })}` : text);
  }

  /** "李明 他熟悉情况", "to Li Ming", "给 李明": the roster name (the longest that is one) and the rest as a comment. */
  async function delegateIn(words: string[]): Promise<{ name: string; comment: string } | undefined> {
    const rest = /^(to|给|由)$/i.test(words[0] ?? "") ? words.slice(1) : words;
    for (let n = rest.length; n > 1; n--) {
      const name = rest.slice(0, n).join(" ");
      if (await app.prisma.person.count({ where: { name, active: true } })) return { name, comment: rest.slice(n).join(" ") };
    }
    // One word: respond() looks it up and says clearly when nobody (or several people) has that name.
    return rest[0] ? { name: rest[0], comment: rest.slice(1).join(" ") } : undefined;
  }

  /** This person's unanswered receipts of published circulars of `kinds`, newest first. */
  function openReceipts(personId: number, kinds: CircularKind[]) {
    return app.prisma.receipt.findMany({
      where: { personId, respondedAt: null, circular: { status: "published", kind: { in: kinds } } },
      include: { circular: true },
      orderBy: { circularId: "desc" },
      take: 10,
    });
  }

  /** Nothing of the kind the word answers is open: say so, and name what is open instead, if anything. */
  async function nothingOfKind(ctx: Context, word: string | undefined, kinds: CircularKind[]): Promise<string> {
    const other = await openReceipts(ctx.member!.id, ["notice", "meeting", "document"]);
    if (!word || other.length === 0) return ctx.t("circular.nothingPending");
    const what = kinds.map((k) => ctx.t(`circular.kind.${k}`)).join(ctx.t("list.or"));
    return `${ctx.t("circular.nothingOfKind", { word, what })}\n${pendingLines(ctx, other)}`;
  }

  /** "#3 通知〔2026〕2号 标题 — 回复 3 收到" for each open item. */
  function pendingLines(ctx: Context, receipts: { circular: Circular }[]): string {
    return receipts
      .map(({ circular: c }) => ctx.t("circular.pendingLine", { id: c.id, serial: serialLabel(c, ctx.locale), title: c.title, response: responseLabel(RESPONSES[c.kind][0]!, ctx.locale) }))
      .join("\n");
  }

  router.command({
    name: "status",
    aliases: ["状态", "回执情况", "进度", "谁没回复", "查看回执", "查看通知"],
    audience: "roster",
    usefulTo: PUBLISHERS, // authors, leaders and admins: the check is per circular
    summary: "circular.status.summary",
    usage: "circular.status.usage",
    async run(ctx) {
      const id = idArg(ctx);
      if (!id) return usage(ctx);
      await ctx.reply(await statusText(app, ctx, id));
    },
  });

  router.command({
    name: "pending",
    aliases: ["待办", "待回复", "我的待办"],
    audience: "roster",
    summary: "circular.pending.summary",
    usage: "circular.pending.usage",
    async run(ctx) {
      const receipts = await pendingFor(app, ctx.member!);
      if (receipts.length === 0) return void (await ctx.reply(ctx.t("circular.nothingPending")));
      const lines = receipts.map(({ circular: c }) => {
        const due = c.deadline ? ctx.t("circular.dueShort", { when: formatLocal(c.deadline, app.config.timeZone, ctx.locale, app.clock.now()) }) : "";
        return `#${c.id} ${serialLabel(c, ctx.locale)} ${c.title}${due}`;
      });
      const buttons = receipts.slice(0, 10).map(({ circular: c }) => [
        { label: `${responseLabel(RESPONSES[c.kind][0]!, ctx.locale)} #${c.id}`, action: `circular.${RESPONSES[c.kind][0]}`, value: String(c.id) },
      ]);
      await ctx.reply({ text: `${ctx.t("circular.pendingHeading", { count: receipts.length })}\n${lines.join("\n")}`, buttons });
    },
  });

  router.command({
    name: "cancel",
    aliases: ["撤回", "撤销", "撤回通知"],
    audience: PUBLISHERS,
    summary: "circular.cancel.summary",
    usage: "circular.cancel.usage",
    async run(ctx) {
      const id = idArg(ctx);
      // "cancel" / "撤销" alone while composing drops the draft (English "cancel" is this command's name).
      if (!ctx.args.trim() && (await discardDraft(app, ctx.member!))) return void (await ctx.reply(ctx.t("circular.discarded")));
      if (!id) return usage(ctx);
      const c = await cancelCircular(app, ctx.member!, id);
      await ctx.reply(ctx.t("circular.cancelled", { serial: serialLabel(c, ctx.locale), id }));
    },
  });

  router.command({
    name: "edit",
    aliases: ["修改", "更正"],
    audience: PUBLISHERS,
    summary: "circular.edit.summary",
    usage: "circular.edit.usage",
    async run(ctx) {
      const [idText = "", ...rest] = ctx.args.split(/\s+/);
      const id = parseRecordId(idText);
      const fields = parseCompose(rest.join(" "));
      // Edits name every part; text before any keyword is only a new title when it says so ("标题 …").
      if (fields.title !== undefined) {
        const title = /^(标题|--title)\s+(.+)$/s.exec(fields.title);
        if (!title) return usage(ctx);
        fields.title = title[2]!.trim();
      }
      if (id === undefined || rest.length === 0) return usage(ctx);
      const { circular, changed } = await editCircular(app, ctx.member!, id, fields);
      const parts = changed.map((k) => ctx.t(`circular.part.${k}` as MessageKey)).join(ctx.t("list.sep"));
      await ctx.reply(ctx.t("circular.edited", { serial: serialLabel(circular, ctx.locale), id, parts }));
    },
  });

  router.command({
    name: "chase",
    aliases: ["催办", "催一下", "催促", "remind_missing", "remind-missing"], // Telegram commands cannot contain "-"
    audience: PUBLISHERS,
    summary: "circular.chase.summary",
    usage: "circular.chase.usage",
    async run(ctx) {
      const id = idArg(ctx);
      if (!id) return usage(ctx);
      const circular = await app.prisma.circular.findUnique({ where: { id } });
      if (!circular) return void (await ctx.reply(ctx.t("circular.notFound", { id })));
      if (circular.authorId !== ctx.member!.id && ctx.member!.role !== "admin") return void (await ctx.reply(ctx.t("circular.onlyAuthorChase")));
      if (circular.status !== "published") return void (await ctx.reply(ctx.t("circular.isCancelled", { id })));
      const { at, people, already } = await chaseNow(app, circular);
      if (people === 0 && already > 0) return void (await ctx.reply(ctx.t("circular.chasedJustNow", { count: already })));
      if (people === 0) return void (await ctx.reply(ctx.t("circular.nobodyMissing")));
      const now = app.clock.now();
      await ctx.reply(
        at.getTime() - now.getTime() < 60_000
          ? ctx.t("circular.chasingNow", { count: people })
          : ctx.t("circular.chasingLater", { count: people, when: formatLocal(at, app.config.timeZone, ctx.locale, now) }),
      );
    },
  });

  registerChasing(app);
  registerCopies(app);
  app.scheduler.reconcileWith(() => enqueuePending(app));
  app.scheduler.handle(REISSUE, ({ circularId, announce }) => reissue(app, Number(circularId), String(announce ?? "").split(",").filter(Boolean)));
  // The job's id names its counter window ("counter-12-w5891"): one edit per post per window.
  app.scheduler.handle(REFRESH_COUNTER, async ({ circularId }, job) => {
    const circular = await app.prisma.circular.findUnique({ where: { id: Number(circularId) } });
    if (circular) await refreshPosts(app, circular, job.id.replace(/^counter-\d+-/, ""));
  });
}

/** "已记录：收到（…）", "已更新为：不参加（…）", or, pressed again, "你已回复过：收到（…）". */
function recordedText(ctx: Context, r: Responded): string {
  const key = r.first ? "circular.recorded" : r.unchanged ? "circular.unchanged" : "circular.updated";
  return ctx.t(key, { response: responseLabel(r.response, ctx.locale), serial: serialLabel(r.circular, ctx.locale) });
}

function idArg(ctx: CommandContext): number | undefined {
  return parseRecordId(ctx.args);
}

/** Asks for the next missing part, or shows the preview with the confirm button. */
async function nextStep(app: App, ctx: Context, draft: CircularDraft): Promise<void> {
  if (draft.asking) {
    // What was given already is checked before asking for more, so nothing wrong waits until the end.
    const checked = await recheckGiven(app, draft, ctx.chat);
    const ask = ctx.t(`circular.ask.${checked.draft.asking as Part}` as MessageKey);
    return void (await ctx.reply(checked.error ? `${ctx.t(checked.error.key, checked.error.params)}\n${ask}` : ask));
  }
  let r;
  try {
    r = await resolveDraft(app, draft, ctx.chat);
  } catch (error) {
    // A time or a name that cannot be used: say why and ask for that part again, keeping the rest.
    const part = error instanceof UserError ? partAtFault(error) : undefined;
    if (!part) throw error;
    await reaskDraft(app, draft, part);
    const e = error as UserError;
    return void (await ctx.reply(`${ctx.t(e.key, e.params)}
${ctx.t(`circular.ask.${part}` as MessageKey)}`));
  }
  const when = (d: Date) => formatLocal(d, app.config.timeZone, ctx.locale, app.clock.now());
  const lines = [ctx.t("circular.preview", { kind: ctx.t(`circular.kind.${r.kind}`) }), ctx.t("circular.previewTitle", { title: r.title })];
  if (r.body) lines.push(ctx.t("circular.previewBody", { body: r.body }));
  if (r.startsAt) lines.push(ctx.t("circular.startsAt", { when: when(r.startsAt) }));
  if (r.place) lines.push(ctx.t("circular.place", { place: r.place }));
  if (r.attachment) lines.push(ctx.t("circular.attachment", { attachment: r.attachment }));
  lines.push(ctx.t("circular.previewTo", { to: await describeAudience(app.prisma, r.audience, ctx.t("circular.everyone")), count: r.recipients }));
  lines.push(r.deadline ? ctx.t("circular.deadline", { when: when(r.deadline) }) : ctx.t("circular.noDeadline"));
  // Replies due after the meeting has begun are of no use for planning it: publishable, but say so.
  if (r.kind === "meeting" && r.deadline && r.startsAt && r.deadline > r.startsAt) lines.push(ctx.t("circular.deadlineAfterStart"));
  if (r.chasePolicy) lines.push(r.chasePolicy.maxChases === 0 ? ctx.t("circular.noChase") : ctx.t("circular.chaseTimes", { count: r.chasePolicy.maxChases }));
  await ctx.reply({
    text: lines.join("\n"),
    buttons: [[
      { label: ctx.t("circular.publishButton"), action: "circular.publish", value: String(draft.id) },
      { label: ctx.t("circular.discardButton"), action: "circular.discard", value: String(draft.id) },
    ]],
  });
}

/** Counts, then who has responded and who has not, by unit. */
async function statusText(app: App, ctx: Context, id: number): Promise<string> {
  const { circular, receipts } = await circularStatus(app, ctx.member!, id);
  const done = receipts.filter((r) => r.respondedAt);
  const lines = [ctx.t("circular.statusTitle", { serial: serialLabel(circular, ctx.locale), id: circular.id, title: circular.title })];
  lines.push(ctx.t("circular.statusCounts", { done: done.length, total: receipts.length }));
  if (circular.status === "cancelled") lines.push(ctx.t("circular.cancelledMark"));
  const byUnit = (list: typeof receipts, show: (r: (typeof receipts)[number]) => string) => {
    const groups = new Map<string, string[]>();
    for (const r of list) {
      const unit = r.person.unit?.name ?? ctx.t("org.noUnit");
      groups.set(unit, [...(groups.get(unit) ?? []), show(r)]);
    }
    return [...groups].map(([unit, names]) => ctx.t("circular.statusUnit", { unit, names: names.join(ctx.t("list.sep")) }));
  };
  if (done.length) {
    lines.push(ctx.t("circular.statusDone"));
    lines.push(...byUnit(done, (r) => {
      const label = `${responseLabel(r.response!, ctx.locale)}${r.delegate ? ` ${r.delegate.name}` : ""}`;
      const answer = RESPONSES[circular.kind].length > 1 || r.response !== RESPONSES[circular.kind][0] ? ctx.t("circular.statusAnswer", { answer: label }) : "";
      return `${r.person.name}${answer}${r.comment ? ctx.t("circular.statusComment", { comment: r.comment }) : ""}`;
    }));
  }
  const missing = receipts.filter((r) => !r.respondedAt);
  if (missing.length) {
    const away = await onLeave(app.prisma, missing.map((r) => r.personId), app.clock.now());
    lines.push(ctx.t("circular.statusMissing"));
    lines.push(
      ...byUnit(missing, (r) => `${r.person.name}${away.has(r.personId) ? ctx.t("circular.note.onLeave") : ""}${deliveryNote(ctx, r.delivery, r.person.identities)}`),
    );
  }
  return lines.join("\n");
}

function deliveryNote(ctx: Context, delivery: string, identities: { unreachableAt: Date | null }[]): string {
  // Imported without a chat account: nothing can reach them until they join with an invite code.
  if (identities.length === 0 && delivery === "pending") return ctx.t("circular.note.noAccount");
  if (identities.some((i) => i.unreachableAt) || delivery === "unreachable") return ctx.t("circular.note.unreachable");
  if (delivery === "failed") return ctx.t("circular.note.failed");
  if (delivery === "uncertain") return ctx.t("circular.note.uncertain");
  if (delivery === "pending") return ctx.t("circular.note.pending");
  return "";
}

/** The preview's buttons go once pressed, so it cannot be published twice. */
async function closeButtons(app: App, ctx: ActionContext): Promise<void> {
  await ctx.update({ text: ctx.t("circular.previewClosed") });
}
