/**
 * Multi-touch attribution (contract section 7): the six models against hand-computed
 * numbers, lookback, touchpoints from before entry, the goal event excluded.
 */
import { describe, expect, it } from "vitest";
import { compileJourney, simulate } from "../helpers.js";
import { iso, only, track } from "./support.js";

const EMAIL = "Email Link Clicked";
const WEBINAR = "Webinar Attended";
const AD = "Ad Clicked";
const GOAL = "Demo Requested";
const CHANNEL: Record<string, string> = { [EMAIL]: "email", [WEBINAR]: "webinar", [AD]: "ads", [GOAL]: "sales" };

const journey = (model: string, extra = "", lookback = "lookback: 1h") => compileJourney(`
id: j
entry: { event: Signup }
goal: { event: ${GOAL} }
stages: [ { id: a } ]
attribution:
  model: ${model}
  ${lookback}
  ${extra}
  touchpoints:
    - { event: ${EMAIL}, channel: email }
    - { event: ${WEBINAR}, channel: webinar }
    - { event: ${AD}, channel: ads }
    - { event: ${GOAL}, channel: sales }
`);

/** Signs up at 0s, then the touchpoints `[event, sec]`, then the goal at `goalSec`. */
function attributed(model: string, tps: [string, number][], goalSec = 3600, extra = "", lookback?: string) {
  const c = journey(model, extra, lookback);
  const msgs = [track("u", "Signup", 0), ...tps.map(([e, s]) => track("u", e, s)), track("u", GOAL, goalSec)];
  return only(simulate(c, msgs).records, "conversion.attributed");
}

