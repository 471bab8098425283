// An identify that merges an anonymous contact whose own inputs are still waiting in its
// inbox (not drained yet: a backlog, or both drains racing): those inputs are the anonymous
// history, evaluated first on its own state, so the journals equal simulate's.
import { describe, expect, it } from "vitest";
import { commit } from "../../src/adapters/pipeline/commit.js";
import { drain, prepare, readContacts } from "../../src/adapters/pipeline/drain.js";
import { DrainBatcher } from "../../src/adapters/pipeline/drain-batcher.js";
import { readJournal } from "../../src/adapters/redis/journal.js";
import { compileJourney, simulate } from "../helpers.js";
import type { JournalRecord } from "../../src/core/index.js";
import { ENV, WORKSPACE, only } from "../core/support.js";
import { engineFixture } from "./engine-fixture.js";

const f = engineFixture();

const J = compileJourney(`
id: idm
entry: { event: Signup }
stages: [ { id: a }, { id: b, when: { score: { gte: 3 } } } ]
score: { rules: [ { event: Click, points: 1 } ] }
triggers: [ { id: t, on: { event: Click }, do: [ { set: { clicked: true } } ] } ]
`);

const BASE = Date.now() - 60_000;
const at = (s: number) => new Date(BASE + s * 1_000).toISOString();

/** Each contact's live journal equals its records in `expected` (simulate's). */
async function expectJournals(expected: JournalRecord[], contacts: string[]): Promise<void> {
  for (const c of contacts) expect([c, await readJournal(f.redis, f.engine.keys, c)]).toEqual([c, expected.filter((r) => r.contact === c)]);
}

/** An anonymous sign-up, its merge into `user` at 10 s, and a late click stamped at 5 s. */
const lateMerge = (anon: string, user: string) => ({
  signup: { type: "track", anonymousId: anon, event: "Signup", timestamp: at(0) },
  merge: { type: "identify", anonymousId: anon, userId: user, timestamp: at(10) },
  late: { type: "track", anonymousId: anon, event: "Click", timestamp: at(5) },
});

