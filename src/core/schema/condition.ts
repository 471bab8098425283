/**
 * The condition language shared by `when`, `entry`, `exit`, `if`, `until` and `where`.
 */
import { z } from "zod";
import { patternProblem } from "../pattern.js";
import { Duration, Slug } from "./common.js";

const Scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);

/** Operators on a value; several in one object are all required (`{ gte: 1, lt: 5 }`). */
export const Operator = z.strictObject({
  eq: Scalar.optional(),
  ne: Scalar.optional(),
  gt: z.union([z.number(), z.string()]).optional(),
  gte: z.union([z.number(), z.string()]).optional(),
  lt: z.union([z.number(), z.string()]).optional(),
  lte: z.union([z.number(), z.string()]).optional(),
  in: z.array(Scalar).optional(),
  nin: z.array(Scalar).optional(),
  exists: z.boolean().optional(),
  contains: Scalar.optional(),
  startsWith: z.string().optional(),
  matches: z.string().max(200, "a `matches` pattern is limited to 200 characters").superRefine((s, ctx) => {
    const problem = patternProblem(s);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  }).optional(),
}).refine((o) => Object.keys(o).length > 0, "an operator object needs at least one operator (eq, ne, gt, gte, lt, lte, in, nin, exists, contains, startsWith, matches)")
  .meta({ minProperties: 1 });
export type Operator = z.infer<typeof Operator>;

/** A value test: a bare scalar (equality) or an operator object. */
export const ValueTest = z.union([Scalar, Operator]);
export type ValueTest = z.infer<typeof ValueTest>;

/** Comparisons of a number (a count, a score): numbers only, several all required. */
export const NumberOperator = z.strictObject({
  eq: z.number().optional(), ne: z.number().optional(),
  gt: z.number().optional(), gte: z.number().optional(), lt: z.number().optional(), lte: z.number().optional(),
  in: z.array(z.number()).optional(), nin: z.array(z.number()).optional(),
}).refine((o) => Object.keys(o).length > 0, "a numeric test needs at least one of eq, ne, gt, gte, lt, lte, in, nin")
  .meta({ minProperties: 1 });
export type NumberOperator = z.infer<typeof NumberOperator>;

/** A numeric test: a bare number (equality) or numeric comparisons. */
export const NumberTest = z.union([z.number(), NumberOperator]);
export type NumberTest = z.infer<typeof NumberTest>;

/** Dot-paths of event properties mapped to value tests. */
export const Where = z.record(z.string(), ValueTest).meta({ description: "event property dot-path -> value or operator" });
export type Where = z.infer<typeof Where>;

/** An event reference: a name with an optional property filter. */
export const EventMatch = z.strictObject({ event: z.string().min(1), where: Where.optional() });
export type EventMatch = z.infer<typeof EventMatch>;

/** `performed`: how many matching events the contact has (optionally within a window). */
export const Performed = z.strictObject({
  event: z.string().min(1),
  where: Where.optional(),
  count: NumberTest.optional(),
  within: Duration.optional(),
});
export type Performed = z.infer<typeof Performed>;

/** A condition; exactly one of its keys. */
export type Condition = {
  all?: Condition[];
  any?: Condition[];
  not?: Condition;
  performed?: Performed;
  trait?: Record<string, ValueTest>;
  segment?: string;
  stage?: string | { in: string[] };
  score?: NumberTest;
  inStage?: { for: string };
};

export const CONDITION_KEYS = ["all", "any", "not", "performed", "trait", "segment", "stage", "score", "inStage"] as const;

/** The condition schema (recursive). */
export const Condition: z.ZodType<Condition> = z.lazy(() =>
  z.strictObject({
    all: z.array(Condition).min(1).optional(),
    any: z.array(Condition).min(1).optional(),
    not: Condition.optional(),
    performed: Performed.optional(),
    trait: z.record(z.string(), ValueTest).refine((r) => Object.keys(r).length > 0, "`trait` needs a dot-path").optional(),
    segment: Slug.optional(),
    stage: z.union([Slug, z.strictObject({ in: z.array(Slug).min(1) })]).optional(),
    score: NumberTest.optional(),
    inStage: z.strictObject({ for: Duration }).optional(),
  }).superRefine((c, ctx) => {
    const keys = Object.keys(c);
    if (keys.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: keys.length === 0
          ? `a condition needs exactly one of: ${CONDITION_KEYS.join(", ")}`
          : `a condition has exactly one key, found ${keys.join(", ")}: combine them with all: [...]`,
      });
    }
  }).meta({ minProperties: 1, maxProperties: 1, description: "A condition (exactly one key)" }),
).meta({ id: "Condition" }); // the name of its entry in the JSON Schema's $defs
