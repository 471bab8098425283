// The journey map's numbers from counters kept as records happen: the contract's worked
// example run through the simulator, its records turned into counter increments as a
// commit would, then read back as the map shows them.
import { describe, expect, it } from "vitest";
import { statDeltas } from "../../src/adapters/redis/stats.js";
import { dashboardData } from "../../src/adapters/http/dashboard-data.js";
import { exampleDeployable, exampleEvents } from "../example.js";
import { compileSources, simulate } from "../helpers.js";

describe("dashboardData", () => {
  it("adds funnel, drop-off, emails, hand-offs and attribution credit by channel", async () => {
    const { compiled } = await exampleDeployable();
    const { records } = simulate(compiled, exampleEvents());
    const counters: Record<string, string> = {};
    for (const [f, d] of statDeltas(new Map(), records)) counters[f] = String(Number(counters[f] ?? 0) + d);
    const [card] = dashboardData(compiled, counters);
    const goals = records.filter((r) => r.type === "goal.reached").length;
    expect(goals).toBeGreaterThan(0);
    expect(card!.goals).toBe(goals);
    expect(card!.entered).toBe(records.filter((r) => r.type === "journey.entered").length);
    expect(card!.emails.sent).toBe(records.filter((r) => r.type === "email.sent").length);
    // One goal's credits sum to 1: the channels' credits sum to the goals.
    const credit = Object.values(card!.attribution.credits).reduce((a, b) => a + b, 0);
    expect(credit).toBeCloseTo(goals, 3);
    expect(card!.attribution.model).toBe(compiled.journeys[0]!.def.attribution?.model ?? null);
    const stages = card!.stages;
    const first = stages[0]!.stage;
    const onward = records.filter((r) => r.type === "stage.entered" && r["from"] === first && r["stage"] !== first).length;
    expect(stages[0]!.toNext).toBe(stages[0]!.entered > 0 ? onward / stages[0]!.entered : null);
    // Goal exits are conversions, not drop-outs.
    expect(stages.reduce((n, s) => n + s.dropped, 0)).toBe(records.filter((r) => r.type === "journey.exited" && r["reason"] !== "goal").length);
  });

  it("counts as went-on the moves to any later stage, so skipped stages keep every share at most 1", () => {
    const compiled = compileSources({ journeys: { "f.yaml": `
id: f
entry: { event: Go }
stages: [ { id: a }, { id: b, when: { performed: { event: B } } }, { id: h, when: { performed: { event: C } } } ]
` } });
    const rec = (contact: string, stage: string, from: string | null, s: number) =>
      ({ at: new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString(), contact, journey: "f", type: "stage.entered", stage, from });
    // Three contacts enter a; two skip b for h, one goes a -> b -> h.
    const records = [rec("x", "a", null, 0), rec("y", "a", null, 0), rec("z", "a", null, 0),
      rec("x", "h", "a", 1), rec("y", "h", "a", 1), rec("z", "b", "a", 1), rec("z", "h", "b", 2)];
    const counters: Record<string, string> = {};
    for (const c of ["x", "y", "z"]) {
      for (const [f, d] of statDeltas(new Map(), records.filter((r) => r.contact === c))) counters[f] = String(Number(counters[f] ?? 0) + d);
    }
    const stages = dashboardData(compiled, counters)[0]!.stages;
    expect(stages.map((st) => [st.stage, st.entered, st.toNext])).toEqual([["a", 3, 1], ["b", 1, 1], ["h", 3, null]]);
    // Stays of exactly a second in a, and b (the buckets' sums make it exact); a stage called
    // h is not taken for a stay bucket (`|h|<n>`).
    expect(stages.map((st) => st.medianMsInStage)).toEqual([1_000, 1_000, null]);
  });

  it("a stage passed in the instant it was entered has a median stay of 0, as its mean", () => {
    const compiled = compileSources({ journeys: { "f.yaml": `
id: f
entry: { event: Go }
stages: [ { id: a }, { id: b, when: { performed: { event: Go } } } ]
` } });
    const at = new Date(Date.UTC(2026, 0, 1)).toISOString();
    const counters: Record<string, string> = {};
    for (const c of ["x", "y", "z"]) {
      const records = [{ at, contact: c, journey: "f", type: "stage.entered", stage: "a", from: null }, { at, contact: c, journey: "f", type: "stage.entered", stage: "b", from: "a" }];
      for (const [f, d] of statDeltas(new Map(), records)) counters[f] = String(Number(counters[f] ?? 0) + d);
    }
    const a = dashboardData(compiled, counters)[0]!.stages[0]!;
    expect([a.left, a.avgMsInStage, a.medianMsInStage]).toEqual([3, 0, 0]);
  });
});
