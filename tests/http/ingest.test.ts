// Segment-compatible ingest over real HTTP and a real Redis: write keys, size limits,
// validation (single and batch), messageId de-duplication, sentAt skew correction and
// back-pressure.
import { request } from "node:http";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { compileJourney } from "../helpers.js";
import { stopRedis, until } from "../integration/redis.js";
import { OTHER_KEY, WRITE_KEY, basic, closeAll, eventually, journal, journalUntil, ofType, post, startServer } from "./server.js";

afterEach(closeAll);
afterAll(stopRedis);

const compiled = compileJourney(`
id: ping
entry: { event: Go }
stages: [ { id: a } ]
triggers: [ { id: t, on: { event: Ping }, do: [ { set: { pinged: true } } ] } ]
`);
const auth = { authorization: basic(WRITE_KEY) };
const go = (userId: string, extra: object = {}) => ({ type: "track", userId, event: "Go", ...extra });

describe("write keys", () => {
  it("refuses without a key or with a wrong one (401), takes Basic auth and a body writeKey", async () => {
    const s = await startServer({ compiled });
    const none = await post(`${s.base}/v1/track`, go("a"));
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ success: false });
    expect(none.headers.get("www-authenticate")).toMatch(/^Basic/);
    expect((await post(`${s.base}/v1/track`, go("a"), { authorization: basic("wrong") })).status).toBe(401);
    expect((await post(`${s.base}/v1/track`, { ...go("a"), writeKey: "wrong" })).status).toBe(401);
    // An explicit header decides alone, even next to a valid body key.
    expect((await post(`${s.base}/v1/track`, { ...go("a"), writeKey: WRITE_KEY }, { authorization: basic("wrong") })).status).toBe(401);

    expect(await post(`${s.base}/v1/track`, go("basic"), auth)).toMatchObject({ status: 200, body: { success: true } });
    expect(await post(`${s.base}/v1/track`, go("other"), { authorization: basic(OTHER_KEY) })).toMatchObject({ status: 200 });
    // A Basic header with a password (ignored) still names the key as user.
    const withPassword = `Basic ${Buffer.from(`${WRITE_KEY}:x`).toString("base64")}`;
    expect((await post(`${s.base}/v1/track`, go("pw"), { authorization: withPassword })).status).toBe(200);
    expect(await post(`${s.base}/v1/track`, { ...go("body"), writeKey: WRITE_KEY })).toMatchObject({ status: 200, body: { success: true } });
    expect((await post(`${s.base}/v1/batch`, { batch: [go("batch")], writeKey: WRITE_KEY })).status).toBe(200);
    for (const c of ["basic", "other", "pw", "body", "batch"]) {
      await journalUntil(s, c, (j) => ofType(j, "journey.entered").length === 1);
    }
    expect(await journal(s, "a")).toEqual([]);
  });

  it("refuses everything with 401 when no write key is configured, and warns once", async () => {
    const s = await startServer({ compiled, env: { WAYMARK_WRITE_KEYS: undefined } });
    expect((await post(`${s.base}/v1/track`, go("a"), auth)).status).toBe(401);
    expect((await post(`${s.base}/v1/batch`, { batch: [go("a")], writeKey: "" })).status).toBe(401);
    expect(s.logs.filter((l) => String(l["msg"]).includes("WAYMARK_WRITE_KEYS")).length).toBe(1);
  });
});

describe("size limits", () => {
  const pad = (bytes: number) => ({ pad: "x".repeat(bytes) });

  it("answers 413 over 32 KB for one message and over 500 KB for a batch", async () => {
    const s = await startServer({ compiled });
    expect((await post(`${s.base}/v1/track`, go("small", { properties: pad(30_000) }), auth)).status).toBe(200);
    const big = await post(`${s.base}/v1/track`, go("big", { properties: pad(33 * 1024) }), auth);
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ success: false });
    expect(String(big.body["error"])).toMatch(/too large/);

    const under = Array.from({ length: 15 }, (_, i) => go(`u${i}`, { properties: pad(30_000) }));
    expect((await post(`${s.base}/v1/batch`, { batch: under }, auth)).status).toBe(200);
    const over = Array.from({ length: 18 }, (_, i) => go(`o${i}`, { properties: pad(30_000) }));
    expect((await post(`${s.base}/v1/batch`, { batch: over }, auth)).status).toBe(413);
    await journalUntil(s, "u14", (j) => j.length > 0);
    expect(await journal(s, "o0")).toEqual([]);
  });

  it("refuses an oversize item of a batch by its index and takes the others", async () => {
    const s = await startServer({ compiled });
    const r = await post(`${s.base}/v1/batch`, { batch: [go("ok1"), go("huge", { properties: pad(40_000) }), go("ok2")] }, auth);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, accepted: 2, issues: [{ index: 1, issues: [{ code: "too_big" }] }] });
    await journalUntil(s, "ok2", (j) => j.length > 0);
    await journalUntil(s, "ok1", (j) => j.length > 0);
    expect(await journal(s, "huge")).toEqual([]);
  });
});

