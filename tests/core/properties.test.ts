/**
 * Properties of the evaluator over generated event streams (fast-check): a deterministic
 * journal, stages that never regress, attribution credits summing to 1, wake-ups never in
 * the past, state that survives JSON between any two inputs, the input state untouched,
 * and the simulator agreeing with a plain per-contact evaluate loop.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  evaluate, Message, newContact, resolveMessage,
  type Compiled, type ContactState, type Cursors, type Input, type JournalRecord,
} from "../../src/core/index.js";
import { compileJourney, simulate } from "../helpers.js";
import { BASE, ENV, WORKSPACE } from "./support.js";

const journey = (regress: boolean, entry = "{ event: Go }") => compileJourney(`
id: p
entry: ${entry}
reentry: always
exit: [ { event: Bye } ]
goal: { event: Buy, within: 10m }
stagesCanRegress: ${regress}
stages:
  - id: new
  - id: warm
    when: { any: [ { segment: active }, { score: { gte: 20 } } ] }
  - id: hot
    when: { all: [ { performed: { event: View, count: { gte: 3 }, within: 2m } }, { score: { gte: 30 } } ] }
segments:
  shopper: { when: { performed: { event: Go, within: 5m } } }
  active: { when: { performed: { event: View, within: 1m } } }
  idle: { when: { not: { segment: active } } }
score:
  rules:
    - { event: View, points: 10, max: 60 }
    - { event: Click, points: 15 }
  decay: { halfLife: 90s }
  thresholds: { mql: 25, sql: 45 }
triggers:
  - id: hello
    on: journey.entered
    do:
      - wait: 30s
      - handoff: { to: crm, team: sales, owners: [ann, bob], sla: 3m, resolvedBy: { event: Call }, onBreach: [ { webhook: { to: mgr } } ] }
  - id: chase
    on: { event: View }
    cooldown: 1m
    do:
      - wait: { until: { event: Click }, timeout: 2m, onTimeout: [ { set: { nudged: true } } ] }
      - set: { clicked: true }
  - id: idle
    on: { segment.entered: idle }
    cooldown: 1m
    do: [ { flag: { audience: idle, op: add, ttl: 90s } } ]
  - id: stuck
    on: { stalled: { stage: warm, for: 2m } }
    do: [ { wait: { until: { score: { lt: 5 } }, timeout: 5m } }, { set: { cold: true } } ]
attribution:
  model: time-decay
  halfLife: 2m
  lookback: 10m
  touchpoints:
    - { event: Click, channel: email }
    - { event: View, channel: web }
`, { workspace: WORKSPACE, env: ENV });

const JOURNEYS = [journey(false), journey(true), journey(false, "{ segment: shopper }")];
const NAMES = ["stages never regress", "stagesCanRegress", "the entry is a segment"];
const RUNS = { numRuns: Number(process.env["FC_RUNS"] ?? 150) };

type Item = { contact: string; name: string; gap: number; late: number };

const item = (contacts: string[]) => fc.record({
  contact: fc.constantFrom(...contacts),
  name: fc.constantFrom("Go", "Go", "View", "View", "View", "Click", "Click", "Call", "Bye", "Buy", "Buy", "Ack"),
  gap: fc.oneof(fc.integer({ min: 0, max: 5_000 }), fc.integer({ min: 0, max: 200_000 })),
  late: fc.oneof({ weight: 4, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 150_000 }) }),
});
const stream = (contacts: string[], max = 40) => fc.array(item(contacts), { minLength: 1, maxLength: max, size: "max" });

/** Segment-shaped messages (in arrival order; `late` ignored: the simulator orders by time). */
function messages(items: Item[]): object[] {
  let t = BASE;
  return items.map((x) => {
    t += x.gap;
    const timestamp = new Date(t).toISOString();
    return x.name === "Ack"
      ? { type: "ack", userId: x.contact, team: "sales", timestamp }
      : { type: "track", userId: x.contact, event: x.name, properties: {}, timestamp };
  });
}

