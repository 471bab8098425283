/**
 * Stages (contract 4.1) and segments (4.2): the last holding stage, no regression unless
 * allowed, segment records, segments of segments, segment entry for every contact, and
 * time-based changes at their exact instant.
 */
import { describe, expect, it } from "vitest";
import { compileJourney, simulate } from "../helpers.js";
import { identify, iso, only, rows, track } from "./support.js";

const funnel = (regress: boolean) => compileJourney(`
id: j
entry: { event: Go }
stagesCanRegress: ${regress}
stages:
  - id: aware
  - id: warm
    when: { performed: { event: View, within: 60s } }
  - id: hot
    when: { performed: { event: View, count: { gte: 3 }, within: 60s } }
`);

describe("stages", () => {
  it("a contact enters in the first stage, with from: null", () => {
    const { records } = simulate(funnel(false), [track("u", "Go", 0)]);
    expect(rows(records)).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(0), type: "stage.entered", stage: "aware", from: null },
    ]);
  });

  it("the stage is the last one in list order whose when holds (stages can be skipped)", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages:
  - id: a
  - id: b
    when: { trait: { plan: pro } }
  - id: c
    when: { performed: { event: Demo } }
`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Demo", 5)]);
    expect(only(records, "stage.entered")).toEqual([
      { at: iso(0), type: "stage.entered", stage: "a", from: null },
      { at: iso(5), type: "stage.entered", stage: "c", from: "a" },
    ]);
  });

  it("the entry event itself can move the stage in the instant of entry", () => {
    const c = compileJourney(`
id: j
entry: { event: Demo }
stages: [ { id: a }, { id: b, when: { performed: { event: Demo } } } ]
`);
    expect(rows(simulate(c, [track("u", "Demo", 0)]).records)).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(0), type: "stage.entered", stage: "a", from: null },
      { at: iso(0), type: "stage.entered", stage: "b", from: "a" },
    ]);
  });

  it("stages never move backwards when their conditions stop holding", () => {
    const msgs = [track("u", "Go", 0), track("u", "View", 10), track("u", "View", 20), track("u", "View", 30)];
    const { records, sim } = simulate(funnel(false), msgs, iso(600));
    expect(only(records, "stage.entered")).toEqual([
      { at: iso(0), type: "stage.entered", stage: "aware", from: null },
      { at: iso(10), type: "stage.entered", stage: "warm", from: "aware" },
      { at: iso(30), type: "stage.entered", stage: "hot", from: "warm" },
    ]);
    expect(sim.contacts.get("u")!.runs["j"]!.st).toBe(2);
  });

  it("with stagesCanRegress, the stage follows its conditions down, each at its exact instant", () => {
    const msgs = [track("u", "Go", 0), track("u", "View", 10), track("u", "View", 20), track("u", "View", 30)];
    const { records } = simulate(funnel(true), msgs, iso(600));
    expect(only(records, "stage.entered")).toEqual([
      { at: iso(0), type: "stage.entered", stage: "aware", from: null },
      { at: iso(10), type: "stage.entered", stage: "warm", from: "aware" },
      { at: iso(30), type: "stage.entered", stage: "hot", from: "warm" },
      // 10s View expires at 70s: 2 left -> warm; the 30s one at 90s: none left -> aware.
      { at: iso(70), type: "stage.entered", stage: "warm", from: "hot" },
      { at: iso(90), type: "stage.entered", stage: "aware", from: "warm" },
    ]);
  });

  it("a forward move waits for no event: a window-free inStage advances at its instant", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: new }, { id: settled, when: { inStage: { for: 2m } } } ]
`);
    const { records } = simulate(c, [track("u", "Go", 7)], iso(1000));
    expect(only(records, "stage.entered")).toEqual([
      { at: iso(7), type: "stage.entered", stage: "new", from: null },
      { at: iso(127), type: "stage.entered", stage: "settled", from: "new" },
    ]);
  });
});

