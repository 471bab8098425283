/**
 * The working context of one evaluation: the state being changed, the clock instant,
 * and the records and effects collected so far.
 */
import type { Compiled, CJourney } from "../compile/compiler.js";
import type { CondCtx } from "../compile/conditions.js";
import type { Cursors, Effect, EventInput, JournalRecord } from "../model/io.js";
import { cloneData, type ContactState, type Run, type Thread } from "../model/state.js";

/** Mutable context of one evaluate() call. */
export type Ctx = {
  c: Compiled;
  s: ContactState;
  /** The instant being evaluated. */
  t: number;
  /** ISO text of `isoT` (computed on demand by `iso`). */
  isoS: string;
  isoT: number;
  records: JournalRecord[];
  effects: Effect[];
  cursors: Cursors | undefined;
  /** Traits changed in the current pass (conditions reading traits must be re-evaluated). */
  traitsChanged: boolean;
  /** Threads started by the current input (the input cannot resume them). */
  fresh: ReadonlySet<Thread>;
  /** The event of the current pass, if any. */
  ev: EventInput | null;
  /**
   * Threads set going by time at this instant (a `wait` ending, a timeout, a `stalled` stay,
   * an SLA breach): what is due by time comes before the instant's event, so a wait for it
   * that such a thread reaches now takes it (once), as if the wake-up had been evaluated first.
   */
  byTime: Set<Thread> | null;
  /** Journeys whose run such a thread ended at this instant: the instant's event may enter them again. */
  timeExit: Set<string> | null;
  /** Journeys whose run was already copied in this evaluation. */
  owned: Set<string>;
  /** Traits were already copied in this evaluation. */
  ownTraits: boolean;
  /** Copy on write (the caller keeps the input state), or change the state in place. */
  cow: boolean;
};

/** The ISO 8601 text of the context's instant. */
export function iso(ctx: Ctx): string {
  if (ctx.isoT !== ctx.t) {
    ctx.isoT = ctx.t;
    ctx.isoS = new Date(ctx.t).toISOString();
  }
  return ctx.isoS;
}

/** Makes the contact's traits safe to change. */
export function ownTraits(ctx: Ctx): Record<string, unknown> {
  if (!ctx.ownTraits) {
    ctx.s.traits = cloneData(ctx.s.traits);
    ctx.ownTraits = true;
  }
  return ctx.s.traits;
}

/** Moves the context to instant `t`. */
export function setTime(ctx: Ctx, t: number): void {
  ctx.t = t;
}

/** Appends a journal record. */
export function record(ctx: Ctx, journey: string | undefined, type: string, fields?: Record<string, unknown>): void {
  const r: JournalRecord = journey === undefined
    ? { at: iso(ctx), contact: ctx.s.id, type }
    : { at: iso(ctx), contact: ctx.s.id, journey, type };
  if (fields) Object.assign(r, fields);
  ctx.records.push(r);
}

/** A condition context for a journey (segments memoised per call). */
export function condCtx(ctx: Ctx, j: CJourney, run: Run | null): CondCtx {
  return { s: ctx.s, run, t: ctx.t, seg: null, j };
}
