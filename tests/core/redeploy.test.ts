/**
 * Deploying changed journeys to contacts mid-run: waiting steps follow their trigger when
 * it is unchanged (even if it moved), and are cancelled when it changed or went away.
 */
import { describe, expect, it } from "vitest";
import { evaluate, newContact, type Compiled, type ContactState, type Input, type JournalRecord } from "../../src/core/index.js";
import { compileJourney } from "../helpers.js";

const T0 = Date.parse("2026-01-05T10:00:00.000Z");
const ev = (name: string, s: number): Input => ({ kind: "event", name, properties: {}, at: T0 + s * 1000 });

const journey = (first: string, waiting: string) => compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a } ]
triggers:
  - id: first
    on: { event: Go }
    do: ${first}
  - id: waiting
    on: journey.entered
    do: ${waiting}
`);

function run(c: Compiled, s: ContactState, input: Input, at: number): { s: ContactState; records: JournalRecord[] } {
  const out = evaluate(c, s, input, at);
  return { s: out.state, records: out.records };
}

const WAIT = `[ { wait: 10s }, { set: { done: true } } ]`;

describe("redeploying a journey mid-run", () => {
  it("an unchanged trigger's wait resumes even when an earlier trigger gained blocks", () => {
    const v1 = journey(`[ { set: { a: 1 } } ]`, WAIT);
    const v2 = journey(`[ { if: { trait: { a: 1 } }, then: [ { set: { b: 1 } } ], else: [ { set: { c: 1 } } ] } ]`, WAIT);
    let { s } = run(v1, newContact("u"), ev("Go", 0), T0);
    expect(s.wakeAt).toBe(T0 + 10_000);
    const after = run(v2, s, { kind: "wake" }, T0 + 10_000);
    expect(after.records.map((r) => [r.type, r["traits"]])).toEqual([["trait.set", { done: true }]]);
    s = after.s;
    expect(s.runs["j"]!.th).toEqual([]);
  });

  it("a changed trigger's waiting steps are cancelled and recorded", () => {
    const v1 = journey(`[ { set: { a: 1 } } ]`, WAIT);
    const v2 = journey(`[ { set: { a: 1 } } ]`, `[ { wait: 20s }, { set: { done: true } } ]`);
    const { s } = run(v1, newContact("u"), ev("Go", 0), T0);
    // The old wake-up falls due under the new definition: the changed trigger's wait is dropped.
    const after = run(v2, s, { kind: "wake" }, T0 + 10_000);
    expect(after.records.map((r) => [r.type, r["trigger"], r["reason"]])).toEqual([["step.cancelled", "waiting", "journey-changed"]]);
    expect(after.s.runs["j"]!.th).toEqual([]);
    expect(run(v2, after.s, { kind: "wake" }, T0 + 30_000).records).toEqual([]);
  });
});
