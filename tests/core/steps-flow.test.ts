/**
 * Trigger steps that shape the flow (contract section 5): email, wait (duration, until an
 * event, until a condition, timeout + onTimeout), if/then/else, split, set, exit.
 */
import { describe, expect, it } from "vitest";
import { compileJourney, compileSources, simulate } from "../helpers.js";
import { identify, iso, only, rows, track } from "./support.js";

const TEMPLATES = ["welcome", "nudge", "later", "a", "b", "c"];

/** A journey entered by `Go` with one trigger on journey.entered running `steps`. */
const playbook = (steps: string, extra = "") => compileJourney(`
id: j
entry: { event: Go }
exit: [ { event: Bye } ]
stages: [ { id: a } ]
${extra}
triggers:
  - id: t
    on: journey.entered
    do: ${steps}
`, { templates: TEMPLATES });

const steps = (records: ReturnType<typeof simulate>["records"]) =>
  rows(records).filter((r) => !["journey.entered", "stage.entered", "trigger.fired"].includes(r["type"] as string));

describe("email", () => {
  it("sends to the email trait, with an effect carrying what a sender needs", () => {
    const c = playbook(`[ { email: { template: welcome, subject: Hi } } ]`);
    const { records, effects } = simulate(c, [identify("u", 0, { email: "u@example.com" }), track("u", "Go", 1, { plan: "pro" })]);
    expect(steps(records)).toEqual([{ at: iso(1), type: "email.sent", template: "welcome" }]);
    expect(effects).toEqual([{
      kind: "email", id: expect.any(String), at: iso(1), contact: "u", journey: "j", trigger: "t", template: "welcome",
      subject: "Hi", to: "u@example.com", stage: "a", event: { name: "Go", properties: { plan: "pro" } },
    }]);
  });

  it("`to` may name another trait path", () => {
    const c = playbook(`[ { email: { template: welcome, to: work.email } } ]`);
    const { effects } = simulate(c, [identify("u", 0, { email: "u@home.example", work: { email: "u@work.example" } }), track("u", "Go", 1)]);
    expect(effects.map((e) => (e.kind === "email" ? e.to : null))).toEqual(["u@work.example"]);
  });
});

