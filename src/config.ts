// Environment → typed configuration. A bad value stops start-up with one line naming the variable.
import { z } from "zod";
import { hasHashTag, isClusterUrl, parseClusterUrl } from "./queue/redis-url.ts";
import { StartupError } from "./startup-error.ts";

// An empty variable (FOO= in a .env or compose file) means unset.
const optional = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === "" ? undefined : v), schema.optional());

/** A JSON object, given as a string. */
function json(what: string) {
  return z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as Record<string, unknown>;
    } catch {
      ctx.addIssue({ code: "custom", message: what });
      return z.NEVER;
    }
  });
}

/** "telegram=30/s,slack=50/m" → per-platform { max, duration }. */
function rates(text: string | undefined): Record<string, { max: number; duration: number }> {
  const out: Record<string, { max: number; duration: number }> = {};
  for (const part of text ? text.split(",") : []) {
    const [, platform, max, n, unit] = /^(\w+)=(\d+)\/(\d+)?(s|m)$/.exec(part)!;
    out[platform!] = { max: Number(max), duration: Number(n ?? 1) * (unit === "m" ? 60_000 : 1000) };
  }
  return out;
}

/** A whole number in [min, max], given as a string. */
const integer = (min: number, max: number, what: string) =>
  z.string().regex(/^\d+$/, what).transform(Number).refine((n) => n >= min && n <= max, what);

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

const schema = z.object({
  DATABASE_URL: optional(z.string().regex(/^postgres(ql)?:\/\/\S+$/, "a postgresql:// URL, or unset for the embedded database")),
  RELAY_DATA_DIR: z.string().min(1).default("./data"),
  REDIS_URL: z
    .string()
    .regex(/^(rediss?|redis-cluster):\/\/\S+$/, "a redis:// or rediss:// URL, or redis-cluster://host:port,host:port for Redis Cluster")
    .superRefine((url, ctx) => {
      const problem = isClusterUrl(url) ? clusterUrlProblem(url) : undefined;
      if (problem) ctx.addIssue({ code: "custom", message: `redis-cluster://[user:password@]host:port,host:port,… (${problem})` });
    })
    .default("redis://127.0.0.1:6379"),
  // Default: "relay", or "{relay}" on Redis Cluster (see below).
  REDIS_PREFIX: optional(z.string().regex(/^[A-Za-z0-9_{}-]+$/, "letters, digits, _ - and {} (e.g. {relay} for Redis Cluster)")),
  TELEGRAM_BOT_TOKEN: optional(z.string().regex(/^\d+:[\w-]+$/, "a token from @BotFather, like 123456:ABC-DEF")),
  TELEGRAM_API_ROOT: z.url("a URL such as https://api.telegram.org").default("https://api.telegram.org"),
  TELEGRAM_WEBHOOK_SECRET: optional(z.string().regex(/^[A-Za-z0-9_-]{1,256}$/, "1-256 characters A-Z a-z 0-9 _ -")),
  TELEGRAM_WEBHOOK_URL: optional(z.url({ protocol: /^https$/ , error: "the public https:// URL of /telegram/webhook" })),
  SLACK_BOT_TOKEN: optional(z.string().regex(/^xoxb-/, "a bot token starting with xoxb-")),
  SLACK_SIGNING_SECRET: optional(z.string().min(8, "the app's signing secret")),
  SLACK_APP_TOKEN: optional(z.string().regex(/^xapp-/, "an app-level token starting with xapp-")),
  SLACK_API_URL: optional(z.url("a URL such as https://slack.com/api/")),
  PORT: optional(integer(1, 65535, "a port number 1-65535")),
  RELAY_TIMEZONE: z.string().refine(isTimeZone, "an IANA time zone such as Asia/Shanghai").default("Asia/Shanghai"),
  RELAY_LOCALE: z.enum(["zh-CN", "en"], "zh-CN or en").default("zh-CN"),
  RELAY_INVITE_HOURS: optional(integer(1, 24 * 90, "a whole number of hours, 1-2160")),
  RELAY_JOB_LOCK_SECONDS: optional(integer(1, 3600, "a whole number of seconds, 1-3600")),
  RELAY_CHASE_POLICY: optional(json('JSON such as {"maxChases":2,"dailyAt":"10:00"}')),
  RELAY_DELIVER_RATE: optional(
    z.string().regex(/^(telegram|slack|console)=\d+\/(\d+)?(s|m)(,(telegram|slack|console)=\d+\/(\d+)?(s|m))*$/, 'rates such as "telegram=30/s,slack=50/m"'),
  ),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "one of fatal error warn info debug trace silent").optional(),
});

export type Env = z.infer<typeof schema>;

