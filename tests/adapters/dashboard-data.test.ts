// The journey map's numbers from counters kept as records happen: the contract's worked
// example run through the simulator, its records turned into counter increments as a
// commit would, then read back as the map shows them.
import { describe, expect, it } from "vitest";
import { statDeltas } from "../../src/adapters/redis/stats.js";
import { dashboardData } from "../../src/adapters/http/dashboard-data.js";
import { exampleDeployable, exampleEvents } from "../example.js";
import { simulate } from "../helpers.js";

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
    expect(stages[0]!.toNext).toBe(stages[0]!.entered > 0 ? stages[1]!.entered / stages[0]!.entered : null);
    // Goal exits are conversions, not drop-outs.
    expect(stages.reduce((n, s) => n + s.dropped, 0)).toBe(records.filter((r) => r.type === "journey.exited" && r["reason"] !== "goal").length);
  });
});
