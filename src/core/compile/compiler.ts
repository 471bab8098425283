/**
 * The compiler: validated definitions become predicates, step blocks and indexes, so an
 * event touches only the journeys, rules and conditions that can change because of it.
 */
import { parseDuration } from "../duration.js";
import type { Definitions } from "../load/definitions.js";
import { isEventMatch, walkCondition } from "../load/walk.js";
import type { Cap, Limits, QuietHours } from "../schema/common.js";
import type { Condition } from "../schema/condition.js";
import type { Journey, Signal } from "../schema/journey.js";
import { compileCondition, type CCond } from "./conditions.js";
import { fnv1a } from "../eval/hash.js";
import { FeatureRegistry, type Feature } from "./features.js";
import { canonical, mayOverlap } from "./predicates.js";
import { BlockBuilder, compileEventMatch, type CEventMatch, type CStep } from "./steps.js";

/** A compiled trigger signal. */
export type CSignal =
  | { type: "journey.entered" | "goal.reached" }
  | { type: "event"; ev: CEventMatch }
  | { type: "stage.entered" | "segment.entered" | "segment.exited" | "score.crossed"; ref: string }
  | { type: "stalled"; stage: number; ms: number }
  | { type: "handoff.breached"; ref: string | null };

/** A compiled trigger. */
export type CTrigger = {
  id: string; on: CSignal; if: CCond | null; once: boolean; cooldown: number; block: number;
  /** Hash of the trigger's definition: waiting steps of a changed trigger are cancelled on deploy. */
  hash: string;
};

/** A compiled frequency cap. */
export type CCap = { max: number; per: number };

/** A compiled journey. */
export type CJourney = {
  id: string;
  def: Journey;
  entry: { ev: CEventMatch } | { segment: string };
  reentry: { kind: "never" | "always" } | { kind: "after"; ms: number };
  exitEvents: CEventMatch[];
  /** Exit conditions on events and traits: checked before the instant's score, segments and stage. */
  exitConds: CCond[];
  /** Exit conditions on the run itself (score, stage, inStage, or a segment reading them): checked after its stage. */
  exitAfter: CCond[];
  goal: (CEventMatch & { within?: number }) | null;
  stages: { id: string; when: CCond | null }[];
  stageIndex: Map<string, number>;
  regress: boolean;
  /** Segments in dependency order. */
  segments: { id: string; cond: CCond }[];
  segById: Map<string, CCond>;
  score: { rules: (CEventMatch & { points: number; max?: number })[]; thresholds: [string, number][] } | null;
  halfLife?: number;
  caps: CCap[];
  quiet: QuietHours | null;
  holdout: number;
  triggers: CTrigger[];
  triggerById: Map<string, CTrigger>;
  attribution: {
    model: NonNullable<Journey["attribution"]>["model"]; lookback: number; halfLife: number;
    weights: Record<string, number>; touchpoints: { feature: Feature; event: string; channel: string; overlaps: number[] }[];
  } | null;
  blocks: CStep[][];
  /** Every event name that can change something in this journey. */
  events: Set<string>;
  /** Some condition of this journey reads traits. */
  usesTraits: boolean;
};

/** Everything the evaluator needs, built once per deploy. */
export type Compiled = {
  journeys: CJourney[];
  byId: Map<string, CJourney>;
  featuresByEvent: Map<string, Feature[]>;
  features: Map<string, Feature>;
  workspace: { caps: CCap[]; quiet: QuietHours | null; timezone: string };
  /** Longest workspace cap window (ms). */
  maxCapWindow: number;
  /** Journey ids whose entry is a segment (evaluated for every contact). */
  segmentEntry: CJourney[];
  /** Identifies the set of features (state written under another set is cleaned once). */
  signature: string;
};

/** At most this many touchpoints per contact and touchpoint rule are kept for attribution. */
export const MAX_TOUCHPOINTS = 100;
const DAY = 86_400_000;

/** Compiles validated definitions. */
export function compile(defs: Definitions): Compiled {
  const reg = new FeatureRegistry();
  const ws = defs.workspace;
  const journeys = defs.journeys.map(({ journey }) => compileJourney(journey, reg, ws.quietHours ?? null));
  const caps = compileCaps(ws.limits);
  return {
    journeys,
    byId: new Map(journeys.map((j) => [j.id, j])),
    featuresByEvent: reg.byEvent(),
    features: reg.byId,
    workspace: { caps, quiet: ws.quietHours ?? null, timezone: ws.timezone ?? "UTC" },
    maxCapWindow: Math.max(0, ...caps.map((c) => c.per)),
    segmentEntry: journeys.filter((j) => "segment" in j.entry),
    signature: fnv1a([...reg.byId.keys()].sort().join(",")).toString(36),
  };
}

/**
 * Whether condition `c` reads the run's own state (score, stage, inStage, or a segment
 * that does): such an exit rule is judged once the instant's score, segments and stage are
 * known, so an event that raises the score past an exit bound exits in its own instant.
 */
function readsRun(c: Condition, j: Journey, seen = new Set<string>()): boolean {
  let found = false;
  walkCondition(c, [], (n) => {
    if (found) return;
    if (n.score !== undefined || n.stage !== undefined || n.inStage !== undefined) found = true;
    else if (n.segment !== undefined && !seen.has(n.segment)) {
      seen.add(n.segment);
      const def = j.segments?.[n.segment];
      if (def && readsRun(def.when, j, seen)) found = true;
    }
  });
  return found;
}

function compileCaps(limits: Limits | undefined): CCap[] {
  const e = limits?.email;
  if (!e) return [];
  return (Array.isArray(e) ? e : [e]).map((c: Cap) => ({ max: c.max, per: parseDuration(c.per)! }));
}

