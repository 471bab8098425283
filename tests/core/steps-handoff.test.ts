/**
 * Steps that act on the world (contract section 5): hand-offs (owners round-robin, SLA
 * breach at its exact instant, onBreach, resolvedBy, acks by team and by id), flag
 * (with ttl expiring exactly), webhook.
 */
import { describe, expect, it } from "vitest";
import { compileJourney, simulate } from "../helpers.js";
import { ENV, WORKSPACE, iso, only, rows, track } from "./support.js";

const c = compileJourney(`
id: j
entry: { event: Go }
exit: [ { event: Bye } ]
stages: [ { id: a } ]
triggers:
  - id: demo
    on: { event: Demo }
    do:
      - handoff: { to: crm, team: sales, owners: [ann, bob], sla: 90s, resolvedBy: { event: Contacted, where: { by: sales } },
                   onBreach: [ { webhook: { to: mgr, payload: { level: 2 } } } ] }
  - id: help
    on: { event: Help }
    do:
      - handoff: { to: crm, team: support, owners: [cy], sla: 60s }
      - handoff: { to: crm, team: sales, owners: [ann, bob], sla: 60s }
`, { workspace: WORKSPACE, env: ENV });

const ack = (fields: Record<string, unknown>, sec: number) => ({ type: "ack", ...fields, timestamp: iso(sec) });
const HO = ["handoff.opened", "handoff.breached", "handoff.resolved", "webhook.sent"];

