/**
 * The journey score (contract 4.3): points, the per-rule `max`, continuous half-life
 * decay, upward threshold crossings, exact decay flips, rounding, the entry event.
 */
import { describe, expect, it } from "vitest";
import { compileJourney, simulate } from "../helpers.js";
import { iso, ms, only, rows, track } from "./support.js";

const scored = (score: string, extra = "") => compileJourney(`
id: j
entry: { event: Go }
reentry: always
exit: [ { event: Bye } ]
stages: [ { id: a } ]
score: ${score}
${extra}`);

describe("points and max", () => {
  const c = scored(`
  rules:
    - { event: View, where: { page: pricing }, points: 10 }
    - { event: Demo, points: 25, max: 50 }
    - { event: Demo, where: { live: true }, points: 5 }
  thresholds: { t35: 35, t60: 60, t80: 80, t90: 90 }`);

  it("adds the points of every matching rule; a rule's total is capped by max", () => {
    const { records } = simulate(c, [
      track("u", "Go", 0),
      track("u", "View", 1, { page: "blog" }), // no rule matches
      track("u", "View", 2, { page: "pricing" }), // 10
      track("u", "Demo", 3), // 35
      track("u", "Demo", 4), // 60: the Demo rule reached its max of 50
      track("u", "Demo", 5), // capped: still 60
      track("u", "View", 6, { page: "pricing" }), // 70
      track("u", "Demo", 7, { live: true }), // the live rule still adds 5: 75
      track("u", "View", 8, { page: "pricing" }), // 85
      track("u", "Demo", 9, { live: true }), // 90
    ]);
    expect(only(records, "score.crossed")).toEqual([
      { at: iso(3), type: "score.crossed", threshold: "t35", score: 35 },
      { at: iso(4), type: "score.crossed", threshold: "t60", score: 60 },
      { at: iso(8), type: "score.crossed", threshold: "t80", score: 85 },
      { at: iso(9), type: "score.crossed", threshold: "t90", score: 90 },
    ]);
  });

  it("a max that is not a multiple of the points lets the last event add only the room left", () => {
    const d = scored(`
  rules: [ { event: Demo, points: 20, max: 50 } ]
  thresholds: { fifty: 50, more: 51 }`);
    const { records, sim } = simulate(d, [track("u", "Go", 0), track("u", "Demo", 1), track("u", "Demo", 2), track("u", "Demo", 3), track("u", "Demo", 4)]);
    expect(only(records, "score.crossed")).toEqual([{ at: iso(3), type: "score.crossed", threshold: "fifty", score: 50 }]);
    expect(sim.contacts.get("u")!.runs["j"]!.sc).toBe(50);
  });

  it("events before entry do not score; the entry event does", () => {
    const d = scored(`
  rules: [ { event: Go, points: 15 }, { event: View, points: 10 } ]
  thresholds: { twenty: 20 }`);
    const { records } = simulate(d, [track("u", "View", 0), track("u", "View", 1), track("u", "Go", 2), track("u", "View", 3)]);
    expect(only(records, "score.crossed")).toEqual([{ at: iso(3), type: "score.crossed", threshold: "twenty", score: 25 }]);
  });

  it("a new run starts from zero", () => {
    const d = scored(`
  rules: [ { event: View, points: 10 } ]
  thresholds: { twenty: 20 }`);
    const msgs = [track("u", "Go", 0), track("u", "View", 1), track("u", "View", 2), track("u", "Bye", 3), track("u", "Go", 4), track("u", "View", 5), track("u", "View", 6)];
    expect(only(simulate(d, msgs).records, "score.crossed")).toEqual([
      { at: iso(2), type: "score.crossed", threshold: "twenty", score: 20 },
      { at: iso(6), type: "score.crossed", threshold: "twenty", score: 20 },
    ]);
  });
});

