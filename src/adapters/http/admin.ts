/**
 * The admin API (bearer token): contacts and their journals, hand-off acknowledgements,
 * journey funnel numbers and journey reloads. Mount it at `/v1`.
 */
import express, { Router, type Request, type Response } from "express";
import { z } from "zod";
import { verifyAckToken } from "../actions/secret.js";
import { readJournal } from "../redis/journal.js";
import { currentId, readState } from "../redis/state.js";
import type { Engine } from "../pipeline/engine.js";
import type { Config } from "../config.js";
import { requireAdmin } from "./auth.js";
import { HttpError, sendInvalid } from "./errors.js";
import { esc, simplePage } from "./html.js";
import { MAX_FUTURE_MS } from "./segment-body.js";
import { sendCsv, wantsCsv } from "./csv.js";
import { contactView, journeyStats } from "./views.js";

/** Reloads the journeys folder: the new set is deployed only when all of it is valid. */
export type Reload = () => Promise<{ ok: true; journeys: string[] } | { ok: false; problems: string[] }>;

/** What the admin routes need. */
export type AdminDeps = {
  config: Pick<Config, "WAYMARK_ADMIN_TOKEN">;
  engine: Pick<Engine, "inbox" | "keys" | "redis" | "compiled">;
  reload: Reload;
  /** Signs hand-off acknowledgement links (`?token=`), which stand in for the admin token. */
  secret: Buffer;
};

/**
 * `GET /v1/contacts/:id/journal` query: `limit` keeps the newest records (default: every
 * record kept, at most `WAYMARK_JOURNAL_MAX`, so the timeline equals `simulate`'s output
 * for the contact), `type` filters by record type.
 */
const JournalQuery = z.object({
  limit: z.coerce.number().int().min(1).optional(),
  type: z.union([z.string(), z.array(z.string())]).optional()
    .transform((t) => (t === undefined ? undefined : [t].flat().flatMap((x) => x.split(",")).map((x) => x.trim()).filter(Boolean))),
});
const Id = z.union([z.string().min(1).max(512), z.number().transform(String)]);
/**
 * An acknowledgement body: the `ack` lines of a simulate file (`type: "ack"` and a
 * `timestamp`, the instant it happened: default now, at most a minute ahead) are taken as
 * they are, so a file replayed over HTTP resolves what `simulate` resolves.
 */
const AckById = z.object({
  type: z.literal("ack").optional(), by: z.string().max(256).optional(), messageId: z.string().min(1).max(512).optional(),
  timestamp: z.iso.datetime({ offset: true }).optional(),
});
const AckByTeam = AckById.extend({ userId: Id, team: z.string().min(1).max(256) });
const AckByHandoff = AckById.extend({ handoff: z.string().min(1).max(256) });

/** When an acknowledgement happened: its timestamp (clamped like ingest's), else now. */
function ackTime(timestamp: string | undefined, now: number): number {
  return timestamp === undefined ? now : Math.min(Date.parse(timestamp), now + MAX_FUTURE_MS);
}