describe("handoff", () => {
  it("opens with its team, owner and due instant, and breaches at exactly the SLA, running onBreach", () => {
    const { records, effects } = simulate(c, [track("u", "Go", 0), track("u", "Demo", 10)], iso(500));
    const id = records.find((r) => r.type === "handoff.opened")!["handoff"];
    expect(id).toMatch(/^ho_/);
    expect(only(records, ...HO)).toEqual([
      { at: iso(10), type: "handoff.opened", handoff: id, team: "sales", owner: "ann", dueAt: iso(100), trigger: "demo" },
      { at: iso(100), type: "handoff.breached", handoff: id, team: "sales", owner: "ann", trigger: "demo" },
      { at: iso(100), type: "webhook.sent", endpoint: "mgr" },
    ]);
    expect(effects.map(({ id: _id, ...e }) => e)).toEqual([
      { kind: "handoff.opened", at: iso(10), contact: "u", journey: "j", trigger: "demo", endpoint: "crm", handoff: id, team: "sales", owner: "ann", dueAt: iso(100) },
      { kind: "handoff.breached", at: iso(100), contact: "u", journey: "j", trigger: "demo", endpoint: "crm", handoff: id, team: "sales", owner: "ann", dueAt: iso(100) },
      { kind: "webhook", at: iso(100), contact: "u", journey: "j", trigger: "demo", endpoint: "mgr", payload: { level: 2 } },
    ]);
  });

  it("assigns owners round-robin across contacts, per journey and step", () => {
    const msgs = ["p", "q", "r"].flatMap((u, i) => [track(u, "Go", i), track(u, "Demo", 10 + i), track(u, "Help", 20 + i)]);
    const opened = rows(simulate(c, msgs).records, { contact: true, types: ["handoff.opened"] }).map((r) => [r["contact"], r["team"], r["owner"]]);
    expect(opened).toEqual([
      ["p", "sales", "ann"], ["q", "sales", "bob"], ["r", "sales", "ann"], // the Demo step's cursor
      ["p", "support", "cy"], ["p", "sales", "ann"], // the Help trigger's sales step has its own cursor
      ["q", "support", "cy"], ["q", "sales", "bob"],
      ["r", "support", "cy"], ["r", "sales", "ann"],
    ]);
  });

  it("a resolvedBy event within the SLA resolves it: no breach", () => {
    const msgs = [track("u", "Go", 0), track("u", "Demo", 10), track("u", "Contacted", 50, { by: "bot" }), track("u", "Contacted", 99.999, { by: "sales" })];
    const { records } = simulate(c, msgs, iso(500));
    const id = records.find((r) => r.type === "handoff.opened")!["handoff"];
    expect(only(records, ...HO).slice(1)).toEqual([
      { at: iso(99.999), type: "handoff.resolved", handoff: id, team: "sales", owner: "ann", by: "event" },
    ]);
  });

  it("resolving after the breach is recorded as such", () => {
    const msgs = [track("u", "Go", 0), track("u", "Demo", 10), track("u", "Contacted", 101, { by: "sales" })];
    const { records } = simulate(c, msgs, iso(500));
    const id = records.find((r) => r.type === "handoff.opened")!["handoff"];
    expect(only(records, ...HO).slice(1)).toEqual([
      { at: iso(100), type: "handoff.breached", handoff: id, team: "sales", owner: "ann", trigger: "demo" },
      { at: iso(100), type: "webhook.sent", endpoint: "mgr" },
      { at: iso(101), type: "handoff.resolved", handoff: id, team: "sales", owner: "ann", by: "event", breached: true },
    ]);
  });

  it("a resolving event at exactly the due instant is one evaluation: breach, resolution, then the onBreach steps", () => {
    const msgs = [track("u", "Go", 0), track("u", "Demo", 10), track("u", "Contacted", 100, { by: "sales" })];
    const { records } = simulate(c, msgs, iso(500));
    const id = records.find((r) => r.type === "handoff.opened")!["handoff"];
    expect(only(records, ...HO).slice(1)).toEqual([
      { at: iso(100), type: "handoff.breached", handoff: id, team: "sales", owner: "ann", trigger: "demo" },
      { at: iso(100), type: "handoff.resolved", handoff: id, team: "sales", owner: "ann", by: "event", breached: true },
      { at: iso(100), type: "webhook.sent", endpoint: "mgr" },
    ]);
  });

  it("an ack by team resolves that contact's open hand-offs to that team only", () => {
    const msgs = [track("u", "Go", 0), track("u", "Help", 10), ack({ userId: "u", team: "support" }, 30), ack({ userId: "u", team: "marketing" }, 31)];
    const { records } = simulate(c, msgs, iso(500));
    const [support, sales] = records.filter((r) => r.type === "handoff.opened").map((r) => r["handoff"]);
    expect(only(records, ...HO)).toEqual([
      { at: iso(10), type: "handoff.opened", handoff: support, team: "support", owner: "cy", dueAt: iso(70), trigger: "help" },
      { at: iso(10), type: "handoff.opened", handoff: sales, team: "sales", owner: "ann", dueAt: iso(70), trigger: "help" },
      { at: iso(30), type: "handoff.resolved", handoff: support, team: "support", owner: "cy", by: "ack" },
      { at: iso(70), type: "handoff.breached", handoff: sales, team: "sales", owner: "ann", trigger: "help" },
    ]);
  });

  it("an ack by hand-off id resolves that one, for whichever contact holds it", () => {
    const base = [track("u", "Go", 0), track("u", "Help", 10), track("v", "Go", 0), track("v", "Help", 11)];
    const ids = (who: string) => simulate(c, base).records.filter((r) => r.type === "handoff.opened" && r.contact === who).map((r) => r["handoff"]);
    const [u1, u2] = ids("u");
    const [v1, v2] = ids("v");
    expect(new Set([u1, u2, v1, v2]).size).toBe(4);
    const { records } = simulate(c, [...base, ack({ handoff: v2 }, 40)], iso(500));
    expect(rows(records, { contact: true, types: ["handoff.resolved", "handoff.breached"] })).toEqual([
      { contact: "v", at: iso(40), type: "handoff.resolved", handoff: v2, team: "sales", owner: "bob", by: "ack" },
      { contact: "u", at: iso(70), type: "handoff.breached", handoff: u1, team: "support", owner: "cy", trigger: "help" },
      { contact: "u", at: iso(70), type: "handoff.breached", handoff: u2, team: "sales", owner: "ann", trigger: "help" },
      { contact: "v", at: iso(71), type: "handoff.breached", handoff: v1, team: "support", owner: "cy", trigger: "help" },
    ]);
  });

  it("an ack at exactly the due instant is too late: the breach comes first", () => {
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Help", 10), ack({ userId: "u", team: "support" }, 70)], iso(500));
    expect(only(records, "handoff.breached", "handoff.resolved").map((r) => [r["at"], r["type"], r["team"], r["breached"]])).toEqual([
      [iso(70), "handoff.breached", "support", undefined],
      [iso(70), "handoff.breached", "sales", undefined],
      [iso(70), "handoff.resolved", "support", true],
    ]);
  });

  it("leaving the journey cancels open hand-offs", () => {
    const { records } = simulate(c, [track("u", "Go", 0), track("u", "Demo", 10), track("u", "Bye", 20)], iso(500));
    expect(only(records, "handoff.breached", "webhook.sent")).toEqual([]);
  });
});

