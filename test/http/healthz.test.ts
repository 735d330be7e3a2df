// GET /healthz answers at once and says what is down, even while Redis is: ioredis holds commands while it
// reconnects, so an unbounded check would hang just when a load balancer asks. A private redis-server is
// stopped and started again; the shared one is never touched.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openOffice, type Office } from "../support/office.ts";
import { freePort } from "../support/net.ts";
import { PrivateRedis } from "../support/private-redis.ts";

describe("/healthz", () => {
  let redis: PrivateRedis;
  let office: Office;
  beforeAll(async () => {
    redis = await PrivateRedis.start();
    office = await openOffice("postgres", { env: { REDIS_URL: redis.url, PORT: String(await freePort()) } });
  });
  afterAll(async () => {
    await redis?.restart().catch(() => undefined); // closing needs Redis to say goodbye to
    await office?.close();
    await redis?.close();
  });

  // A hang fails the test here rather than passing slowly: the answer must come while Redis is away.
  const health = async () => {
    const res = await fetch(`http://127.0.0.1:${office.runtime.port}/healthz`, { signal: AbortSignal.timeout(10_000) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  it("is 200 with everything up", async () => {
    expect(await health()).toMatchObject({ status: 200, body: { status: "ok", database: "ok", redis: "ok" } });
  });

  it("answers 503 naming Redis while it is down, and recovers when it is back", async () => {
    await redis.stop();
    const down = await health();
    expect(down.status).toBe(503);
    expect(down.body).toMatchObject({ status: "unavailable", database: "ok" });
    expect(down.body.redis).not.toBe("ok");
    await redis.restart();
    await expect.poll(async () => (await health()).status, { interval: 200 }).toBe(200);
  });
});
