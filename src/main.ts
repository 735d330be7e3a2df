// The `relay` command line: start | serve | worker | migrate | import | calendar | audit verify | when | help.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { userInfo } from "node:os";
import { basename, join } from "node:path";
import type { ChatAdapter } from "./bot/adapter.ts";
import { ConsoleAdapter } from "../adapters/console/console-adapter.ts";
import { t } from "./bot/i18n/index.ts";
import { explainWhen } from "./bot/time-explain.ts";
import { formatLocal } from "./bot/time-parse.ts";
import { zonedParts } from "./bot/time-zone.ts";
import { packageCalendar, type WorkCalendar } from "./bot/working-days.ts";
import { loadConfig, type Config } from "./config.ts";
import { chainEarlierEvents } from "./db/audit.ts";
import { verifyAuditChain } from "./db/audit-verify.ts";
import { lockDataDir } from "./db/data-dir-lock.ts";
import { openDatabase, type Database } from "./db/database.ts";
import { migrate, migrationStatus } from "./db/migrator.ts";
import { describeVerification } from "./flows/audit/audit-words.ts";
import { accountOf, rosterName } from "./flows/org/directory.ts";
import { decodeRoster, importRoster } from "./flows/org/roster-import.ts";
import { importArrangement } from "./office/calendar-import.ts";
import { describeCalendar, describeErrors, describeImport } from "./office/calendar-text.ts";
import { CHECK_EVERY_MS, OfficeCalendar } from "./office/office-calendar.ts";
import { createLogger, createRuntime, type Mode } from "./runtime.ts";
import { StartupError } from "./startup-error.ts";

const USAGE = `Relay — office coordination in chat

Usage: relay <command>
  start            run everything in one process (console chat when no chat token is set or stdin is a terminal)
  serve            receive chat events only (webhooks, polling); needs DATABASE_URL
  worker           run scheduled jobs only; needs DATABASE_URL
  migrate          apply pending database migrations   (--status: list them)
  import FILE.csv  import people and units from a roster CSV
  calendar         show the holiday calendar: which years are loaded, the breaks ahead
  calendar import FILE
                   load the State Council's holiday arrangement from a text file (format: README.md)
  audit verify     check the audit trail's hash chain   (--head HASH: and that a head noted earlier is still in it)
  when "EXPR"      print the instant a time expression means, e.g. relay when "明天下午3点"
  help             this text

Configuration comes from the environment; see README.md.`;

/** At the end of piped input, how long Relay waits for what the last lines set going (a notice's copies) before it exits. */
const SETTLE_AT_EOF_MS = 30_000;
/** How long piped input waits after a line for the messages it set going. */
const LINE_SETTLE_MS = 5000;

async function main(argv: string[]): Promise<number> {
  const [command = "help", ...rest] = argv;
  switch (command) {
    case "start":
    case "serve":
    case "worker":
      return run(command, loadConfig());
    case "migrate":
      return runMigrate(loadConfig(), rest.includes("--status"));
    case "import":
      if (!rest[0]) return fail("usage: relay import FILE.csv");
      return runImport(loadConfig(), rest[0]);
    case "calendar":
      if (rest[0] === "import") return rest[1] ? runCalendarImport(loadConfig(), rest[1]) : fail("usage: relay calendar import FILE");
      if (rest.length > 0) return fail(`usage: relay calendar [import FILE]`);
      return runCalendarShow(loadConfig());
    case "audit":
      return runAudit(loadConfig(), rest);
    case "when":
      return runWhen(loadConfig(), rest.join(" "));
    case "help":
    case "--help":
    case "-h":
      process.stdout.write(USAGE + "\n");
      return 0;
    default:
      return fail(`unknown command "${command}"\n\n${USAGE}`);
  }
}

