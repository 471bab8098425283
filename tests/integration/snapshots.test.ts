// Webhooks and hand-offs carry the contact as it was when their step was decided (the
// outbox entry's snapshot), not as later inputs of the same drain left it: nested traits
// set afterwards, and a breach caught up before a later event.
import { describe, expect, it } from "vitest";
import { drain } from "../../src/adapters/pipeline/drain.js";
import type { OutboxEntry } from "../../src/adapters/pipeline/commit-plan.js";
import { compileJourney } from "../helpers.js";
import { ENV, WORKSPACE } from "../core/support.js";
import { engineFixture } from "./engine-fixture.js";

const f = engineFixture();

const J = compileJourney(`
id: snap
entry: { event: Go }
stages: [ { id: a }, { id: b, when: { performed: { event: Up } } } ]
triggers:
  - id: hook
    on: journey.entered
    do:
      - webhook: { to: crm, payload: { n: 1 } }
      - handoff: { to: crm, team: sales, sla: 10s }
  - id: up
    on: { event: Up }
    do: [ { set: { profile.plan: pro } } ]
`, { workspace: WORKSPACE, env: ENV });

const BASE = Date.now() - 600_000;
const at = (s: number) => new Date(BASE + s * 1_000).toISOString();

/** The outbox entries (left there: this fixture queues no jobs). */
async function outbox(): Promise<OutboxEntry[]> {
  return (await f.redis.zrange(f.engine.keys.outbox, "0", "-1")).map((m) => JSON.parse(m) as OutboxEntry);
}

describe("snapshots of webhooks and hand-offs", () => {
  it("are taken at the step's instant: later inputs of the drain do not change them, nor a breach caught up before one", async () => {
    await f.push([
      { type: "identify", userId: "s1", traits: { profile: { plan: "free" } }, timestamp: at(0) },
      { type: "track", userId: "s1", event: "Go", timestamp: at(1) },
      { type: "track", userId: "s1", event: "Up", timestamp: at(100) },
    ]);
    await drain(f.deps(J), "s1");
    const byKind = new Map((await outbox()).map((e) => [e.kind, e]));
    expect(byKind.get("webhook")!.snap).toEqual({ stage: "a", score: 0, segments: [], traits: { profile: { plan: "free" } } });
    expect(byKind.get("handoff.opened")!.snap).toMatchObject({ stage: "a", traits: { profile: { plan: "free" } } });
    // The breach at 11 s was caught up before Up (100 s): it shows the contact at 11 s.
    expect(byKind.get("handoff.breached")!.at).toBe(at(11));
    expect(byKind.get("handoff.breached")!.snap).toMatchObject({ stage: "a", traits: { profile: { plan: "free" } } });
  });

  it("a breach due before an alias is snapshot at its own instant (its score decayed to then, the traits before the merge)", async () => {
    const S = compileJourney(`
id: sd
entry: { event: Go }
stages: [ { id: a } ]
score: { rules: [ { event: Go, points: 10 } ], decay: { halfLife: 10s } }
triggers:
  - id: hook
    on: journey.entered
    do: [ { handoff: { to: crm, team: sales, sla: 10s } } ]
`, { workspace: WORKSPACE, env: ENV });
    await f.push([
      { type: "identify", userId: "v1", traits: { plan: "free" }, timestamp: at(0) },
      { type: "track", userId: "v1", event: "Go", timestamp: at(1) },
      { type: "identify", anonymousId: "b1", traits: { other: 1 }, timestamp: at(2) },
      { type: "alias", previousId: "b1", userId: "v1", timestamp: at(100) },
    ]);
    await drain(f.deps(S), "b1");
    await drain(f.deps(S), "v1");
    const breach = (await outbox()).find((e) => e.kind === "handoff.breached")!;
    expect(breach.at).toBe(at(11));
    expect(breach.snap).toEqual({ stage: "a", score: 5, segments: [], traits: { plan: "free" } });
  });
});
