/**
 * The condition language (contract section 4): every form and operator, missing paths,
 * count/within windows to the millisecond, segment references, stage, score, inStage.
 */
import { describe, expect, it } from "vitest";
import { compileJourney, simulate } from "../helpers.js";
import { evaluate, newContact } from "../../src/core/index.js";
import { identify, iso, ms, only, rows, track } from "./support.js";

const y = (v: unknown) => JSON.stringify(v);

/** Whether an event with `props` opens a journey whose entry filters with `where`. */
function entersWith(where: Record<string, unknown>, props: Record<string, unknown>): boolean {
  const c = compileJourney(`id: j\nentry: { event: Go, where: ${y(where)} }\nstages: [ { id: a } ]`);
  return simulate(c, [track("u", "Go", 0, props)]).records.some((r) => r.type === "journey.entered");
}

/** Whether a trigger guarded by `if: cond` fires for a contact with `traits`. */
function firesWithTraits(cond: unknown, traits: Record<string, unknown>): boolean {
  const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a } ]
triggers:
  - { id: t, on: journey.entered, if: ${y(cond)}, do: [ { set: { hit: true } } ] }
`);
  const { records } = simulate(c, [identify("u", 0, traits), track("u", "Go", 1)]);
  return records.some((r) => r.type === "trigger.fired");
}

describe("operators on event properties (where)", () => {
  const cases: [string, Record<string, unknown>, Record<string, unknown>, boolean][] = [
    ["bare value equals", { plan: "pro" }, { plan: "pro" }, true],
    ["bare value differs", { plan: "pro" }, { plan: "free" }, false],
    ["eq is strict about type", { n: { eq: 5 } }, { n: "5" }, false],
    ["eq number", { n: { eq: 5 } }, { n: 5 }, true],
    ["eq boolean", { ok: { eq: true } }, { ok: true }, true],
    ["ne differs", { plan: { ne: "pro" } }, { plan: "free" }, true],
    ["ne same", { plan: { ne: "pro" } }, { plan: "pro" }, false],
    ["gt above", { n: { gt: 5 } }, { n: 6 }, true],
    ["gt at bound", { n: { gt: 5 } }, { n: 5 }, false],
    ["gte at bound", { n: { gte: 5 } }, { n: 5 }, true],
    ["gte below", { n: { gte: 5 } }, { n: 4.99 }, false],
    ["lt below", { n: { lt: 5 } }, { n: 4 }, true],
    ["lt at bound", { n: { lt: 5 } }, { n: 5 }, false],
    ["lte at bound", { n: { lte: 5 } }, { n: 5 }, true],
    ["lte above", { n: { lte: 5 } }, { n: 5.01 }, false],
    ["gt on strings compares text", { v: { gt: "b" } }, { v: "c" }, true],
    ["gt never compares a number with a string", { n: { gt: 5 } }, { n: "10" }, false],
    ["range: several operators all required (inside)", { n: { gte: 1, lt: 5 } }, { n: 4 }, true],
    ["range: several operators all required (outside)", { n: { gte: 1, lt: 5 } }, { n: 5 }, false],
    ["in: listed", { plan: { in: ["pro", "team"] } }, { plan: "team" }, true],
    ["in: not listed", { plan: { in: ["pro", "team"] } }, { plan: "free" }, false],
    ["in: an array property with a listed element", { tags: { in: ["a", "b"] } }, { tags: ["x", "b"] }, true],
    ["nin: not listed", { plan: { nin: ["pro"] } }, { plan: "free" }, true],
    ["nin: listed", { plan: { nin: ["pro"] } }, { plan: "pro" }, false],
    ["nin: an array property with a listed element", { tags: { nin: ["a"] } }, { tags: ["a", "z"] }, false],
    ["exists: present", { coupon: { exists: true } }, { coupon: "X" }, true],
    ["exists: false when present", { coupon: { exists: false } }, { coupon: "X" }, false],
    ["contains: substring", { path: { contains: "pric" } }, { path: "/pricing" }, true],
    ["contains: no substring", { path: { contains: "blog" } }, { path: "/pricing" }, false],
    ["contains: array element", { tags: { contains: "vip" } }, { tags: ["new", "vip"] }, true],
    ["startsWith: yes", { path: { startsWith: "/docs" } }, { path: "/docs/api" }, true],
    ["startsWith: no", { path: { startsWith: "/docs" } }, { path: "/blog/docs" }, false],
    ["matches: regex holds", { email: { matches: "^[a-z]+@example\\.com$" } }, { email: "ann@example.com" }, true],
    ["matches: regex fails", { email: { matches: "^[a-z]+@example\\.com$" } }, { email: "ann@example.org" }, false],
    ["matches: not a string", { n: { matches: "^1" } }, { n: 12 }, false],
    ["matches: (?i) is case-insensitive", { path: { matches: "(?i)^/PRICING" } }, { path: "/pricing" }, true],
    // Nested quantifiers on a text that fails at its end: exponential in a backtracking engine
    // (a 40-character text ran for minutes), linear in RE2: this test would time out before.
    ["matches: a backtracking bomb answers at once", { s: { matches: "^(a+)+$" } }, { s: `${"a".repeat(1_900)}!` }, false],
    ["dot-path into nested properties", { "plan.tier": "gold" }, { plan: { tier: "gold" } }, true],
    ["dot-path through a scalar is missing", { "plan.tier": { exists: false } }, { plan: "gold" }, true],
    ["two paths: both must hold", { plan: "pro", seats: { gte: 5 } }, { plan: "pro", seats: 3 }, false],
  ];
  it.each(cases)("%s", (_name, where, props, want) => {
    expect(entersWith(where, props)).toBe(want);
  });
});

describe("a missing path is neither equal nor greater nor less than anything", () => {
  const cases: [string, unknown, boolean][] = [
    ["eq", { eq: "x" }, false],
    ["eq 0", { eq: 0 }, false],
    ["ne", { ne: "x" }, true],
    ["gt", { gt: 0 }, false],
    ["gte", { gte: 0 }, false],
    ["lt", { lt: 0 }, false],
    ["lte", { lte: 0 }, false],
    ["gt on a string", { gt: "" }, false],
    ["in", { in: ["x", 0] }, false],
    ["nin", { nin: ["x"] }, true],
    ["exists: true", { exists: true }, false],
    ["exists: false", { exists: false }, true],
    ["contains", { contains: "" }, false],
    ["startsWith", { startsWith: "" }, false],
    ["matches", { matches: ".*" }, false],
  ];
  it.each(cases)("event property: %s", (_name, op, want) => {
    expect(entersWith({ "a.b": op as Record<string, unknown> }, { other: 1 })).toBe(want);
  });
  it.each(cases)("contact trait: %s", (_name, op, want) => {
    expect(firesWithTraits({ trait: { "a.b": op } }, { other: 1 })).toBe(want);
  });
  it("null counts as missing for comparisons", () => {
    expect(entersWith({ n: { lte: 0 } }, { n: null })).toBe(false);
    expect(entersWith({ n: { exists: false } }, { n: null })).toBe(true);
  });
});

describe("trait conditions and boolean forms", () => {
  const traits = { plan: "pro", seats: 12, company: { size: 250 }, tags: ["beta"], unsubscribed: false };
  const cases: [string, unknown, boolean][] = [
    ["trait bare value", { trait: { plan: "pro" } }, true],
    ["trait operator", { trait: { seats: { gt: 10 } } }, true],
    ["trait dot-path", { trait: { "company.size": { gte: 250 } } }, true],
    ["trait: two paths, both must hold", { trait: { plan: "pro", seats: { lt: 10 } } }, false],
    ["trait array contains", { trait: { tags: { contains: "beta" } } }, true],
    ["trait false is not missing", { trait: { unsubscribed: { exists: true } } }, true],
    ["all: every part holds", { all: [{ trait: { plan: "pro" } }, { trait: { seats: 12 } }] }, true],
    ["all: one part fails", { all: [{ trait: { plan: "pro" } }, { trait: { seats: 13 } }] }, false],
    ["any: one part holds", { any: [{ trait: { plan: "free" } }, { trait: { seats: 12 } }] }, true],
    ["any: no part holds", { any: [{ trait: { plan: "free" } }, { trait: { seats: 13 } }] }, false],
    ["not", { not: { trait: { plan: "free" } } }, true],
    ["not not", { not: { not: { trait: { plan: "free" } } } }, false],
    ["nested", { all: [{ any: [{ trait: { plan: "x" } }, { not: { trait: { seats: 1 } } }] }, { trait: { "company.size": { lt: 300 } } }] }, true],
  ];
  it.each(cases)("%s", (_name, cond, want) => {
    expect(firesWithTraits(cond, traits)).toBe(want);
  });

  it("a group's traits are read under groups.<groupId>", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a } ]
segments:
  enterprise: { when: { trait: { "groups.acme.plan": enterprise } } }
`);
    const group = { type: "group", userId: "u", groupId: "acme", traits: { plan: "enterprise" }, timestamp: iso(5) };
    expect(only(simulate(c, [track("u", "Go", 0), group]).records, "segment.entered")).toEqual([{ at: iso(5), type: "segment.entered", segment: "enterprise" }]);
  });
});