/** Evaluator inputs for one contact: `at` is the event time (late events come before the clock). */
function inputs(items: Item[], withLate: boolean): { input: Input; at: number }[] {
  let t = BASE;
  return items.map((x) => {
    t += x.gap;
    const at = withLate ? Math.max(BASE, t - x.late) : t;
    const input: Input = x.name === "Ack" ? { kind: "ack", team: "sales" } : { kind: "event", name: x.name, properties: {}, at };
    return { input, at };
  });
}

type Drive = { records: JournalRecord[]; state: ContactState };

/**
 * A plain per-contact loop over `evaluate`: optionally firing each wake-up as its own call
 * (else evaluate catches up on them), and JSON-round-tripping the state after the inputs
 * whose index is in `roundTrip`. Ends with the wake-ups due up to `end`.
 */
function drive(c: Compiled, ins: { input: Input; at: number }[], end: number, opts: { fireWakes?: boolean; roundTrip?: Set<number> } = {}): Drive {
  let s = newContact("u");
  let cursors: Cursors = {};
  const records: JournalRecord[] = [];
  const step = (input: Input, at: number) => {
    const out = evaluate(c, s, input, at, { cursors });
    records.push(...out.records);
    s = out.state;
    cursors = out.cursors ?? cursors;
  };
  ins.forEach(({ input, at }, i) => {
    if (opts.fireWakes) while (s.wakeAt !== null && s.wakeAt <= at) step({ kind: "wake" }, s.wakeAt);
    step(input, at);
    if (opts.roundTrip?.has(i)) s = JSON.parse(JSON.stringify(s)) as ContactState;
  });
  while (s.wakeAt !== null && s.wakeAt <= end) step({ kind: "wake" }, s.wakeAt);
  return { records, state: s };
}

const lastAt = (ins: { at: number }[]) => Math.max(...ins.map((x) => x.at));

