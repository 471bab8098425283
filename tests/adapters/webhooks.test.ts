// One webhook attempt against a real HTTP receiver: Standard Webhooks signatures verified
// with the `standardwebhooks` package, classification of failures, schedules.
import { createHmac } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import {
  DEFAULT_SCHEDULE, deliver, parseRetryAfter, parseSchedule, retryDelay, secretBytes, signature, webhookHeaders,
} from "../../src/adapters/webhooks/index.js";

const secret = `whsec_${Buffer.from("a shared secret of some length!!").toString("base64")}`;
type Got = { path: string; headers: IncomingHttpHeaders; body: string };
const got: Got[] = [];
const elsewhere: Got[] = [];
let server: Server;
let other: Server;
let base = "";
let otherBase = "";
const retryAt = new Date(Date.now() + 120_000);

/** A receiver that records each request, then answers by path. */
function receiver(log: Got[], answer: (path: string, res: import("node:http").ServerResponse) => void): Server {
  return createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => { body += c.toString("utf8"); });
    req.on("end", () => {
      log.push({ path: req.url!, headers: req.headers, body });
      answer(req.url!, res);
    });
  });
}
const listen = async (s: Server) => {
  await new Promise<void>((r) => s.listen(0, "127.0.0.1", () => r()));
  return `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
};
const stop = async (s: Server) => {
  s.closeAllConnections();
  await new Promise((r) => s.close(r));
};

beforeAll(async () => {
  other = receiver(elsewhere, (_p, res) => res.writeHead(200).end("ok"));
  otherBase = await listen(other);
  server = receiver(got, (path, res) => {
    if (path === "/ok") res.writeHead(204).end();
    else if (path === "/busy") res.writeHead(500).end("database is down ".repeat(300));
    else if (path === "/slow-down") res.writeHead(429, { "retry-after": "3" }).end();
    else if (path === "/maintenance") res.writeHead(503, { "retry-after": retryAt.toUTCString() }).end("back soon");
    else if (path === "/bad") res.writeHead(400).end();
    else if (path === "/gone") res.writeHead(410).end("endpoint removed");
    else if (path === "/moved") res.writeHead(302, { location: `${otherBase}/hook` }).end();
    else if (path === "/hang") { /* never answers */ }
  });
  base = await listen(server);
});
afterAll(async () => {
  await stop(server);
  await stop(other);
});

const target = (path: string, extra: object = {}) => ({ name: "t", url: `${base}${path}`, secret, timeoutMs: 1_000, ...extra });
const msg = { id: "fx_abc", type: "handoff.opened", timestamp: new Date(), data: { handoff: "ho_1", name: "Zoë" } };

describe("deliver", () => {
  it("sends the exact body and headers, which the standardwebhooks package verifies", async () => {
    const r = await deliver(target("/ok"), msg);
    expect(r).toMatchObject({ ok: true, status: 204 });
    const h = got.at(-1)!;
    expect(h.body).toBe(JSON.stringify({ type: "handoff.opened", timestamp: msg.timestamp.toISOString(), data: { handoff: "ho_1", name: "Zoë" } }));
    expect(h.headers["webhook-id"]).toBe("fx_abc");
    expect(h.headers["content-type"]).toBe("application/json");
    expect(h.headers["user-agent"]).toBe("Waymark-Webhooks/1");
    expect(h.headers["webhook-signature"]).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(new Webhook(secret).verify(h.body, h.headers as Record<string, string>)).toEqual(JSON.parse(h.body));
  });

  it("fails verification with a wrong secret", async () => {
    await deliver(target("/ok"), msg);
    const h = got.at(-1)!;
    const wrong = `whsec_${Buffer.from("some other secret").toString("base64")}`;
    expect(() => new Webhook(wrong).verify(h.body, h.headers as Record<string, string>)).toThrow(/No matching signature/);
    expect(() => new Webhook(secret).verify(h.body.replace("ho_1", "ho_2"), h.headers as Record<string, string>)).toThrow();
  });

  it("sends configured headers but never lets them override the webhook-* headers", async () => {
    const headers = {
      "X-Team": "sales", "Webhook-Id": "evil", "WEBHOOK-SIGNATURE": "v1,forged", "webhook-timestamp": "1", "Content-Type": "text/plain",
    };
    await deliver(target("/ok", { headers }), msg);
    const h = got.at(-1)!;
    expect(h.headers["x-team"]).toBe("sales");
    expect(h.headers["webhook-id"]).toBe("fx_abc");
    expect(h.headers["content-type"]).toBe("application/json");
    expect(h.headers["webhook-signature"]).not.toContain("forged");
    expect(h.headers["webhook-timestamp"]).not.toBe("1");
    expect(new Webhook(secret).verify(h.body, h.headers as Record<string, string>)).toMatchObject({ type: "handoff.opened" });
  });

  it("signs each attempt at its own time, so a retry of an old event still verifies", async () => {
    const old = { ...msg, timestamp: new Date(Date.now() - 3 * 3_600_000) };
    await deliver(target("/ok"), old);
    const h = got.at(-1)!;
    expect(Math.abs(Number(h.headers["webhook-timestamp"]) - Date.now() / 1_000)).toBeLessThan(5);
    expect(JSON.parse(h.body).timestamp).toBe(old.timestamp.toISOString());
    expect(new Webhook(secret).verify(h.body, h.headers as Record<string, string>)).toMatchObject({ timestamp: old.timestamp.toISOString() });
  });

  it("retries a 500 and reports at most 2 KB of its body", async () => {
    const r = await deliver(target("/busy"), msg);
    expect(r).toMatchObject({ ok: false, status: 500, retryable: true, disable: false });
    if (r.ok) throw new Error("expected a failure");
    expect(r.error).toMatch(/^HTTP 500: database is down database is down/);
    expect(r.error.length).toBeLessThanOrEqual("HTTP 500: ".length + 2_048);
    expect(r.retryAfterMs).toBeUndefined();
  });

  it("retries other 4xx", async () => {
    expect(await deliver(target("/bad"), msg)).toMatchObject({ ok: false, status: 400, retryable: true, disable: false, error: "HTTP 400" });
  });

  it("reads Retry-After from a 429 (seconds) and a 503 (HTTP-date)", async () => {
    expect(await deliver(target("/slow-down"), msg)).toMatchObject({ ok: false, status: 429, retryable: true, retryAfterMs: 3_000 });
    const r = await deliver(target("/maintenance"), msg);
    expect(r).toMatchObject({ ok: false, status: 503, retryable: true, error: "HTTP 503: back soon" });
    const wait = r.ok ? 0 : r.retryAfterMs!;
    expect(wait).toBeGreaterThan(110_000);
    expect(wait).toBeLessThanOrEqual(120_000);
  });

  it("disables the endpoint on 410 Gone", async () => {
    expect(await deliver(target("/gone"), msg)).toMatchObject({ ok: false, status: 410, retryable: false, disable: true, error: "HTTP 410: endpoint removed" });
  });

  it("times out a receiver that never answers", async () => {
    const t0 = Date.now();
    expect(await deliver(target("/hang", { timeoutMs: 200 }), msg)).toEqual({ ok: false, ms: expect.any(Number), retryable: true, disable: false, error: "timed out after 200 ms" });
    expect(Date.now() - t0).toBeLessThan(2_000);
  });

  it("retries a refused connection and names the error code", async () => {
    const spare = createServer();
    const url = await listen(spare);
    await new Promise((r) => spare.close(r));
    const r = await deliver({ ...target("/"), url: `${url}/` }, msg);
    expect(r).toMatchObject({ ok: false, retryable: true, disable: false });
    expect(r.ok ? "" : r.error).toMatch(/ECONNREFUSED/);
  });

  it("never follows a redirect: the payload goes nowhere but the declared URL", async () => {
    const r = await deliver(target("/moved"), msg);
    expect(r).toMatchObject({ ok: false, status: 302, retryable: true, disable: false });
    expect(r.ok ? "" : r.error).toMatch(/redirects are not followed/);
    expect(got.at(-1)!.path).toBe("/moved");
    expect(elsewhere).toEqual([]);
  });
});

describe("signing", () => {
  it("matches the standardwebhooks package byte for byte", () => {
    const body = JSON.stringify({ a: "ü" });
    expect(signature(secret, "msg_1", 1_700_000_000, body)).toBe(new Webhook(secret).sign("msg_1", new Date(1_700_000_000_000), body));
    expect(webhookHeaders(secret, "msg_1", 1_700_000_000, body)).toMatchObject({ "webhook-id": "msg_1", "webhook-timestamp": "1700000000" });
  });

  it("reads whsec_ secrets as receivers' libraries do, refuses broken ones, and uses a plain string as it is", () => {
    expect(secretBytes(secret).toString()).toBe("a shared secret of some length!!");
    expect(secretBytes("YWJj").toString()).toBe("abc");
    expect(() => secretBytes("whsec_")).toThrow(/empty/);
    expect(() => secretBytes("")).toThrow(/empty/);
    for (const bad of ["whsec_YWI", "whsec_YW-_", "whsec_ YWJj", "whsec_YWJj===="]) {
      expect(() => secretBytes(bad), bad).toThrow(/not valid base64/);
      expect(() => new Webhook(bad), bad).toThrow();
    }
    // A plain secret signs with its own bytes: what a receiver computing the HMAC by hand expects.
    const body = "{}";
    const mac = createHmac("sha256", "not base64!").update(`m.1.${body}`).digest("base64");
    expect(signature("not base64!", "m", 1, body)).toBe(`v1,${mac}`);
  });
});

describe("schedules", () => {
  it("parses durations", () => {
    expect(parseSchedule(DEFAULT_SCHEDULE)).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(parseSchedule("0, 250ms ,1.5s,1d")).toEqual([0, 250, 1_500, 86_400_000]);
  });

  it("names a bad item", () => {
    expect(() => parseSchedule("0,5x")).toThrow(/item 2 \("5x"\)/);
    expect(() => parseSchedule("5")).toThrow(/item 1 \("5"\)/);
    expect(() => parseSchedule("0,,5s")).toThrow(/item 2 \(""\)/);
    expect(() => parseSchedule("-5s")).toThrow(/item 1/);
    expect(() => parseSchedule(" ")).toThrow(/empty/);
  });

  it("gives the next delay, null when used up, and lets a longer Retry-After win (capped at a day)", () => {
    const s = [0, 5_000, 300_000];
    expect(retryDelay(s, 1)).toBe(5_000);
    expect(retryDelay(s, 2)).toBe(300_000);
    expect(retryDelay(s, 3)).toBeNull();
    expect(retryDelay(s, 3, 1_000)).toBeNull();
    expect(retryDelay(s, 1, 60_000)).toBe(60_000);
    expect(retryDelay(s, 2, 1_000)).toBe(300_000);
    expect(retryDelay(s, 1, 10 * 86_400_000)).toBe(86_400_000);
  });

  it("parses Retry-After as seconds or an HTTP-date, never negative", () => {
    expect(parseRetryAfter("7", 0)).toBe(7_000);
    expect(parseRetryAfter(" 0 ", 0)).toBe(0);
    expect(parseRetryAfter(new Date(61_000).toUTCString(), 1_000)).toBe(60_000);
    expect(parseRetryAfter(new Date(0).toUTCString(), 1_000_000)).toBe(0);
    expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", Date.UTC(1994, 10, 6, 8, 49, 30))).toBe(7_000);
    for (const bad of [null, "", "soon", "-3", "1.5", "3s", "Nov 2026"]) expect(parseRetryAfter(bad, 0), String(bad)).toBeUndefined();
  });
});
