/**
 * Segment-compatible ingest: `POST /v1/track|identify|page|screen|group|alias` (one
 * message) and `POST /v1/batch` (alias `/v1/b`). Write key as HTTP Basic user name or
 * `writeKey` in the body; 32 KB per message, 500 KB per batch; every valid message of a
 * request is pushed to the contact inboxes in one round trip.
 */
import express, { Router, type NextFunction, type Request, type Response } from "express";
import type { Logger } from "pino";
import type { Config } from "../config.js";
import type { Engine } from "../pipeline/engine.js";
import type { Metrics } from "../metrics.js";
import { basicUser, oneOf } from "./auth.js";
import { backpressure } from "./backpressure.js";
import { HttpError, invalidBody } from "./errors.js";
import { BATCH_LIMIT, INGEST_TYPES, MESSAGE_LIMIT, batchMessages, singleMessage, type IngestType } from "./segment-body.js";

/** What the ingest routes need. */
export type IngestDeps = {
  config: Pick<Config, "WAYMARK_WRITE_KEYS" | "WAYMARK_MAX_BACKLOG">;
  engine: Pick<Engine, "inbox">;
  log: Logger;
  metrics?: Metrics;
};

/** Per-request state kept in `res.locals`. */
type Locals = { receivedAt: number; keyOk?: boolean };

const unauthorized = () =>
  new HttpError(401, "a valid write key is required (HTTP Basic user name, or writeKey in the body)", undefined,
    { "WWW-Authenticate": 'Basic realm="waymark"' });

/** The ingest router (mount it at `/v1`). */
export function ingestRouter(d: IngestDeps): Router {
  const keys = d.config.WAYMARK_WRITE_KEYS;
  const isKey = oneOf(keys);
  if (keys.length === 0) d.log.warn("WAYMARK_WRITE_KEYS is empty: every ingest request is refused with 401");
  const r = Router();

  // Receipt time first: the skew correction measures from the moment the request arrived.
  const stamp = (_req: Request, res: Response, next: NextFunction) => {
    (res.locals as Locals).receivedAt = Date.now();
    next();
  };
  // A Basic header decides alone (a wrong one is refused before the body is read).
  const headerKey = (req: Request, res: Response, next: NextFunction) => {
    if (keys.length === 0) throw unauthorized();
    const user = basicUser(req.headers.authorization);
    if (user !== undefined) {
      if (!isKey(user)) throw unauthorized();
      (res.locals as Locals).keyOk = true;
    }
    next();
  };
  const bodyKey = (req: Request, res: Response, next: NextFunction) => {
    if (!(res.locals as Locals).keyOk) {
      const given = (req.body as { writeKey?: unknown } | undefined)?.writeKey;
      if (typeof given !== "string" || !isKey(given)) throw unauthorized();
    }
    next();
  };
  // Every content type is read as JSON: browsers send text/plain to avoid a CORS preflight.
  // A body that is not JSON holds no readable writeKey either: without a Basic key that is a
  // 401 (no valid key), not a 400 about the body of a request nobody may make.
  const json = (limit: number) => {
    const parse = express.json({ limit, type: () => true });
    return (req: Request, res: Response, next: NextFunction) => parse(req, res, (err?: unknown) => {
      const malformed = err instanceof SyntaxError || (err as { type?: unknown } | undefined)?.type === "entity.parse.failed";
      next(malformed && !(res.locals as Locals).keyOk ? unauthorized() : err);
    });
  };
  const pressure = backpressure({ read: () => d.engine.inbox.backlog(), max: d.config.WAYMARK_MAX_BACKLOG });

  for (const type of INGEST_TYPES) {
    r.post(`/${type}`, stamp, headerKey, json(MESSAGE_LIMIT), bodyKey, pressure, async (req: Request, res: Response) => {
      const a = await ingestOne(d, type, req.body, (res.locals as Locals).receivedAt);
      res.status(a.status).json(a.body);
    });
  }
  r.post(["/batch", "/b"], stamp, headerKey, json(BATCH_LIMIT), bodyKey, pressure, async (req: Request, res: Response) => {
    const a = await ingestBatch(d, req.body, (res.locals as Locals).receivedAt);
    res.status(a.status).json(a.body);
  });

  return r;
}

/** What an ingest request answers: status and JSON body. */
export type IngestAnswer = { status: number; body: object };

/** One message (`/v1/<type>`), its body parsed, received at `receivedAt`: validated and pushed. */
export async function ingestOne(d: Pick<IngestDeps, "engine" | "metrics">, type: IngestType, body: unknown, receivedAt: number): Promise<IngestAnswer> {
  const out = singleMessage(body, type, receivedAt);
  if (!out.ok) {
    d.metrics?.ingested.inc({ route: type, outcome: "invalid" });
    return { status: 400, body: invalidBody("invalid message", out.issues) };
  }
  const [result] = await d.engine.inbox.push([out.push], Date.now());
  d.metrics?.ingested.inc({ route: type, outcome: result! });
  return { status: 200, body: { success: true } };
}

/** A batch (`/v1/batch`), its body parsed: the valid messages pushed, the others named by index. */
export async function ingestBatch(d: Pick<IngestDeps, "engine" | "metrics">, body: unknown, receivedAt: number): Promise<IngestAnswer> {
  const out = batchMessages(body, receivedAt);
  if (out.bodyIssues) return { status: 400, body: invalidBody("invalid batch", out.bodyIssues) };
  const results = out.pushes.length === 0 ? [] : await d.engine.inbox.push(out.pushes, Date.now());
  const duplicates = results.filter((x) => x === "duplicate").length;
  if (d.metrics) {
    d.metrics.ingested.inc({ route: "batch", outcome: "accepted" }, results.length - duplicates);
    d.metrics.ingested.inc({ route: "batch", outcome: "duplicate" }, duplicates);
    d.metrics.ingested.inc({ route: "batch", outcome: "invalid" }, out.problems.length);
  }
  if (out.problems.length === 0) return { status: 200, body: { success: true } };
  return {
    status: 400,
    body: invalidBody(`${out.problems.length} of ${out.problems.length + out.pushes.length} messages are invalid; the valid ones were accepted`,
      out.problems, { accepted: out.pushes.length, ...(duplicates > 0 ? { duplicates } : {}) }),
  };
}
