/**
 * The journey map's numbers, from the counters kept as records happen (never a scan):
 * per stage the funnel (now, entered, converted, conversion to the next stage, drop-off,
 * median time), segment sizes, email outcomes, hand-off SLA attainment and attribution
 * credit by channel. Pure: it reads a counters hash.
 */
import type { Redis } from "ioredis";
import type { CJourney, Compiled } from "../../core/index.js";
import type { Keys } from "../redis/keys.js";
import { journeyStats, type StageStats } from "./views.js";

/** One stage on the map. */
export type StageRow = StageStats & {
  /**
   * Share of this stage's entries that went on to a later stage (the next, or one past it:
   * stages can be skipped), so at most 1; null for the last stage, or before any entry.
   */
  toNext: number | null;
  /** Contacts who left the journey from this stage without reaching the goal. */
  dropped: number;
  /** Contacts in the stage now for longer than `stalledAfterMs` (null when not counted). */
  stalled: number | null;
  stalledAfterMs: number;
};

/** A stay counts as stalled after the stage's shortest `stalled` trigger, else 14 days. */
export const DEFAULT_STALLED_MS = 14 * 86_400_000;

/** When a stay in stage `index` of `j` counts as stalled. */
export function stalledAfter(j: CJourney, index: number): number {
  const fors = j.triggers.flatMap((t) => (t.on.type === "stalled" && t.on.stage === index ? [t.on.ms] : []));
  return fors.length ? Math.min(...fors) : DEFAULT_STALLED_MS;
}

/** Stalled contacts per `journey|stage`, counted from the stage-occupancy sets (no scan). */
export async function stalledCounts(redis: Redis, keys: Keys, compiled: Compiled, now: number): Promise<Map<string, number>> {
  const pipe = redis.pipeline();
  const names: string[] = [];
  for (const j of compiled.journeys) {
    j.stages.forEach((st, i) => {
      names.push(`${j.id}|${st.id}`);
      pipe.zcount(keys.inStage(j.id, st.id), "-inf", now - stalledAfter(j, i));
    });
  }
  const res = (await pipe.exec()) ?? [];
  return new Map(names.map((n, i) => [n, Number(res[i]?.[1] ?? 0)]));
}

/** One journey on the map. */
export type JourneyCard = {
  id: string;
  name: string;
  entered: number;
  goals: number;
  /** goals / entered (null before any entry). */
  goalRate: number | null;
  stages: StageRow[];
  segments: Record<string, number>;
  emails: { sent: number; suppressed: number; deferred: number; failed: number };
  /** `slaAttainment`: hand-offs resolved within their SLA over those decided (resolved in time, or breached). */
  handoffs: { opened: number; breached: number; resolved: number; slaAttainment: number | null };
  /** Attribution credit by channel (sums of credits, one per goal). */
  attribution: { model: string | null; credits: Record<string, number> };
};

const ratio = (a: number, b: number) => (b > 0 ? a / b : null);

/** The map of every deployed journey. */
export function dashboardData(compiled: Compiled, counters: Record<string, string>, stalled?: Map<string, number>): JourneyCard[] {
  const n = (f: string) => Number(counters[f] ?? 0);
  return journeyStats(compiled, counters).map((j) => {
    const cj = compiled.byId.get(j.id)!;
    const rec = (type: string) => j.records[type] ?? 0;
    const stages = j.stages.map((st, i): StageRow => ({
      ...st,
      toNext: i + 1 < j.stages.length ? ratio(j.stages.slice(i + 1).reduce((sum, later) => sum + n(`s|${j.id}|${st.stage}|to|${later.stage}`), 0), st.entered) : null,
      dropped: n(`s|${j.id}|${st.stage}|dropped`),
      stalled: stalled?.get(`${j.id}|${st.stage}`) ?? null,
      stalledAfterMs: stalledAfter(cj, i),
    }));
    const credits: Record<string, number> = {};
    const prefix = `a|${j.id}|`;
    for (const f of Object.keys(counters)) if (f.startsWith(prefix)) credits[f.slice(prefix.length)] = n(f) / 1_000;
    const opened = rec("handoff.opened");
    const breached = rec("handoff.breached");
    return {
      id: j.id, name: j.name ?? j.id, entered: rec("journey.entered"), goals: rec("goal.reached"),
      goalRate: ratio(rec("goal.reached"), rec("journey.entered")), stages, segments: j.segments,
      emails: { sent: rec("email.sent"), suppressed: rec("email.suppressed"), deferred: rec("email.deferred"), failed: rec("email.failed") },
      handoffs: { opened, breached, resolved: rec("handoff.resolved"), slaAttainment: ratio(n(`h|${j.id}|ontime`), n(`h|${j.id}|ontime`) + breached) },
      attribution: { model: cj.def.attribution?.model ?? null, credits },
    };
  });
}
