// The outbox: every message that is not the immediate answer to what a person just did — first copies,
// chases, escalations, approval asks and outcomes, reminders, counter edits, announcements — is a row here
// and a job on its platform's send queue. The row is the truth:
//  - its key says what it is for (`chase-c12-p34-r2`), so asking twice sends once;
//  - it is claimed (pending → sending) only once nothing stands between it and the wire, so a retried or
//    recovered job never sends twice, and a job that finds its own claim knows it died mid-send: uncertain;
//  - a timed-out send is uncertain (never resent), a refused recipient unreachable (their account is marked);
//  - one lane per chat (a person's direct chat, a group): sends in a lane go out in the order they were
//    asked for. A job whose lane has an earlier send still waiting sends that one first, so a person's
//    reminder never waits behind their copy 9,000 places down a fan-out, and never overtakes it either.
// Priorities order each platform's wait list: a person's own reminder or a decision first, then single
// messages, then fan-out copies, numbered by their place in their own list so two offices' big notices
// interleave instead of the second waiting for the first.
import type { Logger } from "pino";
import type { Bot } from "../bot/bot.ts";
import type { Clock } from "../bot/clock.ts";
import { DeliveryUncertainError, RecipientUnreachableError } from "../bot/delivery-errors.ts";
import type { ChatRef, MessageRef, Outbound, Platform } from "../bot/message.ts";
import type { PrismaClient, SqlRunner } from "../db/database.ts";
import type { Prisma } from "../generated/prisma/client.ts";
import type { RateLimiter } from "../queue/rate-limiter.ts";
import { Batcher } from "./batcher.ts";
import { personWindows, type PlatformLimits } from "./limits.ts";
import { LOWEST_PRIORITY, RateLimitedError, type DeliverAttempt, type DeliverOutcome, type SendQueue } from "./send-queue.ts";

export type Priority = "personal" | "normal" | "bulk";

/** Where a send goes: a person's direct chat (on the account they last used), a chat, or an edit of a sent message. */
export type Recipient =
  | { personId: number; identityId?: number | null }
  | { chat: ChatRef }
  /** `sentAt`: when the edited message was sent, for platforms that allow edits only for a while. */
  | { edit: MessageRef; personId?: number; sentAt?: Date | null };

export interface Send {
  /** What it is for, unique across the outbox: sending the same key again is a no-op. */
  key: string;
  to: Recipient;
  /** The message, rendered now; leave it out when the purpose renders it at send time. */
  message?: Outbound;
  /** Who reacts to the outcome (see `purpose()`); "message" (the default) for nobody. */
  purpose?: string;
  subject?: Prisma.InputJsonObject;
  priority?: Priority;
  /** Not before this instant (default: now). */
  at?: Date;
}

export type Settled =
  | { state: "sent"; ref: MessageRef }
  | { state: "uncertain" | "unreachable" | "failed" | "skipped"; error?: string };

/** A send as its job reads it (a row of OutboxMessage). */
export interface SendRow {
  id: number;
  key: string;
  purpose: string;
  subject: Prisma.JsonValue;
  personId: number | null;
  identityId: number | null;
  platform: Platform;
  chatId: string | null;
  chatKind: string | null;
  editMessageId: string | null;
  editOfSentAt: Date | null;
  message: Prisma.JsonValue;
  state: string;
  claimedBy: string | null;
  error: string | null;
  sentChatId: string | null;
  sentMessageId: string | null;
}

/** A send whose outcome is known. */
export interface Done {
  send: SendRow;
  outcome: Settled;
}

/** What a purpose does with its sends. Both hooks may run again for the same send (after a crash): make them idempotent. */
export interface Purpose {
  /** The message at send time, or null when it is no longer wanted (the circular was cancelled). */
  render?(send: SendRow): Promise<Outbound | null>;
  /**
   * Records outcomes on the purpose's own rows (the receipt's message, the reminder's occurrence): those of the
   * sends finished at about the same time come together, so 10,000 reminders need not be 10,000 statements.
   */
  settled?(done: Done[]): Promise<void>;
}