describe("segments", () => {
  it("records segment.entered and segment.exited for contacts in the journey", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a } ]
segments:
  pro: { when: { trait: { plan: pro } } }
`);
    const { records } = simulate(c, [track("u", "Go", 0), identify("u", 5, { plan: "pro" }), identify("u", 9, { plan: "free" })]);
    expect(only(records, "segment.entered", "segment.exited")).toEqual([
      { at: iso(5), type: "segment.entered", segment: "pro" },
      { at: iso(9), type: "segment.exited", segment: "pro" },
    ]);
  });

  it("segments are tracked only for contacts in the journey", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a } ]
segments:
  viewer: { when: { performed: { event: View } } }
`);
    const { records } = simulate(c, [track("u", "View", 0), track("v", "View", 0), track("u", "Go", 5)]);
    expect(rows(records, { contact: true, types: ["segment.entered"] })).toEqual([
      { contact: "u", at: iso(5), type: "segment.entered", segment: "viewer" },
    ]);
  });

  // Within one instant, segments are evaluated (and recorded) in dependency order:
  // each segment after the segments it refers to, otherwise in declaration order.
  it("segments may refer to segments, declared in any order, evaluated in dependency order", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a }, { id: b, when: { segment: hot-pro } } ]
segments:
  hot-pro: { when: { all: [ { segment: pro }, { segment: hot } ] } }
  cold: { when: { not: { segment: hot } } }
  hot: { when: { performed: { event: View, count: { gte: 2 }, within: 60s } } }
  pro: { when: { trait: { plan: pro } } }
`);
    const msgs = [track("u", "Go", 0), identify("u", 1, { plan: "pro" }), track("u", "View", 2), track("u", "View", 3)];
    const { records } = simulate(c, msgs, iso(200));
    expect(rows(records).slice(2)).toEqual([
      { at: iso(0), type: "segment.entered", segment: "cold" },
      { at: iso(1), type: "segment.entered", segment: "pro" },
      { at: iso(3), type: "segment.entered", segment: "hot" },
      { at: iso(3), type: "segment.entered", segment: "hot-pro" },
      { at: iso(3), type: "segment.exited", segment: "cold" },
      { at: iso(3), type: "stage.entered", stage: "b", from: "a" },
      { at: iso(62), type: "segment.exited", segment: "hot" },
      { at: iso(62), type: "segment.exited", segment: "hot-pro" },
      { at: iso(62), type: "segment.entered", segment: "cold" },
    ]);
  });

  it("a time-based segment exit happens at its exact instant with no new event", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a } ]
segments:
  active: { when: { performed: { event: Login, within: 90s } } }
`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Login", 0.123)], iso(1000));
    expect(only(records, "segment.entered", "segment.exited")).toEqual([
      { at: iso(0.123), type: "segment.entered", segment: "active" },
      { at: iso(90.123), type: "segment.exited", segment: "active" },
    ]);
  });
});

describe("segments that see the stage", () => {
  it("a segment on the stage follows a stage move in the same instant", () => {
    const c = compileJourney(`
id: sg
entry: { event: Start }
stages: [ { id: a }, { id: b, when: { performed: { event: GoB } } } ]
segments: { in-b: { when: { stage: b } } }
`);
    const { records } = simulate(c, [track("u", "Start", 0), track("u", "GoB", 600), track("u", "X", 18_000)]);
    expect(only(records, "stage.entered", "segment.entered", "segment.exited")).toEqual([
      { at: iso(0), type: "stage.entered", stage: "a", from: null },
      { at: iso(600), type: "stage.entered", stage: "b", from: "a" },
      { at: iso(600), type: "segment.entered", segment: "in-b" },
    ]);
  });

  it("an inStage segment is left the instant the stage moves (its stay starts again)", () => {
    const c = compileJourney(`
id: du
entry: { event: Start }
stages:
  - id: a
  - id: quiet
    when: { segment: old }
segments:
  old: { when: { inStage: { for: 90m } } }
`);
    const { records } = simulate(c, [track("u", "Start", 0)], iso(4 * 3600));
    expect(only(records, "stage.entered", "segment.entered", "segment.exited")).toEqual([
      { at: iso(0), type: "stage.entered", stage: "a", from: null },
      { at: iso(5400), type: "segment.entered", segment: "old" },
      { at: iso(5400), type: "stage.entered", stage: "quiet", from: "a" },
      { at: iso(5400), type: "segment.exited", segment: "old" },
      { at: iso(10_800), type: "segment.entered", segment: "old" },
    ]);
  });
});

