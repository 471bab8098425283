// /metrics (Prometheus text from prom-client), /readyz and /healthz, from the API and from
// the small probe server a `waymark worker` runs.
import { afterEach, describe, expect, it } from "vitest";
import { compileJourney } from "../helpers.js";
import { probeServer } from "../../src/adapters/probes.js";
import { until } from "../integration/redis.js";
import { actionServer, identify, track, type ActionServer } from "./actions.js";
import { basic, closeAll, journalUntil, ofType, post, startServer, WRITE_KEY } from "./server.js";

let a: ActionServer | undefined;
afterEach(async () => {
  await closeAll();
  await a?.close();
  a = undefined;
});

/** The value of one sample in Prometheus text, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    const m = /^([a-z_:]+)(?:\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries((m[2] ?? "").split(",").filter(Boolean).map((kv) => kv.split("=")).map(([k, v]) => [k, v!.replace(/^"|"$/g, "")]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

describe("metrics and probes", () => {
  it("counts ingest, evaluation, emails and shows queue depth per state", async () => {
    a = await actionServer();
    await a.send(identify("q1", { email: "q1@example.com" }), track("q1", "Signed Up"));
    const bad = await post(`${a.s.base}/v1/batch`, { batch: [{ type: "track", userId: "q1" }] }, { authorization: basic(WRITE_KEY) });
    expect(bad.status).toBe(400);
    await journalUntil(a.s, "q1", (j) => ofType(j, "email.sent").length === 1);
    const res = await fetch(`${a.s.base}/metrics`);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(sample(text, "waymark_ingest_messages_total", { route: "batch", outcome: "accepted" })).toBe(2);
    expect(sample(text, "waymark_ingest_messages_total", { route: "batch", outcome: "invalid" })).toBe(1);
    expect(sample(text, "waymark_inputs_evaluated_total")).toBe(2);
    expect(sample(text, "waymark_evaluation_seconds_count")).toBeGreaterThanOrEqual(1);
    expect(sample(text, "waymark_emails_total", { outcome: "sent" })).toBe(1);
    expect(sample(text, "waymark_queue_jobs", { queue: "email", state: "waiting" })).toBe(0);
    expect(sample(text, "waymark_queue_jobs", { queue: "contacts", state: "active" })).toBeDefined();
    expect(sample(text, "waymark_dead_letters")).toBe(0);
    expect(sample(text, "process_resident_memory_bytes")).toBeGreaterThan(0);
  });

  it("counts webhook outcomes and dead letters", async () => {
    a = await actionServer();
    a.hooks.answer = (_h, res) => res.writeHead(500).end();
    await a.send(track("q2", "Signed Up"), track("q2", "Pinged"));
    await until(async () => sample(await (await fetch(`${a!.s.base}/metrics`)).text(), "waymark_dead_letters") === 1);
    const text = await (await fetch(`${a.s.base}/metrics`)).text();
    expect(sample(text, "waymark_webhooks_total", { kind: "journey.webhook", outcome: "retried" })).toBe(2);
    expect(sample(text, "waymark_webhooks_total", { kind: "journey.webhook", outcome: "failed" })).toBe(1);
  });

  it("/readyz is 200 with Redis and journeys, 503 without journeys; the worker's probe server answers the same", async () => {
    a = await actionServer();
    expect(await (await fetch(`${a.s.base}/readyz`)).json()).toEqual({ ready: true, redis: true, journeys: 1 });
    const empty = await startServer({ compiled: { ...compileJourney("id: x\nentry: { event: E }\nstages: [ { id: a } ]\n"), journeys: [] } });
    const r = await fetch(`${empty.base}/readyz`);
    expect(r.status).toBe(503);
    expect(await r.json()).toMatchObject({ ready: false, journeys: 0 });

    const server = await probeServer({ metrics: a.s.runtime.metrics, redis: a.s.redis, journeys: () => 1 }, 0, "127.0.0.1");
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ ok: true });
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      expect(await (await fetch(`${base}/metrics`)).text()).toContain("waymark_timer_lateness_seconds_bucket");
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
