// The admin API over real HTTP and a real Redis: the bearer token, the contact view and
// journal, hand-off acknowledgements (by id and by user + team), the funnel numbers and
// reloads; plus the app's request ids, health check, JSON 404 and 500.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import type { JournalRecord } from "../../src/core/index.js";
import { compileSources, simulate } from "../helpers.js";
import { stopRedis, until } from "../integration/redis.js";
import { ADMIN_TOKEN, WRITE_KEY, admin, basic, closeAll, eventually, get, journal, journalUntil, ofType, post, startServer, type TestServer } from "./server.js";

afterEach(closeAll);
afterAll(stopRedis);

const WORKSPACE = `
endpoints:
  crm: { url: "http://127.0.0.1:9/hook", secret: "\${CRM_SECRET}" }
`;
const JOURNEY = `
id: leads
name: Leads to sales
entry: { event: Signed Up }
goal: { event: Purchased }
stages:
  - id: new
  - id: hot
    when: { score: { gte: 15 } }
segments:
  engaged: { when: { performed: { event: Clicked, count: { gte: 2 } } } }
score:
  rules: [ { event: Clicked, points: 10 } ]
  decay: { halfLife: 1d }
triggers:
  - id: to-sales
    on: { stage.entered: hot }
    do: [ { handoff: { to: crm, team: sales, sla: 1h } } ]
  - id: to-support
    on: { event: Help }
    do: [ { handoff: { to: crm, team: support, sla: 1h } } ]
`;
const compiled = compileSources({ journeys: { "leads.yaml": JOURNEY }, workspace: WORKSPACE, env: { CRM_SECRET: "whsec_dGVzdA==" } });
const other = compileSources({ journeys: { "other.yaml": "id: other\nentry: { event: Other }\nstages: [ { id: only } ]\n" } });

const ingest = { authorization: basic(WRITE_KEY) };

/** Sends one contact's events as a batch, a second apart, ending now. */
async function send(s: TestServer, userId: string, events: string[]): Promise<void> {
  const t0 = Date.now() - events.length * 1_000;
  const batch = events.map((event, i) => ({ type: "track", userId, event, timestamp: new Date(t0 + i * 1_000).toISOString() }));
  expect((await post(`${s.base}/v1/batch`, { batch }, ingest)).status).toBe(200);
}

describe("admin authentication", () => {
  it("answers 401 without the bearer token or with a wrong one", async () => {
    const s = await startServer({ compiled });
    for (const path of ["/v1/contacts/x", "/v1/contacts/x/journal", "/v1/journeys"]) {
      const none = await get(`${s.base}${path}`, {});
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
      expect((await get(`${s.base}${path}`, { authorization: "Bearer wrong-token-0123456789" })).status).toBe(401);
      expect((await get(`${s.base}${path}`, { authorization: basic(ADMIN_TOKEN) })).status).toBe(401);
    }
    expect((await post(`${s.base}/v1/handoffs/ack`, { userId: "x", team: "sales" })).status).toBe(401);
    expect((await post(`${s.base}/v1/handoffs/ho_x/ack`, {})).status).toBe(401);
    expect((await post(`${s.base}/v1/journeys/reload`, {})).status).toBe(401);
  });

  it("answers 503 naming WAYMARK_ADMIN_TOKEN when no token is configured", async () => {
    const s = await startServer({ compiled, env: { WAYMARK_ADMIN_TOKEN: undefined } });
    const r = await get(`${s.base}/v1/journeys`);
    expect(r.status).toBe(503);
    expect(String(r.body["error"])).toMatch(/WAYMARK_ADMIN_TOKEN/);
  });
});

