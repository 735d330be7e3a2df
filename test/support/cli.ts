// Runs the real `relay` command as a child process, as a user would.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "./redis.ts";
import { SAFETY_NET_MS } from "./wait.ts";

export const RELAY_BIN = fileURLToPath(new URL("../../bin/relay.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Environment for a child relay: only what the test sets, plus PATH/HOME. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

const PG_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

/**
 * Environment for a `relay start` of a test: its own database (a PostgreSQL schema or a PGlite directory) and
 * Redis prefix, the console user `wang`; `cleanup` removes them.
 */
export function consoleEnvironment(kind: "postgres" | "pglite", label = "console") {
  const prefix = uniquePrefix(`${label}-${kind}`);
  const dir = mkdtempSync(join(tmpdir(), "relay-console-"));
  const schema = `t_${label.replace(/\W/g, "_")}_${prefix.slice(-8)}`;
  const env = {
    REDIS_URL: TEST_REDIS_URL,
    REDIS_PREFIX: prefix,
    RELAY_CONSOLE_USER: "wang",
    ...(kind === "postgres" ? { DATABASE_URL: `${PG_URL}?schema=${schema}` } : { RELAY_DATA_DIR: dir }),
  };
  const cleanup = async () => {
    rmSync(dir, { recursive: true, force: true });
    await flushPrefix(prefix);
    if (kind === "postgres") {
      const client = new pg.Client(PG_URL);
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  };
  return { env, cleanup };
}

/** Runs `relay ...args` to completion. */
export async function runRelay(args: string[], env: Record<string, string | undefined>, input = ""): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [RELAY_BIN, ...args], { cwd: ROOT, env: childEnv(env) });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  return { code, stdout, stderr };
}

/** A running `relay start` with piped stdin: type lines, wait for output. */
export class ConsoleSession {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = "";
  stderr = "";
  private readonly exited: Promise<number | null>;

  constructor(env: Record<string, string | undefined>) {
    this.child = spawn(process.execPath, [RELAY_BIN, "start"], { cwd: ROOT, env: childEnv(env) });
    this.child.stdout.on("data", (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => this.child.on("close", resolve));
  }

  type(line: string): void {
    this.child.stdin.write(line + "\n");
  }

  /** Waits until stdout (after `from`) matches; returns the match. */
  async waitFor(pattern: RegExp, timeoutMs = SAFETY_NET_MS, from = 0): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = pattern.exec(this.stdout.slice(from));
      if (m) return m;
      if (Date.now() > deadline || this.child.exitCode !== null) {
        throw new Error(`no ${pattern} in output within ${timeoutMs} ms.\nstdout:\n${this.stdout}\nstderr:\n${this.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Ends stdin (EOF) and waits for the process to exit. */
  async end(): Promise<number | null> {
    this.child.stdin.end();
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}
