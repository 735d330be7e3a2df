// Configuration: defaults, and one clear line naming each bad variable.
import { describe, expect, it } from "vitest";
import { ConfigError, loadConfig } from "../src/config.ts";
import { runRelay } from "./support/cli.ts";

describe("loadConfig", () => {
  it("has defaults that run Relay on this machine with nothing set", () => {
    expect(loadConfig({})).toEqual({
      dataDir: "./data",
      redisUrl: "redis://127.0.0.1:6379",
      redisPrefix: "relay",
      timeZone: "Asia/Shanghai",
      locale: "zh-CN",
      inviteHours: 72,
      jobLockSeconds: 30,
      deliverRates: {},
    });
  });

  it("reads every setting", () => {
    const config = loadConfig({
      DATABASE_URL: "postgresql://relay:pw@db:5432/relay",
      REDIS_URL: "rediss://cache:6380",
      REDIS_PREFIX: "{relay}",
      PORT: "8080",
      RELAY_TIMEZONE: "Asia/Urumqi",
      RELAY_LOCALE: "en",
      TELEGRAM_BOT_TOKEN: "123456:ABC-def_ghi",
      TELEGRAM_WEBHOOK_SECRET: "s3cret",
    });
    expect(config).toMatchObject({
      databaseUrl: "postgresql://relay:pw@db:5432/relay",
      redisPrefix: "{relay}",
      port: 8080,
      timeZone: "Asia/Urumqi",
      locale: "en",
      telegram: { token: "123456:ABC-def_ghi", apiRoot: "https://api.telegram.org", webhookSecret: "s3cret" },
    });
  });

  it("reads fan-out rates per platform", () => {
    expect(loadConfig({ RELAY_DELIVER_RATE: "telegram=25/s,slack=50/m" }).deliverRates).toEqual({
      telegram: { max: 25, duration: 1000 },
      slack: { max: 50, duration: 60_000 },
    });
    expect(() => loadConfig({ RELAY_DELIVER_RATE: "telegram=fast" })).toThrow('RELAY_DELIVER_RATE must be rates such as "telegram=30/s,slack=50/m"');
    expect(() => loadConfig({ RELAY_CHASE_POLICY: "{maxChases:2}" })).toThrow("RELAY_CHASE_POLICY must be JSON such as");
  });

  it("reads the cluster form of REDIS_URL, where the prefix defaults to {relay} and must keep a hash tag", () => {
    const url = "redis-cluster://:p%40ss@10.0.0.1:7001,10.0.0.2:7002,redis-3:7003";
    expect(loadConfig({ REDIS_URL: url })).toMatchObject({ redisUrl: url, redisPrefix: "{relay}" });
    expect(loadConfig({ REDIS_URL: url, REDIS_PREFIX: "{relay-prod}" }).redisPrefix).toBe("{relay-prod}");
    expect(() => loadConfig({ REDIS_URL: url, REDIS_PREFIX: "relay" })).toThrow(
      'Invalid configuration: REDIS_PREFIX must hold a hash tag such as {relay} on Redis Cluster, so each queue\'s keys share one slot (got "relay")',
    );
    // Redis hashes only a non-empty tag: "{}" does not keep keys together.
    expect(() => loadConfig({ REDIS_URL: url, REDIS_PREFIX: "{}relay" })).toThrow("REDIS_PREFIX must hold a hash tag");
    // The plain form is unchanged: any prefix, "relay" by default.
    expect(loadConfig({ REDIS_URL: "redis://cache:6379" }).redisPrefix).toBe("relay");
    expect(() => loadConfig({ REDIS_URL: "redis-cluster://10.0.0.1:7001,10.0.0.2:port" })).toThrow(
      'REDIS_URL must be redis-cluster://[user:password@]host:port,host:port,… ("10.0.0.2:port" is not a host:port)',
    );
    expect(() => loadConfig({ REDIS_URL: "redis-cluster://admin:hunter2@10.0.0.1:7001,/0" })).toThrow(/\(got "redis-cluster:\/\/admin:\*\*\*@10\.0\.0\.1:7001,\/0"\)$/);
  });

  it("treats an empty variable as unset", () => {
    const config = loadConfig({ PORT: "", DATABASE_URL: "" });
    expect(config.port).toBeUndefined();
    expect(config.databaseUrl).toBeUndefined();
  });

  it.each([
    [{ PORT: "abc" }, 'PORT must be a port number 1-65535 (got "abc")'],
    [{ PORT: "70000" }, 'PORT must be a port number 1-65535 (got "70000")'],
    [{ DATABASE_URL: "mysql://x/y" }, "DATABASE_URL must be a postgresql:// URL, or unset for the embedded database"],
    [{ REDIS_URL: "localhost:6379" }, 'REDIS_URL must be a redis:// or rediss:// URL, or redis-cluster://host:port,host:port for Redis Cluster (got "localhost:6379")'],
    [{ RELAY_TIMEZONE: "Beijing" }, 'RELAY_TIMEZONE must be an IANA time zone such as Asia/Shanghai (got "Beijing")'],
    [{ RELAY_LOCALE: "fr" }, 'RELAY_LOCALE must be zh-CN or en (got "fr")'],
    [{ REDIS_PREFIX: "a:b" }, "REDIS_PREFIX must be letters, digits"],
    [{ TELEGRAM_BOT_TOKEN: "secret-token-value" }, 'TELEGRAM_BOT_TOKEN must be a token from @BotFather, like 123456:ABC-DEF (got "sec…")'],
    [{ SLACK_BOT_TOKEN: "xoxb-1" }, "SLACK_BOT_TOKEN needs SLACK_SIGNING_SECRET (HTTP events) or SLACK_APP_TOKEN (Socket Mode)"],
    [{ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "8f742231b10e" }, "SLACK_SIGNING_SECRET (HTTP events) needs PORT for the HTTP server that receives them, or set SLACK_APP_TOKEN"],
  ])("rejects %o with a line naming the variable", (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it("never prints a password from a URL", () => {
    expect(() => loadConfig({ DATABASE_URL: "mysql://root:hunter2@db/x" })).toThrow(/root:\*\*\*@db/);
  });
});

describe("relay start with a bad environment", () => {
  it("stops with one line naming the variable", async () => {
    const { code, stderr, stdout } = await runRelay(["start"], { PORT: "eighty" });
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('relay: Invalid configuration: PORT must be a port number 1-65535 (got "eighty")');
    expect(stdout).toBe("");
  });

  it("says how to start Redis when it is unreachable", async () => {
    const { code, stderr } = await runRelay(["start"], { REDIS_URL: "redis://127.0.0.1:1" });
    expect(code).toBe(1);
    expect(stderr).toMatch(/^relay: Redis is not reachable at redis:\/\/127\.0\.0\.1:1 .*Start it .* or set REDIS_URL/);
    expect(stderr.trim().split("\n")).toHaveLength(1);
  });
});
