/**
 * A contact's run of a journey (contract sections 2, 3, 5): entry, re-entry, exit, goal
 * (with `within`), holdout, identity merge (identify with both ids, alias).
 */
import { describe, expect, it } from "vitest";
import { unitHash } from "../../src/core/eval/hash.js";
import { evaluate, Message, newContact } from "../../src/core/index.js";
import { compileJourney, simulate } from "../helpers.js";
import { anon, identify, iso, only, rows, track } from "./support.js";

const RUN = ["journey.entered", "journey.exited", "goal.reached"];

const journey = (extra: string) => compileJourney(`
id: j
entry: { event: Signup, where: { plan: { in: [pro, team] } } }
exit:
  - { event: Cancel, where: { reason: churn } }
  - { trait: { unsubscribed: { eq: true } } }
stages: [ { id: a } ]
${extra}`);

describe("entry and re-entry", () => {
  it("enters on the entry event when its where holds; a running contact does not enter twice", () => {
    const c = journey("");
    const msgs = [track("u", "Signup", 0, { plan: "free" }), track("u", "Signup", 1, { plan: "team" }), track("u", "Signup", 2, { plan: "pro" })];
    expect(only(simulate(c, msgs).records, ...RUN)).toEqual([{ at: iso(1), type: "journey.entered" }]);
  });

  const cycle = [
    track("u", "Signup", 0, { plan: "pro" }), track("u", "Cancel", 10, { reason: "churn" }),
    track("u", "Signup", 30, { plan: "pro" }), track("u", "Cancel", 40, { reason: "churn" }),
    track("u", "Signup", 60, { plan: "pro" }), track("u", "Cancel", 70, { reason: "churn" }),
    track("u", "Signup", 119.999, { plan: "pro" }),
  ];

  it("reentry: never (the default)", () => {
    expect(only(simulate(journey(""), cycle).records, "journey.entered")).toEqual([{ at: iso(0), type: "journey.entered" }]);
    expect(only(simulate(journey("reentry: never"), cycle).records, "journey.entered")).toEqual([{ at: iso(0), type: "journey.entered" }]);
  });

  it("reentry: always", () => {
    expect(only(simulate(journey("reentry: always"), cycle).records, "journey.entered").map((r) => r["at"])).toEqual([iso(0), iso(30), iso(60), iso(119.999)]);
  });

  it("reentry: { after } counts from the last entry, and allows it at exactly that long", () => {
    expect(only(simulate(journey("reentry: { after: 60s }"), cycle).records, "journey.entered").map((r) => r["at"])).toEqual([iso(0), iso(60)]);
  });
});

