import { defineConfig } from "vitest/config";
import { SAFETY_NET_MS } from "./test/support/wait.ts";

// Tests talk to real PostgreSQL and Redis (see README); each file isolates itself with its own schema
// and Redis prefix, so files run in parallel.
// The timeouts are safety nets, not expectations (test/support/wait.ts): a test waits for events, never for
// time to pass, and must pass while the machine is busy with something else. A test that hangs still fails.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 2 * SAFETY_NET_MS,
    hookTimeout: 2 * SAFETY_NET_MS,
    expect: { poll: { timeout: SAFETY_NET_MS } },
    pool: "forks",
    maxWorkers: 4,
  },
});
