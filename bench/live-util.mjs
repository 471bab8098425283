// Helpers of bench/live.mjs: engine child processes, key clean-up, HTTP ingest, quantiles.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, openSync, readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { createServer } from "node:net";
import { Queue } from "bullmq";

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
export const WRITE_KEY = "bench-write-key";
export const ADMIN = "bench-admin-token-0123456789";
export const AUTH = `Basic ${Buffer.from(`${WRITE_KEY}:`).toString("base64")}`;

/** Keep-alive HTTP client (lighter than fetch, so the load generator steals less CPU). */
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
export function post(url, body) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "POST", agent, headers: { "content-type": "application/json", authorization: AUTH, "content-length": Buffer.byteLength(body) } }, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString() }));
      res.on("error", reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end(body);
  });
}
export const closeAgent = () => agent.destroy();

/** A random key prefix (keys live under `{prefix}`). */
export const newPrefix = (tag) => `bench-${tag}-${randomBytes(4).toString("hex")}`;

/** Deletes every key under `{prefix}` (SCAN MATCH + DEL), bounded. */
export async function cleanup(redis, prefix) {
  let cursor = "0", deleted = 0;
  for (let i = 0; i < 100_000; i++) {
    const [next, keys] = await redis.scan(cursor, "MATCH", `{${prefix}}*`, "COUNT", 1000);
    if (keys.length) deleted += await redis.del(...keys);
    cursor = next;
    if (cursor === "0") break;
  }
  return deleted;
}

/** A free loopback port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** p-quantile of a sorted array. */
const q = (a, p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : NaN);
/** Summary of samples (ms). */
export function summary(samples) {
  const a = [...samples].sort((x, y) => x - y);
  return { n: a.length, p50: q(a, 0.5), p90: q(a, 0.9), p99: q(a, 0.99), max: a.at(-1) ?? NaN, mean: a.reduce((s, x) => s + x, 0) / (a.length || 1) };
}

/** Demo values of the `${...}` secrets a journeys folder's waymark.yaml names. */
export function demoSecrets(folder) {
  const out = {};
  let text = "";
  try { text = readFileSync(`${folder}/waymark.yaml`, "utf8"); } catch { return out; }
  for (const [, name] of text.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) out[name] = "whsec_ZGVtby1zZWNyZXQtbm90LWZvci1wcm9kdWN0aW9u";
  return out;
}

/**
 * Starts `waymark start` (or `front`: `api`, the HTTP API alone) plus `workers` × `waymark
 * worker` on a free loopback port; waits for /healthz and for every BullMQ worker to
 * register. Returns { base, stop, pids, roles }.
 */
export async function startEngine({ redisUrl, redis, prefix, journeys, workers = 0, env = {}, name, front = "start" }) {
  const port = await freePort();
  mkdirSync(".waymark/bench", { recursive: true });
  const common = {
    ...process.env, ...demoSecrets(journeys), ...env, REDIS_URL: redisUrl, WAYMARK_PREFIX: prefix, PORT: String(port),
    WAYMARK_WRITE_KEYS: WRITE_KEY, WAYMARK_ADMIN_TOKEN: ADMIN, WAYMARK_JOURNEYS: journeys, LOG_LEVEL: "warn",
  };
  const roles = [front, ...Array.from({ length: workers }, () => "worker")];
  const procs = roles.map((role, i) => {
    const log = `.waymark/bench/${name}-${role}${i || ""}.log`;
    const p = spawn(process.execPath, [...(process.env.BENCH_NODE_ARGS ?? "").split(" ").filter(Boolean), "bin/waymark.js", role], { env: common, stdio: ["ignore", openSync(log, "w"), openSync(log, "a")] });
    p.exited = new Promise((r) => p.once("exit", (code) => r(code ?? -1)));
    p.log = log;
    return p;
  });
  const stop = async () => {
    for (const p of procs) if (p.exitCode === null) p.kill("SIGTERM");
    await Promise.all(procs.map((p) => Promise.race([p.exited, sleep(15_000).then(() => p.kill("SIGKILL"))])));
  };
  const base = `http://127.0.0.1:${port}`;
  const queue = new Queue("contacts", { connection: redis, prefix: `{${prefix}}` });
  try {
    for (let i = 0; ; i++) {
      const dead = procs.find((p) => p.exitCode !== null);
      if (dead) throw new Error(`engine process exited with ${dead.exitCode}; see ${dead.log}`);
      let up = false;
      try { up = (await fetch(`${base}/healthz`)).ok; } catch { /* not yet */ }
      if (up && (await queue.getWorkersCount()) >= roles.filter((r) => r !== "api").length) break;
      if (i > 300) throw new Error(`engine not ready after 30 s; see ${procs[0].log}`);
      await sleep(100);
    }
  } catch (e) {
    await stop();
    throw e;
  } finally {
    await queue.close();
  }
  return { base, stop, pids: procs.map((p) => p.pid), roles };
}

/** CPU seconds used so far by processes `pids` (Linux /proc; NaN elsewhere). */
export function cpuSeconds(pids) {
  try {
    return pids.reduce((sum, pid) => {
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      return sum + (Number(f[11]) + Number(f[12])) / 100;
    }, 0);
  } catch { return NaN; }
}