export interface Config {
  databaseUrl?: string;
  dataDir: string;
  redisUrl: string;
  redisPrefix: string;
  timeZone: string;
  locale: "zh-CN" | "en";
  inviteHours: number;
  /** How long a worker holds a delivery job; a crashed worker's jobs are picked up again about this long after. */
  jobLockSeconds: number;
  /** Fan-out ceilings per platform ("telegram=30/s"); unset platforms keep what their adapter declares. */
  deliverRates: Record<string, { max: number; duration: number }>;
  /** Office-wide overrides of the chase policy (checked when the circulars flow starts). */
  chasePolicy?: Record<string, unknown>;
  port?: number;
  logLevel?: Env["LOG_LEVEL"];
  telegram?: { token: string; apiRoot: string; webhookSecret?: string; webhookUrl?: string };
  slack?: { botToken: string; signingSecret?: string; appToken?: string; apiUrl?: string };
}

export class ConfigError extends StartupError {
  override name = "ConfigError";
}

/** Reads and checks the configuration; throws ConfigError with one line per bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? "configuration");
      const got = env[name];
      return `${name} must be ${issue.message}${got === undefined ? "" : ` (got "${redact(name, got)}")`}`;
    });
    throw new ConfigError(`Invalid configuration: ${lines.join("; ")}`);
  }
  const e = parsed.data;
  if (e.TELEGRAM_WEBHOOK_SECRET && e.PORT === undefined) {
    throw new ConfigError("Invalid configuration: TELEGRAM_WEBHOOK_SECRET (webhook mode) needs PORT for the HTTP server that receives updates");
  }
  if (e.SLACK_BOT_TOKEN && !e.SLACK_SIGNING_SECRET && !e.SLACK_APP_TOKEN) {
    throw new ConfigError("Invalid configuration: SLACK_BOT_TOKEN needs SLACK_SIGNING_SECRET (HTTP events) or SLACK_APP_TOKEN (Socket Mode)");
  }
  if (e.SLACK_BOT_TOKEN && !e.SLACK_APP_TOKEN && e.PORT === undefined) {
    throw new ConfigError("Invalid configuration: SLACK_SIGNING_SECRET (HTTP events) needs PORT for the HTTP server that receives them, or set SLACK_APP_TOKEN for Socket Mode");
  }
  // Every key of one Relay shares the prefix's hash tag, so on a cluster each multi-key script stays in one slot.
  const cluster = isClusterUrl(e.REDIS_URL);
  const redisPrefix = e.REDIS_PREFIX ?? (cluster ? "{relay}" : "relay");
  if (cluster && !hasHashTag(redisPrefix)) {
    throw new ConfigError(`Invalid configuration: REDIS_PREFIX must hold a hash tag such as {relay} on Redis Cluster, so each queue's keys share one slot (got "${redisPrefix}")`);
  }
  return {
    databaseUrl: e.DATABASE_URL,
    dataDir: e.RELAY_DATA_DIR,
    redisUrl: e.REDIS_URL,
    redisPrefix,
    timeZone: e.RELAY_TIMEZONE,
    locale: e.RELAY_LOCALE,
    inviteHours: e.RELAY_INVITE_HOURS ?? 72,
    chasePolicy: e.RELAY_CHASE_POLICY,
    jobLockSeconds: e.RELAY_JOB_LOCK_SECONDS ?? 30,
    deliverRates: rates(e.RELAY_DELIVER_RATE),
    port: e.PORT,
    logLevel: e.LOG_LEVEL,
    telegram: e.TELEGRAM_BOT_TOKEN
      ? { token: e.TELEGRAM_BOT_TOKEN, apiRoot: e.TELEGRAM_API_ROOT, webhookSecret: e.TELEGRAM_WEBHOOK_SECRET, webhookUrl: e.TELEGRAM_WEBHOOK_URL }
      : undefined,
    slack: e.SLACK_BOT_TOKEN
      ? { botToken: e.SLACK_BOT_TOKEN, signingSecret: e.SLACK_SIGNING_SECRET, appToken: e.SLACK_APP_TOKEN, apiUrl: e.SLACK_API_URL }
      : undefined,
  };
}

/** What is wrong with a redis-cluster:// URL, if anything. */
function clusterUrlProblem(url: string): string | undefined {
  try {
    parseClusterUrl(url);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** Secrets never reach a log or a terminal whole. */
function redact(name: string, value: string): string {
  if (/TOKEN|SECRET|PASSWORD/.test(name)) return value.length > 6 ? `${value.slice(0, 3)}…` : "…";
  if (name.endsWith("_URL")) return value.replace(/\/\/([^:/@]*):([^@]+)@/, "//$1:***@");
  return value;
}
