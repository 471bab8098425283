/**
 * Health, readiness and metrics for orchestrators and Prometheus: `/healthz` (the process
 * answers), `/readyz` (Redis answers and journeys are loaded) and `/metrics`. The API
 * serves them from its express app; a `waymark worker` serves them on
 * `WAYMARK_METRICS_PORT` with this small node:http server (workers never load express).
 */
import { createServer, type Server } from "node:http";
import type { Redis } from "ioredis";
import type { Metrics } from "./metrics.js";

/** What the probes read. */
export type ProbeDeps = { metrics: Metrics; redis: Redis; journeys: () => number };

/** Readiness: Redis answers a PING within a second and at least one journey is deployed. */
export async function readiness(d: ProbeDeps): Promise<{ ready: boolean; redis: boolean; journeys: number }> {
  const redis = await Promise.race([
    d.redis.ping().then((x) => x === "PONG", () => false),
    new Promise<boolean>((r) => setTimeout(() => r(false), 1_000).unref()),
  ]);
  const journeys = d.journeys();
  return { ready: redis && journeys > 0, redis, journeys };
}

/** Serves the probes on `port` (0: any free port). */
export function probeServer(d: ProbeDeps, port: number, host?: string): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const path = (req.url ?? "/").split("?")[0];
      if (req.method !== "GET") return res.writeHead(405).end();
      if (path === "/healthz") return res.writeHead(200, { "content-type": "application/json" }).end('{"ok":true}');
      if (path === "/readyz") {
        const r = await readiness(d);
        return res.writeHead(r.ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(r));
      }
      if (path === "/metrics") {
        const text = await d.metrics.registry.metrics();
        return res.writeHead(200, { "content-type": d.metrics.registry.contentType }).end(text);
      }
      return res.writeHead(404, { "content-type": "application/json" }).end('{"success":false,"error":"not found"}');
    })().catch(() => res.writeHead(500).end());
  });
  return listenOn(server, port, "WAYMARK_METRICS_PORT", host);
}

/** Listens on `port`; rejects with a message naming `variable` when it cannot (in use, no permission). */
export function listenOn(server: Server, port: number, variable: string, host?: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const failed = (err: NodeJS.ErrnoException) => {
      const why = err.code === "EADDRINUSE" ? "it is in use by another process" : err.code === "EACCES" ? "this user may not listen on it" : err.message;
      reject(new Error(`${variable}=${port}: cannot listen: ${why}`));
    };
    server.once("error", failed);
    server.listen(port, host, () => {
      server.off("error", failed);
      resolve(server);
    });
  });
}