describe("contacts", () => {
  it("shows a contact's traits, journeys (stage, segments, decayed score) and journal", async () => {
    const s = await startServer({ compiled });
    await send(s, "ann", ["Signed Up", "Clicked", "Clicked"]);
    expect((await post(`${s.base}/v1/identify`, { userId: "ann", traits: { email: "ann@example.com" } }, ingest)).status).toBe(200);
    await journalUntil(s, "ann", (j) => ofType(j, "handoff.opened").length === 1);
    const v = await eventually(async () => {
      const r = await get(`${s.base}/v1/contacts/ann`, admin);
      return (r.body["traits"] as Record<string, unknown> | undefined)?.["email"] ? r : undefined;
    });
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({ id: "ann", traits: { email: "ann@example.com" } });
    const run = (v.body["journeys"] as Record<string, Record<string, unknown>>)["leads"]!;
    expect(run).toMatchObject({ active: true, stage: "hot", segments: ["engaged"] });
    // 20 points decaying with a half-life of a day: a few seconds later, just under 20, to 2 decimals.
    expect(run["score"]).toBeGreaterThan(19.99);
    expect(run["score"]).toBeLessThanOrEqual(20);
    expect(run["score"]).toBe(Math.round((run["score"] as number) * 100) / 100);
    expect(Date.parse(run["enteredAt"] as string)).toBeLessThan(Date.now());
    // The SLA timer is the next wake-up.
    expect(Date.parse(v.body["wakeAt"] as string)).toBeGreaterThan(Date.now() + 3_000_000);

    expect((await get(`${s.base}/v1/contacts/nobody`)).status).toBe(404);
    expect((await get(`${s.base}/v1/contacts/nobody/journal`)).status).toBe(404);

    // The hand-off's webhook fails (this workspace declares no endpoint): its outcome comes last.
    const all = await journalUntil(s, "ann", (j) => ofType(j, "webhook.failed").length === 1);
    expect(all.map((r) => r.type)).toEqual([
      "journey.entered", "stage.entered", "segment.entered", "stage.entered", "trigger.fired", "handoff.opened", "webhook.failed",
    ]);
    const last2 = await get(`${s.base}/v1/contacts/ann/journal?limit=2`);
    expect((last2.body["records"] as JournalRecord[]).map((r) => r.type)).toEqual(["handoff.opened", "webhook.failed"]);
    const stages = await get(`${s.base}/v1/contacts/ann/journal?type=stage.entered`);
    expect((stages.body["records"] as JournalRecord[]).map((r) => r["stage"])).toEqual(["new", "hot"]);
    const two = await get(`${s.base}/v1/contacts/ann/journal?type=stage.entered,journey.entered&limit=2`);
    expect((two.body["records"] as JournalRecord[]).map((r) => r.type)).toEqual(["stage.entered", "stage.entered"]);
    const bad = await get(`${s.base}/v1/contacts/ann/journal?limit=0`);
    expect(bad.status).toBe(400);
    expect(bad.body["issues"]).toEqual([expect.objectContaining({ path: ["limit"] })]);
  });
  it("gives every record kept by default, as simulate prints them (past a hundred)", async () => {
    const pings = compileSources({ journeys: { "pings.yaml": "id: pings\nentry: { event: Ping }\nreentry: always\ntriggers:\n  - id: count\n    on: { event: Ping }\n    do: [ { set: { last: pinged } } ]\n" } });
    const s = await startServer({ compiled: pings });
    const t0 = Date.now() - 120_000;
    const batch = Array.from({ length: 70 }, (_, i) => ({ type: "track", userId: "many", event: "Ping", timestamp: new Date(t0 + i * 1_000).toISOString() }));
    expect((await post(`${s.base}/v1/batch`, { batch }, ingest)).status).toBe(200);
    const want = simulate(pings, batch).records;
    expect(want.length).toBeGreaterThan(100);
    const all = await eventually(async () => {
      const r = await get(`${s.base}/v1/contacts/many/journal`);
      return r.status === 200 && (r.body["records"] as JournalRecord[]).length >= want.length ? (r.body["records"] as JournalRecord[]) : undefined;
    });
    expect(all).toEqual(want);
    const newest = await get(`${s.base}/v1/contacts/many/journal?limit=3`);
    expect(newest.body["records"]).toEqual(want.slice(-3));
  });

  it("follows an anonymous id merged into a user; the anonymous journal stays its own", async () => {
    const s = await startServer({ compiled });
    expect((await post(`${s.base}/v1/track`, { anonymousId: "anon-1", event: "Signed Up" }, ingest)).status).toBe(200);
    await journalUntil(s, "anon-1", (j) => ofType(j, "journey.entered").length === 1);
    expect((await post(`${s.base}/v1/identify`, { userId: "u-1", anonymousId: "anon-1", traits: { plan: "pro" } }, ingest)).status).toBe(200);
    const v = await eventually(async () => {
      const r = await get(`${s.base}/v1/contacts/anon-1`);
      return r.body["id"] === "u-1" ? r : undefined;
    });
    expect(v.body).toMatchObject({ id: "u-1", traits: { plan: "pro" }, journeys: { leads: { active: true, stage: "new" } } });
    expect((await journal(s, "anon-1")).map((r) => r.contact)).toEqual(["anon-1", "anon-1"]);
    // A chain of merges: the user aliased into another; the anonymous id follows to the last.
    expect((await post(`${s.base}/v1/alias`, { previousId: "u-1", userId: "u-2" }, ingest)).status).toBe(200);
    const chained = await eventually(async () => {
      const r = await get(`${s.base}/v1/contacts/anon-1`);
      return r.body["id"] === "u-2" ? r : undefined;
    });
    expect(chained.body).toMatchObject({ id: "u-2", traits: { plan: "pro" } });
    expect((await get(`${s.base}/v1/contacts/u-1`)).body["id"]).toBe("u-2");
  });
});

