/**
 * Trigger firing and step execution: threads run until they wait, end, or exit the run.
 */
import type { CJourney, CTrigger } from "../compile/compiler.js";
import { eventMatches } from "../compile/steps.js";
import type { EventInput } from "../model/io.js";
import type { Run, Thread } from "../model/state.js";
import { emailStep, flagStep, handoffStep, setStep, webhookStep } from "./actions.js";
import { condCtx, record, type Ctx } from "./context.js";
import { unitHash } from "./hash.js";
import { exitRun } from "./run.js";

/**
 * Starts a trigger's steps if `once`, `cooldown` and `if` allow it; `byTime`: the trigger
 * is time's (a `stalled` stay, an SLA breach), not the input's (see `Ctx.byTime`).
 */
export function fireTrigger(ctx: Ctx, j: CJourney, run: Run, trig: CTrigger, byTime = false): void {
  const last = run.tr[trig.id];
  if (trig.once && last && last[1] > 0) return;
  if (trig.cooldown > 0 && last && ctx.t - last[0] < trig.cooldown) return;
  if (trig.if && !trig.if.test(condCtx(ctx, j, run))) return;
  run.tr[trig.id] = [ctx.t, (last?.[1] ?? 0) + 1];
  record(ctx, j.id, "trigger.fired", { trigger: trig.id });
  startThread(ctx, j, run, trig.id, trig.block, byTime);
}

/** Starts a new thread at the top of `block` and runs it (`byTime`: see {@link fireTrigger}). */
export function startThread(ctx: Ctx, j: CJourney, run: Run, trigger: string, block: number, byTime = false): void {
  const trig = j.triggerById.get(trigger);
  const th: Thread = { id: run.seq++, tr: trigger, pc: [[block, 0]], ...(trig ? { h: trig.hash, b0: trig.block } : {}) };
  run.th.push(th);
  if (ctx.fresh.size === 0) ctx.fresh = new Set([th]);
  else (ctx.fresh as Set<Thread>).add(th);
  if (byTime) markByTime(ctx, th);
  runThread(ctx, j, run, th);
}

/** Notes a run ended by a thread that time set going at this instant (see `Ctx.timeExit`). */
function endedByTime(ctx: Ctx, j: CJourney, th: Thread): void {
  if (ctx.ev !== null && ctx.byTime?.has(th)) (ctx.timeExit ??= new Set()).add(j.id);
}

/** Marks a thread set going by time at this instant, when the pass has an event (see `Ctx.byTime`). */
function markByTime(ctx: Ctx, th: Thread): void {
  if (ctx.ev === null) return;
  (ctx.byTime ??= new Set()).add(th);
}

/** Runs a thread's steps until it waits, ends, or the run exits. */
export function runThread(ctx: Ctx, j: CJourney, run: Run, th: Thread): void {
  for (let guard = 0; guard < 10_000; guard++) {
    if (!run.on) return;
    const top = th.pc[th.pc.length - 1];
    if (!top) break;
    const block = j.blocks[top[0]]!;
    if (top[1] >= block.length) {
      th.pc.pop();
      continue;
    }
    const step = block[top[1]]!;
    switch (step.kind) {
      case "sleep":
        top[1]++;
        th.due = ctx.t + step.ms;
        return;
      case "until":
        if (step.cond && step.cond.test(condCtx(ctx, j, run))) {
          top[1]++;
          continue;
        }
        // Reached because of time at this instant: the instant's event comes after (once).
        if (step.ev && ctx.ev !== null && ctx.byTime?.delete(th) && eventMatches(step.ev, ctx.ev.name, ctx.ev.properties)) {
          top[1]++;
          continue;
        }
        th.wu = 1;
        if (step.timeout !== undefined) th.due = ctx.t + step.timeout;
        return;
      case "if": {
        top[1]++;
        const b = step.cond.test(condCtx(ctx, j, run)) ? step.then : step.else;
        if (b !== undefined) th.pc.push([b, 0]);
        continue;
      }
      case "split": {
        top[1]++;
        const x = unitHash(ctx.s.id, j.id, step.id) * step.total;
        let acc = 0;
        const v = step.variants.find((v) => (acc += v.weight) > x && v.weight > 0) ?? step.variants.findLast((v) => v.weight > 0)!;
        record(ctx, j.id, "split.assigned", { split: step.id, variant: v.name });
        th.pc.push([v.block, 0]);
        continue;
      }
      case "email":
        if (emailStep(ctx, j, run, th, step) === "deferred") return;
        top[1]++;
        continue;
      case "handoff":
        handoffStep(ctx, j, run, th, step, [top[0], top[1]]);
        top[1]++;
        continue;
      case "flag":
        flagStep(ctx, j, run, th, step);
        top[1]++;
        continue;
      case "webhook":
        webhookStep(ctx, j, run, th, step);
        top[1]++;
        continue;
      case "set":
        setStep(ctx, j, step);
        top[1]++;
        // An exit rule of this journey that the new traits make true ends the run here: the
        // steps after the `set` are not run for a contact that has left.
        if (j.exitConds.length > 0) {
          const cc = condCtx(ctx, j, run);
          if (j.exitConds.some((c) => c.test(cc))) {
            endedByTime(ctx, j, th);
            exitRun(ctx, j, run, "exit");
            return;
          }
        }
        continue;
      case "exit":
        top[1]++;
        endedByTime(ctx, j, th);
        exitRun(ctx, j, run, "step");
        return;
    }
  }
  run.th = run.th.filter((x) => x !== th);
}