export interface OutboxOptions {
  prisma: PrismaClient;
  /** Plain SQL for the statements every send makes: Prisma's per-statement work would be most of a send's cost. */
  sql: SqlRunner;
  bot: Bot;
  clock: Clock;
  log: Logger;
  queue: SendQueue;
  limiter: RateLimiter;
  /** What each platform declared (ChatAdapter.limits). */
  limitsOf(platform: Platform): PlatformLimits | undefined;
}

const PRIORITY: Record<Exclude<Priority, "bulk">, number> = { personal: 1, normal: 2 };
/** Fan-out copies start here and go one step down every BULK_STEP places in their own list. */
const BULK_BASE = 10;
const BULK_STEP = 50;
/** How long a job waits when the send before it in its chat is on the wire in another worker. */
const LANE_WAIT_MS = 250;
/** Earlier sends in a lane one job takes over before its own (more would mean a stuck lane: wait instead). */
const MAX_TAKEOVERS = 20;
const FINAL = new Set(["sent", "uncertain", "unreachable", "failed", "skipped", "cancelled"]);
const INSERT_CHUNK = 1000;
/** Sends a tick reads at a time, and sends it has on the wire at once. */
const TICK_PAGE = 1000;
const TICK_CONCURRENCY = 256;
/** A tick's try counts as one of more (a failure goes to the send's own job, not to "failed"), retried after this. */
const TICK_TRIES = 2;
const RETRY_MS = 2000;
/** How long finished sends are kept. */
const KEEP_DAYS = 30;

type Row = SendRow & {
  blockerId: number | null;
  blockerState: string | null;
  blockerClaimedBy: string | null;
  /** For a send to a person: the account to write to (the asked-for one if usable, else the one they last wrote from). */
  accountId: number | null;
  accountPlatform: string | null;
  accountExternalId: string | null;
  accountName: string | null;
};

export class Outbox {
  private readonly purposes = new Map<string, { hooks: Purpose; settle: Batcher<Done, void> }>();
  // The statements every send makes, each shared by the jobs running at once (see batcher.ts).
  private readonly loads = new Batcher<number, Row | null>((ids) => this.loadMany(ids));
  private readonly claims = new Batcher<{ id: number; jobId: string }, boolean>((items) => this.claimMany(items));
  private readonly records = new Batcher<{ id: number; outcome: Settled }, void>((items) => this.recordMany(items));

  constructor(private readonly opts: OutboxOptions) {
    opts.queue.handle((sendId, attempt) => this.handle(sendId, attempt, 0));
    opts.queue.handleTicks((platform, at, jobId) => this.tick(platform, at, jobId));
  }

  /** Registers what a purpose renders and records. */
  purpose(name: string, hooks: Purpose): void {
    const settle = new Batcher<Done, void>(async (done) => {
      await hooks.settled?.(done);
      return done.map(() => undefined);
    });
    this.purposes.set(name, { hooks, settle });
  }