/** The admin router. */
export function adminRouter(d: AdminDeps): Router {
  const r = Router();
  const auth = requireAdmin(d.config.WAYMARK_ADMIN_TOKEN);
  const json = express.json({ limit: "16kb", type: () => true });
  const k = d.engine.keys;
  const redis = () => d.engine.redis;

  /** The id a contact lives under now (an anonymous id merged into a user resolves to the user). */
  const resolve = (id: string) => currentId(redis(), k, id);
  const exists = async (id: string) => (await redis().exists(k.contact(id), k.alias(id))) > 0;

  r.get("/contacts/:id", auth, async (req: Request<{ id: string }>, res: Response) => {
    const id = await resolve(req.params.id);
    const state = await readState(redis(), k, id);
    if (state === null) throw new HttpError(404, `no contact "${req.params.id}"`);
    res.json(contactView(d.engine.compiled, state, Date.now()));
  });

  r.get("/contacts/:id/journal", auth, async (req: Request<{ id: string }>, res: Response) => {
    const q = JournalQuery.safeParse(req.query);
    if (!q.success) return sendInvalid(res, "invalid query", q.error.issues);
    const { limit, type } = q.data;
    // A merged-away anonymous id keeps its own journal; without one, the user's is shown.
    let id = req.params.id;
    if ((await redis().llen(k.journal(id))) === 0) id = await resolve(id);
    const [[, len], [, stored]] = (await redis().multi().llen(k.journal(id)).exists(k.contact(id)).exec()) as [[unknown, number], [unknown, number]];
    if (len === 0 && stored === 0) throw new HttpError(404, `no contact "${req.params.id}"`);
    let records = await readJournal(redis(), k, id);
    if (type !== undefined) records = records.filter((x) => type.includes(x.type));
    if (limit !== undefined) records = records.slice(-limit);
    res.json({ id, records });
  });

  /** Queues the acknowledgement of one hand-off; returns its contact (404 unknown, 409 cancelled). */
  const ackHandoff = async (handoff: string, a: { by?: string | undefined; messageId?: string | undefined; timestamp?: string | undefined }) => {
    const [contact, status] = await redis().hmget(k.handoff(handoff), "contact", "status");
    if (contact === null || contact === undefined) throw new HttpError(404, `no hand-off "${handoff}"`);
    if (status === "cancelled") throw new HttpError(409, `hand-off "${handoff}" was cancelled: the contact's journey run ended before it was resolved`);
    const now = Date.now();
    await d.engine.inbox.push([{ contact, item: { i: { kind: "ack", handoff, ...(a.by ? { by: a.by } : {}) }, at: ackTime(a.timestamp, now) }, ...(a.messageId ? { messageId: a.messageId } : {}) }], now);
    return contact;
  };

  // The two forms of a simulate file's ack lines: `{ userId, team }`, or `{ handoff }`.
  r.post("/handoffs/ack", auth, json, async (req: Request, res: Response) => {
    const body: unknown = req.body ?? {};
    if (typeof body === "object" && body !== null && "handoff" in body) {
      const b = AckByHandoff.safeParse(body);
      if (!b.success) return sendInvalid(res, "invalid acknowledgement", b.error.issues);
      const contact = await ackHandoff(b.data.handoff, b.data);
      return res.json({ success: true, contact, handoff: b.data.handoff });
    }
    const b = AckByTeam.safeParse(body);
    if (!b.success) return sendInvalid(res, "invalid acknowledgement", b.error.issues);
    const { userId, team, by, messageId, timestamp } = b.data;
    if (!(await exists(userId))) throw new HttpError(404, `no contact "${userId}"`);
    const now = Date.now();
    await d.engine.inbox.push([{ contact: userId, item: { i: { kind: "ack", team, ...(by ? { by } : {}) }, at: ackTime(timestamp, now) }, ...(messageId ? { messageId } : {}) }], now);
    res.json({ success: true, contact: userId, team });
  });

  // A hand-off's own signed link (sent in its webhook) acknowledges it without the admin token.
  const ackAuth = (req: Request<{ id: string }>, res: Response, next: (e?: unknown) => void) => {
    const token = req.query["token"];
    if (typeof token === "string" && verifyAckToken(d.secret, req.params.id, token)) return next();
    return auth(req, res, next);
  };

  // The signed link opened in a browser (a GET: a CRM or mail client following it): a page
  // whose button posts the acknowledgement, so link scanners never acknowledge anything.
  r.get("/handoffs/:id/ack", async (req: Request<{ id: string }>, res: Response) => {
    const token = req.query["token"];
    if (typeof token !== "string" || !verifyAckToken(d.secret, req.params.id, token)) throw new HttpError(404, "this acknowledgement link is not valid");
    const h = await redis().hmget(k.handoff(req.params.id), "contact", "team", "status");
    if (!h[0]) throw new HttpError(404, `no hand-off "${req.params.id}"`);
    const body = h[2] === "cancelled" ? "<p>This hand-off was cancelled: the contact's journey ended before it was picked up.</p>"
      : `<p>Hand-off of contact <strong>${esc(h[0])}</strong> to ${esc(h[1])}.</p><form method="post"><button type="submit">Acknowledge</button></form>`;
    res.type("html").send(simplePage("Acknowledge the hand-off", body));
  });

  r.post("/handoffs/:id/ack", ackAuth, json, async (req: Request<{ id: string }>, res: Response) => {
    const b = AckById.safeParse(req.body ?? {});
    if (!b.success) return sendInvalid(res, "invalid acknowledgement", b.error.issues);
    const handoff = req.params.id;
    const contact = await ackHandoff(handoff, b.data);
    // The confirmation page's button (a browser form) gets a page back; API clients get JSON.
    if (req.is("application/x-www-form-urlencoded")) res.type("html").send(simplePage("Acknowledged", "<p>Thank you: the hand-off is acknowledged.</p>"));
    else res.json({ success: true, contact, handoff });
  });

  r.get("/journeys", auth, async (req: Request, res: Response) => {
    const journeys = journeyStats(d.engine.compiled, await redis().hgetall(k.stats));
    if (!wantsCsv(req)) {
      res.json({ journeys });
      return;
    }
    sendCsv(res, ["journey", "stage", "now", "entered", "converted", "left", "avgMsInStage", "medianMsInStage"],
      journeys.flatMap((j) => j.stages.map((st) => [j.id, st.stage, st.now, st.entered, st.converted, st.left, st.avgMsInStage, st.medianMsInStage])));
  });

  r.post("/journeys/reload", auth, async (_req: Request, res: Response) => {
    const out = await d.reload();
    if (out.ok) res.json({ success: true, journeys: out.journeys });
    else res.status(422).json({ success: false, error: "the journeys do not validate: nothing was changed", problems: out.problems });
  });

  return r;
}