describe("hand-off acknowledgements", () => {
  it("resolves a hand-off by its id, and by { userId, team }", async () => {
    const s = await startServer({ compiled });
    await send(s, "ann", ["Signed Up", "Clicked", "Clicked"]);
    await send(s, "bob", ["Signed Up", "Help"]);
    const annOpened = ofType(await journalUntil(s, "ann", (j) => ofType(j, "handoff.opened").length === 1), "handoff.opened")[0]!;
    await journalUntil(s, "bob", (j) => ofType(j, "handoff.opened").length === 1);

    const id = annOpened["handoff"] as string;
    const byId = await post(`${s.base}/v1/handoffs/${id}/ack`, { by: "rep@example.com" }, admin);
    expect(byId).toMatchObject({ status: 200, body: { success: true, contact: "ann", handoff: id } });
    const resolved = ofType(await journalUntil(s, "ann", (j) => ofType(j, "handoff.resolved").length === 1), "handoff.resolved")[0]!;
    expect(resolved).toMatchObject({ handoff: id, team: "sales", by: "ack" });

    const byTeam = await post(`${s.base}/v1/handoffs/ack`, { userId: "bob", team: "support" }, admin);
    expect(byTeam).toMatchObject({ status: 200, body: { success: true, contact: "bob", team: "support" } });
    const bobResolved = ofType(await journalUntil(s, "bob", (j) => ofType(j, "handoff.resolved").length === 1), "handoff.resolved")[0]!;
    expect(bobResolved).toMatchObject({ team: "support", by: "ack" });

    expect((await post(`${s.base}/v1/handoffs/ho_unknown/ack`, {}, admin)).status).toBe(404);
    expect((await post(`${s.base}/v1/handoffs/ack`, { userId: "nobody", team: "sales" }, admin)).status).toBe(404);
    const invalid = await post(`${s.base}/v1/handoffs/ack`, { userId: "bob" }, admin);
    expect(invalid.status).toBe(400);
    expect(invalid.body["issues"]).toEqual([expect.objectContaining({ path: ["team"] })]);
  });
});

