/**
 * Walkers over conditions and steps, carrying the document path for error positions.
 */
import type { Condition } from "../schema/condition.js";
import type { Step } from "../schema/steps.js";

/** Visits every condition node, depth first. */
export function walkCondition(c: Condition, path: PropertyKey[], visit: (c: Condition, path: PropertyKey[]) => void): void {
  visit(c, path);
  c.all?.forEach((x, i) => walkCondition(x, [...path, "all", i], visit));
  c.any?.forEach((x, i) => walkCondition(x, [...path, "any", i], visit));
  if (c.not) walkCondition(c.not, [...path, "not"], visit);
}

/** Visits every step, depth first, with the conditions it holds. */
export function walkSteps(
  steps: Step[],
  path: PropertyKey[],
  visit: (s: Step, path: PropertyKey[]) => void,
): void {
  steps.forEach((s, i) => {
    const p = [...path, i];
    visit(s, p);
    if (s.then) walkSteps(s.then, [...p, "then"], visit);
    if (s.else) walkSteps(s.else, [...p, "else"], visit);
    if (s.split) for (const [name, v] of Object.entries(s.split.variants)) walkSteps(v.do, [...p, "split", "variants", name, "do"], visit);
    if (typeof s.wait === "object" && s.wait.onTimeout) walkSteps(s.wait.onTimeout, [...p, "wait", "onTimeout"], visit);
    if (s.handoff?.onBreach) walkSteps(s.handoff.onBreach, [...p, "handoff", "onBreach"], visit);
  });
}

/** True for `{ event, where? }` (as opposed to a condition). */
export function isEventMatch(x: object): x is { event: string; where?: Record<string, unknown> } {
  return "event" in x;
}