/** Runs until a signal, or until the console's input ends. */
async function run(mode: Mode, config: Config): Promise<number> {
  const hasChatToken = Boolean(config.telegram || config.slack);
  const useConsole = mode === "start" && (process.stdin.isTTY || !hasChatToken);
  let interrupt = () => {};
  const console_ = useConsole
    ? new ConsoleAdapter({
        input: process.stdin,
        output: process.stdout,
        persona: process.env.RELAY_CONSOLE_USER || userInfo().username || "me",
        interactive: Boolean(process.stdin.isTTY && process.stdout.isTTY),
        locale: config.locale,
        filesDir: join(config.dataDir, "exports"),
        onInterrupt: () => interrupt(),
      })
    : undefined;
  const adapters: ChatAdapter[] = console_ ? [console_] : [];
  if (!console_ && !hasChatToken && mode !== "worker") return fail("no chat adapter to run: set TELEGRAM_BOT_TOKEN or SLACK_BOT_TOKEN, or run `relay start` in a terminal");
  if (console_ && process.stdin.isTTY) process.stdout.write("Relay console — type 帮助 or /help; /as NAME to switch person; Ctrl-D to quit.\n");
  const runtime = await createRuntime({ config, mode, adapters, log: createLogger(config, useConsole) });
  console_?.lookUpPersonas((name) => accountOf(runtime.app.prisma, "console", name));
  console_?.lookUpNames((account) => rosterName(runtime.app.prisma, "console", account));
  console_?.settleEachLine(() => runtime.app.outbox.idle(LINE_SETTLE_MS));

  let stopping = false;
  const stop = async (why: string) => {
    if (stopping) return;
    stopping = true;
    runtime.app.log.info({ why }, "shutting down");
    await runtime.close();
  };
  const done = new Promise<void>((resolve) => {
    const onSignal = (signal: string) => {
      if (stopping) process.exit(130); // a second Ctrl-C does not wait
      void stop(signal).then(resolve);
    };
    for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => onSignal(signal));
    // In a terminal, Ctrl-C arrives as a key in the console's line editor, not as a signal.
    interrupt = () => onSignal("SIGINT");
    // At the end of input, what the last lines set going (a notice's copies to everyone) is seen through first.
    void console_?.ended.then(async () => {
      if (stopping) return; // Ctrl-C or a signal closed the console: that path finishes the shutdown
      // A failure to count (Redis gone) is no reason to hang: shut down as before.
      const pending = await runtime.settle(SETTLE_AT_EOF_MS).catch(() => 0);
      if (pending) process.stderr.write(`relay: ${pending} job(s) still pending after ${SETTLE_AT_EOF_MS / 1000} s; they run at the next start\n`);
      if (stopping) return;
      await stop("end of input");
      resolve();
    });
  });
  await done;
  return 0;
}

async function runMigrate(config: Config, statusOnly: boolean): Promise<number> {
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    if (statusOnly) {
      const status = await migrationStatus(db.sql);
      for (const m of status.applied) process.stdout.write(`applied  ${m}\n`);
      for (const m of status.pending) process.stdout.write(`pending  ${m}\n`);
      return 0;
    }
    const { applied } = await migrate(db.sql, { log: (line) => process.stdout.write(line + "\n") });
    process.stdout.write(applied.length ? `${db.where}: applied ${applied.length} migration(s)\n` : `${db.where}: up to date\n`);
    const chained = await chainEarlierEvents(db.prisma);
    if (chained) process.stdout.write(`chained ${chained} earlier audit event(s) into the audit chain\n`);
    return 0;
  } finally {
    await db.close();
  }
}

async function runImport(config: Config, file: string): Promise<number> {
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    await migrate(db.sql);
    const result = await importRoster(db.prisma, file, { locale: config.locale });
    process.stdout.write(result.report + "\n");
    return result.ok ? 0 : 1;
  } finally {
    await db.close();
  }
}

/**
 * Opens the database for a command that changes it while Relay may be running: PostgreSQL is shared; the
 * embedded one belongs to one process at a time, so a running Relay makes this refuse (with what to do instead).
 */
async function withDatabase<T>(config: Config, use: (db: Database) => Promise<T>): Promise<T> {
  const release = config.databaseUrl ? undefined : lockDataDir(config.dataDir);
  try {
    const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    try {
      await migrate(db.sql);
      return await use(db);
    } finally {
      await db.close();
    }
  } finally {
    release?.();
  }
}

