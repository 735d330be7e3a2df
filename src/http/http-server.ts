// One HTTP server per process (when PORT is set): health now; Telegram and Slack webhooks mount here too.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { Connection } from "../bot/connector.ts";

export type Route = (req: IncomingMessage, res: ServerResponse) => Promise<void> | void;
export interface Health {
  /** "ok", or what is wrong: the database, Redis. */
  checks: Record<string, "ok" | string>;
  /** Each chat adapter's connection to its platform. */
  adapters?: Record<string, Connection>;
}
export type HealthCheck = () => Promise<Health>;

export class HttpServer {
  private readonly routes = new Map<string, Route>();
  private server?: Server;

  constructor(
    private readonly log: Logger,
    health: HealthCheck,
  ) {
    // 200 only when everything works. A process that cannot reach its chat platform cannot answer anyone, so it
    // is "degraded" and answers 503 too: a load balancer sends webhooks to another one (the platforms redeliver
    // what was refused), and an operator's monitor sees which adapter, and why.
    this.route("GET", "/healthz", async (_req, res) => {
      const { checks, adapters } = await health().catch((err: Error): Health => ({ checks: { error: err.message } }));
      const up = Object.values(checks).every((v) => v === "ok");
      const connected = Object.values(adapters ?? {}).every((a) => a.connected);
      const status = !up ? "unavailable" : connected ? "ok" : "degraded";
      res.writeHead(status === "ok" ? 200 : 503, { "content-type": "application/json" });
      res.end(JSON.stringify({ status, ...checks, ...(adapters ? { adapters } : {}) }));
    });
  }

  /** Adds a handler for one method and exact path. */
  route(method: string, path: string, handler: Route): void {
    this.routes.set(`${method} ${path}`, handler);
  }

  async listen(port: number, host = "0.0.0.0"): Promise<number> {
    this.server = createServer((req, res) => void this.dispatch(req, res));
    await new Promise<void>((resolve, reject) => {
      this.server!.once("error", reject);
      this.server!.listen(port, host, resolve);
    });
    const address = this.server.address();
    return typeof address === "object" && address ? address.port : port;
  }

  async close(): Promise<void> {
    if (!this.server) return;
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server.closeAllConnections?.();
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? "/").split("?")[0];
    const handler = this.routes.get(`${req.method} ${path}`);
    try {
      if (handler) return await handler(req, res);
      res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    } catch (err) {
      this.log.error({ err, path }, "http handler failed");
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end("internal error");
    }
  }
}
