// A Redis Cluster of the test's own: three masters (no replicas) on free loopback ports, each in its own
// temporary directory keeping nothing on disk, joined with `redis-cli --cluster create`, stopped by their pids.
// The shared Redis (6379) is never touched. Modelled on private-redis.ts.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePorts } from "./net.ts";
import { untilAnswers } from "./private-redis.ts";

export class PrivateRedisCluster {
  private readonly processes: ChildProcess[] = [];
  private readonly dirs: string[] = [];
  private readonly killAll = () => {
    for (const child of this.processes) if (child.exitCode === null) child.kill("SIGKILL");
  };

  private constructor(
    /** Client ports of the masters; each one's cluster bus is on a port of its own. */
    readonly ports: number[],
    readonly password: string | undefined,
  ) {}

  /** REDIS_URL in the cluster form, naming every master. */
  get url(): string {
    const auth = this.password ? `:${encodeURIComponent(this.password)}@` : "";
    return `redis-cluster://${auth}${this.ports.map((p) => `127.0.0.1:${p}`).join(",")}`;
  }

  /** Starts `masters` nodes, creates the cluster over them and waits until every node says cluster_state:ok. */
  static async start(opts: { masters?: number; password?: string } = {}): Promise<PrivateRedisCluster> {
    const n = opts.masters ?? 3;
    const ports = await freePorts(2 * n); // a client port and a bus port each
    const cluster = new PrivateRedisCluster(ports.slice(0, n), opts.password);
    // A test that dies before close() must not leave servers behind.
    process.once("exit", cluster.killAll);
    try {
      for (let i = 0; i < n; i++) cluster.spawnNode(ports[i]!, ports[n + i]!);
      await Promise.all(cluster.ports.map((port) => untilAnswers(port, cluster.password)));
      await cluster.create();
      await Promise.all(cluster.ports.map((port) => cluster.untilClusterOk(port)));
      return cluster;
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }

  /** A plain connection to one node (for CLUSTER KEYSLOT, INFO and the like); the caller disconnects it. */
  node(i = 0): Redis {
    return new Redis({ host: "127.0.0.1", port: this.ports[i]!, password: this.password, lazyConnect: true });
  }

  /** Stops every node by its pid and removes their directories. */
  async close(): Promise<void> {
    process.off("exit", this.killAll);
    await Promise.all(
      this.processes.map(
        (child) =>
          new Promise<void>((resolve) => {
            if (child.exitCode !== null || child.signalCode !== null) return resolve();
            child.once("exit", () => resolve());
            child.kill("SIGKILL");
          }),
      ),
    );
    for (const dir of this.dirs) rmSync(dir, { recursive: true, force: true });
  }

  private spawnNode(port: number, busPort: number): void {
    const dir = mkdtempSync(join(tmpdir(), "relay-cluster-"));
    this.dirs.push(dir);
    const auth = this.password ? ["--requirepass", this.password, "--masterauth", this.password] : [];
    const args = [
      "--port", String(port), "--cluster-port", String(busPort), "--bind", "127.0.0.1",
      "--cluster-enabled", "yes", "--cluster-config-file", join(dir, "nodes.conf"), "--cluster-node-timeout", "5000",
      "--save", "", "--appendonly", "no", "--dir", dir, ...auth,
    ];
    this.processes.push(spawn("redis-server", args, { stdio: "ignore" }));
  }

  private async create(): Promise<void> {
    const auth = this.password ? ["-a", this.password, "--no-auth-warning"] : [];
    const args = [...auth, "--cluster", "create", ...this.ports.map((p) => `127.0.0.1:${p}`), "--cluster-replicas", "0", "--cluster-yes"];
    const child = spawn("redis-cli", args, { stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    child.stdout.on("data", (d: Buffer) => (output += d.toString()));
    child.stderr.on("data", (d: Buffer) => (output += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
    if (code !== 0) throw new Error(`redis-cli --cluster create failed (${code}):\n${output}`);
  }

  /** Waits until this node sees every slot served (the others' configuration reaches it by gossip). */
  private async untilClusterOk(port: number, timeoutMs = 30_000): Promise<void> {
    const node = new Redis({ host: "127.0.0.1", port, password: this.password });
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const info = await node.cluster("INFO");
        if (/cluster_state:ok/.test(info) && new RegExp(`cluster_known_nodes:${this.ports.length}\\b`).test(info)) return;
        if (Date.now() > deadline) throw new Error(`the cluster on ${port} is not ok after ${timeoutMs} ms:\n${info}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    } finally {
      node.disconnect();
    }
  }
}
