// A redis-server of the test's own on a free loopback port, for tests that stop or restart Redis: the shared
// one (6379) is never touched. Stopped by its own pid.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "./net.ts";

export class PrivateRedis {
  private process?: ChildProcess;
  private readonly dir = mkdtempSync(join(tmpdir(), "relay-redis-"));

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<PrivateRedis> {
    // freePort lets go of its port before redis-server binds it, so another process (another test run on this
    // machine) may take it meanwhile: then restart() finds someone else's server there, and another port is tried.
    for (let attempt = 1; ; attempt++) {
      const redis = new PrivateRedis(await freePort());
      try {
        await redis.restart();
        return redis;
      } catch (error) {
        await redis.close();
        if (attempt === 3) throw error;
      }
    }
  }

  /** Starts the server (again, after stop()) and waits until it answers PING; a running one is left as it is. */
  async restart(): Promise<void> {
    // A second server on the port would fail to bind and exit, and the running one, no longer ours to stop,
    // would outlive the test.
    if (this.process && running(this.process)) return untilAnswers(this.port);
    const child = spawn("redis-server", ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", this.dir], { stdio: "ignore" });
    this.process = child;
    await untilAnswers(this.port);
    // What answers must be this server, not one that took the port first (ours then failed to bind and exits).
    if ((await serverPid(this.port)) !== child.pid) {
      await this.stop();
      throw new Error(`port ${this.port} is taken by another redis-server`);
    }
  }

  /** Stops the server by its pid and waits for it to exit. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || !running(child)) return;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGKILL");
    });
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Not exited yet: a process killed by a signal has no exit code, only a signal code. */
function running(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

/** The process id of the redis-server answering on `port`. */
async function serverPid(port: number): Promise<number | undefined> {
  const probe = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 1 });
  probe.on("error", () => {});
  try {
    await probe.connect();
    return Number(/process_id:(\d+)/.exec(await probe.info("server"))?.[1]);
  } finally {
    probe.disconnect();
  }
}

/** Waits until the redis-server just spawned on `port` answers PING (it retries while nothing listens yet). */
export async function untilAnswers(port: number, password?: string): Promise<void> {
  const probe = new Redis({ host: "127.0.0.1", port, password, lazyConnect: true, retryStrategy: () => 50, maxRetriesPerRequest: null });
  probe.on("error", () => {});
  try {
    await probe.connect().catch(() => undefined);
    await probe.ping();
  } finally {
    probe.disconnect();
  }
}