  /**
   * Puts sends in the outbox and queues them. A key already there is left as it is. A person with no account
   * on a running platform gets no row (a receipt stays pending, visible in /status). Returns the keys that were
   * addressed (new or already there).
   */
  async send(sends: Send | Send[]): Promise<number> {
    const list = Array.isArray(sends) ? sends : [sends];
    if (list.length === 0) return 0;
    const now = this.opts.clock.now();
    const platforms = await this.platformsOf(list);
    let bulkIndex = 0;
    const rows: NewRow[] = [];
    for (const s of list) {
      const to = s.to;
      const platform = "chat" in to ? to.chat.platform : "edit" in to ? to.edit.platform : platforms.get(to.personId);
      if (!platform) continue;
      const priority = s.priority === "bulk" ? Math.min(LOWEST_PRIORITY, BULK_BASE + Math.floor(bulkIndex++ / BULK_STEP)) : PRIORITY[s.priority ?? "normal"];
      rows.push({
        key: s.key,
        purpose: s.purpose ?? "message",
        subject: s.subject === undefined ? null : JSON.stringify(s.subject),
        personId: "personId" in to ? (to.personId ?? null) : null,
        identityId: "identityId" in to ? (to.identityId ?? null) : null,
        platform,
        chatId: "chat" in to ? to.chat.id : "edit" in to ? to.edit.chatId : null,
        chatKind: "chat" in to ? to.chat.kind : null,
        editMessageId: "edit" in to ? to.edit.messageId : null,
        editOfSentAt: "edit" in to && to.sentAt ? to.sentAt.toISOString() : null,
        message: s.message === undefined ? null : JSON.stringify(s.message),
        lane: laneOf(to),
        priority,
        notBefore: (s.at && s.at > now ? s.at : now).toISOString(),
      });
    }
    for (let i = 0; i < rows.length; i += INSERT_CHUNK) await this.enqueue(await this.insert(rows.slice(i, i + INSERT_CHUNK), now), now);
    return rows.length;
  }

  /** Inserts rows whose key is new, in one statement; returns those it inserted. */
  private async insert(rows: NewRow[], now: Date): Promise<Queued[]> {
    const column = <K extends keyof NewRow>(k: K) => rows.map((r) => r[k]);
    return this.opts.sql.query<Queued>(
      `INSERT INTO "OutboxMessage" (key, purpose, subject, "personId", "identityId", platform, "chatId", "chatKind",
         "editMessageId", "editOfSentAt", message, lane, priority, "notBefore", "createdAt")
       SELECT v.key, v.purpose, v.subject::jsonb, v.person, v.identity, v.platform::"Platform", v.chat, v.kind,
         v.edit, v.edited::timestamp(3), v.message::jsonb, v.lane, v.priority, v.at::timestamp(3), $15::timestamp(3)
       FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::text[],
                   $9::text[], $10::text[], $11::text[], $12::text[], $13::int[], $14::text[])
         AS v(key, purpose, subject, person, identity, platform, chat, kind, edit, edited, message, lane, priority, at)
       ON CONFLICT (key) DO NOTHING
       RETURNING id, platform::text AS platform, priority, (extract(epoch FROM "notBefore") * 1000)::float8 AS "notBeforeMs"`,
      [
        column("key"), column("purpose"), column("subject"), column("personId"), column("identityId"), column("platform"), column("chatId"),
        column("chatKind"), column("editMessageId"), column("editOfSentAt"), column("message"), column("lane"), column("priority"), column("notBefore"),
        now.toISOString(),
      ],
    );
  }

  /** Withdraws sends not made yet: every pending one whose key is `key`, or starts with it when it ends in "*". */
  async cancel(key: string): Promise<number> {
    const where: Prisma.OutboxMessageWhereInput = key.endsWith("*") ? { key: { startsWith: key.slice(0, -1) } } : { key };
    const rows = await this.opts.prisma.outboxMessage.findMany({ where: { ...where, state: "pending" }, select: { id: true, platform: true } });
    if (rows.length === 0) return 0;
    const { count } = await this.opts.prisma.outboxMessage.updateMany({ where: { id: { in: rows.map((r) => r.id) }, state: "pending" }, data: { state: "cancelled" } });
    for (const r of rows) await this.opts.queue.remove(r.platform, r.id);
    return count;
  }

  /** Whether the send `key` is still to go. */
  async isPending(key: string): Promise<boolean> {
    return (await this.opts.prisma.outboxMessage.count({ where: { key, state: { in: ["pending", "sending"] } } })) > 0;
  }

