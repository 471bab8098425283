/**
 * One instant is one evaluation (contract §6): a wake-up due at the very instant of an event
 * is evaluated with that event, so a window renewed at the instant it would lapse keeps
 * holding (§4: an event at `t` counts from `t`). And decayed scores are computed from the
 * score's last change, so a wake-up in between cannot move a crossing (§4.3: continuous).
 */
import { describe, expect, it } from "vitest";
import { compileJourney, simulate } from "../helpers.js";
import { iso, only, rows, track } from "./support.js";

describe("an event at the instant a wake-up falls due", () => {
  it("renews a window at the instant it lapses: the segment never leaves, its exit trigger does not fire", () => {
    const c = compileJourney(`
id: renew
entry: { event: Start }
segments:
  active: { when: { performed: { event: V, within: 10m } } }
triggers:
  - { id: lapsed, on: { segment.exited: active }, do: [ { set: { lapsed: true } } ] }
`);
    const { records } = simulate(c, [track("u", "Start", 0), track("u", "V", 600), track("u", "V", 1200)], iso(1200));
    expect(only(records, "segment.entered", "segment.exited", "trigger.fired", "trait.set")).toEqual([
      { at: iso(600), type: "segment.entered", segment: "active" },
    ]);
    // With no renewal the window still lapses at exactly its end.
    const lapsed = simulate(c, [track("u", "Start", 0), track("u", "V", 600)], iso(1200)).records;
    expect(only(lapsed, "segment.exited", "trait.set")).toEqual([
      { at: iso(1200), type: "segment.exited", segment: "active" },
      { at: iso(1200), type: "trait.set", traits: { lapsed: true } },
    ]);
  });

  it("an exit rule on a lapsing window does not fire when the event comes at that instant", () => {
    const c = compileJourney(`
id: idle
entry: { event: V }
exit:
  - not: { performed: { event: V, within: 10m } }
`);
    const renewed = simulate(c, [track("u", "V", 600), track("u", "V", 1200), track("u", "V", 1740)]).records;
    expect(only(renewed, "journey.entered", "journey.exited")).toEqual([{ at: iso(600), type: "journey.entered" }]);
    const late = simulate(c, [track("u", "V", 600), track("u", "V", 1200.001)]).records;
    expect(only(late, "journey.exited")).toEqual([{ at: iso(1200), type: "journey.exited", reason: "exit" }]);
  });

  it("points at the instant a decaying score leaves a bound are added before the segment is judged", () => {
    const c = compileJourney(`
id: hot
entry: { event: Start }
score:
  rules: [ { event: Start, points: 20 }, { event: Ping, points: 5 } ]
  decay: { halfLife: 1h }
segments:
  warm: { when: { score: { gte: 10 } } }
`);
    // 20 decays to exactly 10 at +1h and leaves gte 10 at +1h 1 ms; a Ping then makes it about 15.
    const { records } = simulate(c, [track("u", "Start", 0), track("u", "Ping", 3600.001)], iso(3600.001));
    expect(only(records, "segment.entered", "segment.exited")).toEqual([{ at: iso(0), type: "segment.entered", segment: "warm" }]);
  });

  it("a stay that reaches its stalled length at the instant an event moves the contact on has stalled", () => {
    const c = compileJourney(`
id: st
entry: { event: Start }
stages:
  - id: a
  - id: b
    when: { performed: { event: Move } }
triggers:
  - { id: stuck, on: { stalled: { stage: a, for: 1h } }, do: [ { set: { stuck: true } } ] }
`);
    const { records } = simulate(c, [track("u", "Start", 0), track("u", "Move", 3600)]);
    expect(rows(records, { types: ["stage.entered", "trigger.fired", "trait.set"] })).toEqual([
      { at: iso(0), type: "stage.entered", stage: "a", from: null },
      { at: iso(3600), type: "stage.entered", stage: "b", from: "a" },
      { at: iso(3600), type: "trigger.fired", trigger: "stuck" },
      { at: iso(3600), type: "trait.set", traits: { stuck: true } },
    ]);
  });
});

describe("decay crossings do not depend on evaluations in between", () => {
  const c = (segments: string) => compileJourney(`
id: j5
entry: { event: Start }
score:
  rules: [ { event: Start, points: 20 } ]
  decay: { halfLife: PT1H }
segments:
${segments}
`);

  it("20 points reach exactly 5 at +2h whether or not a wake-up came at +1h", () => {
    const alone = simulate(c("  le5: { when: { score: { lte: 5 } } }"), [track("u", "Start", 0)], iso(6 * 3600)).records;
    expect(only(alone, "segment.entered")).toEqual([{ at: iso(7200), type: "segment.entered", segment: "le5" }]);
    const withWake = simulate(c(`  g10: { when: { score: { gte: 10 } } }
  le5: { when: { score: { lte: 5 } } }
  gt5: { when: { score: { gt: 5 } } }`), [track("u", "Start", 0)], iso(6 * 3600)).records;
    expect(only(withWake, "segment.entered", "segment.exited").slice(2)).toEqual([
      { at: iso(3600.001), type: "segment.exited", segment: "g10" },
      { at: iso(7200), type: "segment.entered", segment: "le5" },
      { at: iso(7200), type: "segment.exited", segment: "gt5" },
    ]);
  });

  it("an eq on the score holds for exactly its millisecond, after a wake-up in between too", () => {
    const { records } = simulate(c(`  g10: { when: { score: { gte: 10 } } }
  eq5: { when: { score: { eq: 5 } } }`), [track("u", "Start", 0)], iso(6 * 3600));
    expect(only(records, "segment.entered", "segment.exited").filter((r) => r["segment"] === "eq5")).toEqual([
      { at: iso(7200), type: "segment.entered", segment: "eq5" },
      { at: iso(7200.001), type: "segment.exited", segment: "eq5" },
    ]);
  });
});