async function runCalendarImport(config: Config, file: string): Promise<number> {
  let text: string;
  try {
    text = decodeRoster(await readFile(file));
  } catch (error) {
    return fail(t(config.locale, "calendar.unreadable", { file, why: (error as Error).message }));
  }
  return withDatabase(config, async (db) => {
    const outcome = await importArrangement(db.prisma, text, { actorId: null, source: basename(file), now: new Date() });
    if (!outcome.ok) {
      process.stdout.write(describeErrors(outcome.errors, config.locale) + "\n");
      return 1;
    }
    const effect = t(config.locale, "calendar.takesEffect", { seconds: CHECK_EVERY_MS / 1000 });
    process.stdout.write(`${describeImport(outcome.done, config.locale)}\n${effect}\n`);
    return 0;
  });
}

async function runCalendarShow(config: Config): Promise<number> {
  return withDatabase(config, async (db) => {
    const calendar = await OfficeCalendar.load(db.prisma);
    const now = new Date();
    const today = zonedParts(now, config.timeZone);
    process.stdout.write(describeCalendar(calendar, today, config.locale, (at) => formatLocal(at, config.timeZone, config.locale, now)) + "\n");
    return 0;
  });
}

/**
 * The office's calendar for `relay when`, when there is one to read: PostgreSQL, or an embedded database that
 * exists and no running Relay holds. Otherwise chinese-days' table, and a note on stderr when the office's
 * calendar exists but could not be read.
 */
async function officeCalendarForWhen(config: Config): Promise<WorkCalendar> {
  if (!config.databaseUrl && !existsSync(config.dataDir)) return packageCalendar; // nothing stored yet
  try {
    return await withDatabase(config, (db) => OfficeCalendar.load(db.prisma));
  } catch (error) {
    process.stderr.write(`relay: the office's holiday calendar could not be read (${(error as Error).message}); working days follow chinese-days only\n`);
    return packageCalendar;
  }
}

const AUDIT_USAGE = "usage: relay audit verify [--head HASH]";

/** `relay audit verify`: exit 0 when the chain holds (and the head noted earlier is in it), 1 at the first break. */
async function runAudit(config: Config, args: string[]): Promise<number> {
  const [sub, ...options] = args;
  const headAt = options.indexOf("--head");
  const head = headAt >= 0 ? options[headAt + 1] : undefined;
  if (sub !== "verify" || (headAt >= 0 && !/^[0-9a-f]{64}$/i.test(head ?? "")) || options.length !== (headAt >= 0 ? 2 : 0)) return fail(AUDIT_USAGE);
  // The embedded database is one process's at a time: not beside a running `relay start`.
  const unlock = config.databaseUrl ? () => {} : lockDataDir(config.dataDir);
  const db = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  try {
    const { pending } = await migrationStatus(db.sql);
    if (pending.length) return fail(t(config.locale, "audit.verify.pending", { count: pending.length }));
    const verdict = describeVerification(await verifyAuditChain(db.prisma, { expect: head?.toLowerCase() }), config.locale, config.timeZone, head?.toLowerCase());
    process.stdout.write(verdict.text + "\n");
    return verdict.ok ? 0 : 1;
  } finally {
    await db.close();
    unlock();
  }
}

/** Prints what a time phrase means now, as a reminder reads it, with a deadline's reading where it differs. */
async function runWhen(config: Config, expression: string): Promise<number> {
  const calendar = await officeCalendarForWhen(config);
  const { ok, text } = explainWhen(expression, { now: new Date(), timeZone: config.timeZone, calendar });
  if (!ok) return fail(text);
  process.stdout.write(text + "\n");
  return 0;
}

function fail(message: string): number {
  process.stderr.write(`relay: ${message}\n`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Expected start-up problems get one clear line, not a stack trace.
    if (error instanceof StartupError) process.stderr.write(`relay: ${error.message}\n`);
    else process.stderr.write(`relay: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
