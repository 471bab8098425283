/**
 * Credentials on requests: the ingest write key (HTTP Basic user name, or `writeKey` in
 * the body) and the admin bearer token. Secrets are compared in constant time.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, Response } from "express";
import { HttpError } from "./errors.js";

const sha256 = (s: string): Buffer => createHash("sha256").update(s).digest();

/** True when `given` equals `secret`, in time independent of where they differ (or of their lengths). */
export function sameSecret(given: string, secret: string): boolean {
  return timingSafeEqual(sha256(given), sha256(secret));
}

/**
 * A check of a given string against `keys` (hashed once, here): every key is compared, so
 * timing reveals nothing.
 */
export function oneOf(keys: readonly string[]): (given: string) => boolean {
  const hashed = keys.map(sha256);
  return (given) => {
    const h = sha256(given);
    let found = false;
    for (const k of hashed) found = timingSafeEqual(h, k) || found;
    return found;
  };
}

/** The user name of an `Authorization: Basic` header (the write key), else undefined. */
export function basicUser(header: string | undefined): string | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? "");
  if (!m) return undefined;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  return colon === -1 ? decoded : decoded.slice(0, colon);
}

/** The token of an `Authorization: Bearer` header, else undefined. */
export function bearerToken(header: string | undefined): string | undefined {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? "");
  return m?.[1];
}

/**
 * Admin authentication: `Authorization: Bearer <WAYMARK_ADMIN_TOKEN>`. Without a
 * configured token the admin API is off (503 saying so); a missing or wrong token is 401.
 */
export function requireAdmin(token: string | undefined) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (token === undefined) {
      next(new HttpError(503, "the admin API is disabled: WAYMARK_ADMIN_TOKEN is unset"));
      return;
    }
    const given = bearerToken(req.headers.authorization);
    if (given === undefined || !sameSecret(given, token)) {
      next(new HttpError(401, "a valid admin token is required (Authorization: Bearer <WAYMARK_ADMIN_TOKEN>)", undefined,
        { "WWW-Authenticate": 'Bearer realm="waymark-admin"' }));
      return;
    }
    next();
  };
}
