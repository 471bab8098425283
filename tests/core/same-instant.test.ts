/**
 * One instant is one evaluation (contract §6): a wake-up due at the very instant of an event
 * is evaluated with that event, so a window renewed at the instant it would lapse keeps
 * holding (§4: an event at `t` counts from `t`). And decayed scores are computed from the
 * score's last change, so a wake-up in between cannot move a crossing (§4.3: continuous).
 */
import { describe, expect, it } from "vitest";
import { compileJourney, simulate } from "../helpers.js";
import { ENV, WORKSPACE, iso, only, rows, track } from "./support.js";

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

describe("a wait that time begins at the instant of the event it waits for", () => {
  const GOT = (sec: number, trait: string) => ({ at: iso(sec), type: "trait.set", traits: { [trait]: true } });

  it("after a `wait` duration ends: the event at that instant resumes it (what is due by time comes first)", () => {
    const c = compileJourney(`
id: w
entry: { event: Start }
triggers:
  - id: t
    on: journey.entered
    do:
      - wait: 1h
      - wait: { until: { event: X }, timeout: 1d }
      - set: { gotX: true }
`);
    const at = simulate(c, [track("u", "Start", 0), track("u", "X", 3600)], iso(90_000)).records;
    expect(only(at, "trait.set")).toEqual([GOT(3600, "gotX")]);
    // An X a millisecond before the wait began does not count; the wait times out.
    const before = simulate(c, [track("u", "Start", 0), track("u", "X", 3599.999)], iso(90_000)).records;
    expect(only(before, "trait.set")).toEqual([]);
  });

  it("after a timeout: the onTimeout steps' own wait takes the event at that instant", () => {
    const c = compileJourney(`
id: w
entry: { event: Start }
triggers:
  - id: t
    on: journey.entered
    do:
      - wait: { until: { event: Y }, timeout: 1h, onTimeout: [ { wait: { until: { event: X } } }, { set: { gotX: true } } ] }
`);
    const { records } = simulate(c, [track("u", "Start", 0), track("u", "X", 3600)], iso(7200));
    expect(only(records, "trait.set")).toEqual([GOT(3600, "gotX")]);
  });

  it("a `stalled` trigger whose steps wait for the event at the stall's instant", () => {
    const c = compileJourney(`
id: w
entry: { event: Start }
stages: [ { id: a }, { id: b, when: { performed: { event: Move } } } ]
triggers:
  - id: st
    on: { stalled: { stage: a, for: 1h } }
    do: [ { wait: { until: { event: X }, timeout: 1d } }, { set: { gotX: true } } ]
`);
    const { records } = simulate(c, [track("u", "Start", 0), track("u", "X", 3600)], iso(7200));
    expect(only(records, "trigger.fired", "trait.set")).toEqual([{ at: iso(3600), type: "trigger.fired", trigger: "st" }, GOT(3600, "gotX")]);
  });

  it("an SLA breach's onBreach steps that wait for the event at the breach's instant", () => {
    const c = compileJourney(`
id: w
entry: { event: Go }
triggers:
  - id: demo
    on: { event: Demo }
    do:
      - handoff: { to: crm, team: sales, owners: [ann], sla: 90s, onBreach: [ { wait: { until: { event: X } } }, { set: { gotX: true } } ] }
`, { workspace: WORKSPACE, env: ENV });
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Demo", 10), track("u", "X", 100)], iso(500));
    expect(only(records, "handoff.breached", "trait.set").map((r) => r["type"])).toEqual(["handoff.breached", "trait.set"]);
    expect(only(records, "trait.set")).toEqual([GOT(100, "gotX")]);
  });

  it("takes the event once, and not for waits the event itself began", () => {
    const c = compileJourney(`
id: w
entry: { event: Start }
triggers:
  - id: t
    on: journey.entered
    do:
      - wait: 1h
      - wait: { until: { event: X } }
      - set: { first: true }
      - wait: { until: { event: X } }
      - set: { second: true }
  - id: by-x
    on: { event: X }
    do: [ { wait: { until: { event: X } } }, { set: { fromX: true } } ]
`);
    const once = simulate(c, [track("u", "Start", 0), track("u", "X", 3600)], iso(7200)).records;
    expect(only(once, "trait.set")).toEqual([GOT(3600, "first")]);
    const twice = simulate(c, [track("u", "Start", 0), track("u", "X", 3600), track("u", "X", 3700)], iso(7200)).records;
    expect(only(twice, "trait.set")).toEqual([GOT(3600, "first"), GOT(3700, "second"), GOT(3700, "fromX")]);
  });
});

describe("a run that time ends at the instant of an entry event", () => {
  const c = compileJourney(`
id: demo
entry: { event: Demo }
reentry: always
triggers:
  - id: t
    on: journey.entered
    do: [ { wait: 2h }, { exit: true } ]
`);

  it("ends first; the event opens the next run", () => {
    const { records } = simulate(c, [track("u", "Demo", 0), track("u", "Demo", 7200)], iso(7300));
    expect(only(records, "journey.entered", "journey.exited")).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(7200), type: "journey.exited", reason: "step" },
      { at: iso(7200), type: "journey.entered" },
    ]);
  });

  it("an entry event while the run is open does not enter; one a millisecond after its end does", () => {
    const during = simulate(c, [track("u", "Demo", 0), track("u", "Demo", 7199.999)], iso(7300)).records;
    expect(only(during, "journey.entered")).toHaveLength(1);
    const after = simulate(c, [track("u", "Demo", 0), track("u", "Demo", 7200.001)], iso(7300)).records;
    expect(only(after, "journey.entered").map((r) => r["at"])).toEqual([iso(0), iso(7200.001)]);
  });

  it("not when the event itself ended the run (it waited for that event)", () => {
    const w = compileJourney(`
id: demo
entry: { event: Demo }
reentry: always
triggers:
  - id: t
    on: journey.entered
    do: [ { wait: 1h }, { wait: { until: { event: Demo } } }, { exit: true } ]
`);
    const { records } = simulate(w, [track("u", "Demo", 0), track("u", "Demo", 3600)], iso(7300));
    expect(only(records, "journey.entered", "journey.exited")).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(3600), type: "journey.exited", reason: "step" },
    ]);
  });
});
