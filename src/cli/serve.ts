/**
 * `waymark start | api | worker`: the live engine's processes. `start` runs the API and a
 * worker in one process; `api` and `worker` run them apart, as many as needed.
 */
import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import pino, { type Logger } from "pino";
import { compile, formatProblem, type Compiled, type Workspace } from "../core/index.js";
import { createRuntime } from "../adapters/runtime.js";
import { listenOn, probeServer } from "../adapters/probes.js";
import type { Template } from "../adapters/templates.js";
import { configWarnings, loadConfig, ConfigError, type Config } from "../adapters/config.js";
import { loadJourneyFolder } from "../adapters/journey-files.js";
import { checkNoEviction, producerConnection, ready, workerConnection, redactRedisUrl } from "../adapters/redis/connection.js";
import { findRedis } from "./local-redis.js";

/** Which parts a process runs. */
export type Role = "start" | "api" | "worker";

/** A deployable journeys folder. */
export type Loaded = { ok: true; compiled: Compiled; workspace: Workspace; templates: Template[]; ids: string[] };

/** Loads and compiles the journeys folder, or returns the problems. */
export async function loadJourneys(config: Config, env: Record<string, string | undefined>): Promise<Loaded | { ok: false; problems: string[] }> {
  const r = await loadJourneyFolder(config.WAYMARK_JOURNEYS, { env, requireEnv: true });
  if (!r.ok) return { ok: false, problems: r.problems.map(formatProblem) };
  return {
    ok: true, compiled: compile(r.definitions), workspace: r.definitions.workspace, templates: r.templates,
    ids: r.definitions.journeys.map((j) => j.journey.id),
  };
}

/** Runs a process until SIGTERM/SIGINT; returns the exit code. */
export async function serve(role: Role, env: Record<string, string | undefined> = process.env): Promise<number> {
  let config: Config;
  try {
    const redisUrl = role === "start" ? await findRedis(env, (s) => process.stderr.write(`${s}\n`)) : env["REDIS_URL"];
    config = loadConfig({ ...env, ...(redisUrl ? { REDIS_URL: redisUrl } : {}) });
  } catch (e) {
    process.stderr.write(`waymark: ${(e as Error).message}\n`);
    return e instanceof ConfigError ? 2 : 1;
  }
  const log = pino({ level: config.LOG_LEVEL, base: { role } });
  for (const w of configWarnings(config)) log.warn(w);
  const loaded = await loadJourneys(config, env);
  if (!loaded.ok) {
    for (const p of loaded.problems) process.stderr.write(`${p}\n`);
    process.stderr.write(`waymark: WAYMARK_JOURNEYS=${config.WAYMARK_JOURNEYS}: ${loaded.problems.length} problem${loaded.problems.length === 1 ? "" : "s"}, nothing started\n`);
    log.fatal({ problems: loaded.problems.length }, "journeys do not validate: nothing started");
    return 1;
  }
  const redis = producerConnection(config.REDIS_URL);
  const workerRedis = role === "api" ? undefined : workerConnection(config.REDIS_URL);
  // Connection errors are logged (at most one line per connection every 10 s), not dumped by ioredis as unhandled.
  for (const c of [redis, workerRedis]) {
    let last = 0;
    c?.on("error", (err: Error) => {
      if (Date.now() - last < 10_000) return;
      last = Date.now();
      log.warn({ err: err.message, redis: redactRedisUrl(config.REDIS_URL) }, "Redis connection error");
    });
  }
  try {
    await ready(redis);
  } catch (e) {
    process.stderr.write(`waymark: REDIS_URL: no Redis answers at ${redactRedisUrl(config.REDIS_URL)} (${(e as Error).message}); start one, or run docker compose up -d redis\n`);
    log.fatal({ err: e, redis: redactRedisUrl(config.REDIS_URL) }, "Redis is not reachable");
    redis.disconnect();
    workerRedis?.disconnect();
    return 1;
  }
  try {
    await checkNoEviction(redis);
  } catch (e) {
    log.fatal({ err: e }, "Redis is not usable");
    redis.disconnect();
    workerRedis?.disconnect();
    return 1;
  }
  const runtime = await createRuntime(config, loaded, log, redis, workerRedis);
  const { engine, secret, metrics } = runtime;
  log.info({ journeys: loaded.ids, redis: redactRedisUrl(config.REDIS_URL), prefix: config.WAYMARK_PREFIX }, "journeys deployed");

  // Reloads: local (SIGHUP, admin API) and announced to every other process on Redis.
  const channel = `${engine.keys.base}:reload`;
  const sub = redis.duplicate({ enableOfflineQueue: true });
  const reloadHere = async () => {
    const r = await loadJourneys(config, env);
    if (r.ok) {
      runtime.deploy(r);
      log.info({ journeys: r.ids }, "journeys reloaded");
    } else log.error({ problems: r.problems }, "reload failed: the running journeys stay");
    return r;
  };
  await sub.subscribe(channel);
  // Announcements name their process: the announcer reloaded already and skips its own.
  const me = randomUUID();
  sub.on("message", (_ch: string, from: string) => { if (from !== me) void reloadHere(); });
  const reload = async () => {
    const r = await reloadHere();
    if (r.ok) await redis.publish(channel, me);
    return r.ok ? { ok: true as const, journeys: r.ids } : r;
  };
  process.on("SIGHUP", () => void reload());

  let server: Server | undefined;
  let code = 0;
  try {
    if (role !== "worker") {
      const { createHttpServer } = await import("../adapters/http/app.js"); // workers never load express
      server = await listenOn(createHttpServer({ config, engine, log, reload, secret, metrics }), config.PORT, "PORT");
      log.info({ port: config.PORT }, "API listening");
    } else if (config.WAYMARK_METRICS_PORT !== undefined) {
      server = await probeServer({ metrics, redis, journeys: () => engine.compiled.journeys.length }, config.WAYMARK_METRICS_PORT);
      log.info({ port: config.WAYMARK_METRICS_PORT }, "probes listening (/healthz, /readyz, /metrics)");
    }
  } catch (e) {
    // A port taken (or not ours to take) stops the process, naming the variable, after
    // handing back what the workers had started.
    process.stderr.write(`waymark: ${(e as Error).message}\n`);
    log.fatal({ err: e }, "cannot listen: stopping");
    server = undefined;
    code = 1;
  }
  if (code === 0) {
    log.info("running (SIGHUP reloads the journeys, SIGTERM stops)");
    await new Promise<void>((r) => {
      process.once("SIGTERM", () => r());
      process.once("SIGINT", () => r());
    });
  }
  log.info("shutting down: finishing in-flight work");
  // One deadline for everything: the workers stop taking jobs at once (their running ones
  // get until the deadline) while the HTTP server finishes its open requests (whose pushes
  // still reach Redis: the queues close last).
  const ms = config.WAYMARK_SHUTDOWN_SECONDS * 1_000;
  const deadline = Date.now() + ms;
  const workers = runtime.stopWorkers(ms);
  if (server) await new Promise((r) => { server!.close(() => r(undefined)); setTimeout(r, ms).unref(); });
  await workers;
  await runtime.close(Math.max(0, deadline - Date.now()));
  sub.disconnect();
  await redis.quit().catch(() => undefined);
  await workerRedis?.quit().catch(() => undefined);
  log.info("stopped");
  return code;
}

/** For tests: a logger that writes nowhere. */
export const silent: Logger = pino({ level: "silent" });
