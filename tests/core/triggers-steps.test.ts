/**
 * Triggers (contract section 5): every signal of `on`, and `once`, `cooldown`, `if`.
 * The steps themselves are in steps-flow.test.ts and steps-handoff.test.ts.
 */
import { describe, expect, it } from "vitest";
import { compileJourney, simulate } from "../helpers.js";
import { ENV, WORKSPACE, identify, iso, only, track } from "./support.js";

/** A journey entered by `Go` (left by `Bye`, re-entered at will) with the given stages and triggers. */
const withTriggers = (body: string) => compileJourney(`
id: j
entry: { event: Go }
exit: [ { event: Bye } ]
reentry: always
${body}`, { workspace: WORKSPACE, env: ENV });

const fired = (records: ReturnType<typeof simulate>["records"]) => only(records, "trigger.fired");

describe("signals", () => {
  it("event, with where", () => {
    const c = withTriggers(`
stages: [ { id: a } ]
triggers:
  - { id: cta, on: { event: Click, where: { link: { startsWith: /cta } } }, do: [ { set: { x: 1 } } ] }
  - { id: any-click, on: { event: Click }, do: [ { set: { y: 1 } } ] }
`);
    const { records } = simulate(c, [track("u", "Click", 0, { link: "/cta" }), track("u", "Go", 1), track("u", "Click", 2, { link: "/blog" }), track("u", "Click", 3, { link: "/cta/a" })]);
    expect(fired(records)).toEqual([
      { at: iso(2), type: "trigger.fired", trigger: "any-click" },
      { at: iso(3), type: "trigger.fired", trigger: "cta" },
      { at: iso(3), type: "trigger.fired", trigger: "any-click" },
    ]);
  });

  it("the entry event fires journey.entered and event triggers inside the journey it opens", () => {
    const c = withTriggers(`
stages: [ { id: a } ]
triggers:
  - { id: hello, on: journey.entered, do: [ { set: { x: 1 } } ] }
  - { id: hello-map, on: { journey.entered: null }, do: [ { set: { x: 2 } } ] }
  - { id: go, on: { event: Go }, do: [ { set: { x: 3 } } ] }
`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Go", 1)]);
    expect(fired(records)).toEqual([
      { at: iso(0), type: "trigger.fired", trigger: "hello" },
      { at: iso(0), type: "trigger.fired", trigger: "hello-map" },
      { at: iso(0), type: "trigger.fired", trigger: "go" },
      { at: iso(1), type: "trigger.fired", trigger: "go" },
    ]);
  });

  it("stage.entered, segment.entered, segment.exited, score.crossed", () => {
    const c = withTriggers(`
stages: [ { id: a }, { id: b, when: { score: { gte: 20 } } } ]
segments:
  recent: { when: { performed: { event: View, within: 30s } } }
score: { rules: [ { event: View, points: 10 } ], thresholds: { mql: 20 } }
triggers:
  - { id: to-a, on: { stage.entered: a }, do: [ { set: { x: 1 } } ] }
  - { id: to-b, on: { stage.entered: b }, do: [ { set: { x: 1 } } ] }
  - { id: seg-in, on: { segment.entered: recent }, do: [ { set: { x: 1 } } ] }
  - { id: seg-out, on: { segment.exited: recent }, do: [ { set: { x: 1 } } ] }
  - { id: mql, on: { score.crossed: mql }, do: [ { set: { x: 1 } } ] }
`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "View", 1), track("u", "View", 2)], iso(100));
    expect(fired(records)).toEqual([
      { at: iso(0), type: "trigger.fired", trigger: "to-a" },
      { at: iso(1), type: "trigger.fired", trigger: "seg-in" },
      { at: iso(2), type: "trigger.fired", trigger: "mql" },
      { at: iso(2), type: "trigger.fired", trigger: "to-b" },
      { at: iso(32), type: "trigger.fired", trigger: "seg-out" },
    ]);
  });

  it("stalled fires exactly when the stay reaches `for`, once per stay", () => {
    const c = withTriggers(`
stagesCanRegress: true
stages: [ { id: a }, { id: b, when: { trait: { hot: true } } } ]
triggers:
  - { id: stuck-a, on: { stalled: { stage: a, for: 60s } }, do: [ { set: { x: 1 } } ] }
`);
    const msgs = [
      track("u", "Go", 0), // stuck at 60s, once
      identify("u", 200, { hot: true }), identify("u", 230, { hot: false }), // a new stay in a from 230s
      identify("u", 250, { hot: true }), identify("u", 260, { hot: false }), // left before 60s; new stay from 260s
    ];
    const { records } = simulate(c, msgs, iso(1000));
    expect(fired(records)).toEqual([
      { at: iso(60), type: "trigger.fired", trigger: "stuck-a" },
      { at: iso(320), type: "trigger.fired", trigger: "stuck-a" },
    ]);
  });

  it("stalled does not fire for a contact that moved on in time", () => {
    const c = withTriggers(`
stages: [ { id: a }, { id: b, when: { performed: { event: Up } } } ]
triggers:
  - { id: stuck-a, on: { stalled: { stage: a, for: 60s } }, do: [ { set: { x: 1 } } ] }
  - { id: stuck-b, on: { stalled: { stage: b, for: 60s } }, do: [ { set: { x: 1 } } ] }
`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Up", 59.999)], iso(1000));
    expect(fired(records)).toEqual([{ at: iso(119.999), type: "trigger.fired", trigger: "stuck-b" }]);
  });

  it("handoff.breached, with and without the opening trigger's id", () => {
    const c = withTriggers(`
stages: [ { id: a } ]
triggers:
  - { id: open-1, on: { event: Demo }, do: [ { handoff: { to: crm, team: sales, sla: 30s } } ] }
  - { id: open-2, on: { event: Call }, do: [ { handoff: { to: crm, team: support, sla: 40s } } ] }
  - { id: any-breach, on: handoff.breached, do: [ { set: { x: 1 } } ] }
  - { id: any-breach-map, on: { handoff.breached: null }, do: [ { set: { x: 1 } } ] }
  - { id: breach-2, on: { handoff.breached: open-2 }, do: [ { set: { x: 1 } } ] }
`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Demo", 1), track("u", "Call", 2)], iso(100));
    expect(fired(records)).toEqual([
      { at: iso(1), type: "trigger.fired", trigger: "open-1" },
      { at: iso(2), type: "trigger.fired", trigger: "open-2" },
      { at: iso(31), type: "trigger.fired", trigger: "any-breach" },
      { at: iso(31), type: "trigger.fired", trigger: "any-breach-map" },
      { at: iso(42), type: "trigger.fired", trigger: "any-breach" },
      { at: iso(42), type: "trigger.fired", trigger: "any-breach-map" },
      { at: iso(42), type: "trigger.fired", trigger: "breach-2" },
    ]);
  });

  it("goal.reached fires before the run ends", () => {
    const c = withTriggers(`
goal: { event: Paid }
stages: [ { id: a } ]
triggers:
  - { id: won, on: goal.reached, do: [ { webhook: { to: crm } } ] }
`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Paid", 5)]);
    expect(only(records, "goal.reached", "trigger.fired", "webhook.sent", "journey.exited")).toEqual([
      { at: iso(5), type: "goal.reached", goal: "Paid" },
      { at: iso(5), type: "trigger.fired", trigger: "won" },
      { at: iso(5), type: "webhook.sent", endpoint: "crm" },
      { at: iso(5), type: "journey.exited", reason: "goal" },
    ]);
  });
});

describe("once, cooldown, if", () => {
  it("once: at most once per run, again in a new run", () => {
    const c = withTriggers(`
stages: [ { id: a } ]
triggers:
  - { id: first-click, on: { event: Click }, once: true, do: [ { set: { x: 1 } } ] }
`);
    const msgs = [track("u", "Go", 0), track("u", "Click", 1), track("u", "Click", 2), track("u", "Bye", 3), track("u", "Go", 4), track("u", "Click", 5), track("u", "Click", 6)];
    expect(fired(simulate(c, msgs).records)).toEqual([
      { at: iso(1), type: "trigger.fired", trigger: "first-click" },
      { at: iso(5), type: "trigger.fired", trigger: "first-click" },
    ]);
  });

  it("cooldown: skipped within that long of its last start, allowed at exactly that long", () => {
    const c = withTriggers(`
stages: [ { id: a } ]
triggers:
  - { id: nudge, on: { event: Click }, cooldown: 60s, do: [ { set: { x: 1 } } ] }
`);
    const msgs = [track("u", "Go", 0), track("u", "Click", 10), track("u", "Click", 69.999), track("u", "Click", 70), track("u", "Click", 100), track("u", "Click", 130)];
    expect(fired(simulate(c, msgs).records)).toEqual([
      { at: iso(10), type: "trigger.fired", trigger: "nudge" },
      { at: iso(70), type: "trigger.fired", trigger: "nudge" },
      { at: iso(130), type: "trigger.fired", trigger: "nudge" },
    ]);
  });

  it("cooldown spans runs: re-entering does not reset it", () => {
    const c = withTriggers(`
stages: [ { id: a } ]
triggers:
  - { id: nudge, on: { event: Click }, cooldown: 60s, do: [ { set: { x: 1 } } ] }
`);
    const msgs = [track("u", "Go", 0), track("u", "Click", 10), track("u", "Bye", 20), track("u", "Go", 30), track("u", "Click", 40), track("u", "Click", 70)];
    expect(fired(simulate(c, msgs).records)).toEqual([
      { at: iso(10), type: "trigger.fired", trigger: "nudge" },
      { at: iso(70), type: "trigger.fired", trigger: "nudge" },
    ]);
  });

  it("if: the trigger runs only when its condition holds at the signal", () => {
    const c = withTriggers(`
stages: [ { id: a } ]
triggers:
  - { id: pro-click, on: { event: Click }, if: { trait: { plan: pro } }, once: true, do: [ { set: { x: 1 } } ] }
`);
    const msgs = [track("u", "Go", 0), track("u", "Click", 1), identify("u", 2, { plan: "pro" }), track("u", "Click", 3)];
    expect(fired(simulate(c, msgs).records)).toEqual([{ at: iso(3), type: "trigger.fired", trigger: "pro-click" }]);
  });

  it("a skipped `if` does not use up `once`", () => {
    const c = withTriggers(`
stages: [ { id: a } ]
triggers:
  - { id: t, on: { event: Click }, if: { performed: { event: Click, count: { gte: 2 } } }, once: true, do: [ { set: { x: 1 } } ] }
`);
    const msgs = [track("u", "Go", 0), track("u", "Click", 1), track("u", "Click", 2), track("u", "Click", 3)];
    expect(fired(simulate(c, msgs).records)).toEqual([{ at: iso(2), type: "trigger.fired", trigger: "t" }]);
  });
});