describe("a segment entry whose exit rule fires as the segment ends", () => {
  it("re-opens the journey when the contact enters the segment again", () => {
    const c = compileJourney(`
id: sx
entry: { segment: active }
reentry: always
exit: [ { not: { segment: active } } ]
stages: [ { id: a } ]
segments: { active: { when: { performed: { event: Ping, within: 1h } } } }
`);
    const { records } = simulate(c, [track("u", "Ping", 0), track("u", "Ping", 3 * 3600)], iso(5 * 3600));
    expect(only(records, "journey.entered", "journey.exited")).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(3600), type: "journey.exited", reason: "exit" },
      { at: iso(3 * 3600), type: "journey.entered" },
      { at: iso(4 * 3600), type: "journey.exited", reason: "exit" },
    ]);
  });
});

describe("a segment as entry is evaluated for every contact", () => {
  const c = compileJourney(`
id: j
entry: { segment: seeker }
reentry: always
exit: [ { event: Bye } ]
stages: [ { id: a } ]
segments:
  seeker: { when: { performed: { event: Price, count: { gte: 2 }, within: 60s } } }
  quiet: { when: { not: { performed: { event: Login, within: 30s } } } }
`);

  it("opens the journey for whichever contact enters the segment, at that instant", () => {
    const msgs = [track("a", "Price", 0), track("b", "Price", 1), track("b", "Other", 2), track("a", "Price", 3), track("c", "Login", 4)];
    const { records } = simulate(c, msgs);
    expect(rows(records, { contact: true })).toEqual([
      { contact: "a", at: iso(3), type: "journey.entered" },
      { contact: "a", at: iso(3), type: "stage.entered", stage: "a", from: null },
      { contact: "a", at: iso(3), type: "segment.entered", segment: "seeker" },
      { contact: "a", at: iso(3), type: "segment.entered", segment: "quiet" },
    ]);
  });

  it("entering the segment by time alone opens the journey at the exact instant", () => {
    const d = compileJourney(`
id: d
entry: { segment: dormant }
stages: [ { id: a } ]
segments:
  dormant: { when: { all: [ { performed: { event: Login } }, { not: { performed: { event: Login, within: 45s } } } ] } }
`);
    const { records } = simulate(d, [track("u", "Login", 10), track("u", "Login", 20)], iso(500));
    expect(rows(records)).toEqual([
      { at: iso(65), type: "journey.entered" },
      { at: iso(65), type: "stage.entered", stage: "a", from: null },
      { at: iso(65), type: "segment.entered", segment: "dormant" },
    ]);
  });

  it("staying in the segment does not re-open the journey; leaving it by time and re-entering does", () => {
    const msgs = [
      track("u", "Price", 0), track("u", "Price", 1), // enters at 1
      track("u", "Bye", 5), // exits; still in the segment until 60s
      track("u", "Price", 30), // still a member: no re-entry
      // the segment empties at 90s (the 30s event expires) with no event
      track("u", "Price", 200), track("u", "Price", 210), // a fresh entry into the segment
    ];
    const { records } = simulate(c, msgs, iso(220));
    expect(only(records, "journey.entered", "journey.exited")).toEqual([
      { at: iso(1), type: "journey.entered" },
      { at: iso(5), type: "journey.exited", reason: "exit" },
      { at: iso(210), type: "journey.entered" },
    ]);
  });

  it("re-entry after the segment emptied by time alone, with no event in between", () => {
    const d = compileJourney(`
id: d
entry: { segment: recent }
reentry: always
exit: [ { event: Bye } ]
stages: [ { id: a } ]
segments:
  recent: { when: { performed: { event: Price, within: 60s } } }
`);
    // In the segment from 0s to 60s; out of the journey at 5s; a new Price at 200s is a new entry.
    const { records } = simulate(d, [track("u", "Price", 0), track("u", "Bye", 5), track("u", "Price", 200)]);
    expect(only(records, "journey.entered", "journey.exited")).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(5), type: "journey.exited", reason: "exit" },
      { at: iso(200), type: "journey.entered" },
    ]);
  });
});
