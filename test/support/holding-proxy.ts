// An HTTP hop between one Relay process and a fake platform API. It forwards every request; after `hold()` it
// still forwards them (the platform acts on them) but keeps the answers, so the process is left mid-send, not
// knowing its messages went out. That is the moment a crash makes a copy uncertain; the test knows exactly which.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { keepIdleConnections } from "./net.ts";

export interface HeldCall {
  method: string;
  /** The JSON body of the call (grammY sends JSON for text messages). */
  body: Record<string, unknown>;
  /** Whether the platform accepted it (a 429 or 400 did nothing there). */
  ok: boolean;
}

export class HoldingProxy {
  url = "";
  /** Calls the platform answered after hold(), whose answers never reached the process. */
  readonly held: HeldCall[] = [];
  private holding = false;
  private server!: Server;
  private readonly kept = new Set<ServerResponse>();

  private constructor(private readonly target: string) {}

  static async start(target: string): Promise<HoldingProxy> {
    const proxy = new HoldingProxy(target.replace(/\/+$/, ""));
    proxy.server = keepIdleConnections(createServer((req, res) => void proxy.forward(req, res).catch(() => res.destroy())));
    await new Promise<void>((resolve) => proxy.server.listen(0, "127.0.0.1", resolve));
    proxy.url = `http://127.0.0.1:${(proxy.server.address() as AddressInfo).port}`;
    return proxy;
  }

  /** From now on the answers stay here. */
  hold(): void {
    this.holding = true;
  }

  async close(): Promise<void> {
    for (const res of this.kept) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks);
    const answer = await fetch(this.target + (req.url ?? "/"), {
      method: req.method,
      headers: { "content-type": String(req.headers["content-type"] ?? "application/json") },
      body: req.method === "GET" || req.method === "HEAD" ? undefined : raw,
    });
    const text = await answer.text();
    if (this.holding) {
      const method = /\/([^/]+)$/.exec(req.url ?? "")?.[1] ?? "";
      this.held.push({ method, body: parseJson(raw.toString()), ok: answer.ok });
      this.kept.add(res);
      return;
    }
    res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" }).end(text);
  }
}

function parseJson(text: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return {};
  }
}