/** A journey with one segment `s` whose condition is `cond`; entry by `Go`. */
const segJourney = (cond: unknown, extra = "") => compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a } ]
segments:
  s: { when: ${y(cond)} }
${extra}`);

describe("performed", () => {
  it("counts every matching event, from before entry too (default count gte 1)", () => {
    const c = segJourney({ performed: { event: "View", where: { page: "pricing" } } });
    const { records } = simulate(c, [track("u", "View", 0, { page: "blog" }), track("u", "View", 5, { page: "pricing" }), track("u", "Go", 10)]);
    expect(only(records, "segment.entered")).toEqual([{ at: iso(10), type: "segment.entered", segment: "s" }]);
  });

  it("a bare count is equality: entering at 2 and leaving at 3", () => {
    const c = segJourney({ performed: { event: "View", count: 2 } });
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "View", 10), track("u", "View", 20), track("u", "View", 30)]);
    expect(only(records, "segment.entered", "segment.exited")).toEqual([
      { at: iso(20), type: "segment.entered", segment: "s" },
      { at: iso(30), type: "segment.exited", segment: "s" },
    ]);
  });

  it("an event at t stops counting at exactly t + within, with no new event", () => {
    const c = segJourney({ performed: { event: "View", count: { gte: 2 }, within: "60s" } });
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "View", 10), track("u", "View", 40)], iso(500));
    expect(only(records, "segment.entered", "segment.exited")).toEqual([
      { at: iso(40), type: "segment.entered", segment: "s" },
      { at: iso(70), type: "segment.exited", segment: "s" },
    ]);
  });

  it("a window with three events flips when the count falls below, not before", () => {
    const c = segJourney({ performed: { event: "View", count: { gte: 2 }, within: "60s" } });
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "View", 10), track("u", "View", 20), track("u", "View", 30)], iso(500));
    // At 70s the 10s event expires (2 left); at 80s the 20s one does (1 left).
    expect(only(records, "segment.entered", "segment.exited")).toEqual([
      { at: iso(20), type: "segment.entered", segment: "s" },
      { at: iso(80), type: "segment.exited", segment: "s" },
    ]);
  });

  it("count lt inside a window becomes true when events age out", () => {
    const c = segJourney({ performed: { event: "View", count: { lt: 1 }, within: "30s" } });
    const { records } = simulate(c, [track("u", "View", 0), track("u", "Go", 5), track("u", "View", 20)], iso(100));
    expect(only(records, "segment.entered", "segment.exited")).toEqual([{ at: iso(50), type: "segment.entered", segment: "s" }]);
  });

  it("not performed within: true again the millisecond the last event expires", () => {
    const c = segJourney({ not: { performed: { event: "Login", within: "90s" } } });
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Login", 10.5)], iso(200));
    expect(only(records, "segment.entered", "segment.exited")).toEqual([
      { at: iso(0), type: "segment.entered", segment: "s" },
      { at: iso(10.5), type: "segment.exited", segment: "s" },
      { at: iso(100.5), type: "segment.entered", segment: "s" },
    ]);
  });

  it("a late event counts at its own time (windows are judged by event time)", () => {
    const c = segJourney({ performed: { event: "View", count: { gte: 2 }, within: "60s" } });
    const ev = (name: string, sec: number) => ({ kind: "event" as const, name, properties: {}, at: ms(sec) });
    let out = evaluate(c, newContact("u"), ev("Go", 0), ms(0));
    out = evaluate(c, out.state, ev("View", 50), ms(50));
    // A View stamped 5s arrives when the clock is at 50s: evaluated at 50s, it expires at 65s.
    out = evaluate(c, out.state, ev("View", 5), ms(5));
    expect(rows(out.records)).toEqual([{ at: iso(50), type: "segment.entered", segment: "s" }]);
    expect(out.wakeAt).toBe(ms(65));
    out = evaluate(c, out.state, { kind: "wake" }, ms(65));
    expect(rows(out.records)).toEqual([{ at: iso(65), type: "segment.exited", segment: "s" }]);
  });
});

describe("segment, stage, score and inStage", () => {
  it("segment: a stage can depend on a segment", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a }, { id: b, when: { segment: fan } } ]
segments:
  fan: { when: { performed: { event: Like, count: { gte: 2 } } } }
`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Like", 1), track("u", "Like", 2)]);
    expect(rows(records)).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(0), type: "stage.entered", stage: "a", from: null },
      { at: iso(2), type: "segment.entered", segment: "fan" },
      { at: iso(2), type: "stage.entered", stage: "b", from: "a" },
    ]);
  });

  it("stage: id and stage: { in } guard triggers", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a }, { id: b, when: { performed: { event: Up } } }, { id: c, when: { performed: { event: Up, count: { gte: 2 } } } } ]
