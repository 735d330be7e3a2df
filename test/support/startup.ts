// Starting Relay for tests of start-up: with a configuration that should fail (what it threw, or undefined
// when it started, then closed again), or with a chat platform that cannot be reached yet. Its Redis keys
// are removed either way.
import { pino } from "pino";
import type { RetryPolicy } from "../../src/bot/connector.ts";
import { loadConfig } from "../../src/config.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import type { TestDatabase } from "./db.ts";
import { freePort } from "./net.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "./redis.ts";
import { SAFETY_NET_MS } from "./wait.ts";

export async function startupError(env: Record<string, string>, db: TestDatabase): Promise<unknown> {
  const prefix = uniquePrefix("startup");
  try {
    const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, PORT: String(await freePort()), ...env });
    const runtime = await createRuntime({ config, mode: "start", adapters: [], db, log: pino({ level: "silent" }) });
    await runtime.close();
    return undefined;
  } catch (error) {
    return error;
  } finally {
    await flushPrefix(prefix);
  }
}

/** A Relay started for a test of connecting: its log lines kept, its /healthz one call away. */
export interface StartedRelay {
  runtime: Runtime;
  /** Its HTTP port (/healthz, webhooks). */
  port: number;
  /** Every log line (debug and up), parsed. */
  logs: { level: number; msg: string; [key: string]: unknown }[];
  /** GET /healthz: its status code and JSON. */
  health(): Promise<{ status: number; body: Record<string, unknown> }>;
  /** Waits until /healthz satisfies `check`. */
  healthUntil(check: (h: { status: number; body: Record<string, unknown> }) => boolean, timeoutMs?: number): Promise<{ status: number; body: Record<string, unknown> }>;
  close(): Promise<void>;
}

/** Starts Relay with `env` (e.g. a chat platform's address where nothing answers yet) and short connect retries. */
export async function startRelay(env: Record<string, string>, db: TestDatabase, retry: Partial<RetryPolicy>): Promise<StartedRelay> {
  const prefix = uniquePrefix("connect");
  const port = await freePort();
  const logs: StartedRelay["logs"] = [];
  const log = pino({ level: "debug" }, { write: (line: string) => void logs.push(JSON.parse(line) as StartedRelay["logs"][number]) });
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, PORT: String(port), ...env });
  const runtime = await createRuntime({ config, mode: "start", adapters: [], db, log, connectRetry: retry });
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  return {
    runtime,
    port,
    logs,
    health,
    async healthUntil(check, timeoutMs = SAFETY_NET_MS) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const h = await health();
        if (check(h)) return h;
        if (Date.now() > deadline) throw new Error(`/healthz never got there; last: ${h.status} ${JSON.stringify(h.body)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async close() {
      await runtime.close();
      await flushPrefix(prefix);
    },
  };
}
