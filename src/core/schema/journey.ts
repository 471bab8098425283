/**
 * One journey file: entry, exit, goal, stages, segments, score, triggers, attribution.
 */
import { z } from "zod";
import { Duration, Limits, QuietHours, Slug } from "./common.js";
import { Condition, EventMatch, Where } from "./condition.js";
import { Step } from "./steps.js";

/** How a contact enters: an event, or entering a segment. */
export const Entry = z.union([
  EventMatch,
  z.strictObject({ segment: Slug }),
]).meta({ description: "{ event, where? } or { segment }" });
export type Entry = z.infer<typeof Entry>;

/** Re-entry rule after a run ended. */
export const Reentry = z.union([z.enum(["never", "always"]), z.strictObject({ after: Duration })]);
export type Reentry = z.infer<typeof Reentry>;

/** One exit rule: an event, or a condition that holds. */
export const ExitRule = z.union([EventMatch, Condition]);
export type ExitRule = z.infer<typeof ExitRule>;

/** The conversion. */
export const Goal = z.strictObject({ event: z.string().min(1), where: Where.optional(), within: Duration.optional() });
export type Goal = z.infer<typeof Goal>;

/** A funnel stage. */
export const Stage = z.strictObject({ id: Slug, name: z.string().optional(), when: Condition.optional() });
export type Stage = z.infer<typeof Stage>;

/** A behavioural segment. */
export const Segment = z.strictObject({ name: z.string().optional(), description: z.string().optional(), when: Condition });
export type Segment = z.infer<typeof Segment>;

/** A scoring rule. */
export const ScoreRule = z.strictObject({
  event: z.string().min(1), where: Where.optional(), points: z.number(), max: z.number().positive().optional(),
});
export type ScoreRule = z.infer<typeof ScoreRule>;

/** The lead score. */
export const Score = z.strictObject({
  rules: z.array(ScoreRule).min(1),
  decay: z.strictObject({ halfLife: Duration }).optional(),
  thresholds: z.record(Slug, z.number()).optional(),
});
export type Score = z.infer<typeof Score>;

/** Signals written bare (`on: journey.entered`). */
export const SIGNAL_NAMES = ["journey.entered", "goal.reached", "handoff.breached"] as const;
/** The keys of the one-key signal maps below (`on: { stage.entered: decision }`), for messages. */
export const SIGNAL_MAP_KEYS = ["event", "journey.entered", "goal.reached", "stage.entered", "segment.entered", "segment.exited", "score.crossed", "stalled", "handoff.breached"] as const;

/** A trigger's signal: a bare name or a one-key map. */
export const Signal = z.union([
  z.enum(SIGNAL_NAMES),
  z.strictObject({ event: z.string().min(1), where: Where.optional() }),
  z.strictObject({ "journey.entered": z.null() }),
  z.strictObject({ "goal.reached": z.null() }),
  z.strictObject({ "stage.entered": Slug }),
  z.strictObject({ "segment.entered": Slug }),
  z.strictObject({ "segment.exited": Slug }),
  z.strictObject({ "score.crossed": Slug }),
  z.strictObject({ stalled: z.strictObject({ stage: Slug, for: Duration }) }),
  z.strictObject({ "handoff.breached": z.union([Slug, z.null()]) }),
]).meta({ description: "journey.entered | goal.reached | handoff.breached | { event, where? } | { stage.entered: id } | { segment.entered: id } | { segment.exited: id } | { score.crossed: name } | { stalled: { stage, for } } | { handoff.breached: trigger-id }" });
export type Signal = z.infer<typeof Signal>;

/** A playbook: when `on` happens and `if` holds, run `do`. */
export const Trigger = z.strictObject({
  id: Slug,
  on: Signal,
  if: Condition.optional(),
  once: z.boolean().optional(),
  cooldown: Duration.optional(),
  do: z.array(Step).min(1),
});
export type Trigger = z.infer<typeof Trigger>;

export const ATTRIBUTION_MODELS = ["first", "last", "linear", "time-decay", "position-based", "custom"] as const;

/** Multi-touch attribution of the goal. */
export const Attribution = z.strictObject({
  model: z.enum(ATTRIBUTION_MODELS),
  lookback: Duration.optional().meta({ description: "default 30d" }),
  halfLife: Duration.optional().meta({ description: "time-decay only; default 7d" }),
  weights: z.record(z.string(), z.number().nonnegative()).optional().meta({ description: "custom only: by channel, plus first and last" }),
  touchpoints: z.array(z.strictObject({ event: z.string().min(1), where: Where.optional(), channel: z.string().min(1) })).min(1),
}).superRefine((a, ctx) => {
  if (a.model === "custom" && !a.weights) ctx.addIssue({ code: "custom", message: "model custom needs `weights`", path: ["model"] });
  if (a.model !== "custom" && a.weights) ctx.addIssue({ code: "custom", message: "`weights` applies to model custom only", path: ["weights"] });
  if (a.model !== "time-decay" && a.halfLife) ctx.addIssue({ code: "custom", message: "`halfLife` applies to model time-decay only", path: ["halfLife"] });
});
export type Attribution = z.infer<typeof Attribution>;

/** A journey file. */
export const Journey = z.strictObject({
  id: Slug,
  name: z.string().optional(),
  description: z.string().optional(),
  entry: Entry,
  reentry: Reentry.optional(),
  exit: z.array(ExitRule).optional(),
  goal: Goal.optional(),
  stages: z.array(Stage).min(1, "stages, when given, list at least one stage").optional(),
  stagesCanRegress: z.boolean().optional(),
  segments: z.record(Slug, Segment).optional(),
  score: Score.optional(),
  limits: Limits.optional(),
  quietHours: z.union([QuietHours, z.literal(false)]).optional(),
  holdout: z.number().min(0).max(100).optional().meta({ description: "percent of entrants kept as a control group" }),
  triggers: z.array(Trigger).optional(),
  attribution: Attribution.optional(),
}).meta({ title: "Waymark journey", description: "One journey per file in journeys/ (see the journey language docs)" });
export type Journey = z.infer<typeof Journey>;
