// One webhook attempt against a real HTTP receiver: Standard Webhooks signatures verified
// with the `standardwebhooks` package, classification of failures, schedules.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { deliver, parseRetryAfter, parseSchedule, retryDelay, secretBytes } from "../../src/adapters/webhooks/index.js";

const secret = `whsec_${Buffer.from("a shared secret of some length!!").toString("base64")}`;
const got: { path: string; headers: Record<string, string>; body: string }[] = [];
let server: Server;
let base = "";

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => { body += c.toString("utf8"); });
    req.on("end", () => {
      got.push({ path: req.url!, headers: req.headers as Record<string, string>, body });
      const path = req.url!;
      if (path === "/ok") res.writeHead(204).end();
      else if (path === "/busy") res.writeHead(500).end("database is down ".repeat(300));
      else if (path === "/slow-down") res.writeHead(429, { "retry-after": "3" }).end();
      else if (path === "/gone") res.writeHead(410).end();
      else if (path === "/moved") res.writeHead(302, { location: `${base}/ok` }).end();
      else if (path === "/hang") { /* never answers */ }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const target = (path: string, extra: object = {}) => ({ name: "t", url: `${base}${path}`, secret, timeoutMs: 300, ...extra });
const msg = { id: "fx_abc", type: "handoff.opened", timestamp: new Date("2026-11-24T10:00:00.000Z"), data: { handoff: "ho_1" } };

describe("deliver", () => {
  it("sends a body and headers that the standardwebhooks package verifies; configured headers cannot override them", async () => {
    const r = await deliver(target("/ok", { headers: { "X-Team": "sales", "Webhook-Id": "evil", "content-type": "text/plain" } }), msg);
    expect(r).toMatchObject({ ok: true, status: 204 });
    const h = got.at(-1)!;
    expect(JSON.parse(h.body)).toEqual({ type: "handoff.opened", timestamp: "2026-11-24T10:00:00.000Z", data: { handoff: "ho_1" } });
    expect(h.headers["webhook-id"]).toBe("fx_abc");
    expect(h.headers["x-team"]).toBe("sales");
    expect(h.headers["content-type"]).toBe("application/json");
    expect(Math.abs(Number(h.headers["webhook-timestamp"]) - Date.now() / 1000)).toBeLessThan(5);
    expect(new Webhook(secret).verify(h.body, h.headers)).toMatchObject({ type: "handoff.opened" });
    expect(() => new Webhook(`whsec_${Buffer.from("some other secret").toString("base64")}`).verify(h.body, h.headers)).toThrow();
  });

  it("classifies failures", async () => {
    const busy = await deliver(target("/busy"), msg);
    expect(busy).toMatchObject({ ok: false, status: 500, retryable: true, disable: false });
    expect(busy.ok === false && busy.error.length).toBeLessThan(2_100);
    expect(busy.ok === false && busy.error).toMatch(/^HTTP 500: database is down/);
    expect(await deliver(target("/slow-down"), msg)).toMatchObject({ ok: false, status: 429, retryable: true, retryAfterMs: 3_000 });
    expect(await deliver(target("/gone"), msg)).toMatchObject({ ok: false, status: 410, retryable: false, disable: true });
    expect(await deliver(target("/hang"), msg)).toMatchObject({ ok: false, retryable: true, error: "timed out after 300 ms" });
    const spare = createServer();
    await new Promise<void>((r) => spare.listen(0, "127.0.0.1", () => r()));
    const port = (spare.address() as AddressInfo).port;
    await new Promise((r) => spare.close(r));
    const closed = await deliver({ ...target("/"), url: `http://127.0.0.1:${port}/` }, msg);
    expect(closed).toMatchObject({ ok: false, retryable: true });
    expect(closed.ok === false && closed.error).toMatch(/ECONNREFUSED/);
  });

  it("never follows a redirect", async () => {
    const before = got.filter((h) => h.path === "/ok").length;
    const r = await deliver(target("/moved"), msg);
    expect(r).toMatchObject({ ok: false, status: 302, retryable: true });
    expect(r.ok === false && r.error).toMatch(/redirects are not followed/);
    expect(got.filter((h) => h.path === "/ok").length).toBe(before);
  });
});

describe("schedules", () => {
  it("parses durations and names a bad item", () => {
    expect(parseSchedule("0,5s,5m,30m,2h,5h,10h,10h")).toEqual([0, 5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 36_000_000]);
    expect(parseSchedule("0, 250ms ,1d")).toEqual([0, 250, 86_400_000]);
    expect(() => parseSchedule("0,5x")).toThrow(/item 2 \("5x"\)/);
    expect(() => parseSchedule("5")).toThrow(/item 1/);
  });

  it("gives the next delay, null when used up, and lets a longer Retry-After win (capped at a day)", () => {
    const s = [0, 5_000, 300_000];
    expect(retryDelay(s, 1)).toBe(5_000);
    expect(retryDelay(s, 3)).toBeNull();
    expect(retryDelay(s, 1, 60_000)).toBe(60_000);
    expect(retryDelay(s, 2, 1_000)).toBe(300_000);
    expect(retryDelay(s, 1, 10 * 86_400_000)).toBe(86_400_000);
    expect(parseRetryAfter("7", 0)).toBe(7_000);
    expect(parseRetryAfter(new Date(61_000).toUTCString(), 1_000)).toBe(60_000);
    expect(parseRetryAfter("soon", 0)).toBeUndefined();
  });

  it("refuses secrets that are not base64", () => {
    expect(secretBytes(secret).toString()).toBe("a shared secret of some length!!");
    expect(() => secretBytes("whsec_")).toThrow(/whsec_/);
    expect(() => secretBytes("not base64!")).toThrow(/whsec_/);
  });
});
