// Prints p50/p99 of handling 1,000 /whoami commands through the core (router → roster lookup → reply)
// on PostgreSQL and on PGlite, with real Redis. Run: npx tsx bench/command-latency.ts [count]
import { pino } from "pino";
import { loadConfig } from "../src/config.ts";
import { createRuntime } from "../src/runtime.ts";
import { testDatabase } from "../test/support/db.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "../test/support/redis.ts";
import { TestAdapter } from "../test/support/test-adapter.ts";

const COUNT = Number(process.argv[2] ?? 1000);
const WARMUP = 50;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function measure(kind: "postgres" | "pglite"): Promise<string> {
  const db = await testDatabase(kind);
  const prefix = uniquePrefix("bench");
  const chat = new TestAdapter();
  const runtime = await createRuntime({
    config: loadConfig({ REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix }),
    mode: "start",
    adapters: [chat],
    db,
    log: pino({ level: "silent" }),
  });
  try {
    await chat.say("wang", "/setup 王主任 城关镇");
    for (let i = 0; i < WARMUP; i++) await chat.say("wang", "/whoami");
    const times: number[] = [];
    const started = performance.now();
    for (let i = 0; i < COUNT; i++) {
      const t0 = performance.now();
      const [reply] = await chat.say("wang", "/whoami");
      times.push(performance.now() - t0);
      if (!reply?.includes("王主任")) throw new Error(`unexpected reply: ${reply}`);
    }
    const total = performance.now() - started;
    times.sort((a, b) => a - b);
    const f = (ms: number) => `${ms.toFixed(2)} ms`;
    return `${kind.padEnd(8)}  n=${COUNT}  p50=${f(percentile(times, 50))}  p99=${f(percentile(times, 99))}  max=${f(times.at(-1)!)}  throughput=${((COUNT / total) * 1000).toFixed(0)}/s`;
  } finally {
    await runtime.close();
    await db.drop();
    await flushPrefix(prefix);
  }
}

console.log(`/whoami through the core, sequential (node ${process.version})`);
for (const kind of ["postgres", "pglite"] as const) console.log(await measure(kind));