describe("exit", () => {
  it("by an event matching its where", () => {
    const msgs = [track("u", "Signup", 0, { plan: "pro" }), track("u", "Cancel", 5, { reason: "price" }), track("u", "Cancel", 6, { reason: "churn" })];
    expect(only(simulate(journey(""), msgs).records, ...RUN)).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(6), type: "journey.exited", reason: "exit" },
    ]);
  });

  it("by a trait condition, as soon as the trait changes", () => {
    const msgs = [track("u", "Signup", 0, { plan: "pro" }), identify("u", 5, { unsubscribed: false }), identify("u", 8, { unsubscribed: true })];
    expect(only(simulate(journey(""), msgs).records, ...RUN)).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(8), type: "journey.exited", reason: "exit" },
    ]);
  });

  it("a condition already true at entry exits at once", () => {
    const msgs = [identify("u", 0, { unsubscribed: true }), track("u", "Signup", 1, { plan: "pro" })];
    expect(rows(simulate(journey(""), msgs).records)).toEqual([
      { at: iso(1), type: "journey.entered" },
      { at: iso(1), type: "stage.entered", stage: "a", from: null },
      { at: iso(1), type: "journey.exited", reason: "exit" },
    ]);
  });

  it("by a condition that comes true with time alone, at its instant", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
exit: [ { all: [ { stage: a }, { inStage: { for: 2m } } ] } ]
stages: [ { id: a }, { id: b, when: { performed: { event: Up } } } ]
`);
    expect(only(simulate(c, [track("u", "Go", 3)], iso(1000)).records, ...RUN)).toEqual([
      { at: iso(3), type: "journey.entered" },
      { at: iso(123), type: "journey.exited", reason: "exit" },
    ]);
    expect(only(simulate(c, [track("u", "Go", 3), track("u", "Up", 100)], iso(1000)).records, ...RUN)).toEqual([{ at: iso(3), type: "journey.entered" }]);
  });

  it("by the score: the instant's points count (the entry event scores first), and decay exits at the crossing", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
exit: [ { score: { lt: 5 } } ]
score: { rules: [ { event: Go, points: 10 } ], decay: { halfLife: 60s } }
`);
    // 10 at entry, halving every minute: below 5 just after one half-life.
    expect(only(simulate(c, [track("u", "Go", 0)], iso(600)).records, ...RUN)).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(60.001), type: "journey.exited", reason: "exit" },
    ]);
    const up = compileJourney(`
id: j
entry: { event: Go }
exit: [ { score: { gte: 10 } } ]
score: { rules: [ { event: Hot, points: 10 }, { event: Go, points: 3 } ], thresholds: { warm: 8 } }
triggers: [ { id: t, on: { score.crossed: warm }, do: [ { set: { warm: true } } ] } ]
`);
    // The event that takes the score to the bound exits in its own instant, after the
    // instant's score record; the run's triggers no longer fire.
    expect(rows(simulate(up, [track("u", "Go", 0), track("u", "Hot", 5), track("u", "Other", 50)]).records)).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(5), type: "score.crossed", threshold: "warm", score: 13 },
      { at: iso(5), type: "journey.exited", reason: "exit" },
    ]);
  });

  it("by the stage or a segment on the score: the move that makes it true exits in that instant", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
exit: [ { stage: won }, { segment: hot } ]
stages: [ { id: open }, { id: won, when: { performed: { event: Signed } } } ]
segments:
  hot: { when: { score: { gte: 20 } } }
score: { rules: [ { event: Demo, points: 20 } ] }
`);
    expect(rows(simulate(c, [track("u", "Go", 0), track("u", "Signed", 7)]).records)).toEqual([
      { at: iso(0), type: "journey.entered" },
      { at: iso(0), type: "stage.entered", stage: "open", from: null },
      { at: iso(7), type: "stage.entered", stage: "won", from: "open" },
      { at: iso(7), type: "journey.exited", reason: "exit" },
    ]);
    expect(rows(simulate(c, [track("u", "Go", 0), track("u", "Demo", 9)]).records).slice(2)).toEqual([
      { at: iso(9), type: "segment.entered", segment: "hot" },
      { at: iso(9), type: "journey.exited", reason: "exit" },
    ]);
  });
});

describe("goal", () => {
  const c = journey(`goal: { event: Paid, where: { total: { gt: 0 } }, within: 60s }`);

  it("records goal.reached and exits with reason goal", () => {
    const msgs = [track("u", "Signup", 0, { plan: "pro" }), track("u", "Paid", 30, { total: 0 }), track("u", "Paid", 59.999, { total: 9 })];
    expect(rows(simulate(c, msgs).records).slice(2)).toEqual([
      { at: iso(59.999), type: "goal.reached", goal: "Paid" },
      { at: iso(59.999), type: "journey.exited", reason: "goal" },
    ]);
  });

  it("a goal event after `within` (measured from entry) does nothing", () => {
    const msgs = [track("u", "Signup", 0, { plan: "pro" }), track("u", "Paid", 60, { total: 9 }), track("u", "Paid", 90, { total: 9 })];
    expect(only(simulate(c, msgs).records, ...RUN)).toEqual([{ at: iso(0), type: "journey.entered" }]);
  });

  it("the goal is checked before the exit rules", () => {
    const d = journey(`goal: { event: Cancel }`);
    const msgs = [track("u", "Signup", 0, { plan: "pro" }), track("u", "Cancel", 5, { reason: "churn" })];
    expect(only(simulate(d, msgs).records, ...RUN).slice(1)).toEqual([
      { at: iso(5), type: "goal.reached", goal: "Cancel" },
      { at: iso(5), type: "journey.exited", reason: "goal" },
    ]);
  });
});

describe("holdout", () => {
  const c = compileJourney(`
id: hold
entry: { event: Go }
holdout: 30
goal: { event: Paid }
stages: [ { id: a }, { id: b, when: { segment: keen } } ]
segments:
  keen: { when: { performed: { event: View } } }
triggers:
  - { id: hi, on: journey.entered, do: [ { set: { greeted: true } } ] }
  - { id: keen, on: { segment.entered: keen }, do: [ { set: { keen: true } } ] }
`);
  const ids = Array.from({ length: 300 }, (_, i) => `user-${i}`);
  const msgs = ids.flatMap((u, i) => [track(u, "Go", i), track(u, "View", 400 + i), track(u, "Paid", 800 + i)]);

  it("draws contacts deterministically (by contact and journey), about the declared share", () => {
    const held = (rs: ReturnType<typeof simulate>["records"]) => rs.filter((r) => r.type === "journey.entered" && r["holdout"] === true).map((r) => r.contact);
    const first = held(simulate(c, msgs).records);
    expect(first).toEqual(held(simulate(c, msgs).records));
    expect(first).toEqual(ids.filter((u) => unitHash(u, "hold", "holdout") * 100 < 30));
    expect(first.length / ids.length).toBeGreaterThan(0.22);
    expect(first.length / ids.length).toBeLessThan(0.38);
  });

  it("a held-out contact is tracked through stages, segments and goals but gets no actions", () => {
    const { records } = simulate(c, msgs);
    const u = records.find((r) => r.type === "journey.entered" && r["holdout"] === true)!.contact;
    const i = ids.indexOf(u);
    expect(rows(records.filter((r) => r.contact === u))).toEqual([
      { at: iso(i), type: "journey.entered", holdout: true },
      { at: iso(i), type: "stage.entered", stage: "a", from: null },
      { at: iso(400 + i), type: "segment.entered", segment: "keen" },
      { at: iso(400 + i), type: "stage.entered", stage: "b", from: "a" },
      { at: iso(800 + i), type: "goal.reached", goal: "Paid" },
      { at: iso(800 + i), type: "journey.exited", reason: "goal" },
    ]);
    const v = records.find((r) => r.type === "journey.entered" && r["holdout"] === undefined)!.contact;
    expect(only(records.filter((r) => r.contact === v), "trigger.fired").map((r) => r["trigger"])).toEqual(["hi", "keen"]);
  });
});

describe("identity", () => {
  const c = compileJourney(`
id: j
entry: { event: Signup }
stages: [ { id: a }, { id: b, when: { segment: seeker } } ]
segments:
  seeker: { when: { performed: { event: Page Viewed, where: { category: pricing }, count: { gte: 3 } } } }
`);
  const page = (who: Record<string, string>, sec: number) => ({ type: "page", ...who, category: "pricing", name: "Pricing", timestamp: iso(sec) });

  it("identify with userId and anonymousId merges the anonymous history: a count spans both", () => {
    const msgs = [
      page({ anonymousId: "anon-1" }, 0), page({ anonymousId: "anon-1" }, 1),
      track("u", "Signup", 5), page({ userId: "u" }, 6),
      identify("u", 10, { email: "u@x.io" }, "anon-1"),
    ];
    const { records, sim } = simulate(c, msgs);
    expect(rows(records, { contact: true }).slice(2)).toEqual([
      { contact: "u", at: iso(10), type: "segment.entered", segment: "seeker" },
      { contact: "u", at: iso(10), type: "stage.entered", stage: "b", from: "a" },
    ]);
    expect(sim.contacts.has("anon-1")).toBe(false);
    expect(sim.contacts.get("u")!.traits).toEqual({ email: "u@x.io" });
  });

  it("after the merge, later events of the user add to the merged count", () => {
    const msgs = [page({ anonymousId: "anon-1" }, 0), track("u", "Signup", 5), identify("u", 6, {}, "anon-1"), page({ userId: "u" }, 7), page({ userId: "u" }, 8)];
    expect(only(simulate(c, msgs).records, "segment.entered")).toEqual([{ at: iso(8), type: "segment.entered", segment: "seeker" }]);
  });

  it("after the merge, messages for the anonymous id are the user's (as live, where the id resolves to the user)", () => {
    const msgs = [page({ anonymousId: "anon-2" }, 0), track("u", "Signup", 5), identify("u", 6, {}, "anon-2"), page({ anonymousId: "anon-2" }, 7), page({ userId: "u" }, 8)];
    const { records, sim } = simulate(c, msgs);
    expect(only(records, "segment.entered")).toEqual([{ at: iso(8), type: "segment.entered", segment: "seeker" }]);
    expect(sim.contacts.has("anon-2")).toBe(false);
  });

  it("the merge is seen at once, also by journeys that read no traits, and can open a segment-entry journey", () => {
    const d = compileJourney(`
id: d
entry: { segment: seeker }
stages: [ { id: a } ]
segments:
  seeker: { when: { performed: { event: Page Viewed, count: { gte: 2 } } } }
`);
    const msgs = [page({ anonymousId: "anon-3" }, 0), page({ userId: "u" }, 1), identify("u", 4, {}, "anon-3")];
    expect(rows(simulate(d, msgs).records, { contact: true })).toEqual([
      { contact: "u", at: iso(4), type: "journey.entered" },
      { contact: "u", at: iso(4), type: "stage.entered", stage: "a", from: null },
      { contact: "u", at: iso(4), type: "segment.entered", segment: "seeker" },
    ]);
  });

  it("an ack by hand-off id reaches the hand-off after its contact was merged into another", () => {
    const d = compileJourney(`
id: d
entry: { event: Demo }
stages: [ { id: a } ]
triggers: [ { id: t, on: journey.entered, do: [ { handoff: { to: crm, team: sales, sla: 60s } } ] } ]
`, { workspace: "endpoints: { crm: { url: 'https://crm', secret: '\${S}' } }", env: { S: "whsec_c2VjcmV0" } });
    const first = [anon("anon-4", "Demo", 0), identify("u", 10, {}, "anon-4")];
    const id = simulate(d, first).records.find((r) => r.type === "handoff.opened")!["handoff"];
    const { records } = simulate(d, [...first, { type: "ack", handoff: id, timestamp: iso(20) }], iso(500));
    expect(rows(records, { contact: true, types: ["handoff.resolved", "handoff.breached"] })).toEqual([
      { contact: "u", at: iso(20), type: "handoff.resolved", handoff: id, team: "sales", by: "ack" },
    ]);
  });

  // `previousId`, or (without one) the message's anonymousId: the contract's "links an
  // anonymousId to a userId".
  it.each([["previousId", { previousId: "anon-2" }], ["anonymousId", { anonymousId: "anon-2" }]])("alias links its %s to the user the same way", (_form, link) => {
    const msgs = [
      anon("anon-2", "Signup", 0), page({ anonymousId: "anon-2" }, 1), page({ anonymousId: "anon-2" }, 2),
      page({ userId: "u" }, 3),
      { type: "alias", ...link, userId: "u", timestamp: iso(9) },
    ];
    const { records, sim } = simulate(c, msgs);
    expect(rows(records, { contact: true })).toEqual([
      { contact: "anon-2", at: iso(0), type: "journey.entered" },
      { contact: "anon-2", at: iso(0), type: "stage.entered", stage: "a", from: null },
      { contact: "u", at: iso(9), type: "segment.entered", segment: "seeker" },
      { contact: "u", at: iso(9), type: "stage.entered", stage: "b", from: "a" },
    ]);
    expect([...sim.contacts.keys()]).toEqual(["u"]);
  });

  it("an alias with neither previousId nor anonymousId is refused, naming previousId", () => {
    const bad = Message.safeParse({ type: "alias", userId: "u", timestamp: iso(9) });
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => [i.path.join("."), i.message])).toEqual([["previousId", "an alias needs a previousId (or an anonymousId) to link to its userId"]]);
  });
});

describe("late events", () => {
  it("a late entry event opens the run at its own time, so later-but-older events still score", () => {
    const c = compileJourney(`
id: late
entry: { event: Signed Up }
stages:
  - id: cold
  - id: hot
    when: { score: { gte: 20 } }
score:
  rules: [ { event: Clicked, points: 10 } ]
`);
    const t = Date.parse("2026-02-02T10:00:00.000Z");
    let s = newContact("u");
    const feed = (name: string, at: number, traits?: Record<string, unknown>) => {
      const out = evaluate(c, s, { kind: "event", name, properties: {}, at, ...(traits ? { traits } : {}) }, at);
      s = out.state;
      return out.records;
    };
    feed("Identify", t + 20_000, { plan: "pro" });
    feed("Signed Up", t + 1_000);
    feed("Clicked", t + 2_000);
    const last = feed("Clicked", t + 3_000);
    expect(s.runs["late"]!.at).toBe(t + 1_000);
    expect(last).toContainEqual(expect.objectContaining({ type: "stage.entered", stage: "hot" }));
  });
});
