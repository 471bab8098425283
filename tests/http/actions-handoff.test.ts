/**
 * Hand-offs and audiences end to end: Standard Webhooks signatures verified with the
 * `standardwebhooks` package, round-robin owners, the SLA breach at its instant with
 * `onBreach`, acknowledgement by signed link, listings by status, audience membership
 * with TTL (JSON and CSV) and batched `audience.changed` webhooks.
 */
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { until } from "../integration/redis.js";
import { actionServer, identify, pathOf, track, type ActionServer } from "./actions.js";
import { admin, closeAll, get, journalUntil, ofType } from "./server.js";

let a: ActionServer | undefined;
afterEach(async () => {
  await closeAll();
  await a?.close();
  a = undefined;
});

type Body = { type: string; timestamp: string; data: Record<string, unknown> };
const body = (h: { body: string }) => JSON.parse(h.body) as Body;

describe("hand-offs", () => {
  it("sends a signed handoff.opened with the contact's context, round-robin owners, and breaches at the SLA", async () => {
    a = await actionServer();
    await a.send(
      identify("p1", { email: "p1@example.com", company: "Acme" }), track("p1", "Signed Up"), track("p1", "Demo Requested"),
      identify("p2", { email: "p2@example.com" }), track("p2", "Signed Up"), track("p2", "Demo Requested"),
    );
    await until(async () => a!.hooks.of("/crm", "handoff.opened").length === 2);
    const wh = new Webhook(a.secret);
    const opened = a.hooks.of("/crm", "handoff.opened").map((h) => {
      wh.verify(h.body, h.headers); // throws on a bad signature
      expect(h.headers["x-team"]).toBe("sales");
      return { h, b: body(h) };
    });
    expect(() => new Webhook(`whsec_${Buffer.from("another secret!").toString("base64")}`).verify(opened[0]!.h.body, opened[0]!.h.headers)).toThrow();
    const p1 = opened.find((o) => (o.b.data["contact"] as { id: string }).id === "p1")!;
    expect(p1.b.data).toMatchObject({
      journey: "onboarding", team: "sales", stage: "demo", contact: { id: "p1", traits: { company: "Acme" } },
    });
    expect(p1.h.headers["webhook-id"]).toMatch(/^fx_/);
    expect(Array.isArray(p1.b.data["journal"])).toBe(true);
    expect(typeof p1.b.data["dueAt"]).toBe("string");
    expect(opened.map((o) => o.b.data["owner"]).sort()).toEqual(["ana", "ben"]);

    // Acknowledge p1 through its signed link (no admin token); p2 breaches after 2 s.
    const ack = await fetch(`${a.s.base}${pathOf(p1.b.data["ackUrl"] as string)}`, { method: "POST" });
    expect(ack.status).toBe(200);
    const forged = await fetch(`${a.s.base}/v1/handoffs/${p1.b.data["handoff"] as string}/ack?token=nope`, { method: "POST" });
    expect(forged.status).toBe(401);
    await journalUntil(a.s, "p1", (j) => ofType(j, "handoff.resolved").length === 1);
    const j2 = await journalUntil(a.s, "p2", (j) => ofType(j, "handoff.breached").length === 1, 10_000);
    const opened2 = ofType(j2, "handoff.opened")[0]!;
    expect(Date.parse(ofType(j2, "handoff.breached")[0]!.at)).toBe(Date.parse(opened2["dueAt"] as string));
    await until(async () => a!.hooks.of("/crm", "handoff.breached").length === 1 && a!.hooks.of("/manager", "journey.webhook").length === 1);
    const esc = body(a.hooks.of("/manager", "journey.webhook")[0]!);
    expect(esc.data).toMatchObject({ journey: "onboarding", payload: { escalate: true }, contact: { id: "p2" } });

    const open = await get(`${a.s.base}/v1/handoffs?status=open`);
    const breached = await get(`${a.s.base}/v1/handoffs?status=breached`);
    const resolved = await get(`${a.s.base}/v1/handoffs?status=resolved`);
    expect(open.body["handoffs"]).toEqual([]);
    expect((breached.body["handoffs"] as { contact: string }[]).map((h) => h.contact)).toEqual(["p2"]);
    expect((resolved.body["handoffs"] as { contact: string; resolvedBy: string }[])).toMatchObject([{ contact: "p1", resolvedBy: "ack" }]);
    const bad = await get(`${a.s.base}/v1/handoffs?status=lost`);
    expect(bad.status).toBe(400);
  });

  it("tells the contact as it was when the step was decided, not what later events of the same batch changed", async () => {
    a = await actionServer();
    const t0 = Date.now() - 1_000;
    const at = (ms: number) => ({ timestamp: new Date(t0 + ms).toISOString() });
    await a.send(
      { ...identify("p5", { email: "p5@example.com", company: "Acme" }), ...at(0) }, { ...track("p5", "Signed Up"), ...at(100) },
      { ...track("p5", "Demo Requested"), ...at(200) }, { ...identify("p5", { company: "Globex" }), ...at(300) },
      { ...track("p5", "Pinged"), ...at(400) }, { ...track("p5", "Account Closed"), ...at(500) },
    );
    await until(async () => a!.hooks.of("/crm", "handoff.opened").length === 1 && a!.hooks.of("/crm", "journey.webhook").length === 1);
    const opened = body(a.hooks.of("/crm", "handoff.opened")[0]!).data;
    expect(opened).toMatchObject({ stage: "demo", contact: { id: "p5", traits: { company: "Acme" } } });
    const journal = opened["journal"] as { at: string; type: string }[];
    // Up to the hand-off's instant (the welcome email's outcome may be there too): not the ping's trigger, nor the exit.
    expect(journal.map((r) => r.type)).toContain("handoff.opened");
    expect(journal.filter((r) => r.type === "trigger.fired").map((r) => (r as { trigger?: string }).trigger)).not.toContain("ping");
    expect(journal.map((r) => r.type)).not.toContain("journey.exited");
    expect(journal.every((r) => r.at <= (opened["openedAt"] as string))).toBe(true);
    const ping = body(a.hooks.of("/crm", "journey.webhook")[0]!).data;
    expect(ping).toMatchObject({ stage: "demo", payload: { hello: "world" }, contact: { id: "p5", traits: { company: "Globex" } } });
    // The contact now: the run ended with Account Closed.
    expect((await get(`${a.s.base}/v1/contacts/p5`)).body).toMatchObject({ traits: { company: "Globex" }, journeys: { onboarding: { active: false } } });
  });

  it("resolves by the resolvedBy event and by the team acknowledgement", async () => {
    a = await actionServer();
    await a.send(track("p3", "Signed Up"), track("p3", "Demo Requested"), track("p4", "Signed Up"), track("p4", "Demo Requested"));
    await journalUntil(a.s, "p4", (j) => ofType(j, "handoff.opened").length === 1);
    await a.send(track("p3", "Lead Contacted"));
    const r = await fetch(`${a.s.base}/v1/handoffs/ack`, { method: "POST", headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify({ userId: "p4", team: "sales" }) });
    expect(r.status).toBe(200);
    expect(ofType(await journalUntil(a.s, "p3", (j) => ofType(j, "handoff.resolved").length === 1), "handoff.resolved")[0]).toMatchObject({ by: "event" });
    expect(ofType(await journalUntil(a.s, "p4", (j) => ofType(j, "handoff.resolved").length === 1), "handoff.resolved")[0]).toMatchObject({ by: "ack" });
  });
});