describe("sums of fractional points", () => {
  it("a score that comes back to a threshold exactly is not seen below it (no float dust re-crossing)", () => {
    const c = compileJourney(`
id: s2
entry: { event: Start }
stages: [ { id: a } ]
score:
  rules: [ { event: Start, points: 0.1 }, { event: Ping, points: 0.2 }, { event: Big, points: 100 }, { event: Neg, points: -50 } ]
  thresholds: { tiny: 0.3 }
`);
    // 0.1 + 0.2 + 100 - 50 - 50 is 0.29999999999999716 in binary floating point.
    const { records } = simulate(c, ["Start", "Ping", "Big", "Neg", "Neg", "Big"].map((e, i) => track("u", e, i * 60)));
    expect(only(records, "score.crossed")).toEqual([{ at: iso(60), type: "score.crossed", threshold: "tiny", score: 0.3 }]);
  });
});

describe("decay", () => {
  it("halves every half-life, continuously; reported scores are rounded to 2 decimals", () => {
    const c = scored(`
  rules: [ { event: View, points: 10 } ]
  decay: { halfLife: 60s }
  thresholds: { a: 17, b: 20, c: 24 }`);
    const { records } = simulate(c, [
      track("u", "Go", 0),
      track("u", "View", 0), // 10
      track("u", "View", 30), // 10 * 2^-0.5 + 10 = 17.0710678...
      track("u", "View", 90), // 17.0710678 * 2^-1 + 10 = 18.5355339...
      track("u", "View", 91), // 18.5355339 * 2^(-1/60) + 10 = 28.3226...
    ]);
    const s91 = ((10 * 2 ** -0.5 + 10) * 0.5 + 10) * 2 ** (-1 / 60) + 10;
    expect(only(records, "score.crossed")).toEqual([
      { at: iso(30), type: "score.crossed", threshold: "a", score: 17.07 },
      // decayed to 8.54 below a, then +10: a is crossed again
      { at: iso(90), type: "score.crossed", threshold: "a", score: 18.54 },
      { at: iso(91), type: "score.crossed", threshold: "b", score: Math.round(s91 * 100) / 100 },
      { at: iso(91), type: "score.crossed", threshold: "c", score: Math.round(s91 * 100) / 100 },
    ]);
    expect(Math.round(s91 * 100) / 100).toBe(28.32);
  });

  it("score.crossed is recorded upwards only, and again after decaying below and re-crossing", () => {
    const c = scored(`
  rules: [ { event: View, points: 60 } ]
  decay: { halfLife: 60s }
  thresholds: { mql: 50 }`);
    const { records } = simulate(c, [
      track("u", "Go", 0),
      track("u", "View", 0), // 60: crosses
      // decays below 50 at ~15.8s: nothing recorded
      track("u", "View", 120), // 60 / 4 + 60 = 75: crosses again
      track("u", "View", 121), // already above: nothing
    ], iso(1000));
    expect(only(records, "score.crossed")).toEqual([
      { at: iso(0), type: "score.crossed", threshold: "mql", score: 60 },
      { at: iso(120), type: "score.crossed", threshold: "mql", score: 75 },
    ]);
  });

  it("decaying below a bound flips a score segment and a regressing stage at the exact millisecond", () => {
    const c = scored(`
  rules: [ { event: Go, points: 30 } ]
  decay: { halfLife: 60s }`, `
segments:
  warm: { when: { score: { gte: 20 } } }
  cold: { when: { score: { lt: 10 } } }
`);
    // 30 * 2^(-dt/60s) < 20  <=>  dt > 60000 * log2(1.5) = 35097.75...ms: first at 35098ms.
    // 30 * 2^(-dt/60s) < 10  <=>  dt > 60000 * log2(3)   = 95097.75...ms: first at 95098ms.
    expect(60_000 * Math.log2(1.5)).toBeCloseTo(35097.75, 2);
    expect(60_000 * Math.log2(3)).toBeCloseTo(95097.75, 2);
    const { records } = simulate(c, [track("u", "Go", 0)], iso(1000));
    expect(only(records, "segment.entered", "segment.exited")).toEqual([
      { at: iso(0), type: "segment.entered", segment: "warm" },
      { at: iso(35.098), type: "segment.exited", segment: "warm" },
      { at: iso(95.098), type: "segment.entered", segment: "cold" },
    ]);
  });

  it("a stage on score >= bound regresses at the decay instant when allowed, never otherwise", () => {
    const mk = (regress: boolean) => compileJourney(`
id: j
entry: { event: Go }
stagesCanRegress: ${regress}
stages: [ { id: lead }, { id: mql, when: { score: { gte: 20 } } } ]
score: { rules: [ { event: View, points: 30 } ], decay: { halfLife: 60s } }
`);
    const msgs = [track("u", "Go", 0), track("u", "View", 5)];
    expect(only(simulate(mk(true), msgs, iso(1000)).records, "stage.entered")).toEqual([
      { at: iso(0), type: "stage.entered", stage: "lead", from: null },
      { at: iso(5), type: "stage.entered", stage: "mql", from: "lead" },
      { at: new Date(ms(5) + 35_098).toISOString(), type: "stage.entered", stage: "lead", from: "mql" },
    ]);
    expect(only(simulate(mk(false), msgs, iso(1000)).records, "stage.entered")).toEqual([
      { at: iso(0), type: "stage.entered", stage: "lead", from: null },
      { at: iso(5), type: "stage.entered", stage: "mql", from: "lead" },
    ]);
  });

  it("a score exactly on its bound starts decaying below it at once (the next millisecond)", () => {
    const c = scored(`
  rules: [ { event: View, points: 20 } ]
  decay: { halfLife: 60s }`, `segments:\n  warm: { when: { score: { gte: 20 } } }`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "View", 10)], iso(100));
    expect(only(records, "segment.entered", "segment.exited")).toEqual([
      { at: iso(10), type: "segment.entered", segment: "warm" },
      { at: iso(10.001), type: "segment.exited", segment: "warm" },
    ]);
  });

  it("points added later add to the decayed score", () => {
    const c = scored(`
  rules: [ { event: View, points: 40 } ]
  decay: { halfLife: 60s }
  thresholds: { thirty: 30 }`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "View", 10), track("u", "View", 130)]);
    // 40 at 10s is 10 at 130s; plus 40 = 50.
    expect(only(records, "score.crossed")).toEqual([
      { at: iso(10), type: "score.crossed", threshold: "thirty", score: 40 },
      { at: iso(130), type: "score.crossed", threshold: "thirty", score: 50 },
    ]);
  });
});