describe("an identity merge with the anonymous inbox not drained", () => {
  for (const via of ["drain", "batched drain"] as const) it(`drains the anonymous contact first, then merges: the journals equal simulate's (${via})`, async () => {
    const anon = [
      { type: "track", anonymousId: "a1", event: "Signup", timestamp: at(0) },
      { type: "track", anonymousId: "a1", event: "Click", timestamp: at(1) },
      { type: "track", anonymousId: "a1", event: "Click", timestamp: at(2) },
    ];
    const user = [
      { type: "identify", userId: "u1", anonymousId: "a1", traits: { email: "u1@example.com" }, timestamp: at(3) },
      { type: "track", userId: "u1", event: "Click", timestamp: at(4) },
    ];
    await f.push(anon);
    await f.push(user);
    // Only the user is drained (the anonymous contact's own drain has not run).
    if (via === "drain") await drain(f.deps(J), "u1");
    else await new DrainBatcher(f.deps(J), async () => {}).drain(["u1", "other"]);
    const expected = simulate(J, [...anon, ...user]).records;
    expect(expected.filter((r) => r.contact === "u1").map((r) => r.type)).toContain("stage.entered");
    expect(await readJournal(f.redis, f.engine.keys, "a1")).toEqual(expected.filter((r) => r.contact === "a1"));
    expect(await readJournal(f.redis, f.engine.keys, "u1")).toEqual(expected.filter((r) => r.contact === "u1"));
    expect(await f.redis.get(f.engine.keys.alias("a1"))).toBe("u1");
    expect(await f.engine.inbox.backlog()).toBe(0);
  });

  for (const first of ["anonymous", "user"] as const) it(`messages after an alias or identify in the same push are the user's, whichever contact drains first (${first})`, async () => {
    const msgs = [
      { type: "track", anonymousId: "a2", event: "Signup", timestamp: at(0) },
      { type: "track", anonymousId: "a2", event: "Click", timestamp: at(1) },
      { type: "track", userId: "u2", event: "Click", timestamp: at(2) },
      { type: "alias", previousId: "a2", userId: "u2", timestamp: at(3) },
      { type: "track", anonymousId: "a2", event: "Click", timestamp: at(4) },
      { type: "identify", anonymousId: "a3", userId: "u2", timestamp: at(5) },
      { type: "track", anonymousId: "a3", event: "Click", timestamp: at(6) },
    ];
    await f.push(msgs);
    const k = f.engine.keys;
    expect([await f.redis.llen(k.inbox("a2")), await f.redis.llen(k.inbox("u2")), await f.redis.llen(k.inbox("a3"))]).toEqual([2, 5, 0]);
    // Until the merges commit, their routes send the anonymous ids' messages to the user.
    expect([await f.redis.get(f.engine.keys.route("a2")), await f.redis.get(f.engine.keys.route("a3"))]).toEqual([`${Date.parse(at(3))}|u2`, `${Date.parse(at(5))}|u2`]);
    for (const c of first === "anonymous" ? ["a2", "u2"] : ["u2", "a2"]) await drain(f.deps(J), c);
    const expected = simulate(J, msgs).records;
    expect(expected.filter((r) => r.contact === "u2").map((r) => r.type)).toContain("stage.entered");
    await expectJournals(expected, ["a2", "a3", "u2"]);
    expect([await f.redis.get(f.engine.keys.alias("a2")), await f.redis.get(f.engine.keys.alias("a3"))]).toEqual(["u2", "u2"]);
    expect(await f.redis.exists(f.engine.keys.route("a2"), f.engine.keys.route("a3"))).toBe(0);
    expect(await f.engine.inbox.backlog()).toBe(0);
  });

  it("a late message stamped before a queued merge stays the anonymous contact's, evaluated before the merge", async () => {
    const { signup, merge, late } = lateMerge("a4", "u4");
    await f.push([signup]);
    await drain(f.deps(J), "a4");
    await f.push([merge]);
    await f.push([late]);
    expect(await f.redis.llen(f.engine.keys.inbox("a4"))).toBe(1);
    await drain(f.deps(J), "u4");
    const expected = simulate(J, [signup, merge, late]).records;
    expect(expected.filter((r) => r.contact === "a4").map((r) => r.type)).toContain("trigger.fired");
    await expectJournals(expected, ["a4", "u4"]);
  });

  it("two merges of one anonymous id: the first wins, the later messages follow it", async () => {
    const msgs = [
      { type: "track", anonymousId: "a5", event: "Signup", timestamp: at(0) },
      { type: "identify", anonymousId: "a5", userId: "u5", timestamp: at(1) },
      { type: "identify", anonymousId: "a5", userId: "u6", timestamp: at(2) },
      { type: "track", anonymousId: "a5", event: "Click", timestamp: at(3) },
    ];
    await f.push(msgs);
    for (const c of ["u6", "u5", "a5", "u6"]) await drain(f.deps(J), c);
    const expected = simulate(J, msgs).records;
    expect(expected.filter((r) => r.contact === "u5").map((r) => r.type)).toContain("trigger.fired");
    await expectJournals(expected, ["a5", "u5", "u6"]);
    expect(await f.redis.get(f.engine.keys.alias("a5"))).toBe("u5");
    expect(await f.engine.inbox.backlog()).toBe(0);
  });

  it("a merge queued for a user that is itself merged away before it drains still happens, into that user's successor", async () => {
    const signup = { type: "track", anonymousId: "a6", event: "Signup", timestamp: at(0) };
    const idA = { type: "identify", userId: "u7", anonymousId: "a6", timestamp: at(2) };
    const idU = { type: "identify", userId: "w7", anonymousId: "u7", timestamp: at(1) };
    const click = { type: "track", anonymousId: "a6", event: "Click", timestamp: at(3) };
    await f.push([signup]);
    await drain(f.deps(J), "a6");
    await f.push([idA]);
    await f.push([idU]);
    await drain(f.deps(J), "w7"); // merges u7, whose inbox (the merge of a6) comes along
    await f.push([click]);
    for (const c of ["u7", "w7", "a6"]) await drain(f.deps(J), c);
    const expected = simulate(J, [signup, idA, idU, click]).records;
    await expectJournals(expected, ["a6", "u7", "w7"]);
    expect(await f.redis.get(f.engine.keys.alias("a6"))).toBe("w7");
  });

  // An anonymous id merged into a user, the user aliased into another, then messages for
  // all three ids: each message goes to the end of the chain as of its instant.
  const chain = (n: number) => {
    const [a, u, v] = [`ca${n}`, `cu${n}`, `cv${n}`];
    const msgs = [
      { type: "track", anonymousId: a, event: "Signup", timestamp: at(0) },
      { type: "identify", userId: u, anonymousId: a, timestamp: at(2) },
      { type: "track", anonymousId: a, event: "Click", timestamp: at(3) },
      { type: "alias", previousId: u, userId: v, timestamp: at(5) },
      { type: "track", userId: v, event: "Click", timestamp: at(6) },
      { type: "track", userId: u, event: "Click", timestamp: at(7) },
      { type: "track", anonymousId: a, event: "Click", timestamp: at(10) },
    ];
    return { ids: [a, u, v], msgs };
  };

  for (const [n, order] of [[1, [2, 1, 0]], [2, [0, 1, 2]], [3, [1, 2, 0]]] as const) it(`a chain of merges queued in one push: later messages follow the whole chain, whichever contact drains first (${order.join("")})`, async () => {
    const { ids, msgs } = chain(n);
    await f.push(msgs);
    const k = f.engine.keys;
    // The anonymous id's click at 3 s is the first user's (the merge into the last one is at
    // 5 s); the first user's click at 7 s and the anonymous id's at 10 s are the last user's
    // (the anonymous id's route leads to the first user, whose route leads on).
    expect(await Promise.all(ids.map((c) => f.redis.llen(k.inbox(c))))).toEqual([1, 2, 4]);
    for (const i of [...order, 2]) await drain(f.deps(J), ids[i]!);
    const expected = simulate(J, msgs).records;
    expect(expected.filter((r) => r.contact === ids[2]).map((r) => r.type)).toContain("stage.entered");
    await expectJournals(expected, ids);
    expect(await f.engine.inbox.backlog()).toBe(0);
  });

  it("a chain of merges committed already: a message for the anonymous id goes to the last user", async () => {
    const { ids, msgs } = chain(4);
    const [before, after] = [msgs.slice(0, 6), msgs.slice(6)];
    await f.push(before);
    for (const c of [ids[0]!, ids[1]!, ids[2]!]) await drain(f.deps(J), c);
    expect([await f.redis.get(f.engine.keys.alias(ids[0]!)), await f.redis.get(f.engine.keys.alias(ids[1]!))]).toEqual([ids[1], ids[2]]);
    await f.push(after);
    expect(await f.redis.llen(f.engine.keys.inbox(ids[2]!))).toBe(1);
    await drain(f.deps(J), ids[2]!);
    await expectJournals(simulate(J, msgs).records, ids);
  });

  it("the user's wake-ups due before a merge are evaluated before it, on the user's own state", async () => {
    const W = compileJourney(`
id: mw
entry: { event: Go }
stages: [ { id: a }, { id: b, when: { trait: { plan: pro } } } ]
triggers:
  - id: hook
    on: journey.entered
    do: [ { handoff: { to: crm, team: sales, sla: 10s } } ]
`, { workspace: WORKSPACE, env: ENV });
    const msgs = [
      { type: "identify", anonymousId: "a8", traits: { plan: "pro" }, timestamp: at(0) },
      { type: "track", userId: "u8", event: "Go", timestamp: at(1) },
      { type: "identify", userId: "u8", anonymousId: "a8", timestamp: at(100) },
    ];
    await f.push(msgs);
    await drain(f.deps(W), "u8");
    const expected = simulate(W, msgs).records.filter((r) => r.contact === "u8");
    expect(expected.map((r) => r.type)).toEqual(expect.arrayContaining(["handoff.breached", "stage.entered"]));
    expect(await readJournal(f.redis, f.engine.keys, "u8")).toEqual(expected);
  });

  it("a late message for the anonymous contact arriving while a merge is prepared makes the merge's commit go again, after it", async () => {
    const { signup, merge, late } = lateMerge("a9", "u9");
    await f.push([signup]);
    await drain(f.deps(J), "a9");
    await f.push([merge]);
    const d = f.deps(J);
    const { reads, cursors } = await readContacts(d, ["u9"]);
    const p = await prepare(d, "u9", reads[0]!, cursors);
    expect(p.kind).toBe("commit");
    await f.push([late]); // between the prepare and its commit
    expect(await commit(d, (p as Extract<typeof p, { kind: "commit" }>).input)).toBe(-1);
    await drain(d, "u9");
    const expected = simulate(J, [signup, merge, late]).records;
    await expectJournals(expected, ["a9", "u9"]);
  });

  it("two identifies naming each other do not wait for each other in a circle", async () => {
    await f.push([{ type: "identify", userId: "x1", anonymousId: "y1", traits: { n: 1 }, timestamp: at(0) }]);
    await f.push([{ type: "identify", userId: "y1", anonymousId: "x1", traits: { n: 2 }, timestamp: at(1) }]);
    await drain(f.deps(J), "x1");
    expect(await f.engine.inbox.backlog()).toBe(0);
  });

  it("with the overdue grace: the anonymous contact's wake-ups due by the merge fire on it, later inputs are the user's", async () => {
    const K = compileJourney(`
id: idk
entry: { event: Signup }
stages: [ { id: a }, { id: b, when: { inStage: { for: 1s } } }, { id: c, when: { performed: { event: Click } } } ]
`);
    const anon = [{ type: "track", anonymousId: "a2", event: "Signup", timestamp: at(0) }];
    const user = [{ type: "identify", userId: "u2", anonymousId: "a2", traits: {}, timestamp: at(5) }];
    const later = [{ type: "track", anonymousId: "a2", event: "Click", timestamp: at(6) }];
    const deps = { ...f.deps(K), overdueGraceMs: 2_000 };
    // The anonymous contact is drained alone first: its overdue wake-up (Signup + 1 s) waits the grace.
    await f.push(anon);
    await drain(deps, "a2");
    await f.push(user);
    await f.push(later);
    await drain(deps, "u2");
    const expected = simulate(K, [...anon, ...user, ...later]).records;
    expect(expected.filter((r) => r.contact === "a2").map((r) => r.type)).toContain("stage.entered");
    expect(await readJournal(f.redis, f.engine.keys, "a2")).toEqual(expected.filter((r) => r.contact === "a2"));
    // The Click stamped after the identify went to the user (moved from the anonymous inbox by the merge).
    await drain(deps, "u2");
    expect(await readJournal(f.redis, f.engine.keys, "u2")).toEqual(expected.filter((r) => r.contact === "u2"));
  });

  it("with no overdue grace: the anonymous contact drained first leaves its wake-ups after a queued merge's instant to the user", async () => {
    const K = compileJourney(`
id: idg
entry: { event: Signup }
stages: [ { id: a }, { id: b, when: { inStage: { for: 20s } } }, { id: c, when: { performed: { event: Click } } } ]
`);
    const msgs = [
      { type: "track", anonymousId: "a7", event: "Signup", timestamp: at(0) },
      { type: "identify", userId: "u7", anonymousId: "a7", traits: {}, timestamp: at(10) },
      { type: "track", userId: "u7", event: "Click", timestamp: at(30) },
    ];
    const deps = { ...f.deps(K), overdueGraceMs: 0 };
    await f.push(msgs);
    await drain(deps, "a7");
    await drain(deps, "u7");
    const expected = simulate(K, msgs).records;
    // In simulate the stay in a reaches 20 s after the merge: on the user.
    expect(expected.filter((r) => r.type === "stage.entered" && r["stage"] === "b").map((r) => r.contact)).toEqual(["u7"]);
    await expectJournals(expected, ["a7", "u7"]);
  });

  it("a hand-off of the anonymous contact's run is cancelled when the merged run ends unresolved", async () => {
    const H = compileJourney(`
id: idh
entry: { event: Signup }
exit: [ { event: Quit } ]
stages: [ { id: a } ]
triggers: [ { id: t, on: journey.entered, do: [ { handoff: { to: crm, team: sales, sla: 1h } } ] } ]
`, { workspace: WORKSPACE, env: ENV });
    await f.push([{ type: "track", anonymousId: "a3", event: "Signup", timestamp: at(0) }]);
    await drain(f.deps(H), "a3");
    const [id] = await f.redis.zrange(f.engine.keys.handoffs("open"), "0", "-1");
    expect(id).toBeDefined();
    await f.push([
      { type: "identify", userId: "u3", anonymousId: "a3", traits: {}, timestamp: at(1) },
      { type: "track", userId: "u3", event: "Quit", timestamp: at(2) },
    ]);
    await drain(f.deps(H), "u3");
    expect(await f.redis.zrange(f.engine.keys.handoffs("open"), "0", "-1")).toEqual([]);
    expect(await f.redis.zrange(f.engine.keys.handoffs("cancelled"), "0", "-1")).toEqual([id]);
  });
});

