/**
 * Webhook delivery under failure: retries on the schedule with the same `webhook-id`,
 * Retry-After honoured, 410 disabling the endpoint, dead letters listed and replayed
 * through the admin API and `waymark dlq`.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { runDlq } from "../../src/cli/dlq.js";
import { until } from "../integration/redis.js";
import { actionServer, track, type ActionServer } from "./actions.js";
import { admin, closeAll, get, journalUntil, ofType } from "./server.js";

let a: ActionServer | undefined;
afterEach(async () => {
  await closeAll();
  await a?.close();
  a = undefined;
});

const ping = async (a: ActionServer, user: string) => a.send(track(user, "Signed Up"), track(user, "Pinged"));

describe("webhook delivery", () => {
  it("retries failures on the schedule with the same webhook-id, freshly signed", async () => {
    a = await actionServer();
    let failures = 2;
    a.hooks.answer = (h, res) => { if (h.path === "/crm" && failures-- > 0) res.writeHead(500).end("busy"); else res.writeHead(200).end(); };
    await ping(a, "w1");
    await until(async () => a!.hooks.of("/crm").length === 3);
    const tries = a.hooks.of("/crm");
    expect(new Set(tries.map((h) => h.headers["webhook-id"])).size).toBe(1);
    for (const h of tries) new Webhook(a.secret).verify(h.body, h.headers);
    expect(tries[1]!.at - tries[0]!.at).toBeGreaterThanOrEqual(150);
    expect(JSON.parse(tries[2]!.body)).toMatchObject({ type: "journey.webhook", data: { payload: { hello: "world" }, contact: { id: "w1" } } });
    expect((await get(`${a.s.base}/v1/dlq`)).body["total"]).toBe(0);
  });

  it("a failure is listed in time order, after its instant's records and before later ones", async () => {
    a = await actionServer();
    // The first webhook fails every attempt (it is given up after the last), the second goes through.
    let failing: string | undefined;
    a.hooks.answer = (h, res) => {
      if (h.path === "/crm") failing ??= h.headers["webhook-id"];
      res.writeHead(h.path === "/crm" && h.headers["webhook-id"] === failing ? 400 : 204).end();
    };
    const t0 = Date.now();
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    // One batch: both webhooks are decided (and committed) before the first one fails.
    await a.send({ ...track("w9", "Signed Up"), timestamp: at(0) }, { ...track("w9", "Pinged"), timestamp: at(0) }, { ...track("w9", "Pinged"), timestamp: at(1_000) });
    const j = await journalUntil(a.s, "w9", (x) => ofType(x, "webhook.failed").length === 1 && ofType(x, "webhook.sent").length === 2);
    expect(j.map((r) => r.at)).toEqual([...j.map((r) => r.at)].sort());
    const failed = j.findIndex((r) => r.type === "webhook.failed");
    expect(j[failed]).toMatchObject({ at: at(0), endpoint: "crm" });
    expect(j.slice(failed + 1).map((r) => `${r.at === at(1_000) ? "later" : "now"} ${r.type}`)).toEqual(["later trigger.fired", "later webhook.sent"]);
  });

  it("honours Retry-After on 429", async () => {
    a = await actionServer();
    let first = true;
    a.hooks.answer = (h, res) => {
      if (h.path === "/crm" && first) { first = false; res.writeHead(429, { "retry-after": "1" }).end(); } else res.writeHead(204).end();
    };
    await ping(a, "w2");
    await until(async () => a!.hooks.of("/crm").length === 2);
    const [t1, t2] = a.hooks.of("/crm");
    expect(t2!.at - t1!.at).toBeGreaterThanOrEqual(950);
  });

  it("410 disables the endpoint; later webhooks go to the dead letters; enable and replay delivers them", async () => {
    a = await actionServer();
    let gone = true;
    a.hooks.answer = (h, res) => res.writeHead(h.path === "/crm" && gone ? 410 : 204).end();
    await ping(a, "w3");
    await until(async () => ((await get(`${a!.s.base}/v1/dlq`)).body["total"] as number) === 1);
    const eps = (await get(`${a.s.base}/v1/endpoints`)).body["endpoints"] as { name: string; disabled: unknown }[];
    expect(eps.find((e) => e.name === "crm")!.disabled).toMatchObject({ status: 410 });
    await ping(a, "w4");
    await until(async () => ((await get(`${a!.s.base}/v1/dlq`)).body["total"] as number) === 2);
    expect(a.hooks.of("/crm")).toHaveLength(1); // the second was never attempted
    const items = (await get(`${a.s.base}/v1/dlq`)).body["items"] as { id: string; reason: string; contact: string }[];
    expect(items.map((d) => d.reason)).toEqual(["endpoint-disabled", "endpoint-disabled"]);
    expect((await get(`${a.s.base}/v1/dlq?name=email`)).body["total"]).toBe(0);
    expect((await get(`${a.s.base}/v1/dlq?name=journey.webhook&limit=1`)).body).toMatchObject({ total: 2, items: [{ contact: "w4" }] });
    expect(ofType(await journalUntil(a.s, "w4", (j) => ofType(j, "webhook.failed").length === 1), "webhook.failed")[0]).toMatchObject({ endpoint: "crm" });

    gone = false;
    const en = await fetch(`${a.s.base}/v1/endpoints/crm/enable`, { method: "POST", headers: admin });
    expect(en.status).toBe(200);
    const r = await fetch(`${a.s.base}/v1/dlq/replay`, { method: "POST", headers: { ...admin, "content-type": "application/json" }, body: JSON.stringify({ all: true }) });
    expect((await r.json() as { replayed: string[] }).replayed).toHaveLength(2);
    await until(async () => a!.hooks.of("/crm").filter((h) => h.headers["webhook-id"] && true).length === 3);
    const ids = a.hooks.of("/crm").map((h) => h.headers["webhook-id"]);
    expect(ids[1] === ids[0] || ids[2] === ids[0]).toBe(true); // the replay keeps the webhook-id
    expect((await get(`${a.s.base}/v1/dlq`)).body["total"]).toBe(0);
  });

  it("dead-letters after the last attempt; `waymark dlq list` shows it and `replay` delivers it", async () => {
    a = await actionServer();
    let down = true;
    a.hooks.answer = (h, res) => res.writeHead(h.path === "/crm" && down ? 503 : 204).end();
    await ping(a, "w5");
    await until(async () => ((await get(`${a!.s.base}/v1/dlq`)).body["total"] as number) === 1);
    expect(a.hooks.of("/crm")).toHaveLength(3);
    const env = { REDIS_URL: process.env["REDIS_URL"] ?? "redis://127.0.0.1:6379", WAYMARK_PREFIX: a.s.prefix };
    let out = "";
    expect(await runDlq({ action: "list" }, env, (s) => { out += s; })).toBe(0);
    expect(out).toMatch(/^1 dead letter\n/);
    expect(out).toContain("journey.webhook -> crm");
    expect(out).toContain("retries-exhausted after 3 attempts: HTTP 503");
    const id = /^(\S+) /m.exec(out.split("\n")[1]!)![1]!;
    down = false;
    out = "";
    expect(await runDlq({ action: "replay", ids: [id] }, env, (s) => { out += s; })).toBe(0);
    expect(out).toBe("replayed 1\n");
    await until(async () => a!.hooks.of("/crm").length === 4);
    let err = "";
    expect(await runDlq({ action: "replay", ids: ["nope"] }, env, () => undefined, (s) => { err += s; })).toBe(1);
    expect(err).toContain('no dead letter "nope"');
  });
});
