/**
 * A real Waymark HTTP server for the tests: a real Redis (random prefix, keys deleted
 * after), an Engine (with a worker unless told otherwise), the app listening on port 0,
 * and the logs captured as JSON objects.
 */
import type { AddressInfo } from "node:net";
import type { Server as HttpServer } from "node:http";
import { Writable } from "node:stream";
import pino from "pino";
import type { Redis } from "ioredis";
import type { Compiled, JournalRecord, Workspace } from "../../src/core/index.js";
import { loadConfig } from "../../src/adapters/config.js";
import type { Engine } from "../../src/adapters/pipeline/engine.js";
import { createRuntime, type Runtime } from "../../src/adapters/runtime.js";
import type { Template } from "../../src/adapters/templates.js";
import { producerConnection, ready, workerConnection } from "../../src/adapters/redis/connection.js";
import { createHttpServer } from "../../src/adapters/http/app.js";
import type { Reload } from "../../src/adapters/http/admin.js";
import { cleanup, randomPrefix, redisUrl, until } from "../integration/redis.js";

/** The write key every test server accepts (besides OTHER_KEY). */
export const WRITE_KEY = "wk_test_1234";
export const OTHER_KEY = "wk_other_5678";
/** The admin token of the test servers. */
export const ADMIN_TOKEN = "admin-token-0123456789";

/** A running test server. */
export type TestServer = {
  base: string;
  engine: Engine;
  runtime: Runtime;
  redis: Redis;
  prefix: string;
  /** Every log line written so far. */
  logs: Record<string, unknown>[];
  close(): Promise<void>;
};

/** Options of a test server. */
export type ServerOptions = {
  compiled: Compiled;
  workspace?: Workspace;
  templates?: Template[];
  /** Environment overrides (the defaults set the keys, the token and the prefix). */
  env?: Record<string, string | undefined>;
  /** No worker: messages stay in the inboxes. */
  noWorker?: boolean;
  reload?: (engine: Engine) => Reload;
};

const running: TestServer[] = [];

/** Starts a server; it is closed by `closeAll` (call it in afterEach). */
export async function startServer(o: ServerOptions): Promise<TestServer> {
  const url = await redisUrl();
  const prefix = randomPrefix();
  const config = loadConfig({
    REDIS_URL: url, WAYMARK_PREFIX: prefix, WAYMARK_WRITE_KEYS: `${WRITE_KEY}, ${OTHER_KEY}`, WAYMARK_ADMIN_TOKEN: ADMIN_TOKEN,
    WAYMARK_WORKER_CONCURRENCY: "4",
    ...o.env,
  });
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n").filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const log = pino({ level: "info" }, sink);
  const redis = producerConnection(url);
  const workerRedis = o.noWorker ? undefined : workerConnection(url);
  await Promise.all([ready(redis), ...(workerRedis ? [ready(workerRedis)] : [])]);
  const runtime = await createRuntime(config, { compiled: o.compiled, workspace: o.workspace ?? {}, templates: o.templates ?? [] }, log, redis, workerRedis);
  const { engine, secret, metrics } = runtime;
  const reload: Reload = o.reload ? o.reload(engine) : async () => ({ ok: true, journeys: engine.compiled.journeys.map((j) => j.id) });
  const server: HttpServer = await new Promise((resolve) => {
    const s = createHttpServer({ config, engine, log, reload, secret, metrics }).listen(0, "127.0.0.1", () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  const t: TestServer = {
    base: `http://127.0.0.1:${port}`, engine, runtime, redis, prefix, logs,
    async close() {
      await new Promise((r) => server.close(r));
      server.closeAllConnections();
      await runtime.close(2_000);
      await cleanup(redis, prefix);
      redis.disconnect();
      workerRedis?.disconnect();
    },
  };
  running.push(t);
  return t;
}

/** Closes every server started by this test. */
export async function closeAll(): Promise<void> {
  for (const s of running.splice(0)) await s.close();
}

/** `Authorization: Basic` with the write key as user name and an empty password. */
export function basic(key: string): string {
  return `Basic ${Buffer.from(`${key}:`).toString("base64")}`;
}

/** POSTs JSON (a string is sent as is) and returns the status, headers and parsed body. */
export async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** GETs JSON with the admin token (or the given headers). */
export async function get(url: string, headers: Record<string, string> = { authorization: `Bearer ${ADMIN_TOKEN}` }) {
  const res = await fetch(url, { headers });
  return { status: res.status, headers: res.headers, body: (await res.json()) as Record<string, unknown> };
}

/** The admin header. */
export const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A contact's journal through the admin API (empty while the contact is unknown). */
export async function journal(s: TestServer, contact: string, query = "limit=1000"): Promise<JournalRecord[]> {
  const r = await get(`${s.base}/v1/contacts/${encodeURIComponent(contact)}/journal?${query}`);
  if (r.status === 404) return [];
  if (r.status !== 200) throw new Error(`journal: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body["records"] as JournalRecord[];
}

/** Polls `fn` until it returns a value (not undefined), or fails after `ms`. */
export async function eventually<T>(fn: () => Promise<T | undefined>, ms = 10_000): Promise<T> {
  let out: T | undefined;
  await until(async () => (out = await fn()) !== undefined, ms);
  return out as T;
}

/** Polls the journal until `ok` holds for it. */
export async function journalUntil(s: TestServer, contact: string, ok: (j: JournalRecord[]) => boolean, ms = 10_000): Promise<JournalRecord[]> {
  return eventually(async () => {
    const j = await journal(s, contact);
    return ok(j) ? j : undefined;
  }, ms);
}

/** Journal records of a type. */
export function ofType(j: JournalRecord[], type: string): JournalRecord[] {
  return j.filter((r) => r.type === type);
}