/**
 * Resumes the run's waiting threads: those whose time is due, those waiting for the
 * input event, and those whose `until` condition now holds.
 */
export function resumeThreads(ctx: Ctx, j: CJourney, run: Run, ev: EventInput | null): void {
  for (const th of [...run.th]) {
    if (!run.on) return;
    if (!run.th.includes(th)) continue;
    // A thread started in this instant resumes neither on its timer nor on the event that
    // started it; a condition it waits for may still come true later in the instant (a
    // `set` seen by the next pass).
    const fresh = ctx.fresh.has(th);
    const top = th.pc[th.pc.length - 1];
    const step = top ? j.blocks[top[0]]![top[1]] : undefined;
    if (fresh && !(th.wu && step?.kind === "until" && !step.ev)) continue;
    if (th.due !== undefined && th.due <= ctx.t) {
      delete th.due;
      if (th.wu) {
        delete th.wu;
        if (step?.kind === "until" && step.onTimeout !== undefined) th.pc = [[step.onTimeout, 0]];
        else th.pc = [];
      }
      delete th.re;
      markByTime(ctx, th);
      runThread(ctx, j, run, th);
      continue;
    }
    if (th.wu && step?.kind === "until") {
      const resumed = step.ev ? ev !== null && eventMatches(step.ev, ev.name, ev.properties)
        : step.cond!.test(condCtx(ctx, j, run));
      if (resumed) {
        delete th.wu;
        delete th.due;
        top![1]++;
        runThread(ctx, j, run, th);
      }
    }
  }
}

/**
 * After a deploy, waiting steps follow their trigger: a trigger whose definition is
 * unchanged may have moved (other triggers changed before it), so its threads and open
 * hand-offs are shifted to its new blocks; a trigger that changed or went away cancels
 * them (recorded as `step.cancelled`, reason `journey-changed`).
 */
export function rebase(ctx: Ctx, j: CJourney, run: Run): void {
  const ok = (x: { tr: string; h?: string; b0?: number }): number | null => {
    if (x.h === undefined || x.b0 === undefined) return 0;
    const trig = j.triggerById.get(x.tr);
    if (!trig || trig.hash !== x.h) return null;
    return trig.block - x.b0;
  };
  if (run.th.length > 0) {
    const keep: Thread[] = [];
    for (const th of run.th) {
      const delta = ok(th);
      if (delta === null) {
        record(ctx, j.id, "step.cancelled", { trigger: th.tr, reason: "journey-changed" });
        continue;
      }
      if (delta !== 0) {
        th.pc = th.pc.map(([b, i]) => [b + delta, i]);
        th.b0 = th.b0! + delta;
      }
      keep.push(th);
    }
    run.th = keep;
  }
  if (run.hd.length > 0) {
    run.hd = run.hd.filter((h) => {
      const delta = ok(h);
      if (delta === null) return false; // its SLA and resolution steps no longer exist
      if (delta !== 0) {
        h.step = [h.step[0] + delta, h.step[1]];
        h.b0 = h.b0! + delta;
      }
      return true;
    });
  }
}