describe("validation", () => {
  it("answers 400 with the zod issues for a malformed track", async () => {
    const s = await startServer({ compiled });
    const r = await post(`${s.base}/v1/track`, { userId: "x", properties: "nope" }, auth);
    expect(r.status).toBe(400);
    expect(r.body["success"]).toBe(false);
    const paths = (r.body["issues"] as { path: string[] }[]).map((i) => i.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["event", "properties"]));

    const noId = await post(`${s.base}/v1/identify`, { traits: { a: 1 } }, auth);
    expect(noId.status).toBe(400);
    expect(noId.body["issues"]).toEqual([expect.objectContaining({ path: ["userId"], message: expect.stringMatching(/userId or an anonymousId/) })]);
    // An empty userId is no userId: the contact is the anonymousId.
    expect((await post(`${s.base}/v1/track`, { userId: "", anonymousId: "anon-empty", event: "Go" }, auth)).status).toBe(200);
    expect(ofType(await journalUntil(s, "anon-empty", (j) => j.length > 0), "journey.entered")).toHaveLength(1);
    expect((await post(`${s.base}/v1/track`, { userId: "", anonymousId: "", event: "Go" }, auth)).status).toBe(400);
  });

  it("takes the type from the path, and refuses a contradicting type, acks and malformed JSON", async () => {
    const s = await startServer({ compiled });
    const { type: _, ...untyped } = go("t");
    expect((await post(`${s.base}/v1/track`, untyped, auth)).status).toBe(200);
    const unknown = await post(`${s.base}/v1/batch`, { batch: [{ ...untyped, type: "launch" }, untyped] }, auth);
    expect(unknown.body["issues"]).toEqual([
      { index: 0, issues: [expect.objectContaining({ path: ["type"], message: expect.stringMatching(/^type must be one of track/) })] },
      { index: 1, issues: [expect.objectContaining({ path: ["type"] })] },
    ]);
    const contra = await post(`${s.base}/v1/track`, { ...go("t"), type: "identify" }, auth);
    expect(contra.status).toBe(400);
    expect(contra.body["issues"]).toEqual([expect.objectContaining({ path: ["type"] })]);
    const ack = await post(`${s.base}/v1/batch`, { batch: [{ type: "ack", handoff: "ho_1" }] }, auth);
    expect(ack.status).toBe(400);
    expect(ack.body).toMatchObject({ accepted: 0, issues: [{ index: 0, issues: [{ path: ["type"] }] }] });
    const bad = await post(`${s.base}/v1/track`, "{not json", auth);
    expect(bad).toMatchObject({ status: 400, body: { success: false, error: "malformed JSON body" } });
    // Without a key the same body is refused for the key: it holds no readable writeKey.
    for (const path of ["/v1/track", "/v1/batch"]) expect((await post(`${s.base}${path}`, "{not json")).status).toBe(401);
    expect((await post(`${s.base}/v1/batch`, { batch: "no" }, auth)).status).toBe(400);
    // A body that does not decompress as its content-encoding says is the client's error too.
    for (const encoding of ["gzip", "deflate", "br"]) {
      const corrupt = await post(`${s.base}/v1/track`, "not compressed", { ...auth, "content-encoding": encoding });
      expect([encoding, corrupt.status, corrupt.body["error"]]).toEqual([encoding, 400, "malformed compressed body: it does not decompress as its content-encoding says"]);
    }
  });

  it("in a batch with one bad item, answers 400 naming index 1 and still takes the two good ones", async () => {
    const s = await startServer({ compiled });
    const r = await post(`${s.base}/v1/batch`, {
      batch: [
        { type: "track", userId: "g1", event: "Go" },
        { type: "track", userId: "b1" },
        { type: "identify", userId: "g2", traits: { plan: "pro" } },
      ],
    }, auth);
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ success: false, accepted: 2 });
    const issues = r.body["issues"] as { index: number; issues: { path: string[] }[] }[];
    expect(issues.map((i) => i.index)).toEqual([1]);
    expect(issues[0]!.issues[0]!.path).toEqual(["event"]);
    await journalUntil(s, "g1", (j) => ofType(j, "journey.entered").length === 1);
    // The identify enters no journey: its traits show on the contact.
    const view = await eventually(async () => {
      const v = await fetch(`${s.base}/v1/contacts/g2`, { headers: { authorization: `Bearer admin-token-0123456789` } });
      return v.status === 200 ? ((await v.json()) as { traits: Record<string, unknown> }) : undefined;
    });
    expect(view.traits).toEqual({ plan: "pro" });
    expect(await journal(s, "b1")).toEqual([]);
  });
});

