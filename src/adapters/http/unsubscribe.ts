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
import { simplePage as page } from "./html.js";

/** What the routes need. */
export type UnsubscribeDeps = { engine: Pick<Engine, "keys" | "redis" | "inbox">; secret: Buffer };

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
