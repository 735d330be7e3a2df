import { defineConfig } from "vitest/config";

// Tests talk to real PostgreSQL and Redis (see README); each file isolates itself with its own schema
// and Redis prefix, so files run in parallel.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    maxWorkers: 4,
  },
});