describe("de-duplication", () => {
  it("accepts a repeated messageId (200) and evaluates it once", async () => {
    const s = await startServer({ compiled });
    expect((await post(`${s.base}/v1/track`, { ...go("d"), messageId: "m-go" }, auth)).status).toBe(200);
    const ping = { userId: "d", event: "Ping", messageId: "m-ping" };
    expect(await post(`${s.base}/v1/track`, ping, auth)).toMatchObject({ status: 200, body: { success: true } });
    expect(await post(`${s.base}/v1/track`, ping, auth)).toMatchObject({ status: 200, body: { success: true } });
    expect((await post(`${s.base}/v1/batch`, { batch: [{ ...ping, type: "track" }] }, auth)).status).toBe(200);
    // A later, distinct message: once it is evaluated, everything before it was too.
    expect((await post(`${s.base}/v1/track`, { userId: "d", event: "Ping", messageId: "m-ping-2" }, auth)).status).toBe(200);
    const j = await journalUntil(s, "d", (x) => ofType(x, "trigger.fired").length >= 2);
    expect(ofType(j, "trigger.fired")).toHaveLength(2);
  });
});

describe("event time", () => {
  it("corrects client clock skew with sentAt (single message and batch-level sentAt)", async () => {
    const s = await startServer({ compiled });
    const hour = 3_600_000;
    const t0 = Date.now();
    // The client's clock runs an hour ahead; the event happened 10 minutes before sending.
    const iso = (ms: number) => new Date(ms).toISOString();
    expect((await post(`${s.base}/v1/track`, { ...go("skew1"), timestamp: iso(t0 + hour - 600_000), sentAt: iso(t0 + hour) }, auth)).status).toBe(200);
    expect((await post(`${s.base}/v1/batch`, { batch: [{ ...go("skew2"), timestamp: iso(t0 + hour) }], sentAt: iso(t0 + hour) }, auth)).status).toBe(200);
    // Without sentAt, the timestamp is taken as it is; so it is when sentAt is within the
    // tolerance of the receipt time (transit, retries: the clocks agree).
    expect((await post(`${s.base}/v1/track`, { ...go("noskew"), timestamp: iso(t0 - 2 * hour) }, auth)).status).toBe(200);
    expect((await post(`${s.base}/v1/track`, { ...go("inside"), timestamp: iso(t0 - 2 * hour), sentAt: iso(t0 - 20_000) }, auth)).status).toBe(200);
    expect((await post(`${s.base}/v1/track`, { ...go("outside"), timestamp: iso(t0 - 2 * hour), sentAt: iso(t0 - 120_000) }, auth)).status).toBe(200);
    const at = async (c: string) => Date.parse(ofType(await journalUntil(s, c, (j) => ofType(j, "journey.entered").length > 0), "journey.entered")[0]!.at);
    expect(Math.abs((await at("skew1")) - (t0 - 600_000))).toBeLessThan(5_000);
    expect(Math.abs((await at("skew2")) - t0)).toBeLessThan(5_000);
    expect(await at("noskew")).toBe(t0 - 2 * hour);
    expect(await at("inside")).toBe(t0 - 2 * hour);
    // Two minutes behind: corrected by the skew (received at t0 or a little later).
    expect(Math.abs((await at("outside")) - (t0 - 2 * hour + 120_000))).toBeLessThan(5_000);
  });

  it("clamps a time far in the future (no sentAt) to a minute after receipt", async () => {
    const s = await startServer({ compiled });
    const t0 = Date.now();
    expect((await post(`${s.base}/v1/track`, { ...go("future"), timestamp: new Date(t0 + 30 * 86_400_000).toISOString() }, auth)).status).toBe(200);
    const j = await journalUntil(s, "future", (r) => ofType(r, "journey.entered").length > 0);
    const at = Date.parse(ofType(j, "journey.entered")[0]!.at);
    expect(at).toBeGreaterThanOrEqual(t0);
    expect(at).toBeLessThanOrEqual(Date.now() + 60_000);
  });
});

