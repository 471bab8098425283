/**
 * The HTTP app: request logging with request ids, `/healthz`, the Segment-compatible
 * ingest routes, the admin API, JSON 404s and the error middleware. Everything it uses
 * comes from its arguments (no module state), so several apps can run in one process.
 */
import { createServer, type Server } from "node:http";
import express, { type Express } from "express";
import { pinoHttp, type HttpLogger } from "pino-http";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Engine } from "../pipeline/engine.js";
import { actionsAdminRouter } from "./actions-admin.js";
import { adminRouter, type Reload } from "./admin.js";
import { errorHandler, notFound } from "./errors.js";
import { ingestRouter } from "./ingest.js";
import { fastIngest } from "./ingest-fast.js";
import type { Metrics } from "../metrics.js";
import { readiness } from "../probes.js";
import { adminSessionRouter, requireAdminPage } from "./admin-session.js";
import { dashboardRouter } from "./dashboard.js";
import { QUEUES_PATH, queuesBoard } from "./queues-board.js";
import { reportsRouter } from "./reports.js";
import { requestId } from "./request-id.js";
import { unsubscribeRouter } from "./unsubscribe.js";

/** A request URL without link tokens: `/v1/unsubscribe/<token>` and `?token=`. */
export function redactUrl(url: string): string {
  return url.replace(/(\/unsubscribe\/)[^/?#]+/, "$1[token]").replace(/([?&]token=)[^&#]*/, "$1[token]");
}

/** What the app is made of. */
export type AppDeps = {
  config: Config;
  engine: Engine;
  log: Logger;
  /** Reloads the journeys folder (`POST /v1/journeys/reload`). */
  reload: Reload;
  /** The deployment secret (unsubscribe and acknowledgement links). */
  secret: Buffer;
  metrics: Metrics;
};

/** The request logger (pino-http): request ids, one log line per request, tokens redacted. */
export function requestLogger(log: Logger): HttpLogger {
  return pinoHttp({
    logger: log,
    genReqId: requestId,
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info"),
    autoLogging: { ignore: (req) => req.url === "/healthz" || req.url === "/readyz" || req.url === "/metrics" },
    // Link tokens (unsubscribe, hand-off acknowledgement) stay out of the logs.
    serializers: { req: (req: { method: string; url: string; id: unknown }) => ({ id: req.id, method: req.method, url: redactUrl(req.url) }) },
  });
}

/**
 * The HTTP server: the ingest fast path (the Segment routes' common case, served without
 * express's per-request overhead) in front of the express app, which answers the rest.
 */
export function createHttpServer(deps: AppDeps): Server {
  const httpLog = requestLogger(deps.log);
  const app = createApp(deps, httpLog);
  const fast = fastIngest({ config: deps.config, engine: deps.engine, log: deps.log, metrics: deps.metrics }, httpLog);
  return createServer((req, res) => {
    if (!fast(req, res)) app(req, res);
  });
}

/** Builds the express app (call `listen` on it, or hand it to `http.createServer`). */
export function createApp({ config, engine, log, reload, secret, metrics }: AppDeps, httpLog: HttpLogger = requestLogger(log)): Express {
  const app = express();
  app.disable("x-powered-by");
  // Answers are small JSON that no client revalidates: no ETag to hash per response.
  app.disable("etag");
  app.use(httpLog);

  app.get("/healthz", (_req, res) => {
    res.json({ ok: true });
  });
  const probes = { metrics, redis: engine.redis, journeys: () => engine.compiled.journeys.length };
  app.get("/readyz", async (_req, res) => {
    const r = await readiness(probes);
    res.status(r.ready ? 200 : 503).json(r);
  });
  app.get("/metrics", async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.use(adminSessionRouter(config.WAYMARK_ADMIN_TOKEN, secret, { secureCookie: config.WAYMARK_PUBLIC_URL?.startsWith("https:") ?? false }));
  const pageAuth = requireAdminPage(config.WAYMARK_ADMIN_TOKEN, secret);
  app.use(QUEUES_PATH, pageAuth, queuesBoard([engine.queue, engine.outbox.email, engine.outbox.webhooks]));
  app.use("/dashboard", pageAuth, dashboardRouter({ engine }));
  app.use("/v1", ingestRouter({ config, engine, log, metrics }));
  app.use("/v1", unsubscribeRouter({ engine, secret }));
  app.use("/v1", adminRouter({ config, engine, reload, secret }));
  app.use("/v1", actionsAdminRouter({ config, engine }));
  app.use("/v1", reportsRouter({ config, engine }));

  app.use(notFound());
  app.use(errorHandler());
  return app;
}
