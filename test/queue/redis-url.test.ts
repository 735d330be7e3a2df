// The cluster form of REDIS_URL and the hash-tag rule for its prefix.
import { describe, expect, it } from "vitest";
import { hasHashTag, isClusterUrl, parseClusterUrl } from "../../src/queue/redis-url.ts";

describe("parseClusterUrl", () => {
  it("reads the seed nodes and the credentials", () => {
    expect(parseClusterUrl("redis-cluster://relay:p%40ss%3Aw0rd@10.0.0.1:7001,cache-2.internal:7002,[::1]:7003,cache-4")).toEqual({
      username: "relay",
      password: "p@ss:w0rd",
      nodes: [
        { host: "10.0.0.1", port: 7001 },
        { host: "cache-2.internal", port: 7002 },
        { host: "::1", port: 7003 },
        { host: "cache-4", port: 6379 },
      ],
    });
    expect(parseClusterUrl("redis-cluster://:secret@127.0.0.1:7001")).toEqual({ password: "secret", nodes: [{ host: "127.0.0.1", port: 7001 }] });
    expect(isClusterUrl("redis://127.0.0.1:6379")).toBe(false);
  });

  it.each([
    ["redis-cluster://10.0.0.1:7001,", '"" is not a host:port'],
    ["redis-cluster://10.0.0.1:7001/0", '"10.0.0.1:7001/0" is not a host:port'], // a cluster has no databases to choose
    ["redis-cluster://10.0.0.1:70000", '"10.0.0.1:70000" is not a host:port'],
  ])("refuses %s", (url, message) => {
    expect(() => parseClusterUrl(url)).toThrow(message);
  });
});

describe("hasHashTag", () => {
  it("is true only when a non-empty {tag} decides the slot, as Redis hashes keys", () => {
    expect(hasHashTag("{relay}")).toBe(true);
    expect(hasHashTag("office-{relay}")).toBe(true);
    expect(hasHashTag("relay")).toBe(false);
    expect(hasHashTag("{}relay")).toBe(false); // an empty tag: the whole key is hashed
    expect(hasHashTag("relay}{")).toBe(false);
  });
});