describe("back-pressure", () => {
  it("answers 429 with Retry-After over the configured backlog, and takes messages again once it drops", async () => {
    const s = await startServer({ compiled, noWorker: true, env: { WAYMARK_MAX_BACKLOG: "3" } });
    await s.redis.set(s.engine.keys.backlog, 10);
    const r = await post(`${s.base}/v1/track`, go("bp"), auth);
    expect(r.status).toBe(429);
    expect(Number(r.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(r.body).toMatchObject({ success: false });
    expect((await post(`${s.base}/v1/batch`, { batch: [go("bp")] }, auth)).status).toBe(429);
    expect(await s.redis.llen(s.engine.keys.inbox("bp"))).toBe(0);

    await s.redis.set(s.engine.keys.backlog, 0);
    await until(async () => (await post(`${s.base}/v1/track`, go("bp"), auth)).status === 200, 5_000, 50);
    expect(await s.redis.llen(s.engine.keys.inbox("bp"))).toBe(1);
  });
});

/** A POST by node:http: `chunked` sends no Content-Length (so the express routes answer, not the fast path). */
function rawPost(base: string, path: string, body: string, headers: Record<string, string>, chunked: boolean): Promise<{ status: number; type: string; id: string; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: "POST", headers: { "content-type": "application/json", ...headers, ...(chunked ? {} : { "content-length": String(Buffer.byteLength(body)) }) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode!, type: String(res.headers["content-type"]), id: String(res.headers["x-request-id"]), body: JSON.parse(Buffer.concat(chunks).toString()) }));
    });
    req.on("error", reject);
    if (chunked) req.write(body.slice(0, 1));
    req.end(chunked ? body.slice(1) : body);
  });
}

describe("fast path", () => {
  it("answers every case as the express routes do (status, body, content type, request id)", async () => {
    const s = await startServer({ compiled });
    const cases: [string, string][] = [
      ["/v1/track", JSON.stringify(go("fp1"))],
      ["/v1/track", JSON.stringify({ type: "track", event: "Go" })],
      ["/v1/identify", JSON.stringify({ userId: "fp2", traits: { plan: "pro" } })],
      ["/v1/track", "{not json"],
      ["/v1/track", "\"a string\""],
      ["/v1/batch", JSON.stringify({ batch: [go("fp3"), { type: "track" }, go("fp4")] })],
      ["/v1/b", JSON.stringify({ batch: "no" })],
      ["/v1/batch", JSON.stringify({ batch: [go("fp3")] })],
    ];
    for (const [path, body] of cases) {
      const fast = await rawPost(s.base, path, body, auth, false);
      const slow = await rawPost(s.base, path, body, auth, true);
      expect({ ...fast, id: undefined }, `${path} ${body}`).toEqual({ ...slow, id: undefined });
      expect(fast.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(fast.type).toBe("application/json; charset=utf-8");
    }
    // Both paths took their messages (and de-duplicated nothing they should not have).
    await journalUntil(s, "fp4", (j) => j.length > 0);
    expect(await s.redis.llen(s.engine.keys.inbox("fp1"))).toBe(0);
    // An incoming request id is honoured on the fast path too.
    const own = await new Promise<string>((resolve) => {
      const req = request(`${s.base}/v1/track`, { method: "POST", headers: { ...auth, "x-request-id": "req-from-proxy-1", "content-length": String(Buffer.byteLength(JSON.stringify(go("fp5")))) } }, (res) => { res.resume(); resolve(String(res.headers["x-request-id"])); });
      req.end(JSON.stringify(go("fp5")));
    });
    expect(own).toBe("req-from-proxy-1");
  });
});
