/**
 * Trigger steps: what a journey does for a contact.
 */
import { z } from "zod";
import { Duration, Slug } from "./common.js";
import { Condition, EventMatch } from "./condition.js";

/** `email`: sends a template, subject to consent, caps and quiet hours. */
export const EmailStep = z.strictObject({
  template: z.string().min(1),
  subject: z.string().optional(),
  to: z.string().optional().meta({ description: "an address, or a trait dot-path holding one (default: the `email` trait)" }),
});

/** `wait: { until, timeout, onTimeout }`: pauses until an event arrives or a condition holds. */
export type WaitUntil = { until: EventMatch | Condition; timeout?: string; onTimeout?: Step[] };

/** `handoff`: opens a sales hand-off with an SLA. */
export type Handoff = {
  to: string; team: string; owners?: string[]; sla: string; resolvedBy?: EventMatch; onBreach?: Step[];
};

/** A step; exactly one kind key (`if` goes with `then` and `else`), plus an optional stable `id`. */
export type Step = {
  id?: string;
  email?: z.infer<typeof EmailStep>;
  wait?: string | WaitUntil;
  if?: Condition;
  then?: Step[];
  else?: Step[];
  split?: { id: string; variants: Record<string, { weight: number; do: Step[] }> };
  handoff?: Handoff;
  flag?: { audience: string; op: "add" | "remove"; ttl?: string };
  webhook?: { to: string; payload?: Record<string, unknown> };
  set?: Record<string, unknown>;
  exit?: true;
};

export const STEP_KINDS = ["email", "wait", "if", "split", "handoff", "flag", "webhook", "set", "exit"] as const;
export type StepKind = (typeof STEP_KINDS)[number];

const Steps: z.ZodType<Step[]> = z.lazy(() => z.array(Step));

const WaitUntilSchema: z.ZodType<WaitUntil> = z.lazy(() =>
  z.strictObject({
    until: z.union([EventMatch, Condition]),
    timeout: Duration.optional(),
    onTimeout: Steps.optional(),
  }).refine((w) => w.onTimeout === undefined || w.timeout !== undefined, { error: "`onTimeout` needs a `timeout`", path: ["onTimeout"] }),
);

const HandoffSchema: z.ZodType<Handoff> = z.lazy(() =>
  z.strictObject({
    to: z.string().min(1).meta({ description: "endpoint name from waymark.yaml" }),
    team: z.string().min(1),
    owners: z.array(z.string().min(1)).min(1).optional(),
    sla: Duration,
    resolvedBy: EventMatch.optional(),
    onBreach: Steps.optional(),
  }),
);

/** The step schema (recursive). */
export const Step: z.ZodType<Step> = z.lazy(() =>
  z.strictObject({
    id: Slug.optional(),
    email: EmailStep.optional(),
    wait: z.union([Duration, WaitUntilSchema]).optional(),
    if: Condition.optional(),
    then: Steps.optional(),
    else: Steps.optional(),
    split: z.strictObject({
      id: Slug,
      variants: z.record(z.string().regex(/^[A-Za-z0-9_-]+$/, "variant names use letters, digits, - and _"),
        z.strictObject({ weight: z.number().nonnegative(), do: Steps })).refine((v) => Object.keys(v).length >= 1, "a split needs at least one variant")
        .refine((v) => Object.values(v).some((x) => x.weight > 0), "a split needs a variant with a positive weight"),
    }).optional(),
    handoff: HandoffSchema.optional(),
    flag: z.strictObject({ audience: z.string().min(1), op: z.enum(["add", "remove"]), ttl: Duration.optional() })
      .refine((f) => f.op === "add" || f.ttl === undefined, { error: "`ttl` applies to op: add only", path: ["ttl"] }).optional(),
    webhook: z.strictObject({ to: z.string().min(1), payload: z.record(z.string(), z.unknown()).optional() }).optional(),
    set: z.record(z.string(), z.unknown()).refine((r) => Object.keys(r).length > 0, "`set` needs at least one trait").optional(),
    exit: z.literal(true).optional(),
  }).superRefine((s, ctx) => {
    const kinds = STEP_KINDS.filter((k) => k in s);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: kinds.length === 0 ? `a step needs one of: ${STEP_KINDS.join(", ")}` : `a step does one thing, found ${kinds.join(", ")}: make them separate steps`,
      });
    }
    if (kinds[0] === "if" && !s.then && !s.else) ctx.addIssue({ code: "custom", message: "`if` needs `then` (and optionally `else`)" });
    if (kinds[0] !== "if" && (s.then || s.else)) ctx.addIssue({ code: "custom", message: "`then`/`else` belong to an `if` step" });
  }).meta({
    description: "A step: exactly one of email, wait, if (with then/else), split, handoff, flag, webhook, set, exit",
    oneOf: STEP_KINDS.map((k) => ({ required: [k] })),
  }),
).meta({ id: "Step" }); // the name of its entry in the JSON Schema's $defs
