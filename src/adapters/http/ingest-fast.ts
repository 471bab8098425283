/**
 * The ingest fast path: the Segment routes' common case served straight from `node:http`,
 * without express's per-request dispatch, body parser and `res.json` (a bare express 5
 * route costs about 0.23 ms more CPU than `node:http` on a 2-vCPU machine; the benchmark's
 * single `track` calls, `bench/live.mjs` part 2, went from about 1.17 to 1.07 ms of engine
 * CPU each). It takes a request only when it is `POST /v1/<type>` or
 * `/v1/batch` (`/v1/b`) with no query, a valid write key as the Basic user name, a
 * `Content-Length` within the route's limit, no `Content-Encoding` and a UTF-8 body;
 * anything else (no key or a wrong one, a key in the body, an oversize or compressed or
 * chunked body, another charset) goes to the express app, which answers it as it always
 * has. What the fast path answers it answers with the same pieces as the express routes:
 * pino-http (request ids, request logs), `ingestOne`/`ingestBatch`, the back-pressure check,
 * and `errorAnswer` for the error bodies.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { HttpLogger } from "pino-http";
import { basicUser, oneOf } from "./auth.js";
import { cachedReader, overBacklog } from "./backpressure.js";
import { errorAnswer, HttpError } from "./errors.js";
import { ingestBatch, ingestOne, type IngestAnswer, type IngestDeps } from "./ingest.js";
import { BATCH_LIMIT, INGEST_TYPES, MESSAGE_LIMIT, type IngestType } from "./segment-body.js";

/** Serves a request and returns true, or returns false having touched nothing. */
export type FastPath = (req: IncomingMessage, res: ServerResponse) => boolean;

const ROUTES = new Map<string, IngestType | "batch">([
  ...INGEST_TYPES.map((t) => [`/v1/${t}`, t] as const), ["/v1/batch", "batch"], ["/v1/b", "batch"],
]);

/** The fast path of the ingest routes, logging through `httpLog` (the app's pino-http). */
export function fastIngest(d: IngestDeps, httpLog: HttpLogger): FastPath {
  const isKey = oneOf(d.config.WAYMARK_WRITE_KEYS);
  const backlog = cachedReader(() => d.engine.inbox.backlog(), 250);
  return (req, res) => {
    if (req.method !== "POST") return false;
    const route = ROUTES.get(req.url ?? "");
    if (route === undefined) return false;
    const h = req.headers;
    if (h["content-encoding"] !== undefined && h["content-encoding"] !== "identity") return false;
    if (h["content-type"] !== undefined && /charset=/i.test(h["content-type"]) && !/charset="?utf-?8"?(;|\s|$)/i.test(h["content-type"])) return false;
    const length = Number(h["content-length"]);
    if (!Number.isInteger(length) || length <= 0 || length > (route === "batch" ? BATCH_LIMIT : MESSAGE_LIMIT)) return false;
    const user = basicUser(h.authorization);
    if (user === undefined || !isKey(user)) return false;
    httpLog(req, res);
    const receivedAt = Date.now();
    void answer(req, async () => {
      const body = parseStrict(await readBody(req));
      const over = overBacklog(await backlog(), d.config.WAYMARK_MAX_BACKLOG);
      if (over) throw over;
      return route === "batch" ? ingestBatch(d, body, receivedAt) : ingestOne(d, route, body, receivedAt);
    }).then((a) => send(res, a.status, a.body, a.headers)).catch((err: unknown) => {
      // Only the answer's own write can fail here (a socket gone): nothing to tell the client.
      (req as IncomingMessage & { log?: { warn(o: object, msg: string): void } }).log?.warn({ err }, "could not answer");
      res.destroy();
    });
    return true;
  };
}

/** Runs `work`, turning what it throws into the error middleware's answer. */
async function answer(req: IncomingMessage, work: () => Promise<IngestAnswer>): Promise<IngestAnswer & { headers?: Record<string, string> }> {
  try {
    return await work();
  } catch (err) {
    return errorAnswer(err, req as IncomingMessage & { id?: unknown; log: { error(o: object, msg: string): void } });
  }
}

/**
 * The body parsed as body-parser's strict JSON parser does (an object or an array; the
 * same error messages, so both paths answer malformed bodies alike).
 */
function parseStrict(raw: string): unknown {
  const text = raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
  const first = /^[\x20\x09\x0a\x0d]*([^\x20\x09\x0a\x0d])/.exec(text)?.[1];
  try {
    if (first !== "{" && first !== "[") {
      // body-parser's strict violation: the native error for the text from that character on.
      const index = first === undefined ? -1 : text.indexOf(first);
      try {
        JSON.parse(index === -1 ? "" : text.substring(0, index) + "#".repeat(text.length - index));
      } catch (e) {
        throw new SyntaxError((e as Error).message.replace(/#+/g, (p) => text.substring(index, index + p.length)));
      }
    }
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new HttpError(400, "malformed JSON body", { reason: (err as Error).message });
  }
}

/** The request body as UTF-8 text (Node's parser stops at Content-Length). */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", () => reject(new HttpError(400, "request aborted")));
    req.on("aborted", () => reject(new HttpError(400, "request aborted")));
  });
}

/** Writes a JSON answer, as `res.json` does. */
function send(res: ServerResponse, status: number, body: object, headers: Record<string, string> = {}): void {
  const json = JSON.stringify(body);
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "content-length": Buffer.byteLength(json) });
  res.end(json);
}