describe("flag and webhook", () => {
  const f = compileJourney(`
id: j
entry: { event: Go }
exit: [ { event: Bye } ]
stages: [ { id: a } ]
triggers:
  - { id: add, on: { event: Cart }, do: [ { flag: { audience: abandoners, op: add, ttl: 2m } } ] }
  - { id: keep, on: { event: Fan }, do: [ { flag: { audience: fans, op: add } } ] }
  - { id: drop, on: { event: Paid }, do: [ { flag: { audience: abandoners, op: remove } }, { flag: { audience: fans, op: remove } } ] }
  - { id: hook, on: { event: Ping }, do: [ { webhook: { to: crm, payload: { kind: ping } } } ] }
`, { workspace: WORKSPACE, env: ENV });
  const AUD = ["audience.added", "audience.removed"];

  it("add with ttl records expiresAt and removes it at exactly that instant, with no event", () => {
    const { records, effects } = simulate(f, [track("u", "Go", 0), track("u", "Cart", 10.5)], iso(1000));
    expect(only(records, ...AUD)).toEqual([
      { at: iso(10.5), type: "audience.added", audience: "abandoners", expiresAt: iso(130.5) },
      { at: iso(130.5), type: "audience.removed", audience: "abandoners", reason: "ttl" },
    ]);
    expect(effects.map((e) => [e.kind, e.at, e.kind === "audience" ? e.op : null])).toEqual([
      ["audience", iso(10.5), "add"], ["audience", iso(130.5), "remove"],
    ]);
  });

  it("the ttl runs out even after the contact left the journey", () => {
    const { records } = simulate(f, [track("u", "Go", 0), track("u", "Cart", 10), track("u", "Bye", 20)], iso(1000));
    expect(only(records, ...AUD)).toEqual([
      { at: iso(10), type: "audience.added", audience: "abandoners", expiresAt: iso(130) },
      { at: iso(130), type: "audience.removed", audience: "abandoners", reason: "ttl" },
    ]);
  });

  it("remove takes a contact out at once (and does nothing for a non-member); no ttl means no expiry", () => {
    const msgs = [track("u", "Go", 0), track("u", "Cart", 10), track("u", "Paid", 20), track("u", "Fan", 30), track("u", "Paid", 40), track("u", "Fan", 50)];
    const { records, sim } = simulate(f, msgs, iso(100_000));
    expect(only(records, ...AUD)).toEqual([
      { at: iso(10), type: "audience.added", audience: "abandoners", expiresAt: iso(130) },
      { at: iso(20), type: "audience.removed", audience: "abandoners" },
      { at: iso(30), type: "audience.added", audience: "fans" },
      { at: iso(40), type: "audience.removed", audience: "fans" },
      { at: iso(50), type: "audience.added", audience: "fans" },
    ]);
    expect(sim.contacts.get("u")!.aud).toEqual({ fans: [0, "j"] });
  });

  it("webhook records the endpoint and emits the payload", () => {
    const { records, effects } = simulate(f, [track("u", "Go", 0), track("u", "Ping", 3)]);
    expect(only(records, "webhook.sent")).toEqual([{ at: iso(3), type: "webhook.sent", endpoint: "crm" }]);
    expect(effects).toEqual([{ kind: "webhook", id: expect.any(String), at: iso(3), contact: "u", journey: "j", trigger: "hook", endpoint: "crm", payload: { kind: "ping" } }]);
  });
});
