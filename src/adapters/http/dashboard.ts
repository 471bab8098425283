/**
 * The dashboard (behind the admin sign-in): `/dashboard`, the living journey map, updated
 * every 5 seconds, and `/dashboard/journeys/:id`, one journey's part of it;
 * `/dashboard/contacts?q=` to find a contact by id or email; `/dashboard/contacts/:id` with traits, journeys, open hand-offs (with an acknowledge
 * button) and the journal as a timeline. Numbers come from the counters, never from scans.
 */
import { Router, type Request, type Response } from "express";
import type { Engine } from "../pipeline/engine.js";
import { readJournal } from "../redis/journal.js";
import { currentId, readState } from "../redis/state.js";
import { range, rangeCounters, RANGES, type RangeName } from "../redis/ranges.js";
import { dashboardData, stalledCounts } from "./dashboard-data.js";
import { contactPage, journeyMap, layout, type OpenHandoffRow } from "./dashboard-html.js";
import { esc } from "./html.js";
import { HttpError } from "./errors.js";
import { contactView } from "./views.js";

/** What the dashboard needs. */
export type DashboardDeps = { engine: Pick<Engine, "keys" | "redis" | "compiled" | "inbox"> };

/** The router (mount it at `/dashboard`, behind `requireAdminPage`). */
export function dashboardRouter(d: DashboardDeps): Router {
  const r = Router();
  const k = d.engine.keys;
  const redis = () => d.engine.redis;

  /** The chosen range (`?range=24h|7d|30d`), or null for everything since deployment. */
  const chosen = (req: Request): RangeName | null => {
    const v = req.query["range"];
    return typeof v === "string" && v in RANGES ? (v as RangeName) : null;
  };
  /** The journey asked for (`?journey=` or the path's `:id`): one deployed now, else 404. */
  const journeyOf = (id: unknown): string | null => {
    if (id === undefined) return null;
    if (typeof id !== "string" || !d.engine.compiled.journeys.some((j) => j.id === id)) throw new HttpError(404, `no journey "${String(id)}"`);
    return id;
  };
  /** The cards of every journey, or of one. */
  const cards = async (name: RangeName | null, journey: string | null, now: number) => {
    const [counters, stalled] = await Promise.all([rangeCounters(redis(), k, name ? range(now - RANGES[name], now) : null), stalledCounts(redis(), k, d.engine.compiled, now)]);
    const all = dashboardData(d.engine.compiled, counters, stalled);
    return journey === null ? all : all.filter((j) => j.id === journey);
  };
  const map = async (name: RangeName | null, journey: string | null) => {
    const now = Date.now();
    if (journey !== null) return journeyMap(await cards(name, journey, now), null, rangeLabel(name), false);
    const [list, open, breached, dead] = await Promise.all([
      cards(name, null, now), redis().zcard(k.handoffs("open")), redis().zcard(k.handoffs("breached")), redis().zcard(k.deadLetterIndex),
    ]);
    return journeyMap(list, { openHandoffs: open, breachedHandoffs: breached, deadLetters: dead }, rangeLabel(name));
  };
  const LABELS = [["all", "Since deployment"], ["24h", "Last 24 hours"], ["7d", "Last 7 days"], ["30d", "Last 30 days"]] as const;
  const rangeLabel = (name: RangeName | null) => LABELS.find(([v]) => v === (name ?? "all"))![1].toLowerCase();
  const query = (name: RangeName | null, journey: string | null) => {
    const q = new URLSearchParams({ ...(journey !== null ? { journey } : {}), ...(name ? { range: name } : {}) }).toString();
    return q ? `?${q}` : "";
  };
  /** The map page: every journey (`/dashboard`) or one (`/dashboard/journeys/:id`). */
  const page = async (res: Response, name: RangeName | null, journey: string | null) => {
    const path = journey === null ? "/dashboard" : `/dashboard/journeys/${encodeURIComponent(journey)}`;
    const links = LABELS.map(([v, label]) => {
      const current = (name ?? "all") === v;
      return `<a href="${path}${v === "all" ? "" : `?range=${v}`}"${current ? ' aria-current="page"' : ""}>${current ? `<strong>${label}</strong>` : label}</a>`;
    }).join(" · ");
    const title = journey === null ? "Journeys" : `Journey ${journey}`;
    const back = journey === null ? "" : `<p><a href="/dashboard${name ? `?range=${name}` : ""}">All journeys</a></p>`;
    res.type("html").send(layout(title, `<h2>${esc(title)}</h2>${back}<nav aria-label="Time range">${links}</nav>
<p class="muted" aria-live="polite">Live: updated every 5 s, last at <span id="updated">load</span>. Flows count within the range (by the hour up to 48 hours, by UTC day beyond); "now" and segment sizes are current.</p>
<div id="live">${await map(name, journey)}</div>`, { live: `/dashboard/live${query(name, journey)}` }));
  };

  r.get("/", async (req: Request, res: Response) => page(res, chosen(req), null));

  r.get("/journeys/:id", async (req: Request<{ id: string }>, res: Response) => {
    if (!d.engine.compiled.journeys.some((j) => j.id === req.params.id)) {
      res.status(404).type("html").send(layout("Not found", `<h2>No journey "${esc(req.params.id)}"</h2><p><a href="/dashboard">All journeys</a></p>`));
      return;
    }
    await page(res, chosen(req), req.params.id);
  });

  r.get("/live", async (req: Request, res: Response) => {
    res.type("html").send(await map(chosen(req), journeyOf(req.query["journey"])));
  });

  r.get("/data", async (req: Request, res: Response) => {
    const name = chosen(req);
    res.json({ range: name ?? "all", journeys: await cards(name, journeyOf(req.query["journey"]), Date.now()) });
  });

  r.get("/contacts", async (req: Request, res: Response) => {
    const q = typeof req.query["q"] === "string" ? req.query["q"].trim() : "";
    if (q === "") throw new HttpError(400, "give ?q= a contact id or an email address");
    const byEmail = q.includes("@") ? await redis().get(k.email(q)) : null;
    const id = byEmail ?? (await currentId(redis(), k, q));
    if ((await redis().exists(k.contact(id))) === 0) {
      res.status(404).type("html").send(layout("Not found", `<h2>No contact "${esc(q)}"</h2><p>Search by contact id or email address.</p>`));
      return;
    }
    res.redirect(303, `/dashboard/contacts/${encodeURIComponent(id)}`);
  });

  r.get("/contacts/:id", async (req: Request<{ id: string }>, res: Response) => {
    const id = await currentId(redis(), k, req.params.id);
    const state = await readState(redis(), k, id);
    if (state === null) {
      res.status(404).type("html").send(layout("Not found", `<h2>No contact "${esc(req.params.id)}"</h2>`));
      return;
    }
    const now = Date.now();
    const handoffs: OpenHandoffRow[] = Object.entries(state.runs).flatMap(([journey, run]) => run.hd.map((h) => ({
      id: h.id, journey, team: h.team, ...(h.owner ? { owner: h.owner } : {}), dueAt: new Date(h.due).toISOString(), breached: h.due <= now,
    })));
    const journal = await readJournal(redis(), k, id, 200);
    res.type("html").send(layout(`Contact ${id}`, contactPage(contactView(d.engine.compiled, state, now), journal, handoffs)));
  });

  r.post("/contacts/:id/handoffs/:handoff/ack", async (req: Request<{ id: string; handoff: string }>, res: Response) => {
    const contact = await redis().hget(k.handoff(req.params.handoff), "contact");
    if (contact === null) throw new HttpError(404, `no hand-off "${req.params.handoff}"`);
    const now = Date.now();
    await d.engine.inbox.push([{ contact, item: { i: { kind: "ack", handoff: req.params.handoff, by: "dashboard" }, at: now }, messageId: `ack-${req.params.handoff}` }], now);
    res.redirect(303, `/dashboard/contacts/${encodeURIComponent(req.params.id)}?acked=${encodeURIComponent(req.params.handoff)}`);
  });

  return r;
}
