/**
 * Starting and ending a contact's run of a journey.
 */
import type { CJourney } from "../compile/compiler.js";
import { segmentMember } from "../compile/conditions.js";
import type { EventInput } from "../model/io.js";
import type { Run } from "../model/state.js";
import { condCtx, record, type Ctx } from "./context.js";
import { unitHash } from "./hash.js";

/** Whether the re-entry rule lets a contact whose last run is `run` enter at `t`. */
export function reentryAllows(j: CJourney, run: Run | undefined, t: number): boolean {
  if (!run) return true;
  if (run.on) return false;
  switch (j.reentry.kind) {
    case "never": return false;
    case "always": return true;
    case "after": return t - run.at >= j.reentry.ms;
  }
}

/** Opens a run at the first stage; records journey.entered and stage.entered (when the journey has stages). */
export function enterRun(ctx: Ctx, j: CJourney, previous: Run | undefined, ev: EventInput | null): Run {
  // A late entry event (older than the contact's clock) opens the run at its own time, so
  // events between it and the clock count for the score and windows as in time order.
  const t = ev ? Math.min(ev.at, ctx.t) : ctx.t;
  const holdout = j.holdout > 0 && unitHash(ctx.s.id, j.id, "holdout") * 100 < j.holdout;
  const run: Run = {
    on: 1, n: (previous?.n ?? 0) + 1, at: t, st: 0, sAt: t, sg: [], sc: 0, scAt: t,
    // Journey frequency caps count the contact's sends from this journey, across runs.
    // Cooldowns span runs (last starts are kept, counts for `once` start again at 0).
    sr: j.score ? j.score.rules.map(() => 0) : [], tr: previous ? carryStarts(previous.tr) : {}, stl: [], th: [], hd: [],
    em: previous ? previous.em.slice() : [],
    ev: ev ? { name: ev.name, properties: ev.properties } : null, seq: 0, wk: null,
  };
  if (holdout) run.ho = 1;
  ctx.s.runs[j.id] = run;
  record(ctx, j.id, "journey.entered", holdout ? { holdout: true } : undefined);
  // A journey without stages has no funnel: no stage records.
  if (j.stages.length > 0) record(ctx, j.id, "stage.entered", { stage: j.stages[0]!.id, from: null });
  return run;
}

/** Ends a run: records journey.exited and cancels its waits, timers and SLAs. */
export function exitRun(ctx: Ctx, j: CJourney, run: Run, reason: "exit" | "goal" | "step"): void {
  if (!run.on) return;
  record(ctx, j.id, "journey.exited", { reason });
  if ("segment" in j.entry) {
    // Keep watching the entry segment: leaving it by time alone must be seen, so that
    // entering it again can re-open the journey.
    // Membership as of this instant (an exit rule may fire as the segment ends, before the
    // run's own segments are recomputed), as the entry check sees it: for every contact.
    const cc = condCtx(ctx, j, null);
    const next = j.segById.get(j.entry.segment)!.next(cc);
    ctx.s.es[j.id] = [segmentMember(cc, j.entry.segment) ? 1 : 0, Number.isFinite(next) ? next : 0];
  }
  run.on = 0;
  run.end = ctx.t;
  run.th = [];
  run.hd = [];
  run.sg = [];
  run.stl = [];
  run.sr = [];
  run.ev = null;
  run.sc = 0;
  run.wk = null;
}

function carryStarts(tr: Run["tr"]): Run["tr"] {
  const out: Run["tr"] = {};
  for (const id in tr) out[id] = [tr[id]![0], 0];
  return out;
}
