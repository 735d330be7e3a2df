// A whole Relay on real PostgreSQL or PGlite and real Redis, with an in-memory chat: for conversation tests.
import { pino, type Logger } from "pino";
import type { Clock } from "../../src/bot/clock.ts";
import { loadConfig } from "../../src/config.ts";
import { createRuntime, type Runtime } from "../../src/runtime.ts";
import { testDatabase } from "./db.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "./redis.ts";
import { TestAdapter } from "./test-adapter.ts";
import { SAFETY_NET_MS } from "./wait.ts";

export type DbKind = "postgres" | "pglite";

export interface Office {
  chat: TestAdapter;
  runtime: Runtime;
  prefix: string;
  close(): Promise<void>;
}

/**
 * Where an office's clock starts unless a test sets its own: Wednesday 2026-11-25 10:00 in Beijing, a working day
 * in working hours. Tests never read the machine's date: on New Year's Day, at 3 a.m. or on a holiday they mean
 * what they mean today. The clock stands still until a test moves it (TestClock).
 */
export const OFFICE_EPOCH = new Date("2026-11-25T10:00:00+08:00");

/** Starts Relay on a fresh database of `kind` with its own Redis prefix. */
export async function openOffice(kind: DbKind, opts: { clock?: Clock; env?: Record<string, string>; healEveryMs?: number; log?: Logger } = {}): Promise<Office> {
  const db = await testDatabase(kind);
  const prefix = uniquePrefix(kind);
  const chat = new TestAdapter();
  const config = loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix, ...opts.env });
  const runtime = await createRuntime({ config, mode: "start", adapters: [chat], db, clock: opts.clock ?? new TestClock(OFFICE_EPOCH), healEveryMs: opts.healEveryMs, log: opts.log ?? pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }) });
  // What someone says sets sends going (the inviter told of a join, an approver asked): a test reads them after it.
  chat.afterEvent = () => runtime.app.outbox.idle(SAFETY_NET_MS);
  return {
    chat,
    runtime,
    prefix,
    async close() {
      await runtime.close();
      await db.drop();
      await flushPrefix(prefix);
    },
  };
}

/** A clock that stands at `start` until a test moves it. */
export class TestClock implements Clock {
  private offset = 0;
  constructor(private readonly start: Date = new Date()) {}
  now(): Date {
    return new Date(this.start.getTime() + this.offset);
  }
  advance(ms: number): void {
    this.offset += ms;
  }
  /** Stands the clock at `at`. */
  set(at: Date): void {
    this.offset += at.getTime() - this.now().getTime();
  }
}
