/**
 * The evaluator: `evaluate(compiled, state, input, now)` -> `{ state, records, effects, wakeAt }`.
 * Pure: no IO, no clock, no randomness. The input state is never modified.
 */
import type { Compiled, CJourney } from "../compile/compiler.js";
import { addToHistory } from "../compile/features.js";
import type { AckInput, Cursors, EventInput, Evaluation, Input } from "../model/io.js";
import { cloneRun, shallowState, type ContactState } from "../model/state.js";
import { expireAudiences } from "./actions.js";
import { ownTraits, setTime, type Ctx } from "./context.js";
import { evalJourney } from "./journey.js";

/** Passes over the journeys within one instant while steps keep changing traits. */
const MAX_PASSES = 8;

const NO_THREADS: ReadonlySet<never> = new Set();
const NO_JOURNEYS: Set<string> = new Set();

/** Options of one evaluation. */
export type EvaluateOptions = {
  /** Round-robin cursors shared across contacts; the updated copy comes back in the result. */
  cursors?: Cursors;
};

/**
 * Evaluates one input for one contact at instant `now` (for an event, its time).
 * Wake-ups that fell due before `now` are evaluated first, each at its own instant; one
 * due at `now` itself is evaluated with the input, in the same pass. The evaluation instant
 * never goes backwards: a late event is evaluated at the contact's clock, while its history
 * counts it at its own time.
 */
export function evaluate(compiled: Compiled, state: ContactState, input: Input, now: number, opts: EvaluateOptions = {}): Evaluation<ContactState> {
  return run(compiled, shallowState(state), input, now, opts, true);
}

/**
 * The same as `evaluate`, but takes ownership of `state` and changes it in place instead
 * of copying what it writes: for callers that own the state (the simulator, a worker
 * that has just parsed it from storage). The journal and result are identical.
 */
export function evaluateOwned(compiled: Compiled, state: ContactState, input: Input, now: number, opts: EvaluateOptions = {}): Evaluation<ContactState> {
  return run(compiled, state, input, now, opts, false);
}

function run(compiled: Compiled, s: ContactState, input: Input, now: number, opts: EvaluateOptions, cow: boolean): Evaluation<ContactState> {
  const ctx: Ctx = {
    c: compiled, s, t: s.clock, isoS: "", isoT: NaN, records: [], effects: [],
    cursors: opts.cursors ? { ...opts.cursors } : undefined, traitsChanged: false, fresh: NO_THREADS, ev: null, byTime: null, timeExit: null,
    owned: cow ? new Set() : NO_JOURNEYS, ownTraits: !cow, cow,
  };
  const target = Math.max(now, s.clock);
  let caughtUp = false;
  // A wake-up due at the very instant of an event or acknowledgement is not evaluated apart:
  // the input's pass at that instant does what it would (every journey whose wake-up is due
  // is evaluated), so one instant is one evaluation (contract §6) and an event stamped at the
  // instant a window would lapse keeps it holding instead of leaving and re-entering.
  const withInput = input.kind !== "wake";
  for (let guard = 0; s.wakeAt !== null && (s.wakeAt < target || (s.wakeAt === target && !withInput)) && guard < 100_000; guard++) {
    const w = Math.max(s.wakeAt, s.clock);
    setTime(ctx, w);
    pass(ctx, null, null);
    s.clock = w;
    s.wakeAt = contactWake(compiled, s, w);
    caughtUp = w === target;
  }
  setTime(ctx, target);
  if (input.kind === "event") pass(ctx, input, null);
  else if (input.kind === "ack") pass(ctx, null, input);
  else if (!caughtUp) pass(ctx, null, null);
  s.clock = target;
  if (s.fs !== compiled.signature) {
    // The deployed journeys changed: histories no condition needs any more are dropped.
    for (const fid in s.f) if (!compiled.features.has(fid)) delete s.f[fid];
    s.fs = compiled.signature;
  }
  s.wakeAt = contactWake(compiled, s, target);
  const out: Evaluation<ContactState> = { state: s, records: ctx.records, effects: ctx.effects, wakeAt: s.wakeAt };
  if (ctx.cursors) out.cursors = ctx.cursors;
  return out;
}

function pass(ctx: Ctx, ev: EventInput | null, ack: AckInput | null): void {
  const s = ctx.s;
  ctx.fresh = NO_THREADS;
  ctx.ev = ev;
  ctx.byTime = null;
  ctx.timeExit = null;
  if (ev) {
    if (ev.traits) {
      Object.assign(ownTraits(ctx), ev.traits);
      ctx.traitsChanged = true;
    }
    if (ev.group) {
      const groups = (s.traits["groups"] && typeof s.traits["groups"] === "object" ? s.traits["groups"] : {}) as Record<string, unknown>;
      const old = (groups[ev.group.id] ?? {}) as Record<string, unknown>;
      ownTraits(ctx)["groups"] = { ...groups, [ev.group.id]: { ...old, ...ev.group.traits } };
      ctx.traitsChanged = true;
    }
    const features = ctx.c.featuresByEvent.get(ev.name);
    if (features) {
      for (const f of features) {
        if (f.match === null || f.match(ev.properties)) s.f[f.id] = addToHistory(s.f[f.id], f, ev.at, ctx.t);
      }
    }
  }
  expireAudiences(ctx);
  for (let i = 0; i < MAX_PASSES; i++) {
    const traitsChanged = ctx.traitsChanged;
    ctx.traitsChanged = false;
    for (const j of ctx.c.journeys) {
      if (cares(ctx, j, i === 0 ? ev : null, i === 0 ? ack : null, traitsChanged)) {
        const run = s.runs[j.id];
        if (ctx.cow && run && !ctx.owned.has(j.id)) {
          s.runs[j.id] = cloneRun(run);
          ctx.owned.add(j.id);
        }
        evalJourney(ctx, j, i === 0 ? ev : null, i === 0 ? ack : null);
      }
    }
    if (!ctx.traitsChanged) break;
  }
}

/** Whether anything in journey `j` can change for this input at this instant. */
function cares(ctx: Ctx, j: CJourney, ev: EventInput | null, ack: AckInput | null, traitsChanged: boolean): boolean {
  const run = ctx.s.runs[j.id];
  if (ev && j.events.has(ev.name)) return true;
  if (traitsChanged && j.usesTraits) return true;
  if (run?.on) {
    if (run.wk !== null && run.wk <= ctx.t) return true;
    if (ack && run.hd.length > 0) return true;
    return false;
  }
  if ("segment" in j.entry) {
    const es = ctx.s.es[j.id];
    return es === undefined ? ev !== null || traitsChanged : es[1] !== 0 && es[1] <= ctx.t;
  }
  return false;
}

/** The contact's next wake-up: the earliest of its runs, entry segments and audience TTLs. */
function contactWake(c: Compiled, s: ContactState, t: number): number | null {
  let best = Infinity;
  for (const j of c.journeys) {
    const run = s.runs[j.id];
    if (run?.on) {
      if (run.wk !== null && run.wk < best) best = run.wk;
    } else if ("segment" in j.entry) {
      const es = s.es[j.id];
      if (es && es[1] !== 0 && es[1] < best) best = es[1];
    }
  }
  for (const aud in s.aud) {
    const expires = s.aud[aud]![0];
    if (expires !== 0 && expires < best) best = expires;
  }
  return Number.isFinite(best) && best > t ? best : Number.isFinite(best) ? t + 1 : null;
}