describe("a hand-off whose run ends unresolved", () => {
  it("is cancelled: off the open list, on the cancelled one, and an ack answers 409", async () => {
    a = await actionServer();
    await a.send(track("p5", "Signed Up"), track("p5", "Demo Requested"));
    const opened = ofType(await journalUntil(a.s, "p5", (j) => ofType(j, "handoff.opened").length === 1), "handoff.opened")[0]!;
    const id = opened["handoff"] as string;
    await a.send(track("p5", "Account Closed"));
    await journalUntil(a.s, "p5", (j) => ofType(j, "journey.exited").length === 1);
    await until(async () => ((await get(`${a!.s.base}/v1/handoffs?status=cancelled`)).body["handoffs"] as unknown[]).length === 1);
    const cancelled = await get(`${a.s.base}/v1/handoffs?status=cancelled`);
    expect(cancelled.body["handoffs"]).toMatchObject([{ id, contact: "p5", status: "cancelled", cancelledAt: expect.any(String) }]);
    expect((await get(`${a.s.base}/v1/handoffs?status=open`)).body["handoffs"]).toEqual([]);
    const ack = await fetch(`${a.s.base}/v1/handoffs/${id}/ack`, { method: "POST", headers: admin });
    expect(ack.status).toBe(409);
    // Past its SLA (2 s): no breach for a run that ended.
    await new Promise((r) => setTimeout(r, 2_500));
    expect((await get(`${a.s.base}/v1/handoffs?status=breached`)).body["handoffs"]).toEqual([]);
  });
});

