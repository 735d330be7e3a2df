// Ports for tests that start servers.
import type { Server } from "node:http";
import { createServer } from "node:net";

/** A port nothing listens on: bound, noted, released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** `n` different ports nothing listens on (all bound at once, so no two are the same). */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve))));
  const ports = servers.map((s) => (s.address() as { port: number }).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/**
 * Keeps the idle keep-alive connections of a fake platform (or a hop in front of one) open until it is closed.
 * Node closes them after 5 s by default, and a client that writes a request on one just as it closes gets a reset
 * after writing: an outcome it cannot know, which Relay rightly records as uncertain. A busy machine makes that
 * race likely; the platforms' real idle timeouts are not what the tests are about.
 */
export function keepIdleConnections<S extends Server>(server: S): S {
  server.keepAliveTimeout = 0; // 0: no idle timeout
  return server;
}