describe.each(JOURNEYS.map((c, i) => [NAMES[i]!, c] as const))("journey where %s", (_name, c) => {
  it("(1) the journal is deterministic: the same stream twice gives identical records", () => {
    fc.assert(fc.property(stream(["u", "v", "w"]), (items) => {
      const msgs = messages(items);
      const a = simulate(c, msgs, new Date(BASE + 3_600_000 * 3).toISOString());
      const b = simulate(c, msgs, new Date(BASE + 3_600_000 * 3).toISOString());
      expect(b.records).toEqual(a.records);
      expect(b.effects).toEqual(a.effects);
    }), RUNS);
  });

  it("(3) the credits of every conversion.attributed sum to 1", () => {
    let seen = 0;
    fc.assert(fc.property(stream(["u", "v"]), (items) => {
      for (const r of simulate(c, messages(items)).records) {
        if (r.type !== "conversion.attributed") continue;
        seen++;
        const credits = r["credits"] as { credit: number }[];
        expect(credits.length).toBeGreaterThan(0);
        for (const x of credits) expect(x.credit >= 0 && x.credit <= 1).toBe(true);
        expect(Math.abs(credits.reduce((a, x) => a + x.credit, 0) - 1)).toBeLessThan(1e-9);
      }
    }), RUNS);
    expect(seen).toBeGreaterThan(30);
  });

  it("(4) a wake-up is never in the past: wakeAt is null or after the evaluated instant", () => {
    fc.assert(fc.property(stream(["u"]), fc.boolean(), (items, late) => {
      let s = newContact("u");
      const check = (input: Input, now: number) => {
        const instant = Math.max(now, s.clock);
        const out = evaluate(c, s, input, now);
        if (out.wakeAt !== null) expect(out.wakeAt).toBeGreaterThan(instant);
        expect(out.state.wakeAt).toBe(out.wakeAt);
        s = out.state;
      };
      for (const { input, at } of inputs(items, late)) {
        if (s.wakeAt !== null && s.wakeAt < at && at % 2 === 0) check({ kind: "wake" }, s.wakeAt);
        check(input, at);
      }
      for (let i = 0; i < 50 && s.wakeAt !== null; i++) check({ kind: "wake" }, s.wakeAt);
    }), RUNS);
  });

  it("(5) JSON round trips of the state between any inputs change neither the journal nor the final state", () => {
    fc.assert(fc.property(stream(["u"]), fc.boolean(), fc.array(fc.nat({ max: 40 })), (items, late, cuts) => {
      const ins = inputs(items, late);
      const end = lastAt(ins) + 3_600_000;
      const plain = drive(c, ins, end);
      const chunked = drive(c, ins, end, { roundTrip: new Set(cuts) });
      expect(chunked.records).toEqual(plain.records);
      expect(chunked.state).toEqual(plain.state);
      expect(JSON.parse(JSON.stringify(chunked.state))).toEqual(JSON.parse(JSON.stringify(plain.state)));
    }), RUNS);
  });

  it("(5) firing each wake-up as its own call equals letting evaluate catch up", () => {
    fc.assert(fc.property(stream(["u"]), fc.boolean(), (items, late) => {
      const ins = inputs(items, late);
      const end = lastAt(ins) + 3_600_000;
      const caught = drive(c, ins, end);
      const fired = drive(c, ins, end, { fireWakes: true });
      expect(fired.records).toEqual(caught.records);
      expect(fired.state).toEqual(caught.state);
    }), RUNS);
  });

  it("(5) the simulator's journal equals a direct per-contact evaluate loop", () => {
    fc.assert(fc.property(stream(["u"]), (items) => {
      const msgs = messages(items);
      const ins = msgs.map((m) => {
        const r = resolveMessage(Message.parse(m), Date.parse((m as { timestamp: string }).timestamp));
        return { input: r.input, at: r.at };
      });
      const end = lastAt(ins) + 3_600_000;
      const sim = simulate(c, msgs, new Date(end).toISOString());
      const direct = drive(c, ins, end, { fireWakes: true });
      expect(sim.records).toEqual(direct.records);
      expect(sim.sim.contacts.get("u")).toEqual(direct.state);
    }), RUNS);
  });

  it("evaluate never changes the state it is given", () => {
    fc.assert(fc.property(stream(["u"]), fc.boolean(), (items, late) => {
      let s = newContact("u");
      for (const { input, at } of inputs(items, late)) {
        const before = JSON.stringify(s);
        const out = evaluate(c, s, input, at, { cursors: {} });
        expect(JSON.stringify(s)).toBe(before);
        s = out.state;
      }
    }), RUNS);
  });
});

describe("(2) stages never regress without stagesCanRegress", () => {
  it("per contact and run, the stage index of stage.entered never decreases", () => {
    const c = JOURNEYS[0]!;
    const order = ["new", "warm", "hot"];
    let moves = 0;
    fc.assert(fc.property(stream(["u", "v", "w"], 60), (items) => {
      const { records } = simulate(c, messages(items), new Date(BASE + 3_600_000 * 5).toISOString());
      const current = new Map<string, number>();
      for (const r of records) {
        if (r.type !== "stage.entered") continue;
        const i = order.indexOf(r["stage"] as string);
        if (r["from"] === null) current.set(r.contact, i);
        else {
          expect(i).toBeGreaterThan(current.get(r.contact)!);
          expect(order.indexOf(r["from"] as string)).toBe(current.get(r.contact));
          current.set(r.contact, i);
          moves++;
        }
      }
    }), RUNS);
    expect(moves).toBeGreaterThan(80);
  });

  it("and with stagesCanRegress, the generated streams do move stages back (the property is not vacuous)", () => {
    const c = JOURNEYS[1]!;
    const order = ["new", "warm", "hot"];
    let back = 0;
    fc.assert(fc.property(stream(["u"], 60), (items) => {
      for (const r of simulate(c, messages(items), new Date(BASE + 3_600_000 * 5).toISOString()).records) {
        if (r.type === "stage.entered" && r["from"] !== null && order.indexOf(r["stage"] as string) < order.indexOf(r["from"] as string)) back++;
      }
    }), RUNS);
    expect(back).toBeGreaterThan(50);
  });
});
