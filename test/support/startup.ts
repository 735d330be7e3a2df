// Starting Relay with a configuration that should fail, for tests of start-up errors: what it threw, or
// undefined when it started (then it is closed again). Its Redis keys are removed either way.
import { pino } from "pino";
import { loadConfig } from "../../src/config.ts";
import { createRuntime } from "../../src/runtime.ts";
import type { TestDatabase } from "./db.ts";
import { freePort } from "./net.ts";
import { flushPrefix, TEST_REDIS_URL, uniquePrefix } from "./redis.ts";

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
