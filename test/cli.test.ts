// The `relay` command line as users run it: when, help, health, and a clean stop on SIGTERM.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ConsoleSession, runRelay } from "./support/cli.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "./support/redis.ts";
import { freePort } from "./support/net.ts";


describe("relay when", () => {
  it("prints the instant in the office's zone, whatever the server's TZ", async () => {
    for (const TZ of ["UTC", "America/New_York"]) {
      const { code, stdout } = await runRelay(["when", "明天下午3点"], { TZ });
      expect(code).toBe(0);
      expect(stdout.trim()).toMatch(/^\d{4}-\d\d-\d\dT15:00:00\+08:00$/);
    }
  });

  it("honours RELAY_TIMEZONE and shows recurring rules", async () => {
    const { stdout } = await runRelay(["when", "every Monday 9am"], { RELAY_TIMEZONE: "Europe/London" });
    expect(stdout.trim()).toMatch(/^\d{4}-\d\d-\d\dT09:00:00\+00:00 {2}\(every Monday at 09:00; first occurrence\)$/);
  });

  it("says clearly when it cannot understand", async () => {
    const { code, stderr } = await runRelay(["when", "喝水"], {});
    expect(code).toBe(2);
    expect(stderr.trim()).toBe('relay: cannot understand "喝水" as a time (Asia/Shanghai)');
  });
});

describe("relay help and unknown commands", () => {
  it("prints usage", async () => {
    const { code, stdout } = await runRelay(["help"], {});
    expect(code).toBe(0);
    expect(stdout).toContain("Usage: relay <command>");
  });

  it("refuses an unknown command with usage", async () => {
    const { code, stderr } = await runRelay(["frob"], {});
    expect(code).toBe(2);
    expect(stderr).toContain('relay: unknown command "frob"');
  });
});

describe("relay start with PORT", () => {
  const dir = mkdtempSync(join(tmpdir(), "relay-cli-"));
  const prefix = uniquePrefix("cli");
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await flushPrefix(prefix);
  });

  it("answers /healthz, refuses a second Relay on the same data directory, and stops cleanly on SIGTERM", { timeout: 120_000 }, async () => {
    const port = await freePort();
    const env = { RELAY_DATA_DIR: dir, REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, PORT: String(port) };
    const relay = new ConsoleSession(env);
    try {
      let health: Response | undefined;
      for (let i = 0; i < 600 && !health; i++) {
        health = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
        if (!health) await new Promise((r) => setTimeout(r, 100));
      }
      expect(health?.status).toBe(200);
      expect(await health!.json()).toEqual({ status: "ok", database: "ok", redis: "ok", adapters: { console: { connected: true } } });
      expect((await fetch(`http://127.0.0.1:${port}/nope`)).status).toBe(404);

      const second = await runRelay(["start"], { ...env, PORT: undefined });
      expect(second.code).toBe(1);
      expect(second.stderr).toMatch(/Another Relay \(pid \d+\) is using the embedded database/);

      relay.child.kill("SIGTERM");
      const code = await new Promise((resolve) => relay.child.on("close", resolve));
      expect(code).toBe(0);
    } finally {
      relay.kill();
    }
  });
});
