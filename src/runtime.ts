// The composition root: config → logger, database, Redis, scheduler, bot, flows, adapters, HTTP.
// `relay start` runs all of it; `serve` only receives (adapters + HTTP); `worker` only runs jobs.
import { pino, type Logger } from "pino";
import type { App } from "./app.ts";
import type { ChatAdapter } from "./bot/adapter.ts";
import { Bot } from "./bot/bot.ts";
import { systemClock, type Clock } from "./bot/clock.ts";
import type { Connection, RetryPolicy } from "./bot/connector.ts";
import type { Config } from "./config.ts";
import { chainEarlierEvents } from "./db/audit.ts";
import { lockDataDir } from "./db/data-dir-lock.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { migrate } from "./db/migrator.ts";
import { pruneClaims } from "./db/update-dedup.ts";
import { registerAudit } from "./flows/audit/audit-commands.ts";
import { registerHelp } from "./flows/help/help-command.ts";
import { identify, rosterName } from "./flows/org/directory.ts";
import { setupOpen } from "./flows/org/org-service.ts";
import { registerCirculars } from "./flows/circulars/circular-commands.ts";
import { registerCircularExport } from "./flows/circulars/export.ts";
import { registerChannels } from "./flows/org/channels.ts";
import { registerLeave } from "./flows/requests/leave-commands.ts";
import { registerSeal } from "./flows/requests/seal.ts";
import { registerLeaveSettings } from "./flows/requests/leave-settings.ts";
import { registerGeneral } from "./flows/requests/general-commands.ts";
import { registerOrg } from "./flows/org/org-commands.ts";
import { registerReminders } from "./flows/reminders/reminder-commands.ts";
import { registerCalendar } from "./flows/calendar/calendar-commands.ts";
import { checkCoverage } from "./flows/calendar/coverage-check.ts";
import { OfficeCalendar } from "./office/office-calendar.ts";
import { HttpServer } from "./http/http-server.ts";
import { checkRedis, connectRedis, connectRequestRedis, type RedisConnection } from "./queue/redis.ts";
import { overallRate } from "./delivery/limits.ts";
import { Outbox } from "./delivery/outbox.ts";
import { SendQueue } from "./delivery/send-queue.ts";
import { RateLimiter } from "./queue/rate-limiter.ts";
import { Healer } from "./queue/healer.ts";
import { Scheduler } from "./queue/scheduler.ts";
import { StartupError } from "./startup-error.ts";
import { UserError } from "./bot/errors.ts";
import { toLocale } from "./bot/i18n/index.ts";
import type { Inbound } from "./bot/message.ts";
import { Inbox } from "./inbox/inbox.ts";
import { asDatabaseUnavailable, within } from "./inbox/unavailable.ts";

export type Mode = "start" | "serve" | "worker";

export interface RuntimeOptions {
  config: Config;
  mode: Mode;
  /** Adapters besides those the config asks for (the console, a test chat). */
  adapters: ChatAdapter[];
  log?: Logger;
  clock?: Clock;
  /** How often a running worker checks that Redis still holds its jobs (besides on every reconnect). */
  healEveryMs?: number;
  /** An already open database (tests); otherwise one is opened from the config. */
  db?: Database;
  /** How chat adapters wait and retry while their platform cannot be reached (tests make it short). */
  connectRetry?: Partial<RetryPolicy>;
  /** How often this process looks for holiday-calendar changes made by another (default 10 s). */
  calendarCheckMs?: number;
}

export interface Runtime {
  app: App;
  redis: RedisConnection;
  /** What holds people's messages while a store is down (not in `relay worker`, which receives none). */
  inbox?: Inbox;
  http?: HttpServer;
  /** The port the HTTP server listens on, when it runs. */
  port?: number;
  /**
   * Waits until the work already asked for is done — every delivery, and every scheduled job whose time has
   * come — or `timeoutMs` has passed. Returns how many jobs were still pending (0: all done).
   */
  settle(timeoutMs: number): Promise<number>;
  /** Stops receiving, lets running jobs finish, then closes Redis and the database. Safe to call twice. */
  close(): Promise<void>;
}

/** How often settle() looks at the queues. */
const SETTLE_POLL_MS = 100;

/**
 * The chat apps the configuration names (tokens set). Each SDK is loaded only when its app is configured:
 * grammY and Bolt cost a console-only start a third of a second it has no use for.
 */
