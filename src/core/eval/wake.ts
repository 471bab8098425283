/**
 * Exact wake-ups: the earliest instant at which anything of a run can change by itself.
 */
import type { CJourney } from "../compile/compiler.js";
import type { Run } from "../model/state.js";
import { condCtx, type Ctx } from "./context.js";

/** The run's next wake-up after the context's instant, or null. */
export function runWake(ctx: Ctx, j: CJourney, run: Run): number | null {
  const t = ctx.t;
  let best = Infinity;
  const take = (x: number) => { if (x > t && x < best) best = x; };
  const cc = condCtx(ctx, j, run);
  for (const seg of j.segments) take(seg.cond.next(cc));
  for (let i = 0; i < j.stages.length; i++) {
    if (!j.regress && i <= run.st) continue;
    const when = j.stages[i]!.when;
    if (when) take(when.next(cc));
  }
  for (const c of j.exitConds) take(c.next(cc));
  for (const c of j.exitAfter) take(c.next(cc));
  for (const trig of j.triggers) {
    const on = trig.on;
    if (on.type === "stalled" && on.stage === run.st && !run.stl.includes(trig.id)) take(run.sAt + on.ms);
  }
  for (const th of run.th) {
    if (th.due !== undefined) take(th.due);
    if (th.wu) {
      const top = th.pc[th.pc.length - 1];
      const step = top ? j.blocks[top[0]]![top[1]] : undefined;
      if (step?.kind === "until" && step.cond) take(step.cond.next(cc));
    }
  }
  for (const h of run.hd) if (!h.br) take(h.due);
  return Number.isFinite(best) ? best : null;
}