describe("hand-off acknowledgements as simulate files write them", () => {
  it("takes both ack forms with their timestamps, keeps who acknowledged, and the journal equals simulate's", async () => {
    const s = await startServer({ compiled });
    const t0 = Date.parse("2026-03-02T09:00:00.000Z");
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const events = [
      { type: "track", userId: "ann", event: "Signed Up", timestamp: at(0) },
      { type: "track", userId: "ann", event: "Clicked", timestamp: at(1_000) },
      { type: "track", userId: "ann", event: "Clicked", timestamp: at(2_000) },
      { type: "track", userId: "bob", event: "Signed Up", timestamp: at(0) },
      { type: "track", userId: "bob", event: "Help", timestamp: at(5_000) },
    ];
    expect((await post(`${s.base}/v1/batch`, { batch: events }, ingest)).status).toBe(200);
    const bobOpened = ofType(await journalUntil(s, "bob", (j) => ofType(j, "handoff.opened").length === 1), "handoff.opened")[0]!;
    await journalUntil(s, "ann", (j) => ofType(j, "handoff.opened").length === 1);
    // Twenty minutes after the hand-offs opened, well inside their SLA of an hour.
    const annAck = { type: "ack", userId: "ann", team: "sales", by: "ana.lopez", timestamp: at(1_200_000) };
    const bobAck = { type: "ack", handoff: bobOpened["handoff"], timestamp: at(1_300_000) };
    expect(await post(`${s.base}/v1/handoffs/ack`, annAck, admin)).toMatchObject({ status: 200, body: { contact: "ann", team: "sales" } });
    expect(await post(`${s.base}/v1/handoffs/ack`, bobAck, admin)).toMatchObject({ status: 200, body: { contact: "bob", handoff: bobOpened["handoff"] } });

    const expected = simulate(compiled, [...events, annAck, bobAck]).records;
    for (const c of ["ann", "bob"]) {
      const live = await journalUntil(s, c, (j) => ofType(j, "handoff.resolved").length === 1);
      // The CRM endpoint does not answer here: delivery outcomes are live's alone.
      expect(live.filter((r) => r.type !== "webhook.failed")).toEqual(expected.filter((r) => r.contact === c));
    }
    expect(ofType(expected, "handoff.resolved")).toEqual([
      expect.objectContaining({ contact: "ann", at: at(1_200_000), by: "ack", acknowledgedBy: "ana.lopez" }),
      expect.objectContaining({ contact: "bob", at: at(1_300_000), by: "ack" }),
    ]);
    const listed = await get(`${s.base}/v1/handoffs?status=resolved`, admin);
    expect(listed.body["handoffs"]).toEqual(expect.arrayContaining([expect.objectContaining({ contact: "ann", resolvedBy: "ack", acknowledgedBy: "ana.lopez" })]));
  });
});

