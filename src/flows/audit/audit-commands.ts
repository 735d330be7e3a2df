// /audit (审计): an admin reads the recent audit trail of a circular, a request or a person, oldest first as a
// log reads, in the office's time zone, with a check of those events against the hash chain.
import type { App } from "../../app.ts";
import type { CommandContext } from "../../bot/router.ts";
import { formatLocal } from "../../bot/time-parse.ts";
import { checkEvents } from "../../db/audit-verify.ts";
import type { Prisma } from "../../generated/prisma/client.ts";
import { serialLabel } from "../circulars/circular-text.ts";
import { personByName } from "../org/directory.ts";
import { usage } from "../org/org-commands.ts";
import { peopleIn, whatHappened, whyBroken } from "./audit-words.ts";

/** How many events /audit shows: the most recent. */
const SHOWN = 20;

const CIRCULAR_WORDS = new Set(["circular", "notice", "meeting", "document", "通知", "文件", "会议", "传阅", "传阅件", "公文"]);
const REQUEST_WORDS = new Set(["request", "leave", "seal", "申请", "请假", "用印", "审批"]);
const PERSON_WORDS = new Set(["person", "人员", "人"]);

type Subject = { kind: "circular"; id: number } | { kind: "request"; id: number } | { kind: "person"; name: string };

/** A subject's events: its title, which events are its, and whether they span records (a person's do). */
interface Trail {
  title: string;
  where: Prisma.AuditEventWhereInput;
  spansRecords: boolean;
}

/** "通知 12", "request 5", "person 王芳", "王芳"; a bare number says no kind, so it is not a subject. */
export function parseSubject(args: string): Subject | undefined {
  const [first = "", ...rest] = args.trim().split(/\s+/).filter(Boolean);
  const kind = first.toLowerCase();
  if (CIRCULAR_WORDS.has(kind) || REQUEST_WORDS.has(kind)) {
    if (rest.length !== 1 || !/^#?\d+$/.test(rest[0]!)) return undefined;
    const id = Number(rest[0]!.replace(/^#/, ""));
    return CIRCULAR_WORDS.has(kind) ? { kind: "circular", id } : { kind: "request", id };
  }
  if (PERSON_WORDS.has(kind)) return rest.length ? { kind: "person", name: rest.join(" ") } : undefined;
  if (!first || /^#?\d+$/.test(first)) return undefined;
  return { kind: "person", name: [first, ...rest].join(" ") };
}

export function registerAudit(app: App): void {
  app.bot.router.command({
    name: "audit",
    aliases: ["审计", "审计记录", "操作记录", "日志"],
    audience: ["admin"],
    summary: "audit.summary",
    usage: "audit.usage",
    async run(ctx) {
      const subject = parseSubject(ctx.args);
      if (!subject) return usage(ctx);
      const found = await trailOf(app, ctx, subject);
      if (found) await ctx.reply(await describeTrail(app, ctx, found));
    },
  });
}

/** The subject's trail; replies, and returns nothing, when there is no such record. */
async function trailOf(app: App, ctx: CommandContext, subject: Subject): Promise<Trail | undefined> {
  if (subject.kind === "circular") {
    const { id } = subject;
    const circular = await app.prisma.circular.findUnique({ where: { id } });
    if (!circular) return void (await ctx.reply(ctx.t("circular.notFound", { id })));
    return {
      title: ctx.t("audit.subject.circular", { serial: serialLabel(circular, ctx.locale), id, title: circular.title }),
      where: { entity: "Circular", entityId: String(id) },
      spansRecords: false,
    };
  }
  if (subject.kind === "request") {
    const { id } = subject;
    const request = await app.prisma.request.findUnique({ where: { id }, include: { requester: true } });
    if (!request) return void (await ctx.reply(ctx.t("request.notFound", { id })));
    return {
      title: ctx.t("audit.subject.request", { id, requester: request.requester.name }),
      // Its seal register entry is recorded against the entry, which names the request.
      where: { OR: [{ entity: "Request", entityId: String(id) }, { action: "seal.register", data: { path: ["requestId"], equals: id } }] },
      spansRecords: false,
    };
  }
  const person = await personByName(app.prisma, subject.name);
  return {
    title: ctx.t("audit.subject.person", { name: person.name, id: person.id }),
    // What they did, and what was done to their roster entry.
    where: { OR: [{ actorId: person.id }, { entity: "Person", entityId: String(person.id) }] },
    spansRecords: true,
  };
}

async function describeTrail(app: App, ctx: CommandContext, { title: subject, where, spansRecords }: Trail): Promise<string> {
  const [total, newest] = await Promise.all([
    app.prisma.auditEvent.count({ where }),
    app.prisma.auditEvent.findMany({ where, orderBy: { id: "desc" }, take: SHOWN }),
  ]);
  if (total === 0) return ctx.t("audit.none", { subject });
  const events = newest.reverse();
  const people = await app.prisma.person.findMany({ where: { id: { in: [...new Set(events.flatMap(peopleIn))] } }, select: { id: true, name: true } });
  const names = new Map(people.map((p) => [p.id, p.name]));
  const nameOf = (id: number) => names.get(id) ?? `#${id}`;
  const when = (at: Date) => formatLocal(at, app.config.timeZone, ctx.locale, app.clock.now());
  const lines = events.map((e) => {
    // A person's trail spans records: each line says which circular or request it was about.
    const about = spansRecords && (e.entity === "Circular" || e.entity === "Request") ? ctx.t(`audit.about.${e.entity}`, { id: e.entityId ?? "" }) : "";
    const who = e.actorId === null ? ctx.t("audit.relay") : nameOf(e.actorId);
    return ctx.t("audit.line", { when: when(e.at), who, what: whatHappened(e, ctx.locale, nameOf) + about });
  });
  const broken = await checkEvents(app.prisma, events);
  const verdict = broken ? ctx.t("audit.chainBroken", { id: broken.event.id, when: when(broken.event.at), why: whyBroken(broken, ctx.locale) }) : ctx.t("audit.chainHolds");
  const heading = total > events.length ? ctx.t("audit.headingRecent", { subject, shown: events.length, total }) : ctx.t("audit.heading", { subject, total });
  return [heading, ...lines, verdict].join("\n");
}
