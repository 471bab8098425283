/**
 * The working context of one evaluation: the state being changed, the clock instant,
 * and the records and effects collected so far.
 */
import type { Compiled, CJourney } from "../compile/compiler.js";
import type { CondCtx } from "../compile/conditions.js";
import type { Cursors, Effect, JournalRecord } from "../model/io.js";
import type { ContactState, Run, Thread } from "../model/state.js";

/** Mutable context of one evaluate() call. */
export type Ctx = {
  c: Compiled;
  s: ContactState;
  /** The instant being evaluated. */
  t: number;
  iso: string;
  records: JournalRecord[];
  effects: Effect[];
  cursors: Cursors | undefined;
  /** Traits changed in the current pass (conditions reading traits must be re-evaluated). */
  traitsChanged: boolean;
  /** Threads started by the current input (the input cannot resume them). */
  fresh: Set<Thread>;
};

/** Moves the context to instant `t`. */
export function setTime(ctx: Ctx, t: number): void {
  ctx.t = t;
  ctx.iso = new Date(t).toISOString();
}

/** Appends a journal record. */
export function record(ctx: Ctx, journey: string | undefined, type: string, fields?: Record<string, unknown>): void {
  const r: JournalRecord = journey === undefined
    ? { at: ctx.iso, contact: ctx.s.id, type }
    : { at: ctx.iso, contact: ctx.s.id, journey, type };
  if (fields) Object.assign(r, fields);
  ctx.records.push(r);
}

/** A condition context for a journey (segments memoised per call). */
export function condCtx(ctx: Ctx, j: CJourney, run: Run | null): CondCtx {
  return { s: ctx.s, run, t: ctx.t, seg: new Map(), j };
}
