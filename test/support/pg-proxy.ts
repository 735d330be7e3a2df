// A TCP proxy in front of the shared PostgreSQL that a test can cut and restore, for tests of Relay while its
// database is down: the shared server is never stopped. Cutting closes the listener and every open connection,
// so Relay's next query is refused (ECONNREFUSED) and a query in flight ends ("Connection terminated").
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { randomBytes } from "node:crypto";
import { openDatabase } from "../../src/db/database.ts";
import { migrate } from "../../src/db/migrator.ts";
import { TEST_DATABASE_URL, type TestDatabase } from "./db.ts";
import { freePort } from "./net.ts";

export class PgProxy {
  private server?: Server;
  private readonly sockets = new Set<Socket>();
  private readonly target: URL;

  private constructor(readonly port: number, targetUrl: string) {
    this.target = new URL(targetUrl);
  }

  /** A proxy to `targetUrl`'s host and port, listening on a free loopback port. */
  static async start(targetUrl = TEST_DATABASE_URL): Promise<PgProxy> {
    const proxy = new PgProxy(await freePort(), targetUrl);
    await proxy.restore();
    return proxy;
  }

  /** `targetUrl` with the proxy's address in place of the server's. */
  get url(): string {
    const u = new URL(this.target);
    u.host = `127.0.0.1:${this.port}`;
    return u.toString();
  }

  get up(): boolean {
    return this.server !== undefined;
  }

  /** Listens (again) and forwards each connection to PostgreSQL. */
  async restore(): Promise<void> {
    if (this.server) return;
    const server = createServer((client) => {
      const upstream = createConnection({ host: this.target.hostname, port: Number(this.target.port || 5432) });
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on("close", () => this.sockets.delete(s));
        s.on("error", () => {}); // the other side's close ends both
      }
      client.pipe(upstream).pipe(client);
      client.on("close", () => upstream.destroy());
      upstream.on("close", () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.port, "127.0.0.1", resolve);
    });
    this.server = server;
  }

  /** Stops accepting and drops every open connection: PostgreSQL is "down" for whoever goes through here. */
  async cut(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    await closed;
  }

  async close(): Promise<void> {
    await this.cut();
  }
}

/** A fresh, migrated schema in the test database reached through `proxy`; dropped over a direct connection. */
export async function proxiedDatabase(proxy: PgProxy): Promise<TestDatabase> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  const db = await openDatabase({ url: proxy.url, schema });
  await migrate(db.sql);
  let dropped: Promise<void> | undefined;
  const drop = async () => {
    await db.close().catch(() => undefined);
    const direct = await openDatabase({ url: TEST_DATABASE_URL });
    try {
      await direct.sql.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    } finally {
      await direct.close();
    }
  };
  return Object.assign(db, { drop: () => (dropped ??= drop()) });
}
