/**
 * Back-pressure on ingest: past a backlog of messages waiting in contact inboxes, new
 * requests are refused with 429 and `Retry-After` until the workers catch up. The backlog
 * is read from Redis at most every `ttlMs` per app (one read in flight at a time).
 */
import type { NextFunction, Request, Response } from "express";
import { HttpError } from "./errors.js";

/** Settings of the back-pressure check. */
export type BackpressureOptions = {
  /** Reads the current backlog (messages waiting). */
  read: () => Promise<number>;
  /** Refuse when the backlog is over this. */
  max: number;
  /** How long a read backlog is trusted (ms). Default 250. */
  ttlMs?: number;
  /** `Retry-After` (seconds) sent with a 429. Default 5. */
  retryAfterSeconds?: number;
};

/** A cached reader of a number: at most one read per `ttlMs`, concurrent callers share it. */
export function cachedReader(read: () => Promise<number>, ttlMs: number): () => Promise<number> {
  let value = 0;
  let readAt = -Infinity;
  let inflight: Promise<number> | undefined;
  return () => {
    if (Date.now() - readAt < ttlMs) return Promise.resolve(value);
    inflight ??= read()
      .then((v) => {
        value = v;
        readAt = Date.now();
        return v;
      })
      .finally(() => {
        inflight = undefined;
      });
    return inflight;
  };
}

/** Middleware answering 429 with `Retry-After` while the backlog is over `max`. */
export function backpressure(o: BackpressureOptions) {
  const backlog = cachedReader(o.read, o.ttlMs ?? 250);
  return async (_req: Request, _res: Response, next: NextFunction): Promise<void> => {
    const refused = overBacklog(await backlog(), o.max, o.retryAfterSeconds);
    if (refused) throw refused;
    next();
  };
}

/** The 429 to answer when `backlog` is over `max`, else undefined. */
export function overBacklog(backlog: number, max: number, retryAfterSeconds = 5): HttpError | undefined {
  if (backlog <= max) return undefined;
  return new HttpError(429, "too many messages waiting: retry later", { backlog, max }, { "Retry-After": String(retryAfterSeconds) });
}
