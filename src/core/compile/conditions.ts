/**
 * Conditions compiled into a test and a "next change" function. `next` returns the
 * earliest instant after `t` at which the condition's value may change with no new
 * event (a window ending, inStage coming true, a decaying score crossing a bound).
 */
import type { Condition } from "../schema/condition.js";
import type { ContactState, Run } from "../model/state.js";
import { parseDuration } from "../duration.js";
import { decayed, nextScoreFlip } from "../eval/score.js";
import { countWithin, type FeatureRegistry } from "./features.js";
import { compileNumberTest, compileValueTest, numbersIn, pathGetter } from "./predicates.js";

/** What a condition is evaluated against. */
export type CondCtx = {
  s: ContactState;
  run: Run | null;
  t: number;
  /** Segment memberships computed in this evaluation (journey-scoped). */
  seg: Map<string, boolean> | null;
  /** The journey the condition belongs to. */
  j: { segById: Map<string, CCond>; stageIndex: Map<string, number>; halfLife?: number };
};

/** A compiled condition. */
export type CCond = {
  test(ctx: CondCtx): boolean;
  next(ctx: CondCtx): number;
  /** Reads traits (so a trait change must re-evaluate it). */
  traits: boolean;
};

const never = () => Infinity;

/** Compiles one condition, registering the event histories it needs. */
export function compileCondition(c: Condition, reg: FeatureRegistry): CCond {
  if (c.all) {
    const parts = c.all.map((x) => compileCondition(x, reg));
    return {
      test: (ctx) => parts.every((p) => p.test(ctx)),
      next: (ctx) => Math.min(...parts.map((p) => p.next(ctx))),
      traits: parts.some((p) => p.traits),
    };
  }
  if (c.any) {
    const parts = c.any.map((x) => compileCondition(x, reg));
    return {
      test: (ctx) => parts.some((p) => p.test(ctx)),
      next: (ctx) => Math.min(...parts.map((p) => p.next(ctx))),
      traits: parts.some((p) => p.traits),
    };
  }
  if (c.not) {
    const inner = compileCondition(c.not, reg);
    return { test: (ctx) => !inner.test(ctx), next: inner.next, traits: inner.traits };
  }
  if (c.performed) return compilePerformed(c.performed, reg);
  if (c.trait) {
    const tests = Object.entries(c.trait).map(([path, t]) => ({ get: pathGetter(path), test: compileValueTest(t) }));
    return { test: (ctx) => tests.every(({ get, test }) => test(get(ctx.s.traits))), next: never, traits: true };
  }
  if (c.segment !== undefined) {
    const id = c.segment;
    return {
      test: (ctx) => segmentMember(ctx, id),
      next: (ctx) => ctx.j.segById.get(id)?.next(ctx) ?? Infinity,
      traits: true, // conservatively: the segment may read traits
    };
  }
  if (c.stage !== undefined) {
    const ids = typeof c.stage === "string" ? [c.stage] : c.stage.in;
    return {
      test: (ctx) => ctx.run !== null && ids.some((id) => ctx.j.stageIndex.get(id) === ctx.run!.st),
      next: never,
      traits: false,
    };
  }
  if (c.score !== undefined) {
    const test = compileNumberTest(c.score);
    const bounds = numbersIn(c.score);
    const current = (ctx: CondCtx) => (ctx.run ? decayed(ctx.run.sc, ctx.run.scAt, ctx.t, ctx.j.halfLife) : 0);
    return {
      test: (ctx) => test(current(ctx)),
      next: (ctx) => (ctx.run ? nextScoreFlip(ctx.run.sc, ctx.run.scAt, ctx.t, ctx.j.halfLife, bounds, (x) => test(x)) : Infinity),
      traits: false,
    };
  }
  if (c.inStage) {
    const ms = parseDuration(c.inStage.for)!;
    return {
      test: (ctx) => ctx.run !== null && ctx.t - ctx.run.sAt >= ms,
      next: (ctx) => (ctx.run && ctx.t - ctx.run.sAt < ms ? ctx.run.sAt + ms : Infinity),
      traits: false,
    };
  }
  throw new Error(`empty condition: ${JSON.stringify(c)}`);
}

function compilePerformed(p: NonNullable<Condition["performed"]>, reg: FeatureRegistry): CCond {
  const count = p.count ?? { gte: 1 };
  const test = compileNumberTest(count);
  const need = Math.max(1, ...numbersIn(count).map((n) => Math.floor(n) + 1));
  const within = p.within === undefined ? undefined : parseDuration(p.within)!;
  const f = reg.use(p.event, p.where, need, within);
  if (within === undefined) {
    return { test: (ctx) => test(ctx.s.f[f.id]?.[0] ?? 0), next: never, traits: false };
  }
  return {
    test: (ctx) => test(countWithin(ctx.s.f[f.id], within, ctx.t)),
    next: (ctx) => {
      const h = ctx.s.f[f.id];
      if (!h) return Infinity;
      const c = countWithin(h, within, ctx.t);
      const now = test(c);
      // In-window timestamps, newest first: h[1..]. The oldest in-window one expires first.
      let first = 1;
      while (first < h.length && h[first]! > ctx.t) first++;
      for (let k = 1; k <= c; k++) {
        if (test(c - k) !== now) return h[first + c - k]! + within;
      }
      return Infinity;
    },
    traits: false,
  };
}

/** Segment membership with per-evaluation memoisation. */
export function segmentMember(ctx: CondCtx, id: string): boolean {
  const memo = ctx.seg?.get(id);
  if (memo !== undefined) return memo;
  const cond = ctx.j.segById.get(id);
  const v = cond ? cond.test(ctx) : false;
  (ctx.seg ??= new Map()).set(id, v);
  return v;
}
