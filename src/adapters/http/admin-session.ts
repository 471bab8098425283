/**
 * Admin sign-in for the pages (queue dashboard, later the journey map): a small form that
 * takes the admin token and sets a signed, HttpOnly session cookie; scripts send the bearer
 * token instead. The cookie holds an expiry and an HMAC of it under the deployment secret,
 * so it cannot be forged and changing the secret signs everyone out.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import express, { Router, type NextFunction, type Request, type Response } from "express";
import { bearerToken, sameSecret } from "./auth.js";
import { HttpError } from "./errors.js";
import { esc } from "./html.js";

/** Cookie name and lifetime of an admin session. */
export const SESSION_COOKIE = "waymark_admin";
const SESSION_MS = 12 * 3600 * 1_000;

// Sessions are bound to the admin token: rotating the token signs every session out.
const sign = (secret: Buffer, token: string, expires: number) =>
  createHmac("sha256", secret).update(`admin-session\n${expires}\n`).update(createHash("sha256").update(token).digest()).digest("base64url");

/** A session cookie value valid until `expires`. */
export function sessionValue(secret: Buffer, token: string, expires: number): string {
  return `${expires}.${sign(secret, token, expires)}`;
}

/** Whether a cookie value is a valid, unexpired session for the current admin token. */
export function validSession(secret: Buffer, token: string, value: string | undefined, now = Date.now()): boolean {
  const m = /^(\d+)\.([A-Za-z0-9_-]+)$/.exec(value ?? "");
  if (!m || Number(m[1]) <= now) return false;
  const want = Buffer.from(sign(secret, token, Number(m[1])));
  const got = Buffer.from(m[2]!);
  return got.length === want.length && timingSafeEqual(got, want);
}

function cookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return undefined;
}

/** Only paths under /admin (or /dashboard) are followed after sign-in: no open redirect. */
function safeNext(next: unknown): string {
  return typeof next === "string" && /^\/(admin|dashboard)(\/[\w\-./?=&%]*)?$/.test(next) && !next.startsWith("//") ? next : "/admin/queues";
}

/**
 * Guards admin pages: a valid session cookie or bearer token passes; a browser asking for
 * HTML is sent to the sign-in page; anything else gets 401 (503 without a configured token).
 */
export function requireAdminPage(token: string | undefined, secret: Buffer) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (token === undefined) return next(new HttpError(503, "the admin pages are disabled: WAYMARK_ADMIN_TOKEN is unset"));
    const bearer = bearerToken(req.headers.authorization);
    if ((bearer !== undefined && sameSecret(bearer, token)) || validSession(secret, token, cookie(req, SESSION_COOKIE))) return next();
    if (req.method === "GET" && (req.headers.accept ?? "").includes("text/html")) {
      return res.redirect(303, `/admin/login?next=${encodeURIComponent(req.originalUrl)}`);
    }
    next(new HttpError(401, "sign in at /admin/login, or send Authorization: Bearer <WAYMARK_ADMIN_TOKEN>"));
  };
}

const page = (next: string, error?: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Sign in · Waymark</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:24rem;margin:5rem auto;padding:0 1rem;color:#111827}
label{display:block;font-weight:600;margin-bottom:.3rem}input{font:inherit;width:100%;box-sizing:border-box;padding:.5rem;border:1px solid #4b5563;border-radius:.3rem}
button{font:inherit;margin-top:1rem;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#1d4ed8;color:#fff;cursor:pointer}
:focus-visible{outline:3px solid #b45309;outline-offset:2px}.error{color:#b91c1c}</style></head>
<body><main><h1>Waymark admin</h1>
${error ? `<p class="error" role="alert">${error}</p>` : ""}
<form method="post" action="/admin/login">
<input type="hidden" name="next" value="${esc(next)}">
<label for="token">Admin token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form></main></body></html>`;

/** Sign-in and sign-out routes (mount at the root). */
export function adminSessionRouter(token: string | undefined, secret: Buffer, opts: { secureCookie?: boolean } = {}): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: "4kb" });
  r.get("/admin/login", (req: Request, res: Response) => {
    res.type("html").send(page(safeNext(req.query["next"])));
  });
  r.post("/admin/login", form, (req: Request, res: Response) => {
    const body = (req.body ?? {}) as { token?: unknown; next?: unknown };
    const next = safeNext(body.next);
    if (token === undefined) throw new HttpError(503, "the admin pages are disabled: WAYMARK_ADMIN_TOKEN is unset");
    if (typeof body.token !== "string" || !sameSecret(body.token, token)) {
      res.status(401).type("html").send(page(next, "That token is not valid."));
      return;
    }
    const expires = Date.now() + SESSION_MS;
    // Secure when served over https, or published at an https URL (TLS ended at a proxy).
    res.cookie(SESSION_COOKIE, sessionValue(secret, token, expires), {
      httpOnly: true, sameSite: "strict", secure: req.secure || opts.secureCookie === true, path: "/", maxAge: SESSION_MS,
    });
    res.redirect(303, next);
  });
  r.post("/admin/logout", (_req: Request, res: Response) => {
    res.clearCookie(SESSION_COOKIE, { path: "/" });
    res.redirect(303, "/admin/login");
  });
  return r;
}