/** The expected record: touchpoints oldest first with their credits (to 12 digits). */
function expected(model: string, tps: [string, number][], credits: number[], goalSec = 3600) {
  expect(credits.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  return [{
    at: iso(goalSec), type: "conversion.attributed", model,
    credits: tps.map(([event, s], i) => ({ at: iso(s), event, channel: CHANNEL[event], credit: expect.closeTo(credits[i]!, 12) })),
  }];
}

const three: [string, number][] = [[WEBINAR, 600], [EMAIL, 1200], [AD, 1800]];

describe("models", () => {
  it("first: all credit to the earliest touchpoint", () => {
    expect(attributed("first", three)).toEqual(expected("first", three, [1, 0, 0]));
  });

  it("last: all credit to the latest touchpoint", () => {
    expect(attributed("last", three)).toEqual(expected("last", three, [0, 0, 1]));
  });

  it("linear: equal shares", () => {
    const four: [string, number][] = [...three, [EMAIL, 2400]];
    expect(attributed("linear", four)).toEqual(expected("linear", four, [0.25, 0.25, 0.25, 0.25]));
  });

  it("time-decay with halfLife: weight 2^(-age/halfLife), normalised", () => {
    // Ages at the goal (3600s): 20m, 10m, 0 -> weights 1/4, 1/2, 1 -> 1/7, 2/7, 4/7.
    const tps: [string, number][] = [[WEBINAR, 2400], [EMAIL, 3000], [AD, 3600]];
    expect(attributed("time-decay", tps, 3600, "halfLife: 10m")).toEqual(expected("time-decay", tps, [1 / 7, 2 / 7, 4 / 7]));
  });

  it("time-decay defaults to a 7-day half-life", () => {
    // Ages 14d, 7d, 0 -> weights 1/4, 1/2, 1.
    const day = 86_400;
    const tps: [string, number][] = [[WEBINAR, 1], [EMAIL, 7 * day + 1], [AD, 14 * day + 1]];
    expect(attributed("time-decay", tps, 14 * day + 1, "", "lookback: 20d")).toEqual(expected("time-decay", tps, [1 / 7, 2 / 7, 4 / 7], 14 * day + 1));
  });

  it("time-decay with an uneven age: 2^(-15/10) against 2^(-5/10)", () => {
    const tps: [string, number][] = [[WEBINAR, 2700], [EMAIL, 3300]];
    const w = [2 ** -1.5, 2 ** -0.5];
    expect(attributed("time-decay", tps, 3600, "halfLife: 10m")).toEqual(expected("time-decay", tps, w.map((x) => x / (w[0]! + w[1]!))));
  });

  it.each([
    [1, [1]],
    [2, [0.5, 0.5]],
    [3, [0.4, 0.2, 0.4]],
    [4, [0.4, 0.1, 0.1, 0.4]],
    [5, [0.4, 0.2 / 3, 0.2 / 3, 0.2 / 3, 0.4]],
  ])("position-based with %i touchpoint(s)", (n, credits) => {
    const tps = Array.from({ length: n }, (_, i): [string, number] => [[WEBINAR, EMAIL, AD][i % 3]!, 100 * (i + 1)]);
    expect(attributed("position-based", tps)).toEqual(expected("position-based", tps, credits));
  });
});

describe("custom", () => {
  const weights = "weights: { first: 0.3, last: 0.3, email: 0.3, ads: 0.1 }";

  it("first and last buckets, the rest by channel, each bucket shared equally", () => {
    const tps: [string, number][] = [[WEBINAR, 100], [EMAIL, 200], [AD, 300], [EMAIL, 400], [WEBINAR, 500]];
    expect(attributed("custom", tps, 3600, weights)).toEqual(expected("custom", tps, [0.3, 0.15, 0.1, 0.15, 0.3]));
  });

  it("empty buckets drop out and the others are normalised", () => {
    // No ads touchpoint: first, email, last share 0.3 + 0.3 + 0.3 -> a third each.
    const tps: [string, number][] = [[WEBINAR, 100], [EMAIL, 200], [WEBINAR, 300]];
    expect(attributed("custom", tps, 3600, weights)).toEqual(expected("custom", tps, [1 / 3, 1 / 3, 1 / 3]));
    // Only two touchpoints: first and last; the channel buckets are empty.
    const two: [string, number][] = [[EMAIL, 100], [AD, 200]];
    expect(attributed("custom", two, 3600, weights)).toEqual(expected("custom", two, [0.5, 0.5]));
  });

  it("one touchpoint goes to the first bucket", () => {
    const one: [string, number][] = [[AD, 100]];
    expect(attributed("custom", one, 3600, weights)).toEqual(expected("custom", one, [1]));
  });

  it("without first/last keys, every touchpoint is in its channel's bucket", () => {
    // email bucket 2, webinar bucket 1 -> email 2/3 over three touchpoints, webinar 1/3.
    const tps: [string, number][] = [[EMAIL, 100], [WEBINAR, 200], [EMAIL, 300], [EMAIL, 400]];
    expect(attributed("custom", tps, 3600, "weights: { email: 2, webinar: 1 }")).toEqual(expected("custom", tps, [2 / 9, 1 / 3, 2 / 9, 2 / 9]));
  });

  it("a middle touchpoint whose channel has no bucket gets no credit", () => {
    const tps: [string, number][] = [[WEBINAR, 100], [AD, 200], [EMAIL, 300]];
    expect(attributed("custom", tps, 3600, "weights: { first: 1, last: 3 }")).toEqual(expected("custom", tps, [0.25, 0, 0.75]));
  });
});

describe("credits add up to exactly 1", () => {
  // Shares like 1/7 or (1/4)/3 do not add up to 1 in binary floating point unless one of
  // them takes what the others leave; the sum is taken in record order, as a reader would.
  const channels = [EMAIL, WEBINAR, AD];
  const many = (n: number): [string, number][] => Array.from({ length: n }, (_, i) => [channels[(i * 5 + n) % 3]!, 60 * (i + 1)]);
  const cases: [string, string][] = [["linear", ""], ["time-decay", "halfLife: 13m"], ["position-based", ""],
    ["custom", "weights: { first: 1, last: 1, email: 1, ads: 1 }"], ["custom", "weights: { email: 3, webinar: 7 }"]];
  for (const [model, extra] of cases) {
    it(`${model} ${extra}`.trim(), () => {
      for (let n = 1; n <= 40; n++) {
        const [rec] = attributed(model, many(n), 3600, extra);
        const credits = (rec!["credits"] as { credit: number }[]).map((c) => c.credit);
        expect(credits.reduce((a, b) => a + b, 0), `${n} touchpoints`).toBe(1);
        expect(credits.every((c) => c >= 0)).toBe(true);
      }
    });
  }
});

describe("which touchpoints", () => {
  it("lookback: a touchpoint exactly lookback old at the goal is out, one a millisecond younger is in", () => {
    const tps: [string, number][] = [[WEBINAR, 0], [EMAIL, 0.001], [AD, 1000]];
    const got = attributed("linear", [[WEBINAR, 0], [EMAIL, 0.001], [AD, 1000]]);
    expect(got).toEqual(expected("linear", tps.slice(1), [0.5, 0.5]));
  });

  it("touchpoints from before entry count; the goal event itself does not, earlier ones do", () => {
    const c = journey("linear");
    const msgs = [track("u", WEBINAR, 10), track("u", GOAL, 20), track("u", "Signup", 30), track("u", EMAIL, 40), track("u", GOAL, 50)];
    const tps: [string, number][] = [[WEBINAR, 10], [GOAL, 20], [EMAIL, 40]];
    expect(only(simulate(c, msgs).records, "conversion.attributed")).toEqual(expected("linear", tps, [1 / 3, 1 / 3, 1 / 3], 50));
  });

  it("two events at the same instant are two touchpoints; one event matching two rules is one, with the first rule's channel", () => {
    const same: [string, number][] = [[EMAIL, 600], [EMAIL, 600], [AD, 1200]];
    expect(attributed("linear", same)).toEqual(expected("linear", same, [1 / 3, 1 / 3, 1 / 3]));
    const twoRules = (first: string, second: string) => compileJourney(`
id: j
entry: { event: Signup }
goal: { event: ${GOAL} }
attribution:
  model: linear
  touchpoints:
    - { event: ${EMAIL}, ${first} }
    - { event: ${EMAIL}, ${second} }
`);
    const c = twoRules("where: { campaign: spring }, channel: spring-email", "channel: email");
    const msgs = [track("u", "Signup", 0), track("u", EMAIL, 10, { campaign: "spring" }), track("u", EMAIL, 10, { campaign: "fall" }), track("u", GOAL, 20)];
    const credits = only(simulate(c, msgs).records, "conversion.attributed")[0]!["credits"];
    expect(credits).toEqual([
      { at: iso(10), event: EMAIL, channel: "spring-email", credit: 0.5 },
      { at: iso(10), event: EMAIL, channel: "email", credit: 0.5 },
    ]);
    // Rules with disjoint filters: two clicks at one instant, one for each rule, are two touchpoints.
    const d = twoRules("where: { campaign: x }, channel: email-x", "where: { campaign: { in: [y, z] } }, channel: email-y");
    const both = [track("u", "Signup", 0), track("u", EMAIL, 10, { campaign: "x" }), track("u", EMAIL, 10, { campaign: "y" }), track("u", GOAL, 20)];
    expect(only(simulate(d, both).records, "conversion.attributed")[0]!["credits"]).toEqual([
      { at: iso(10), event: EMAIL, channel: "email-x", credit: 0.5 },
      { at: iso(10), event: EMAIL, channel: "email-y", credit: 0.5 },
    ]);
  });

  it("no touchpoint in the lookback: goal.reached without conversion.attributed", () => {
    const c = journey("linear");
    const { records } = simulate(c, [track("u", "Signup", 0), track("u", GOAL, 5)]);
    expect(only(records, "goal.reached", "conversion.attributed", "journey.exited")).toEqual([
      { at: iso(5), type: "goal.reached", goal: GOAL },
      { at: iso(5), type: "journey.exited", reason: "goal" },
    ]);
  });

  it("the record comes right after goal.reached, before the exit", () => {
    const c = journey("last");
    const { records } = simulate(c, [track("u", "Signup", 0), track("u", EMAIL, 1), track("u", GOAL, 5)]);
    expect(only(records, "goal.reached", "conversion.attributed", "journey.exited").map((r) => r["type"])).toEqual([
      "goal.reached", "conversion.attributed", "journey.exited",
    ]);
  });
});