async function platformAdapters(config: Config, deps: { log: Logger; http?: HttpServer; limiter: RateLimiter; db: Database; requestRedis: RedisConnection; retry?: Partial<RetryPolicy>; clock: Clock }): Promise<ChatAdapter[]> {
  const adapters: ChatAdapter[] = [];
  if (config.telegram) {
    const [{ TelegramAdapter, TELEGRAM_LIMITS }, { throttle }] = await Promise.all([import("../adapters/telegram/telegram-adapter.ts"), import("../adapters/telegram/throttle.ts")]);
    // The adapter declares Telegram's numbers once; the outbox's queue and the API throttle both pace to them.
    const rate = config.deliverRates.telegram;
    const declared = { ...TELEGRAM_LIMITS, ...(rate ? { perSecond: (rate.max * 1000) / rate.duration } : {}) };
    const limits = throttle(deps.limiter, {
      globalPerSecond: declared.perSecond, privatePerSecond: declared.directPerSecond, groupPerMinute: declared.groupPerMinute, groupBurst: declared.groupBurst,
    });
    adapters.push(
      new TelegramAdapter({
        ...config.telegram,
        log: deps.log.child({ platform: "telegram" }),
        http: deps.http,
        limits: declared,
        // Every process sending with this token shares one budget in Redis (30/s, 1/s a chat, 20/min a group).
        transformers: [limits],
        pace: (chatId) => limits.pace(chatId),
        retry: deps.retry,
      }),
    );
  }
  if (config.slack) {
    const { SlackAdapter, SLACK_LIMITS } = await import("../adapters/slack/slack-adapter.ts");
    // As for Telegram: the outbox's queue and the posts share the workspace budget; a burst of it is left
    // for answers to people, so a reply does not queue behind a whole fan-out's pacing.
    const rate = config.deliverRates.slack ?? { max: SLACK_LIMITS.perSecond!, duration: 1000 };
    const dmKey = `${config.redisPrefix}:slack:direct-chats`;
    adapters.push(
      new SlackAdapter({
        ...config.slack,
        log: deps.log.child({ platform: "slack" }),
        http: deps.http,
        limiter: deps.limiter,
        limits: { workspace: { limit: rate.max, windowMs: rate.duration, burst: rate.max } },
        nameOf: (id) => rosterName(deps.db.prisma, "slack", id),
        // On the request connection: while Redis is away a chat not remembered is opened again, not waited for.
        directChats: {
          get: async (id) => (await deps.requestRedis.hget(dmKey, id).catch(() => null)) ?? undefined,
          set: async (id, channel) => void (await deps.requestRedis.hset(dmKey, id, channel)),
        },
        retry: deps.retry,
        clock: deps.clock,
      }),
    );
  }
  return adapters;
}

/** Slack people who never wrote to Relay (imported) get their direct chats opened now, in the background. */
async function warmSlackDirectChats(bot: Bot, db: Database, log: Logger): Promise<void> {
  if (!bot.has("slack")) return;
  const { SlackAdapter } = await import("../adapters/slack/slack-adapter.ts"); // loaded already: Slack is configured
  const slack = bot.adapterFor("slack");
  if (!(slack instanceof SlackAdapter)) return;
  // Once Slack can be reached: while it cannot, every one of these would fail.
  void slack.ready
    .then(() => db.prisma.identity.findMany({ where: { platform: "slack", person: { active: true } }, orderBy: { id: "asc" }, select: { externalId: true } }))
    .then((ids) => slack.warmDirectChats(ids.map((i) => i.externalId)))
    .then((opened) => opened && log.info({ opened }, "opened slack direct chats ahead of the first notice"))
    .catch((err: unknown) => log.warn({ err }, "could not open slack direct chats ahead"));
}

/** How often a worker deletes old finished sends. */
const PRUNE_EVERY_MS = 6 * 3600_000;

/** A flush that drops no connection is noticed within this long. */
const HEAL_EVERY_MS = 30_000;

/** How long /healthz waits for the database or Redis before calling it down. */
const HEALTH_TIMEOUT_MS = 800;

