// Runs the real `relay` command as a child process, as a user would.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { fileURLToPath } from "node:url";

export const RELAY_BIN = fileURLToPath(new URL("../../bin/relay.js", import.meta.url));
const ROOT = fileURLToPath(new URL("../..", import.meta.url));

/** Environment for a child relay: only what the test sets, plus PATH/HOME. */
export function childEnv(env: Record<string, string | undefined>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
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
  async waitFor(pattern: RegExp, timeoutMs = 15_000, from = 0): Promise<RegExpExecArray> {
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
