/**
 * Reports API (bearer token), JSON or CSV (`Accept: text/csv` or `?format=csv`):
 * `GET /v1/journeys/:id/report?from&to`: funnel and KPIs by stage over a time range, from
 * the hour/day counters; `GET /v1/journeys/:id/attribution?model&from&to`: goal credit by
 * channel, under the journey's model (from the counters) or any other model (recomputed
 * from the touchpoints kept with each attributed conversion).
 */
import { Router, type Request, type Response } from "express";
import { z } from "zod";
import { attribute, type Compiled, type Model } from "../../core/index.js";
import type { Engine } from "../pipeline/engine.js";
import { aligned, range, rangeCounters, type Range } from "../redis/ranges.js";
import type { Config } from "../config.js";
import { sendCsv, wantsCsv } from "./csv.js";
import { requireAdmin } from "./auth.js";
import { dashboardData, stalledCounts, type JourneyCard } from "./dashboard-data.js";
import { HttpError, sendInvalid } from "./errors.js";

/** What the routes need. */
export type ReportDeps = { config: Pick<Config, "WAYMARK_ADMIN_TOKEN">; engine: Pick<Engine, "keys" | "redis" | "compiled"> };

const DAY = 86_400_000;
const Instant = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));
const RangeQuery = z.object({ from: Instant.optional(), to: Instant.optional(), format: z.enum(["json", "csv"]).optional() });
const MODELS = ["first", "last", "linear", "time-decay", "position-based", "custom"] as const;
const AttributionQuery = RangeQuery.extend({ model: z.enum(MODELS).optional() });


/** The router (mount at `/v1`). */
export function reportsRouter(d: ReportDeps): Router {
  const r = Router();
  const auth = requireAdmin(d.config.WAYMARK_ADMIN_TOKEN);
  const journey = (id: string) => {
    const j = d.engine.compiled.byId.get(id);
    if (!j) throw new HttpError(404, `no journey "${id}" is deployed`);
    return j;
  };
  const rangeOf = (q: { from?: number; to?: number }): Range => {
    const to = q.to ?? Date.now();
    const from = q.from ?? to - 30 * DAY;
    if (!(from < to)) throw new HttpError(400, "`from` must be before `to`");
    return range(from, to);
  };
  const card = async (id: string, rg: Range): Promise<JourneyCard> => {
    const only: Compiled = { ...d.engine.compiled, journeys: [journey(id)] };
    const [counters, stalled] = await Promise.all([rangeCounters(d.engine.redis, d.engine.keys, rg), stalledCounts(d.engine.redis, d.engine.keys, only, Date.now())]);
    return dashboardData(only, counters, stalled)[0]!;
  };
  const span = (rg: Range) => ({ from: new Date(rg.from).toISOString(), to: new Date(rg.to).toISOString(), granularity: rg.granularity });

  r.get("/journeys/:id/report", auth, async (req: Request<{ id: string }>, res: Response) => {
    journey(req.params.id);
    const q = RangeQuery.safeParse(req.query);
    if (!q.success) return sendInvalid(res, "invalid query", q.error.issues);
    const rg = rangeOf(q.data);
    const c = await card(req.params.id, rg);
    if (wantsCsv(req)) {
      sendCsv(res,
        ["stage", "now", "entered", "toNext", "converted", "dropped", "left", "avgMsInStage", "medianMsInStage", "stalled", "stalledAfterMs"],
        c.stages.map((s) => [s.stage, s.now, s.entered, s.toNext, s.converted, s.dropped, s.left, s.avgMsInStage, s.medianMsInStage, s.stalled, s.stalledAfterMs]),
      );
      return;
    }
    res.json({
      journey: c.id, name: c.name, ...span(rg),
      kpis: { entered: c.entered, goals: c.goals, goalRate: c.goalRate, emails: c.emails, handoffs: c.handoffs },
      stages: c.stages, segments: c.segments,
    });
  });

  r.get("/journeys/:id/attribution", auth, async (req: Request<{ id: string }>, res: Response) => {
    const j = journey(req.params.id);
    const q = AttributionQuery.safeParse(req.query);
    if (!q.success) return sendInvalid(res, "invalid query", q.error.issues);
    if (!j.attribution) throw new HttpError(404, `journey "${j.id}" has no attribution section`);
    const model = q.data.model ?? j.attribution.model;
    if (model === "custom" && Object.keys(j.attribution.weights).length === 0) throw new HttpError(400, "model custom needs the journey's `weights`");
    const rg = rangeOf(q.data);
    const c = await card(j.id, rg);
    const goals = c.goals;
    const credits = model === j.attribution.model ? c.attribution.credits : await recompute(d, j.id, model, rg, j.attribution.halfLife, j.attribution.weights);
    const channels = Object.entries(credits).sort((a, b) => b[1] - a[1])
      .map(([channel, credit]) => ({ channel, credit: Math.round(credit * 1_000) / 1_000, share: goals > 0 ? credit / goals : null }));
    if (wantsCsv(req)) {
      sendCsv(res, ["channel", "credit", "share"], channels.map((c) => [c.channel, c.credit, c.share]));
      return;
    }
    res.json({ journey: j.id, model, ...span(rg), goals, channels });
  });

  return r;
}

/** Credit by channel under another model, from the touchpoints kept with each conversion. */
async function recompute(d: ReportDeps, journey: string, model: Model, rg: Range, halfLife: number, weights: Record<string, number>) {
  const list = await d.engine.redis.lrange(d.engine.keys.conversions(journey), 0, -1);
  const { from, to } = aligned(rg); // the same whole hours or days the counters cover
  const credits: Record<string, number> = {};
  for (const x of list) {
    const conv = JSON.parse(x) as { at: string; credits: { at: string; event: string; channel: string }[] };
    const at = Date.parse(conv.at);
    if (at < from || at >= to) continue;
    const tps = conv.credits.map((c) => ({ at: Date.parse(c.at), event: c.event, channel: c.channel }));
    for (const c of attribute(model, tps, at, halfLife, weights)) credits[c.channel] = (credits[c.channel] ?? 0) + c.credit;
  }
  return credits;
}
