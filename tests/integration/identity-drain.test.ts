// An identify that merges an anonymous contact whose own inputs are still waiting in its
// inbox (not drained yet: a backlog, or both drains racing): those inputs are the anonymous
// history, evaluated first on its own state, so the journals equal simulate's.
import { describe, expect, it } from "vitest";
import { drain } from "../../src/adapters/pipeline/drain.js";
import { DrainBatcher } from "../../src/adapters/pipeline/drain-batcher.js";
import { readJournal } from "../../src/adapters/redis/journal.js";
import { compileJourney, simulate } from "../helpers.js";
import { engineFixture } from "./engine-fixture.js";

const f = engineFixture();

const J = compileJourney(`
id: idm
entry: { event: Signup }
stages: [ { id: a }, { id: b, when: { score: { gte: 3 } } } ]
score: { rules: [ { event: Click, points: 1 } ] }
triggers: [ { id: t, on: { event: Click }, do: [ { set: { clicked: true } } ] } ]
`);

const at = (s: number) => new Date(Date.now() - 60_000 + s * 1_000).toISOString();

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

  it("two identifies naming each other do not wait for each other in a circle", async () => {
    await f.push([{ type: "identify", userId: "x1", anonymousId: "y1", traits: { n: 1 }, timestamp: at(0) }]);
    await f.push([{ type: "identify", userId: "y1", anonymousId: "x1", traits: { n: 2 }, timestamp: at(1) }]);
    await drain(f.deps(J), "x1");
    expect(await f.engine.inbox.backlog()).toBe(0);
  });
});