/** This process's CPU (user + system), seconds. */
export function ownCpuSeconds() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** CPU seconds Redis has used so far (INFO cpu). */
export async function redisCpuSeconds(redis) {
  const info = await redis.info("cpu");
  const n = (k) => Number(info.match(new RegExp(`${k}:([\\d.]+)`))?.[1] ?? NaN);
  return n("used_cpu_user") + n("used_cpu_sys");
}

/** POSTs messages to /v1/batch in batches of `size`, `inflight` requests at a time (429 retried). */
export async function postBatches(base, messages, { size = 500, inflight = 4, deadline }) {
  let next = 0;
  const one = async () => {
    for (;;) {
      const i = next;
      next += size;
      if (i >= messages.length) return;
      const body = JSON.stringify({ batch: messages.slice(i, i + size), sentAt: new Date().toISOString() });
      for (let attempt = 0; ; attempt++) {
        if (Date.now() > deadline || attempt > 100) throw new Error("ingest: out of time");
        const res = await post(`${base}/v1/batch`, body);
        if (res.status === 429) { await sleep(200); continue; }
        if (res.status !== 200) throw new Error(`ingest answered ${res.status}: ${res.text.slice(0, 500)}`);
        break;
      }
    }
  };
  await Promise.all(Array.from({ length: inflight }, one));
}

/** Waits until `{prefix}:backlog` is 0 and `{prefix}:pending` is empty (polled every `every` ms). */
export async function waitDrained(redis, prefix, deadline, every = 20) {
  for (;;) {
    const [[, backlog], [, pending]] = await redis.multi().get(`{${prefix}}:backlog`).zcard(`{${prefix}}:pending`).exec();
    if (Number(backlog ?? 0) === 0 && pending === 0) return Date.now();
    if (Date.now() > deadline) throw new Error(`not drained in time (backlog ${backlog}, pending ${pending})`);
    await sleep(every);
  }
}

/**
 * Reads `{prefix}:stream` from the start with XREAD BLOCK on its own connection, calling
 * `onRecord(record, readAt, commitMs)` per record (commitMs: the entry id's Redis time),
 * until `done()` or the deadline. Returns a promise of the number of entries read.
 */
export async function readStream(redis, prefix, onRecord, done, deadline) {
  const r = redis.duplicate();
  let last = "0-0", n = 0;
  try {
    while (!done() && Date.now() < deadline) {
      const res = await r.xread("COUNT", 2000, "BLOCK", 200, "STREAMS", `{${prefix}}:stream`, last);
      if (!res) continue;
      const readAt = Date.now();
      for (const [id, fields] of res[0][1]) {
        last = id;
        n++;
        onRecord(JSON.parse(fields[1]), readAt, Number(id.split("-")[0]));
      }
    }
  } finally {
    r.disconnect();
  }
  return n;
}

/** Redis's per-command counters (INFO commandstats): `{ cmd: { calls, usec } }`. */
export async function redisCommandStats(redis) {
  const out = {};
  for (const m of (await redis.info("commandstats")).matchAll(/cmdstat_([^:]+):calls=(\d+),usec=(\d+)/g)) out[m[1]] = { calls: Number(m[2]), usec: Number(m[3]) };
  return out;
}

/** Per-event command counts between two `redisCommandStats` snapshots, most-called first. */
export function commandsPerEvent(before, after, events) {
  const rows = Object.entries(after).map(([cmd, a]) => [cmd, (a.calls - (before[cmd]?.calls ?? 0)) / events, (a.usec - (before[cmd]?.usec ?? 0)) / events]);
  const total = rows.reduce((t, r) => t + r[1], 0);
  return { total, byCommand: Object.fromEntries(rows.filter((r) => r[1] > 0.005).sort((x, y) => y[1] - x[1]).map(([c, n, us]) => [c, { calls: +n.toFixed(3), usec: +us.toFixed(1) }])) };
}

/**
 * Times the delivery of the email jobs waiting or running under `prefix` (deferred ones, in
 * `delayed`, are not waited for) by the engine processes `pids`: { emails, seconds,
 * perSec, cpuUs, redisUs } (CPU per email, of those processes and of Redis).
 */
export async function timeEmails(redis, prefix, pids, deadline) {
  const q = new Queue("email", { connection: redis, prefix: `{${prefix}}` });
  try {
    const left = async () => { const c = await q.getJobCounts("wait", "active", "prioritized"); return c.wait + c.active + c.prioritized; };
    const emails = await left(), t0 = Date.now(), cpu0 = cpuSeconds(pids), r0 = await redisCpuSeconds(redis);
    while ((await left()) > 0) { if (Date.now() > deadline) throw new Error("emails not delivered in time"); await sleep(50); }
    const seconds = (Date.now() - t0) / 1000;
    const cpu = cpuSeconds(pids) - cpu0, rcpu = (await redisCpuSeconds(redis)) - r0;
    return { emails, seconds, perSec: emails / seconds, cpuUs: (cpu * 1e6) / emails, redisUs: (rcpu * 1e6) / emails };
  } finally { await q.close(); }
}