describe("the overdue grace and a stale wake job", () => {
  it("a wake job whose wake-up was caught up already leaves the next one its own grace", async () => {
    const P = compileJourney(`
id: pw
entry: { event: Ping }
reentry: always
stages: [ { id: a } ]
segments: { active: { when: { performed: { event: Ping, within: 10s } } } }
`);
    const deps = { ...f.deps(P), overdueGraceMs: 2_000 };
    const ping = (s: number) => ({ type: "track", userId: "p", event: "Ping", timestamp: at(s) });
    await f.push([ping(0)]);
    await drain(deps, "p"); // the window's end (10 s) is overdue: left to its job, after the grace
    await f.push([ping(15)]);
    await drain(deps, "p"); // stamped after it: the evaluator catches 10 s up; the next end (25 s) waits its grace
    const w1 = Date.parse(at(10));
    await drain(deps, "p", undefined, w1); // the job for 10 s runs: stale, it must not fire 25 s
    await f.push([ping(20)]);
    await drain(deps, "p");
    await drain(deps, "p", undefined, Date.parse(at(30))); // the window's last end, at 30 s
    const expected = simulate(P, [ping(0), ping(15), ping(20)], at(40)).records;
    expect(only(expected, "segment.entered", "segment.exited").length).toBe(4);
    expect(await readJournal(f.redis, f.engine.keys, "p")).toEqual(expected);
  });
});