describe("wait", () => {
  it("a duration resumes the run at exactly that instant", () => {
    const c = playbook(`[ { email: { template: welcome } }, { wait: 90s }, { email: { template: nudge } }, { wait: PT1M30.5S }, { email: { template: later } } ]`);
    const { records } = simulate(c, [identify("u", 0, { email: "u@x.io" }), track("u", "Go", 10)], iso(1000));
    expect(steps(records)).toEqual([
      { at: iso(10), type: "email.sent", template: "welcome" },
      { at: iso(100), type: "email.sent", template: "nudge" },
      { at: iso(190.5), type: "email.sent", template: "later" },
    ]);
  });

  it("until an event: only an event arriving after the wait began (not the one that started it)", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a } ]
triggers:
  - id: t
    on: { event: Reply }
    once: true
    do: [ { wait: { until: { event: Reply, where: { ok: true } } } }, { set: { replied: twice } } ]
`);
    const msgs = [track("u", "Reply", 0, { ok: true }), track("u", "Go", 1), track("u", "Reply", 2, { ok: true }), track("u", "Reply", 3, { ok: false }), track("u", "Reply", 4, { ok: true })];
    expect(steps(simulate(c, msgs).records)).toEqual([{ at: iso(4), type: "trait.set", traits: { replied: "twice" } }]);
  });

  it("until an event, with timeout: onTimeout runs at exactly the timeout, and the run ends", () => {
    const c = playbook(`
      - wait: { until: { event: Reply }, timeout: 45s, onTimeout: [ { set: { timedOut: true } } ] }
      - set: { replied: true }`);
    expect(steps(simulate(c, [track("u", "Reply", 0), track("u", "Go", 1)], iso(500)).records)).toEqual([
      { at: iso(46), type: "trait.set", traits: { timedOut: true } },
    ]);
    expect(steps(simulate(c, [track("u", "Go", 1), track("u", "Reply", 45.999)], iso(500)).records)).toEqual([
      { at: iso(45.999), type: "trait.set", traits: { replied: true } },
    ]);
    // An event at the timeout instant comes too late: the timeout fires first.
    expect(steps(simulate(c, [track("u", "Go", 1), track("u", "Reply", 46)], iso(500)).records)).toEqual([
      { at: iso(46), type: "trait.set", traits: { timedOut: true } },
    ]);
  });

  it("a timeout without onTimeout just ends the run's steps", () => {
    const c = playbook(`[ { wait: { until: { event: Reply }, timeout: 10s } }, { set: { replied: true } } ]`);
    expect(steps(simulate(c, [track("u", "Go", 0), track("u", "Reply", 20)]).records)).toEqual([]);
  });

  it("until a condition that already holds resumes at once", () => {
    const c = playbook(`[ { wait: { until: { trait: { plan: pro } }, timeout: 10s } }, { set: { go: 1 } } ]`);
    expect(steps(simulate(c, [identify("u", 0, { plan: "pro" }), track("u", "Go", 1)]).records)).toEqual([
      { at: iso(1), type: "trait.set", traits: { go: 1 } },
    ]);
  });

  it("until a trait condition resumes when a trait change makes it hold", () => {
    const c = playbook(`[ { wait: { until: { trait: { plan: pro } } } }, { set: { go: 1 } } ]`);
    const msgs = [track("u", "Go", 0), identify("u", 5, { plan: "team" }), identify("u", 7, { plan: "pro" })];
    expect(steps(simulate(c, msgs).records)).toEqual([{ at: iso(7), type: "trait.set", traits: { go: 1 } }]);
  });

  it("until a performed condition resumes on the event that makes it hold", () => {
    const c = playbook(`[ { wait: { until: { performed: { event: Login, count: { gte: 2 } } } } }, { set: { go: 1 } } ]`);
    const msgs = [track("u", "Go", 0), track("u", "Login", 5), track("u", "Login", 7)];
    expect(steps(simulate(c, msgs).records)).toEqual([{ at: iso(7), type: "trait.set", traits: { go: 1 } }]);
  });

  it("until a condition that comes true by time alone resumes at that instant", () => {
    const c = playbook(`[ { wait: { until: { not: { performed: { event: Active, within: 60s } } } } }, { set: { idle: true } } ]`);
    const msgs = [track("u", "Active", 0), track("u", "Go", 10), track("u", "Active", 30.5)];
    expect(steps(simulate(c, msgs, iso(500)).records)).toEqual([{ at: iso(90.5), type: "trait.set", traits: { idle: true } }]);
  });

  it("an exit cancels a waiting run", () => {
    const c = playbook(`[ { wait: 60s }, { set: { late: true } } ]`);
    expect(steps(simulate(c, [track("u", "Go", 0), track("u", "Bye", 59)], iso(500)).records)).toEqual([
      { at: iso(59), type: "journey.exited", reason: "exit" },
    ]);
  });
});

describe("if, split", () => {
  it("if/then/else branches on the condition when the step runs", () => {
    const c = playbook(`
      - if: { trait: { plan: pro } }
        then: [ { set: { branch: then } } ]
        else: [ { set: { branch: else } }, { wait: 10s }, { if: { trait: { plan: pro } }, then: [ { set: { branch: later } } ] } ]
      - set: { after: true }`);
    expect(steps(simulate(c, [identify("u", 0, { plan: "pro" }), track("u", "Go", 1)]).records)).toEqual([
      { at: iso(1), type: "trait.set", traits: { branch: "then" } },
      { at: iso(1), type: "trait.set", traits: { after: true } },
    ]);
    expect(steps(simulate(c, [track("u", "Go", 1), identify("u", 5, { plan: "pro" })], iso(100)).records)).toEqual([
      { at: iso(1), type: "trait.set", traits: { branch: "else" } },
      { at: iso(11), type: "trait.set", traits: { branch: "later" } },
      { at: iso(11), type: "trait.set", traits: { after: true } },
    ]);
  });

  const split = (wa: number, wb: number, wc = 0) => playbook(`
      - split: { id: hero, variants: { a: { weight: ${wa}, do: [ { set: { v: a } } ] }, b: { weight: ${wb}, do: [ { set: { v: b } } ] }, c: { weight: ${wc}, do: [ { set: { v: c } } ] } } }`);

  it("split is deterministic: a contact always gets the same variant", () => {
    const c = split(50, 50);
    const msgs = Array.from({ length: 40 }, (_, i) => track(`c${i}`, "Go", i));
    const reordered = [...msgs].reverse().map((m, i) => ({ ...m, timestamp: iso(i) }));
    const byContact = (rs: ReturnType<typeof simulate>["records"]) =>
      Object.fromEntries(rs.filter((r) => r.type === "split.assigned").map((r) => [r.contact, r["variant"]]));
    const first = simulate(c, msgs).records;
    expect(Object.keys(byContact(first))).toHaveLength(40);
    expect(byContact(first)).toEqual(byContact(simulate(c, reordered).records));
    expect(new Set(Object.values(byContact(first)))).toEqual(new Set(["a", "b"]));
    expect(only(first, "split.assigned", "trait.set").slice(0, 2)).toEqual([
      { at: iso(0), type: "split.assigned", split: "hero", variant: byContact(first)["c0"] },
      { at: iso(0), type: "trait.set", traits: { v: byContact(first)["c0"] } },
    ]);
  });

  it("split honours the weights over many contacts (a zero weight is never drawn)", () => {
    const c = split(70, 20, 10);
    const n = 2000;
    const msgs = Array.from({ length: n }, (_, i) => track(`contact-${i}`, "Go", i));
    const counts: Record<string, number> = { a: 0, b: 0, c: 0 };
    for (const r of simulate(c, msgs).records) if (r.type === "split.assigned") counts[r["variant"] as string]!++;
    expect(counts["a"]! / n).toBeGreaterThan(0.66);
    expect(counts["a"]! / n).toBeLessThan(0.74);
    expect(counts["b"]! / n).toBeGreaterThan(0.17);
    expect(counts["b"]! / n).toBeLessThan(0.23);
    expect(counts["c"]! / n).toBeGreaterThan(0.08);
    expect(counts["c"]! / n).toBeLessThan(0.12);
    const zero = split(0, 1);
    expect(new Set(simulate(zero, msgs.slice(0, 200)).records.filter((r) => r.type === "split.assigned").map((r) => r["variant"]))).toEqual(new Set(["b"]));
  });

  it("two splits of one journey whose ids differ in the last character draw independently", () => {
    const c = playbook(`
      - split: { id: test-1, variants: { a: { weight: 50, do: [] }, b: { weight: 50, do: [] } } }
      - split: { id: test-2, variants: { a: { weight: 50, do: [] }, b: { weight: 50, do: [] } } }`);
    const n = 2000;
    const msgs = Array.from({ length: n }, (_, i) => track(`c${i}`, "Go", i));
    const got = new Map<string, string[]>();
    for (const r of simulate(c, msgs).records) if (r.type === "split.assigned") got.set(r.contact, [...(got.get(r.contact) ?? []), r["variant"] as string]);
    const same = [...got.values()].filter(([x, y]) => x === y).length;
    expect(got.size).toBe(n);
    // Independent draws agree about half the time (2000 contacts: within 0.45-0.55 by far).
    expect(same / n).toBeGreaterThan(0.45);
    expect(same / n).toBeLessThan(0.55);
  });
});

describe("a condition wait and the passes of one instant", () => {
  it("resumes when a set step before it makes the condition true in the same instant", () => {
    const c = compileJourney(`
id: wr
entry: { event: Start }
stages: [ { id: a }, { id: b, when: { trait: { plan: pro } } } ]
triggers:
  - id: t
    on: journey.entered
    do:
      - set: { plan: pro }
      - wait: { until: { stage: b }, timeout: 1h, onTimeout: [ { set: { timedOut: true } } ] }
      - set: { resumed: true }
`);
    const { records } = simulate(c, [track("u", "Start", 0)], iso(7200));
    expect(only(records, "stage.entered", "trait.set")).toEqual([
      { at: iso(0), type: "stage.entered", stage: "a", from: null },
      { at: iso(0), type: "trait.set", traits: { plan: "pro" } },
      { at: iso(0), type: "stage.entered", stage: "b", from: "a" },
      { at: iso(0), type: "trait.set", traits: { resumed: true } },
    ]);
  });
});

describe("set, exit", () => {
  it("set writes traits (dot-paths nest) and conditions see them in the same instant", () => {
    const c = playbook(`[ { set: { plan: pro, "billing.cycle": yearly } }, { set: { after: 1 } } ]`, `
segments:
  yearly: { when: { trait: { "billing.cycle": yearly } } }`);
    const { records, sim } = simulate(c, [track("u", "Go", 0)]);
    expect(steps(records)).toEqual([
      { at: iso(0), type: "trait.set", traits: { plan: "pro", "billing.cycle": "yearly" } },
      { at: iso(0), type: "trait.set", traits: { after: 1 } },
      { at: iso(0), type: "segment.entered", segment: "yearly" },
    ]);
    expect(sim.contacts.get("u")!.traits).toEqual({ plan: "pro", billing: { cycle: "yearly" }, after: 1 });
  });

  it("set unsubscribed: true exits in the same instant through the trait exit rule", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
exit: [ { trait: { unsubscribed: { eq: true } } } ]
stages: [ { id: a } ]
triggers:
  - { id: t, on: journey.entered, do: [ { set: { unsubscribed: true } }, { wait: 5s }, { set: { never: true } } ] }
`);
    expect(steps(simulate(c, [track("u", "Go", 0)], iso(100)).records)).toEqual([
      { at: iso(0), type: "trait.set", traits: { unsubscribed: true } },
      { at: iso(0), type: "journey.exited", reason: "exit" },
    ]);
  });

  it("a set that makes an exit rule true ends the run at once: the steps after it do not run", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
exit: [ { trait: { lifecycleStage: customer } } ]
stages: [ { id: a } ]
triggers:
  - { id: t, on: { event: Paid }, do: [ { set: { lifecycleStage: customer } }, { flag: { audience: paid, op: add } }, { set: { after: true } } ] }
  - { id: other, on: { event: Paid }, do: [ { set: { other: true } } ] }
`, { workspace: "audiences: { paid: {} }" });
    const { records, sim } = simulate(c, [track("u", "Go", 0), track("u", "Paid", 5)]);
    expect(steps(records)).toEqual([
      { at: iso(5), type: "trait.set", traits: { lifecycleStage: "customer" } },
      { at: iso(5), type: "journey.exited", reason: "exit" },
    ]);
    expect(sim.contacts.get("u")!.traits).toEqual({ lifecycleStage: "customer" });
  });

  it("a trait set by one journey is seen by the others in the same instant", () => {
    const c = compileSources({
      templates: [],
      journeys: {
        "a.yaml": "id: a\nentry: { event: Go }\nstages: [ { id: s } ]\ntriggers: [ { id: t, on: { event: Churn }, do: [ { set: { unsubscribed: true } } ] } ]",
        "b.yaml": "id: b\nentry: { event: Go }\nexit: [ { trait: { unsubscribed: true } } ]\nstages: [ { id: s } ]",
      },
    });
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Churn", 5)]);
    expect(rows(records, { journey: true }).filter((r) => r["at"] === iso(5))).toEqual([
      { journey: "a", at: iso(5), type: "trigger.fired", trigger: "t" },
      { journey: "a", at: iso(5), type: "trait.set", traits: { unsubscribed: true } },
      { journey: "b", at: iso(5), type: "journey.exited", reason: "exit" },
    ]);
  });

  it("exit: true ends the run and cancels its other waiting steps", () => {
    const c = compileJourney(`
id: j
entry: { event: Go }
stages: [ { id: a } ]
triggers:
  - { id: slow, on: journey.entered, do: [ { wait: 30s }, { set: { slow: true } } ] }
  - { id: stop, on: { event: Stop }, do: [ { exit: true }, { set: { never: true } } ] }
`);
    expect(steps(simulate(c, [track("u", "Go", 0), track("u", "Stop", 10)], iso(100)).records)).toEqual([
      { at: iso(10), type: "journey.exited", reason: "step" },
    ]);
  });
});
