// The real Segment client (@segment/analytics-node) talking to a live server: the
// contract's worked example sent as identify/track/page calls ends in the same journal as
// `simulate`, record for record (the client's `sentAt` agrees with the server's clock, so
// the timestamps are taken as they are).
import { Analytics } from "@segment/analytics-node";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { exampleDeployable, exampleEvents } from "../example.js";
import { simulate } from "../helpers.js";
import { stopRedis } from "../integration/redis.js";
import { WRITE_KEY, admin, closeAll, get, journalUntil, startServer } from "./server.js";

afterEach(closeAll);
afterAll(stopRedis);

describe("the Segment client", () => {
  it("sends identify/track/page for the worked example; the journal equals simulate's", async () => {
    const deployable = await exampleDeployable();
    const events = exampleEvents();
    const expected = simulate(deployable.compiled, events).records;
    expect(expected.length).toBeGreaterThan(5);
    expect(expected.map((r) => r.type)).toContain("email.sent");

    const s = await startServer(deployable);
    const analytics = new Analytics({ writeKey: WRITE_KEY, host: s.base, path: "/v1/batch", flushAt: 50, flushInterval: 60_000, maxRetries: 0 });
    const failures: unknown[] = [];
    analytics.on("error", (e) => failures.push(e));
    const statuses: number[] = [];
    analytics.on("http_response", (r) => statuses.push(r.status));
    for (const e of events) {
      const common = { userId: e["userId"] as string, timestamp: e.timestamp };
      if (e.type === "identify") analytics.identify({ ...common, traits: e["traits"] as Record<string, unknown> });
      else if (e.type === "track") analytics.track({ ...common, event: e["event"] as string, properties: (e["properties"] ?? {}) as Record<string, unknown> });
      else if (e.type === "page") analytics.page({ ...common, properties: e["properties"] as Record<string, unknown> });
      else throw new Error(`unexpected ${e.type}`);
    }
    await analytics.closeAndFlush({ timeout: 10_000 });
    expect(failures).toEqual([]);
    expect(statuses).toEqual([200]);

    const got = await journalUntil(s, "lea", (j) => j.length >= expected.length);
    expect(got).toEqual(expected);

    const view = await get(`${s.base}/v1/contacts/lea`, admin);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({
      id: "lea",
      traits: { email: "lea@example.com", firstName: "Lea" },
      // An ended run keeps its last stage; its score was reset on exit.
      journeys: { "webinar-follow-up": { active: false, stage: "decision", score: 0, enteredAt: expect.stringMatching(/^2026-05-04T16:00:00\./), endedAt: expect.stringMatching(/^2026-05-09T11:00:00\./) } },
    });
  });
});