triggers:
  - { id: in-a, on: { event: Ping }, if: { stage: a }, do: [ { set: { x: 1 } } ] }
  - { id: in-bc, on: { event: Ping }, if: { stage: { in: [b, c] } }, do: [ { set: { x: 2 } } ] }
`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Ping", 1), track("u", "Up", 2), track("u", "Ping", 3), track("u", "Up", 4), track("u", "Ping", 5)]);
    expect(only(records, "trigger.fired")).toEqual([
      { at: iso(1), type: "trigger.fired", trigger: "in-a" },
      { at: iso(3), type: "trigger.fired", trigger: "in-bc" },
      { at: iso(5), type: "trigger.fired", trigger: "in-bc" },
    ]);
  });

  it("score: a segment on the current journey score", () => {
    const c = segJourney({ score: { gte: 30 } }, `score: { rules: [ { event: "View", points: 10 } ] }`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "View", 1), track("u", "View", 2), track("u", "View", 3)]);
    expect(only(records, "segment.entered")).toEqual([{ at: iso(3), type: "segment.entered", segment: "s" }]);
  });

  it("inStage: becomes true exactly `for` after the stage was entered, with no new event", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a }, { id: b, when: { performed: { event: Up } } }, { id: c, when: { all: [ { stage: b }, { inStage: { for: 45s } } ] } } ]
`);
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Up", 10.25)], iso(300));
    expect(only(records, "stage.entered")).toEqual([
      { at: iso(0), type: "stage.entered", stage: "a", from: null },
      { at: iso(10.25), type: "stage.entered", stage: "b", from: "a" },
      { at: iso(55.25), type: "stage.entered", stage: "c", from: "b" },
    ]);
  });
});