describe("journeys", () => {
  it("reports per-stage numbers, segment sizes and record counts", async () => {
    const s = await startServer({ compiled });
    await send(s, "ann", ["Signed Up", "Clicked", "Clicked"]);
    await send(s, "bob", ["Signed Up"]);
    await send(s, "cat", ["Signed Up", "Clicked", "Clicked", "Purchased"]);
    await journalUntil(s, "ann", (j) => ofType(j, "handoff.opened").length === 1);
    await journalUntil(s, "bob", (j) => j.length >= 2);
    await journalUntil(s, "cat", (j) => ofType(j, "journey.exited").length === 1);

    const r = await get(`${s.base}/v1/journeys`);
    expect(r.status).toBe(200);
    const [leads] = r.body["journeys"] as Record<string, unknown>[];
    expect(leads).toMatchObject({
      id: "leads", name: "Leads to sales",
      stages: [
        { stage: "new", now: 1, entered: 3, converted: 0, left: 2, avgMsInStage: expect.any(Number) },
        { stage: "hot", now: 1, entered: 2, converted: 1, left: 1, avgMsInStage: expect.any(Number) },
      ],
      segments: { engaged: 1 },
      records: { "journey.entered": 3, "goal.reached": 1, "journey.exited": 1, "handoff.opened": 2 },
    });
    // ann and cat stayed two seconds in "new" (Signed Up, then two clicks a second apart).
    const [newStage] = (leads as { stages: { avgMsInStage: number; medianMsInStage: number }[] }).stages;
    expect(newStage!.avgMsInStage).toBe(2_000);
    // The median comes from buckets 2^(1/4) wide with their sums: both stays of 2 s fall in
    // [2,000, 2,378) ms, whose mean is exact.
    expect(newStage!.medianMsInStage).toBe(2_000);
    const csv = await fetch(`${s.base}/v1/journeys`, { headers: { ...admin, accept: "text/csv" } });
    expect((await csv.text()).split("\r\n").slice(0, 2)).toEqual([
      "journey,stage,now,entered,converted,left,avgMsInStage,medianMsInStage", "leads,new,1,3,0,2,2000,2000",
    ]);
  });

  it("reloads: 200 with the journeys deployed, 422 with the problems", async () => {
    let attempt = 0;
    const s = await startServer({
      compiled,
      reload: (engine) => async () => {
        attempt++;
        if (attempt === 1) {
          engine.deploy(other);
          return { ok: true, journeys: ["other"] };
        }
        return { ok: false, problems: ["leads.yaml:3:7: unknown stage"] };
      },
    });
    const ok = await post(`${s.base}/v1/journeys/reload`, {}, admin);
    expect(ok).toMatchObject({ status: 200, body: { success: true, journeys: ["other"] } });
    const after = await get(`${s.base}/v1/journeys`);
    expect((after.body["journeys"] as { id: string }[]).map((j) => j.id)).toEqual(["other"]);
    const bad = await post(`${s.base}/v1/journeys/reload`, {}, admin);
    expect(bad).toMatchObject({ status: 422, body: { success: false, problems: ["leads.yaml:3:7: unknown stage"] } });
  });
});

describe("the app", () => {
  it("echoes an incoming x-request-id, generates one otherwise, and answers /healthz and JSON 404s", async () => {
    const s = await startServer({ compiled });
    const health = await fetch(`${s.base}/healthz`, { headers: { "x-request-id": "req-abc-123" } });
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    expect(health.headers.get("x-request-id")).toBe("req-abc-123");
    const fresh = await fetch(`${s.base}/healthz`);
    expect(fresh.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    // A header that does not look like an id is replaced.
    const odd = await fetch(`${s.base}/healthz`, { headers: { "x-request-id": "x".repeat(300) } });
    expect(odd.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);

    const missing = await get(`${s.base}/v1/nothing-here`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ success: false, error: expect.stringContaining("/v1/nothing-here") });
    expect(missing.headers.get("x-request-id")).toBeTruthy();
    const ingestError = await post(`${s.base}/v1/track`, {}, { ...ingest, "x-request-id": "req-400" });
    expect(ingestError.headers.get("x-request-id")).toBe("req-400");
    await until(async () => s.logs.some((l) => (l["req"] as { id?: string } | undefined)?.id === "req-400"));
  });

  it("answers an unexpected failure with 500 and no stack, logging it with the request id", async () => {
    const s = await startServer({ compiled, reload: () => async () => { throw new Error("disk on fire"); } });
    const r = await post(`${s.base}/v1/journeys/reload`, {}, { ...admin, "x-request-id": "req-500" });
    expect(r.status).toBe(500);
    expect(r.body).toEqual({ success: false, error: "internal error", requestId: "req-500" });
    expect(JSON.stringify(r.body)).not.toMatch(/disk on fire|at .*\.ts/);
    const logged = s.logs.find((l) => l["reqId"] === "req-500" && l["level"] === 50);
    expect(logged).toBeDefined();
    expect((logged!["err"] as { message: string }).message).toBe("disk on fire");
  });
});