  /** Whether the send `key` is pending and its job (or tick) is in Redis (false after Redis lost it, until reconciled). */
  async queued(key: string): Promise<boolean> {
    const row = await this.opts.prisma.outboxMessage.findUnique({ where: { key }, select: { id: true, platform: true, state: true, priority: true, notBefore: true } });
    if (row?.state !== "pending") return false;
    return this.awaited({ id: row.id, platform: row.platform as Platform, priority: row.priority, notBeforeMs: row.notBefore.getTime() }, this.opts.clock.now());
  }

  /** Whether Redis holds what will send this pending row: its own job, or (due later) its tick. */
  private async awaited(r: Queued, now: Date): Promise<boolean> {
    if (await this.opts.queue.alive(r.platform, r.id)) return true;
    return r.notBeforeMs > now.getTime() && (await this.opts.queue.tickAlive(r.platform, r.notBeforeMs));
  }

  /** Sends whose time has come and which are not done: what a piped console waits for before it exits. */
  async dueCount(): Promise<number> {
    return this.opts.prisma.outboxMessage.count({ where: { state: { in: ["pending", "sending"] }, notBefore: { lte: this.opts.clock.now() } } });
  }

  /**
   * Waits until no send whose time has come is left (or `timeoutMs` passed); returns how many are left.
   * A console reading piped input and conversation tests wait so, for what the last line set going.
   */
  async idle(timeoutMs: number, pollMs = 10): Promise<number> {
    const deadline = Date.now() + timeoutMs; // machine time: a bound on waiting, not the office clock
    for (;;) {
      const due = await this.dueCount();
      if (due === 0 || Date.now() >= deadline) return due;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }

  /** Runs now the delayed jobs of sends whose time has come by the office clock (tests that move their clock). */
  async promoteDue(): Promise<number> {
    const due = await this.opts.prisma.outboxMessage.findMany({ where: { state: "pending", notBefore: { lte: this.opts.clock.now() } }, select: { id: true, platform: true, notBefore: true } });
    for (const r of due) {
      await this.opts.queue.promoteTick(r.platform, r.notBefore.getTime());
      await this.opts.queue.promote(r.platform, r.id);
    }
    return due.length;
  }

  /**
   * Deletes finished sends older than `days` (their receipts, reminders and audit events keep what matters);
   * returns how many. A key is unique only while its row is kept, and no occasion recurs after a month.
   */
  async prune(days = KEEP_DAYS): Promise<number> {
    const before = new Date(this.opts.clock.now().getTime() - days * 86_400_000);
    const { count } = await this.opts.prisma.outboxMessage.deleteMany({ where: { state: { notIn: ["pending", "sending"] }, createdAt: { lt: before } } });
    return count;
  }

  /** Queues again every pending send whose job is gone (Redis lost its data); returns how many. */
  async reconcile(): Promise<number> {
    const now = this.opts.clock.now();
    let requeued = 0;
    for (let cursor = 0; ; ) {
      const batch = await this.opts.prisma.outboxMessage.findMany({
        where: { state: "pending", id: { gt: cursor } },
        orderBy: { id: "asc" },
        take: 500,
        select: { id: true, platform: true, priority: true, notBefore: true },
      });
      if (batch.length === 0) return requeued;
      const queued = batch.map((r) => ({ id: r.id, platform: r.platform as Platform, priority: r.priority, notBeforeMs: r.notBefore.getTime() }));
      const missing = [];
      for (const r of queued) if (!(await this.awaited(r, now))) missing.push(r);
      await this.enqueue(missing, now);
      requeued += missing.length;
      cursor = batch.at(-1)!.id;
    }
  }

  /**
   * Sends due now get a job each; sends due later get their platform's tick for that instant, one job however
   * many sends fall due then (10,000 reminders at 8:30 wake one tick, which hands them to the workers).
   */
  private async enqueue(rows: Queued[], now: Date): Promise<void> {
    const due = new Map<Platform, { sendId: number; priority: number }[]>();
    const ticks = new Map<string, { platform: Platform; at: number }>();
    for (const r of rows) {
      if (r.notBeforeMs <= now.getTime()) due.set(r.platform, [...(due.get(r.platform) ?? []), { sendId: r.id, priority: r.priority }]);
      else ticks.set(`${r.platform}@${r.notBeforeMs}`, { platform: r.platform, at: r.notBeforeMs });
    }
    for (const [platform, jobs] of due) await this.opts.queue.enqueue(platform, jobs);
    for (const { platform, at } of ticks.values()) await this.opts.queue.enqueueTick(platform, at, at - now.getTime());
  }

  /**
   * The tick of `platform` at `at`: every send still pending that was due then, best first. Where the platform
   * has an overall ceiling its queue's limiter must pace them, so each gets its job; elsewhere the tick sends
   * them itself, many at once, sparing 10,000 jobs' worth of Redis round trips. A send that wants a retry or a
   * wait gets its own job from there. `tickId` names the tick's claims, so a rerun after its worker died finds
   * the sends it had on the wire and records them uncertain.
   */
  private async tick(platform: Platform, at: number, tickId: string): Promise<void> {
    const inDoubt = await this.opts.sql.query<{ id: number; claimedBy: string }>(
      `SELECT id, "claimedBy" FROM "OutboxMessage" WHERE "notBefore" = $1::timestamp(3) AND state = 'sending' AND "claimedBy" LIKE $2`,
      [new Date(at).toISOString(), `${tickId}/%`],
    );
    for (const d of inDoubt) await this.handle(d.id, { platform, jobId: d.claimedBy, attempt: 1, attempts: TICK_TRIES }, 0);
    const limited = this.opts.queue.limited(platform);
    for (let cursor = { priority: 0, id: 0 }; ; ) {
      const page = await this.opts.sql.query<{ id: number; priority: number }>(
        `SELECT id, priority FROM "OutboxMessage"
         WHERE "notBefore" = $1::timestamp(3) AND platform = $2::"Platform" AND state = 'pending' AND (priority, id) > ($3, $4)
         ORDER BY priority, id LIMIT ${TICK_PAGE}`,
        [new Date(at).toISOString(), platform, cursor.priority, cursor.id],
      );
      if (page.length === 0) return;
      cursor = page.at(-1)!;
      if (limited) {
        await this.opts.queue.enqueue(platform, page.map((r) => ({ sendId: r.id, priority: r.priority })));
        continue;
      }
      await eachAtOnce(page, TICK_CONCURRENCY, async (r) => {
        try {
          await this.handle(r.id, { platform, jobId: `${tickId}/send-${r.id}`, attempt: 1, attempts: TICK_TRIES }, 0);
        } catch (error) {
          const delay = error instanceof RateLimitedError ? error.ms : RETRY_MS;
          await this.opts.queue.enqueue(platform, [{ sendId: r.id, priority: r.priority, delay }]);
        }
      });
    }
  }

  /** The platform each person is reached on now: the account they last wrote from, on a running platform. */
  private async platformsOf(sends: Send[]): Promise<Map<number, Platform>> {
    const people = [...new Set(sends.flatMap((s) => ("personId" in s.to && !("edit" in s.to) ? [s.to.personId] : [])))];
    const out = new Map<number, Platform>();
    if (people.length === 0) return out;
    const preferred = new Map(sends.flatMap((s) => ("identityId" in s.to && s.to.identityId ? [[s.to.personId, s.to.identityId] as const] : [])));
    const identities = await this.opts.prisma.identity.findMany({ where: { personId: { in: people } }, orderBy: IDENTITY_ORDER, select: { id: true, personId: true, platform: true } });
    for (const i of identities) {
      if (!this.opts.bot.has(i.platform as Platform)) continue;
      if (!out.has(i.personId) || preferred.get(i.personId) === i.id) out.set(i.personId, i.platform as Platform);
    }
    return out;
  }

  /** One job: its send, after any earlier send of the same lane still waiting. */
  private async handle(sendId: number, attempt: DeliverAttempt, depth: number): Promise<DeliverOutcome> {
    for (let takeovers = 0; ; takeovers++) {
      const row = await this.loads.run(sendId);
      if (!row) return "skipped";
      if (row.state === "sending") {
        // Our own claim, left by an earlier run of this job that died between the claim and the record.
        if (row.claimedBy === attempt.jobId) return this.finish(row, { state: "uncertain", error: "the worker stopped while sending" });
        return "skipped"; // another worker has it
      }
      if (FINAL.has(row.state)) {
        // Recorded, but the purpose may not have heard (this job died in between): tell it again.
        if (row.claimedBy === attempt.jobId && row.state !== "cancelled") await this.settle(row, settledOf(row));
        return "skipped";
      }
      if (row.blockerId !== null && depth === 0) {
        if (row.blockerState === "pending" && takeovers < MAX_TAKEOVERS) {
          await this.handle(row.blockerId, attempt, depth + 1); // the earlier send in this chat goes first
          continue;
        }
        if (row.blockerClaimedBy === attempt.jobId) {
          await this.handle(row.blockerId, attempt, depth + 1); // our own claim on it, from a run that died
          continue;
        }
        throw new RateLimitedError(LANE_WAIT_MS, "job"); // it is on the wire elsewhere: wait for it
      }
      return this.deliver(row, attempt);
    }
  }

  /**
   * Each send, the first earlier send in its lane that is due and not done, and (for a person) the account to
   * write to on a running platform: one statement for all the jobs that asked at once.
   */
  private async loadMany(ids: number[]): Promise<(Row | null)[]> {
    const rows = await this.opts.sql.query<Row & { editOfSentAtMs: number | null }>(
      `SELECT m.id, m.key, m.purpose, m.subject, m."personId", m."identityId", m.platform::text AS platform, m."chatId", m."chatKind",
              m."editMessageId", (extract(epoch FROM m."editOfSentAt") * 1000)::float8 AS "editOfSentAtMs", m.message, m.state::text AS state,
              m."claimedBy", m.error, m."sentChatId", m."sentMessageId",
              b.id AS "blockerId", b.state::text AS "blockerState", b."claimedBy" AS "blockerClaimedBy",
              a.id AS "accountId", a.platform::text AS "accountPlatform", a."externalId" AS "accountExternalId", a."displayName" AS "accountName"
       FROM "OutboxMessage" m
       LEFT JOIN LATERAL (
         SELECT e.id, e.state, e."claimedBy" FROM "OutboxMessage" e
         WHERE e.lane = m.lane AND e.id < m.id AND e.state IN ('pending', 'sending') AND e."notBefore" <= $2::timestamp(3)
         ORDER BY e.id LIMIT 1
       ) b ON true
       LEFT JOIN LATERAL (
         SELECT i.id, i.platform, i."externalId", i."displayName" FROM "Identity" i
         WHERE i."personId" = m."personId" AND m."chatId" IS NULL AND i.platform::text = ANY($3::text[])
         ORDER BY (i.id = m."identityId") DESC NULLS LAST, i."lastSeenAt" DESC NULLS LAST, i."createdAt" DESC
         LIMIT 1
       ) a ON true
       WHERE m.id = ANY($1::int[])`,
      [ids, this.opts.clock.now().toISOString(), this.opts.bot.platforms()],
    );
    const byId = new Map(rows.map(({ editOfSentAtMs, ...row }) => [row.id, { ...row, editOfSentAt: editOfSentAtMs === null ? null : new Date(editOfSentAtMs), message: parseJson(row.message), subject: parseJson(row.subject) }]));
    return ids.map((id) => byId.get(id) ?? null);
  }

  /** Claims rows pending → sending, each for its job; true where this item got it (a row asked for twice goes to the first). */
  private async claimMany(items: { id: number; jobId: string }[]): Promise<boolean[]> {
    const first = new Map<number, number>();
    items.forEach((item, i) => first.has(item.id) || first.set(item.id, i));
    const ids = [...first.keys()];
    const jobs = ids.map((id) => items[first.get(id)!]!.jobId);
    const claimed = await this.opts.sql.query<{ id: number }>(
      `UPDATE "OutboxMessage" m SET state = 'sending', "claimedBy" = v.job, attempts = m.attempts + 1
       FROM unnest($1::int[], $2::text[]) AS v(id, job)
       WHERE m.id = v.id AND m.state = 'pending'
       RETURNING m.id`,
      [ids, jobs],
    );
    const got = new Set(claimed.map((r) => r.id));
    return items.map((item, i) => got.has(item.id) && first.get(item.id) === i);
  }

  /** Records outcomes on their rows: the state, the error, and where a sent message went. */
  private async recordMany(items: { id: number; outcome: Settled }[]): Promise<void[]> {
    const sentAt = this.opts.clock.now().toISOString();
    const ref = (o: Settled) => (o.state === "sent" ? o.ref : undefined);
    await this.opts.sql.query(
      `UPDATE "OutboxMessage" m SET state = v.state::"SendState", error = v.error,
         "sentChatId" = COALESCE(v.chat, m."sentChatId"), "sentMessageId" = COALESCE(v.msg, m."sentMessageId"),
         "sentAt" = COALESCE(v.at::timestamp(3), m."sentAt")
       FROM unnest($1::int[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[]) AS v(id, state, error, chat, msg, at)
       WHERE m.id = v.id`,
      [
        items.map((i) => i.id), items.map((i) => i.outcome.state), items.map((i) => ("error" in i.outcome ? (i.outcome.error ?? null) : null)),
        items.map((i) => ref(i.outcome)?.chatId ?? null), items.map((i) => ref(i.outcome)?.messageId ?? null), items.map((i) => (ref(i.outcome) ? sentAt : null)),
      ],
    );
    return items.map(() => undefined);
  }

  private async deliver(row: Row, attempt: DeliverAttempt): Promise<DeliverOutcome> {
    const { prisma, bot, limiter } = this.opts;
    const platform = row.platform as Platform;
    const limits = this.opts.limitsOf(platform);
    if (row.editOfSentAt && limits?.editableForMs && this.opts.clock.now().getTime() - row.editOfSentAt.getTime() > limits.editableForMs) {
      return this.finish(row, { state: "skipped", error: "the platform no longer lets this message be edited" });
    }
    const purpose = this.purposes.get(row.purpose)?.hooks;
    const message = (row.message as Outbound | null) ?? (await purpose?.render?.(row)) ?? null;
    if (!message) return this.finish(row, { state: "skipped" });
    const caps = row.personId !== null && !row.editMessageId ? personWindows(platform, row.personId, limits) : [];
    // Right before the wire: claim the row, then take this person's share. Claiming first means a job that
    // loses the race for a row (a lane takeover) never spends the person's share on a message it will not send.
    const claim = async () => {
      if (!(await this.claims.run({ id: row.id, jobId: attempt.jobId }))) throw new ClaimedElsewhere();
      const wait = await limiter.tryAcquire(caps);
      if (wait > 0) throw new RateLimitedError(wait, "job"); // this person has had their share for now: later, not lost
    };
    let identityId: number | undefined;
    try {
      if (row.editMessageId) {
        await claim(); // an edit is idempotent: it may be claimed before the wait
        const ref: MessageRef = { platform, chatId: row.chatId!, messageId: row.editMessageId };
        await bot.edit(ref, message);
        return this.finish(row, { state: "sent", ref });
      }
      if (row.chatId) {
        const chat: ChatRef = { platform, id: row.chatId, kind: (row.chatKind as ChatRef["kind"] | null) ?? "group" };
        return this.finish(row, { state: "sent", ref: await bot.send(chat, message, { onWire: claim }) });
      }
      if (row.accountId === null) return this.finish(row, { state: "failed", error: "no account on a running platform" });
      identityId = row.accountId;
      const user = { platform: row.accountPlatform as Platform, id: row.accountExternalId!, name: row.accountName ?? undefined };
      return this.finish(row, { state: "sent", ref: await bot.sendDirect(user, message, { onWire: claim }) });
    } catch (error) {
      if (error instanceof ClaimedElsewhere) return "skipped";
      if (error instanceof RecipientUnreachableError) {
        if (identityId !== undefined) await prisma.identity.update({ where: { id: identityId }, data: { unreachableAt: this.opts.clock.now() } });
        this.opts.log.info({ send: row.key, reason: error.reason }, "recipient unreachable");
        return this.finish(row, { state: "unreachable", error: error.message });
      }
      if (error instanceof DeliveryUncertainError) return this.finish(row, { state: "uncertain", error: error.message });
      // It did not reach the platform: release the claim; the queue retries it (a 429 or a cap without using an attempt).
      const limited = error instanceof RateLimitedError;
      await prisma.outboxMessage.updateMany({
        where: { id: row.id, state: "sending", claimedBy: attempt.jobId },
        data: { state: "pending", error: limited ? null : (error as Error).message, attempts: limited ? { decrement: 1 } : undefined },
      });
      if (!limited && attempt.attempt >= attempt.attempts) return this.finish({ ...row, state: "pending" }, { state: "failed", error: (error as Error).message });
      throw error;
    }
  }

  /** Records the outcome on the row, then tells the purpose. */
  private async finish(row: Row, outcome: Settled): Promise<DeliverOutcome> {
    await this.records.run({ id: row.id, outcome });
    await this.settle(row, outcome);
    return outcome.state;
  }

  private async settle(row: SendRow, outcome: Settled): Promise<void> {
    await this.purposes.get(row.purpose)?.settle.run({ send: row, outcome });
  }
}

/** A person's accounts, the one they last wrote from first; accounts never used (imported) last. */
const IDENTITY_ORDER: Prisma.IdentityOrderByWithRelationInput[] = [{ lastSeenAt: { sort: "desc", nulls: "last" } }, { createdAt: "desc" }];

class ClaimedElsewhere extends Error {}

/** A row to insert, as the columns of one INSERT … SELECT FROM unnest(…). */
interface NewRow {
  key: string;
  purpose: string;
  subject: string | null;
  personId: number | null;
  identityId: number | null;
  platform: Platform;
  chatId: string | null;
  chatKind: string | null;
  editMessageId: string | null;
  editOfSentAt: string | null;
  message: string | null;
  lane: string;
  priority: number;
  notBefore: string;
}

/** An inserted row, for its job. */
interface Queued {
  id: number;
  platform: Platform;
  priority: number;
  notBeforeMs: number;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function eachAtOnce<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, runner));
}

function laneOf(to: Recipient): string {
  if ("edit" in to) return to.personId ? `p${to.personId}` : `${to.edit.platform}:${to.edit.chatId}`;
  if ("chat" in to) return `${to.chat.platform}:${to.chat.id}`;
  return `p${to.personId}`;
}

/** The outcome a finished row records, for telling its purpose again. */
function settledOf(row: SendRow): Settled {
  if (row.state === "sent") return { state: "sent", ref: { platform: row.platform as Platform, chatId: row.sentChatId ?? "", messageId: row.sentMessageId ?? "" } };
  return { state: row.state as Exclude<Settled["state"], "sent">, error: row.error ?? undefined };
}

function parseJson(value: unknown): Prisma.JsonValue {
  return typeof value === "string" ? (JSON.parse(value) as Prisma.JsonValue) : (value as Prisma.JsonValue);
}
