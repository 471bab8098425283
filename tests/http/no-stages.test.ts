// A journey without `stages` (the contract does not require them): no stage records, the
// live journal equals simulate's, and the views that show stages show none.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { compileSources, simulate } from "../helpers.js";
import { stopRedis } from "../integration/redis.js";
import { WRITE_KEY, admin, basic, closeAll, get, journalUntil, post, startServer } from "./server.js";

afterEach(closeAll);
afterAll(stopRedis);

const JOURNEY = `
id: no-stages
entry: { event: Signed Up }
segments:
  keen: { when: { performed: { event: Clicked, count: { gte: 2 } } } }
triggers:
  - id: hello
    on: journey.entered
    do: [ { set: { greeted: true } } ]
  - id: keen
    on: { segment.entered: keen }
    do: [ { exit: true } ]
`;

describe("a journey without stages", () => {
  it("runs live as in simulate, with no stage records; views show no stages", async () => {
    const compiled = compileSources({ journeys: { "ns.yaml": JOURNEY } });
    const s = await startServer({ compiled });
    const t0 = Date.parse("2026-01-01T00:00:00.000Z");
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const batch = [
      { type: "track", userId: "a", event: "Signed Up", timestamp: at(0) },
      { type: "track", userId: "b", event: "Signed Up", timestamp: at(0) },
      { type: "track", userId: "a", event: "Clicked", timestamp: at(1_000) },
      { type: "track", userId: "a", event: "Clicked", timestamp: at(2_000) },
    ];
    expect((await post(`${s.base}/v1/batch`, { batch }, { authorization: basic(WRITE_KEY) })).status).toBe(200);
    const expected = simulate(compiled, batch).records;
    expect(expected.map((r) => r.type)).not.toContain("stage.entered");
    expect(await journalUntil(s, "a", (j) => j.some((r) => r.type === "journey.exited"))).toEqual(expected.filter((r) => r.contact === "a"));
    expect(await journalUntil(s, "b", (j) => j.length >= 3)).toEqual(expected.filter((r) => r.contact === "b"));
    const view = await get(`${s.base}/v1/contacts/b`, admin);
    expect(view.body).toMatchObject({ journeys: { "no-stages": { active: true, stage: null } } });
    const journeys = await get(`${s.base}/v1/journeys`, admin);
    expect(journeys.body["journeys"]).toEqual([expect.objectContaining({ id: "no-stages", stages: [], segments: { keen: 0 } })]);
    expect((await get(`${s.base}/dashboard/data`, admin)).status).toBe(200);
  });
});
