/**
 * One-click unsubscribe (RFC 8058), public and keyed by a signed per-contact token.
 * `POST /v1/unsubscribe/:token` unsubscribes at once (mailbox providers post
 * `List-Unsubscribe=One-Click`; the confirmation page's button posts the same);
 * `GET` only shows a confirmation page, so link scanners never unsubscribe anyone.
 * Unsubscribing marks the contact at once (the email worker checks it before every send)
 * and sets the trait `unsubscribed: true` through the contact's inbox, so journeys see it.
 */
import express, { Router, type Request, type Response } from "express";
import type { Engine } from "../pipeline/engine.js";
import { verifyUnsubscribeToken } from "../email/index.js";
import { currentId } from "../redis/state.js";
import { HttpError } from "./errors.js";

/** What the routes need. */
export type UnsubscribeDeps = { engine: Pick<Engine, "keys" | "redis" | "inbox">; secret: Buffer };

const page = (title: string, body: string) => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:4rem auto;padding:0 1rem;color:#1a1a1a}
button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:.3rem;background:#1d4ed8;color:#fff;cursor:pointer}
button:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}</style></head>
<body><main><h1>${title}</h1>${body}</main></body></html>`;

/** The router (mount it at `/v1`, without admin auth). */
export function unsubscribeRouter(d: UnsubscribeDeps): Router {
  const r = Router();
  const form = express.urlencoded({ extended: false, limit: "4kb" });
  const contactOf = (token: string) => {
    const id = verifyUnsubscribeToken(d.secret, token);
    if (id === null) throw new HttpError(404, "this unsubscribe link is not valid");
    return id;
  };

  r.get("/unsubscribe/:token", (req: Request<{ token: string }>, res: Response) => {
    contactOf(req.params.token);
    res.type("html").send(page("Unsubscribe", `<p>Stop receiving these emails?</p>
<form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>`));
  });

  r.post("/unsubscribe/:token", form, async (req: Request<{ token: string }>, res: Response) => {
    const contact = contactOf(req.params.token);
    const now = Date.now();
    const k = d.engine.keys;
    const current = await currentId(d.engine.redis, k, contact);
    await d.engine.redis.multi().set(k.unsubscribed(contact), String(now)).set(k.unsubscribed(current), String(now)).exec();
    const traits = { unsubscribed: true };
    await d.engine.inbox.push([{
      contact, item: { i: { kind: "event", name: "Identify", properties: traits, traits, at: now }, at: now }, messageId: `unsub-${contact}-${now}`,
    }], now);
    if (req.accepts(["html", "text"]) === "html") res.type("html").send(page("You are unsubscribed", "<p>You will not receive these emails any more.</p>"));
    else res.type("text").send("unsubscribed\n");
  });

  return r;
}
