/**
 * Errors of the HTTP surface: one error class for the answers we choose, and one error
 * middleware that turns anything thrown into a JSON body `{ success: false, error, details? }`.
 */
import type { NextFunction, Request, Response } from "express";

/** An error answered with its own status and message (never logged as a failure). */
export class HttpError extends Error {
  /**
   * @param status HTTP status code (4xx or 5xx).
   * @param message Shown to the client as `error`.
   * @param details Optional JSON shown to the client as `details`.
   * @param headers Optional response headers (`Retry-After`, `WWW-Authenticate`).
   */
  constructor(
    readonly status: number,
    message: string,
    readonly details?: unknown,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

/** The shape body-parser gives its errors (`http-errors` with a `type`). */
type ParserError = Error & { type?: string; status?: number; statusCode?: number; expose?: boolean; limit?: number; code?: string };

/** Turns a body-parser error into an HttpError, or undefined when it is not one. */
function fromParser(err: ParserError): HttpError | undefined {
  switch (err.type) {
    case "entity.too.large":
      return new HttpError(413, `payload too large: the limit is ${err.limit ?? "?"} bytes`);
    case "entity.parse.failed":
      return new HttpError(400, "malformed JSON body", { reason: err.message });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new HttpError(415, err.message);
    case "request.aborted":
      return new HttpError(400, "request aborted");
    default: {
      const status = err.status ?? err.statusCode;
      // A body that does not inflate (content-encoding gzip, deflate or br over other bytes):
      // body-parser passes zlib's error (codes Z_*, brotli's ERR__ERROR_*) on with status 400 and no type.
      if (status === 400 && /^(Z_|ERR__ERROR_|ERR_BROTLI)/.test(err.code ?? "")) return new HttpError(400, "malformed compressed body: it does not decompress as its content-encoding says", { reason: err.message });
      if (err.type !== undefined && err.expose && status !== undefined && status >= 400 && status < 500) return new HttpError(status, err.message);
      return undefined;
    }
  }
}

/**
 * The error middleware (mount it last). HttpErrors and body-parser errors answer with
 * their status; anything else answers 500 with a generic message, and is logged with the
 * request id (the client gets the id in `x-request-id`, never a stack trace).
 */
export function errorHandler() {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      next(err);
      return;
    }
    const a = errorAnswer(err, req);
    for (const [h, v] of Object.entries(a.headers)) res.setHeader(h, v);
    res.status(a.status).json(a.body);
  };
}

/**
 * What the error middleware answers for `err` (status, headers, JSON body); an unexpected
 * error is logged here with the request id. Shared with the ingest fast path.
 */
export function errorAnswer(err: unknown, req: { id?: unknown; log: { error(o: object, msg: string): void } }): { status: number; headers: Record<string, string>; body: object } {
  const known = err instanceof HttpError ? err : err instanceof Error ? fromParser(err as ParserError) : undefined;
  if (known) {
    return { status: known.status, headers: known.headers ?? {}, body: { success: false, error: known.message, ...(known.details !== undefined ? { details: known.details } : {}) } };
  }
  req.log.error({ err, reqId: req.id }, "request failed");
  return { status: 500, headers: {}, body: { success: false, error: "internal error", requestId: String(req.id) } };
}

/**
 * Answers 400 for input that failed validation: `{ success: false, error, ...extra, issues }`
 * (zod issues, or `{ index, issues }` per refused item of a batch).
 */
export function sendInvalid(res: Response, error: string, issues: readonly unknown[], extra: Record<string, unknown> = {}): void {
  res.status(400).json(invalidBody(error, issues, extra));
}

/** The body of a 400 for input that failed validation. */
export function invalidBody(error: string, issues: readonly unknown[], extra: Record<string, unknown> = {}): object {
  return { success: false, error, ...extra, issues };
}

/** Answers 404 in JSON for every route nobody handled. */
export function notFound() {
  return (req: Request, res: Response): void => {
    res.status(404).json({ success: false, error: `not found: ${req.method} ${req.path}` });
  };
}