function compileJourney(j: Journey, reg: FeatureRegistry, wsQuiet: QuietHours | null): CJourney {
  const events = new Set<string>();
  let usesTraits = false;
  const cond = (c: Parameters<typeof compileCondition>[0]): CCond => {
    walkCondition(c, [], (n) => { if (n.performed) events.add(n.performed.event); });
    const cc = compileCondition(c, reg);
    if (cc.traits) usesTraits = true;
    return cc;
  };
  const match = (m: { event: string; where?: Record<string, unknown> }) => {
    events.add(m.event);
    return compileEventMatch(m);
  };

  const segById = new Map<string, CCond>();
  const segments = orderSegments(j).map((id) => {
    const c = cond(j.segments![id]!.when);
    segById.set(id, c);
    return { id, cond: c };
  });

  const stageIndex = new Map((j.stages ?? []).map((s, i) => [s.id, i]));
  const blocks = new BlockBuilder(reg);
  const triggers: CTrigger[] = (j.triggers ?? []).map((t) => ({
    id: t.id,
    on: compileSignal(t.on, stageIndex, match),
    if: t.if ? cond(t.if) : null,
    once: t.once ?? false,
    cooldown: t.cooldown ? parseDuration(t.cooldown)! : 0,
    block: blocks.block(t.do, t.id),
    hash: fnv1a(canonical(t)).toString(36),
  }));
  blocks.events.forEach((e) => events.add(e));
  if (blocks.usesTraits) usesTraits = true;

  const a = j.attribution;
  const lookback = a?.lookback ? parseDuration(a.lookback)! : 30 * DAY;
  const attribution = a ? {
    model: a.model, lookback,
    halfLife: a.halfLife ? parseDuration(a.halfLife)! : 7 * DAY,
    weights: a.weights ?? {},
    touchpoints: a.touchpoints.map((tp, i) => {
      events.add(tp.event);
      // Earlier rules one event could match along with this one (same name, filters not disjoint).
      const overlaps = a.touchpoints.slice(0, i).flatMap((o, k) => (o.event === tp.event && mayOverlap(o.where, tp.where) ? [k] : []));
      return { feature: reg.use(tp.event, tp.where, MAX_TOUCHPOINTS, lookback), event: tp.event, channel: tp.channel, overlaps };
    }),
  } : null;

  const entry = "segment" in j.entry ? { segment: j.entry.segment } : { ev: match(j.entry) };
  const reentry = j.reentry === undefined || j.reentry === "never" ? { kind: "never" as const }
    : j.reentry === "always" ? { kind: "always" as const } : { kind: "after" as const, ms: parseDuration(j.reentry.after)! };

  const exitEvents: CEventMatch[] = [];
  const exitConds: CCond[] = [];
  const exitAfter: CCond[] = [];
  for (const e of j.exit ?? []) {
    if (isEventMatch(e)) exitEvents.push(match(e));
    else (readsRun(e, j) ? exitAfter : exitConds).push(cond(e));
  }

  return {
    id: j.id,
    def: j,
    entry,
    reentry,
    exitEvents,
    exitConds,
    exitAfter,
    goal: j.goal ? { ...match(j.goal), ...(j.goal.within ? { within: parseDuration(j.goal.within)! } : {}) } : null,
    stages: (j.stages ?? []).map((s) => ({ id: s.id, when: s.when ? cond(s.when) : null })),
    stageIndex,
    regress: j.stagesCanRegress ?? false,
    segments,
    segById,
    score: j.score ? {
      rules: j.score.rules.map((r) => ({ ...match(r), points: r.points, ...(r.max !== undefined ? { max: r.max } : {}) })),
      thresholds: Object.entries(j.score.thresholds ?? {}).sort((x, y) => x[1] - y[1]),
    } : null,
    ...(j.score?.decay ? { halfLife: parseDuration(j.score.decay.halfLife)! } : {}),
    caps: compileCaps(j.limits),
    quiet: j.quietHours === false ? null : j.quietHours ?? wsQuiet,
    holdout: j.holdout ?? 0,
    triggers,
    triggerById: new Map(triggers.map((t) => [t.id, t])),
    attribution,
    blocks: blocks.blocks,
    events,
    usesTraits,
  };
}

function compileSignal(on: Signal, stageIndex: Map<string, number>, match: (m: { event: string; where?: Record<string, unknown> }) => CEventMatch): CSignal {
  if (typeof on === "string") {
    return on === "handoff.breached" ? { type: "handoff.breached", ref: null } : { type: on };
  }
  if ("event" in on) return { type: "event", ev: match(on) };
  if ("journey.entered" in on) return { type: "journey.entered" };
  if ("goal.reached" in on) return { type: "goal.reached" };
  if ("stalled" in on) return { type: "stalled", stage: stageIndex.get(on.stalled.stage)!, ms: parseDuration(on.stalled.for)! };
  if ("handoff.breached" in on) return { type: "handoff.breached", ref: on["handoff.breached"] ?? null };
  const [type, ref] = Object.entries(on)[0] as ["stage.entered" | "segment.entered" | "segment.exited" | "score.crossed", string];
  return { type, ref };
}

/** Segment ids in dependency order (definitions are checked to be acyclic). */
function orderSegments(j: Journey): string[] {
  const out: string[] = [];
  const done = new Set<string>();
  const visit = (id: string) => {
    if (done.has(id) || !j.segments?.[id]) return;
    done.add(id);
    walkCondition(j.segments[id].when, [], (n) => { if (n.segment) visit(n.segment); });
    out.push(id);
  };
  Object.keys(j.segments ?? {}).forEach(visit);
  return out;
}