describe("audiences", () => {
  it("sends a batch as soon as WAYMARK_AUDIENCE_BATCH changes wait, without waiting for the timer", async () => {
    a = await actionServer({ env: { WAYMARK_AUDIENCE_BATCH: "2", WAYMARK_AUDIENCE_WAIT_MS: "600000" } });
    for (const u of ["b1", "b2", "b3"]) await a.send(track(u, "Signed Up"), track(u, "Demo Requested"));
    // Three additions, batches of two: a full batch goes at once (the timer is 10 minutes).
    await until(async () => a!.hooks.of("/ads", "audience.changed").length >= 1);
    const first = body(a.hooks.of("/ads", "audience.changed")[0]!).data;
    expect((first["added"] as unknown[]).length + (first["removed"] as unknown[]).length).toBe(2);
  });

  it("moves an anonymous visitor's memberships (audiences, stage sets) to the user it merges into", async () => {
    a = await actionServer({ env: { WAYMARK_AUDIENCE_WAIT_MS: "60000" } });
    const anon = (event: string) => ({ type: "track", anonymousId: "anon-9", event, properties: {}, timestamp: new Date().toISOString() });
    await a.send(anon("Signed Up"), anon("Demo Requested"));
    const k = a.s.engine.keys;
    await until(async () => (await a!.s.redis.zscore(k.audience("demo-requesters"), "anon-9")) !== null);
    expect(await a.s.redis.zscore(k.inStage("onboarding", "demo"), "anon-9")).not.toBeNull();
    await a.send({ type: "identify", userId: "user-9", anonymousId: "anon-9", traits: { email: "u9@example.com" }, timestamp: new Date().toISOString() });
    await until(async () => (await a!.s.redis.zscore(k.audience("demo-requesters"), "user-9")) !== null);
    expect(await a.s.redis.zscore(k.audience("demo-requesters"), "anon-9")).toBeNull();
    expect(await a.s.redis.zscore(k.inStage("onboarding", "demo"), "anon-9")).toBeNull();
    expect(await a.s.redis.zscore(k.inStage("onboarding", "demo"), "user-9")).not.toBeNull();
    const members = (await get(`${a.s.base}/v1/audiences/demo-requesters`)).body["members"] as { contact: string; email: string }[];
    expect(members).toEqual([expect.objectContaining({ contact: "user-9", email: "u9@example.com" })]);
  });

  it("keeps members with their TTL, lists them as JSON and CSV, and batches audience.changed webhooks", async () => {
    a = await actionServer();
    await a.send(
      identify("m1", { email: "M1@Example.com" }), track("m1", "Signed Up"), track("m1", "Demo Requested"),
      identify("m2", { email: "m2@example.com" }), track("m2", "Signed Up"), track("m2", "Demo Requested"),
    );
    const members = await until(async () => {
      const r = await get(`${a!.s.base}/v1/audiences/demo-requesters`);
      return (r.body["size"] as number) === 2 ? r.body : undefined;
    });
    expect(members!["name"]).toBe("Prospects who asked for a demo");
    const m1 = (members!["members"] as { contact: string; email: string; expiresAt: string }[]).find((m) => m.contact === "m1")!;
    expect(m1.email).toBe("M1@Example.com");
    expect(Date.parse(m1.expiresAt)).toBeGreaterThan(Date.now());
    const csv = await fetch(`${a.s.base}/v1/audiences/demo-requesters`, { headers: { ...admin, accept: "text/csv" } });
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toBe("contact,email,expiresAt");
    expect(lines.slice(1).map((l) => l.split(",")[0]).sort()).toEqual(["m1", "m2"]);
    expect((await get(`${a.s.base}/v1/audiences/nobody`)).status).toBe(404);

    // The sync: one batch with both additions (the wait is 200 ms), then removals at the TTL.
    await until(async () => a!.hooks.of("/ads", "audience.changed").length >= 1);
    const wh = new Webhook(a.secret);
    const first = a.hooks.of("/ads", "audience.changed")[0]!;
    wh.verify(first.body, first.headers);
    const added = a.hooks.of("/ads", "audience.changed").flatMap((h) => body(h).data["added"] as { contact: string; emailSha256?: string }[]);
    expect(added.map((x) => x.contact).sort()).toEqual(["m1", "m2"]);
    expect(added.find((x) => x.contact === "m1")!.emailSha256).toBe(createHash("sha256").update("m1@example.com").digest("hex"));
    await until(async () => a!.hooks.of("/ads", "audience.changed").flatMap((h) => body(h).data["removed"] as unknown[]).length === 2, 10_000);
    const after = await get(`${a.s.base}/v1/audiences/demo-requesters`);
    expect(after.body["size"]).toBe(0);
  });
});