describe("order within one instant", () => {
  it("score, then segments, then stage, then trigger steps", () => {
    const c = compileJourney(`
id: j
entry: { event: Demo }
stages: [ { id: a }, { id: b, when: { segment: keen } } ]
segments:
  keen: { when: { score: { gte: 20 } } }
score: { rules: [ { event: Demo, points: 25 } ], thresholds: { mql: 20 } }
triggers:
  - { id: on-mql, on: { score.crossed: mql }, do: [ { set: { mql: true } } ] }
  - { id: on-b, on: { stage.entered: b }, do: [ { set: { b: true } } ] }
`);
    expect(rows(simulate(c, [track("u", "Demo", 0)]).records)).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(0), type: "stage.entered", stage: "a", from: null },
      { at: iso(0), type: "score.crossed", threshold: "mql", score: 25 },
      { at: iso(0), type: "segment.entered", segment: "keen" },
      { at: iso(0), type: "stage.entered", stage: "b", from: "a" },
      { at: iso(0), type: "trigger.fired", trigger: "on-mql" },
      { at: iso(0), type: "trait.set", traits: { mql: true } },
      { at: iso(0), type: "trigger.fired", trigger: "on-b" },
      { at: iso(0), type: "trait.set", traits: { b: true } },
    ]);
  });
});