/** "ok", or why not: the error, or no answer within HEALTH_TIMEOUT_MS. */
async function probe(check: Promise<unknown>): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
  });
  try {
    await Promise.race([check, late]);
    return "ok";
  } catch (error) {
    return (error as Error).message;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A number beyond PostgreSQL's integer (P2020, "value out of range") names no record: it is answered as an unknown
 * id, with the number the person typed, not with the apology and a stack in the log.
 */
function explainStoreRefusal(error: unknown, inbound: Inbound): UserError | undefined {
  if ((error as { code?: unknown } | null)?.code !== "P2020") return undefined;
  const said = inbound.kind === "command" ? inbound.args : inbound.kind === "text" ? inbound.text : inbound.kind === "action" ? inbound.value : "";
  const number = said.match(/\d{10,}/)?.[0] ?? said.trim();
  return new UserError("input.noSuchId", { id: number });
}

/** Each adapter's connection to its platform, for /healthz. */
function adapterConnections(bot: Bot): Record<string, Connection> {
  return Object.fromEntries(bot.platforms().map((p) => [p, bot.adapterFor(p)?.connection?.() ?? { connected: true }]));
}

export function createLogger(config: Config, quiet = false): Logger {
  // Logs go to stderr: stdout belongs to the console chat.
  return pino({ level: config.logLevel ?? (quiet ? "warn" : "info"), base: undefined }, pino.destination(2));
}

/** Builds and starts everything `mode` needs. */
export async function createRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const { config, mode } = opts;
  const log = opts.log ?? createLogger(config);
  const clock = opts.clock ?? systemClock;
  const cleanups: (() => Promise<void> | void)[] = [];
  const close = async () => {
    for (const fn of cleanups.splice(0).reverse()) await Promise.resolve(fn()).catch((err: unknown) => log.warn({ err }, "shutdown step failed"));
  };
  try {
    await checkRedis(config.redisUrl);
    let db = opts.db;
    if (!db) {
      if (!config.databaseUrl && mode !== "start") {
        throw new StartupError(`relay ${mode} runs beside other Relay processes, which cannot share the embedded database: set DATABASE_URL to a PostgreSQL.`);
      }
      if (!config.databaseUrl) cleanups.push(lockDataDir(config.dataDir));
      db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
      const opened = db;
      cleanups.push(() => opened.close());
      const { applied } = await migrate(db.sql, { log: (line) => log.info(line) });
      if (applied.length) log.info({ applied }, "database migrated");
    }
    const chained = await chainEarlierEvents(db.prisma);
    if (chained) log.info({ chained }, "chained the audit events recorded before the audit chain existed");
    const redis = connectRedis(config.redisUrl);
    redis.on("error", (err) => log.warn({ err: err.message }, "redis connection error"));
    cleanups.push(async () => void (await redis.quit().catch(() => redis.disconnect())));
    // Answering people must not wait on a Redis that is away (the BullMQ connection above waits forever, as it must).
    const requestRedis = await connectRequestRedis(config.redisUrl);
    requestRedis.on("error", () => {}); // the connection above says it once
    cleanups.push(() => requestRedis.disconnect());
    const scheduler = new Scheduler({ connection: redis, prefix: config.redisPrefix, clock, log });
    // The office's holiday calendar, kept current when another process (or `relay calendar import`) changes it.
    const calendar = await OfficeCalendar.load(db.prisma);
    cleanups.push(calendar.watch(log, opts.calendarCheckMs));
    cleanups.push(() => scheduler.close());

    // Created before the adapters start, so webhooks can mount on it; it listens once everything is ready.
    const http =
      config.port === undefined
        ? undefined
        : new HttpServer(log, async () => {
            // Both at once, each bounded: ioredis queues commands while Redis is away, and a health check that
            // waited for it would hang exactly when a load balancer needs an answer.
            const [database, redisState] = await Promise.all([probe(db.sql.query("SELECT 1")), probe(redis.ping())]);
            return {
              checks: { database, redis: redisState },
              // A worker receives nothing, so its adapters are only senders: not connected, not reported.
              adapters: mode === "worker" ? undefined : adapterConnections(bot),
            };
          });

    const bot = new Bot({
      log, defaultLocale: config.locale,
      // A database that cannot be reached here, before anything is done, lets the inbox hold the event for later.
      identify: (user) => identify(db.prisma, user, clock.now()).catch((error: unknown) => Promise.reject(asDatabaseUnavailable(error))),
      // Before anyone has set up, a newcomer is told how to (not to ask an office that has no admin yet).
      strangerNote: async () => ((await setupOpen(db.prisma)) ? "org.notOnRosterSetupOpen" : "org.notOnRoster"),
      explain: explainStoreRefusal,
    });
    // The person's own language when the roster can be read now, else what their app says, else the office's.
    const localeFor = async (event: Inbound) => {
      const member = event.user.anonymous ? null : await within("database", 800, identify(db.prisma, event.user, clock.now())).catch(() => null);
      return toLocale(member?.locale) ?? toLocale(event.locale) ?? config.locale;
    };
    const limiter = new RateLimiter(requestRedis, config.redisPrefix);
    for (const adapter of [...opts.adapters, ...(await platformAdapters(config, { log, http, db, limiter, requestRedis, retry: opts.connectRetry, clock }))]) bot.addAdapter(adapter);
    // Each platform's send queue runs at the overall rate its adapter declares (or RELAY_DELIVER_RATE).
    const lock = config.jobLockSeconds * 1000;
    const rates = Object.fromEntries(bot.platforms().map((p) => [p, overallRate(bot.adapterFor(p)?.limits, config.deliverRates[p])]));
    const sendQueue = new SendQueue({ connection: redis, prefix: config.redisPrefix, log, lockDuration: lock, stalledInterval: lock, limits: rates });
    cleanups.push(() => sendQueue.close());
    const outbox = new Outbox({ prisma: db.prisma, sql: db.sql, bot, clock, log, queue: sendQueue, limiter, limitsOf: (p) => bot.adapterFor(p)?.limits });
    const app: App = { config, log, db, prisma: db.prisma, clock, calendar, scheduler, outbox, bot };
    // Sends whose job Redis lost are queued again wherever jobs are reconciled (start, reconnect, flush).
    scheduler.reconcileWith(() => outbox.reconcile());
    registerHelp(app);
    registerOrg(app);
    registerChannels(app);
    registerReminders(app);
    registerCirculars(app);
    registerLeave(app);
    registerSeal(app);
    registerLeaveSettings(app);
    registerGeneral(app);
    registerCircularExport(app);
    registerCalendar(app);
    registerAudit(app);
    await pruneClaims(db.prisma, clock.now());
    // Every start says it when a year ahead has no holidays loaded (the admins hear it once, in chat).
    await checkCoverage(app).catch((err: unknown) => log.warn({ err }, "could not check the holiday calendar's coverage"));

    if (mode !== "serve") {
      scheduler.startWorker();
      sendQueue.startWorkers();
      const recreated = await scheduler.reconcile();
      if (recreated) log.info({ recreated }, "re-created missing scheduled jobs");
      const healer = new Healer({ redis, prefix: config.redisPrefix, log, reconcile: () => scheduler.reconcile(), everyMs: opts.healEveryMs ?? HEAL_EVERY_MS });
      await healer.start();
      cleanups.push(async () => healer.stop());
      // Finished sends older than a month go, at start and every few hours (a worker may run for months).
      const prune = () => void outbox.prune().then((n) => n && log.info({ pruned: n }, "pruned old sends"), (err: unknown) => log.warn({ err }, "could not prune old sends"));
      prune();
      const pruning = setInterval(prune, PRUNE_EVERY_MS).unref();
      cleanups.push(() => clearInterval(pruning));
    }
    let inbox: Inbox | undefined;
    if (mode !== "worker") {
      inbox = new Inbox({
        log: log.child({ part: "inbox" }), clock, prisma: db.prisma, redis: requestRedis, prefix: config.redisPrefix, timeZone: config.timeZone,
        embeddedDatabase: db.kind === "pglite",
        dispatch: (event) => bot.router.dispatch(event),
        say: async (event, text, direct) => void (await (direct ? bot.sendDirect(event.user, { text }) : bot.send(event.chat, { text }))),
        localeOf: (event) => localeFor(event),
      });
      bot.useIntake(inbox);
      await bot.start();
      cleanups.push(() => bot.stop());
      // Held events are handled once the adapters can answer; on close, draining stops before the adapters do.
      const started = inbox;
      await started.start();
      cleanups.push(() => started.stop());
      void warmSlackDirectChats(bot, db, log);
    }
    let port: number | undefined;
    if (http && config.port !== undefined) {
      port = await http.listen(config.port);
      cleanups.push(() => http.close());
      log.info({ port }, "http listening");
    }
    log.info({ mode, database: db.where, platforms: bot.platforms() }, "relay running");
    const settle = async (timeoutMs: number): Promise<number> => {
      if (mode === "serve") return 0; // no workers here: the work is another process's
      // A bound on how long the process waits to exit: machine time, not the office clock (a test may hold that still).
      const deadline = Date.now() + timeoutMs;
      // Idle twice in a row: a job finishing between the two counts may just have queued another.
      let idleChecks = 0;
      for (;;) {
        const pending = (await scheduler.dueCount()) + (await outbox.dueCount());
        idleChecks = pending === 0 ? idleChecks + 1 : 0;
        if (idleChecks === 2 || (pending > 0 && Date.now() >= deadline)) return pending;
        await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
      }
    };
    return { app, redis, inbox, http, port, settle, close };
  } catch (error) {
    await close();
    throw error;
  }
}
