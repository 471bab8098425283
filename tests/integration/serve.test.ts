// The processes as an operator meets them: bad configuration stops with the variable's
// name; a reload that fails validation keeps the running journeys; SIGHUP reloads; SIGTERM
// stops gracefully.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { cleanup, randomPrefix, redisUrl, stopRedis, until } from "./redis.js";

afterAll(stopRedis);

const ADMIN = "test-admin-token-0123456789";

describe("waymark start", () => {
  it("stops at once on a bad variable, naming it", async () => {
    const r = spawnSync(process.execPath, ["bin/waymark.js", "worker"], {
      env: { ...process.env, REDIS_URL: await redisUrl(), PORT: "http", WAYMARK_BATCH: "-3" }, encoding: "utf8", timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("PORT");
    expect(r.stderr).toContain("WAYMARK_BATCH");
  });

  it("refuses journeys whose secret is empty, naming the variable, the position and WAYMARK_JOURNEYS", async () => {
    const r = spawnSync(process.execPath, ["bin/waymark.js", "worker"], {
      env: { ...process.env, REDIS_URL: await redisUrl(), WAYMARK_PREFIX: randomPrefix(), WAYMARK_JOURNEYS: "tests/fixtures/valid/full", CRM_SECRET: "", ADS_SECRET: "c2VjcmV0LXR3bw==" },
      encoding: "utf8", timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("tests/fixtures/valid/full/waymark.yaml:9:13: environment variable CRM_SECRET is empty");
    expect(r.stderr).toContain("waymark: WAYMARK_JOURNEYS=tests/fixtures/valid/full: 1 problem, nothing started");
  });

  it("stops naming REDIS_URL when no Redis answers there", () => {
    // Port 1 on loopback: nothing listens (connection refused at once).
    const r = spawnSync(process.execPath, ["bin/waymark.js", "worker"], {
      env: { ...process.env, REDIS_URL: "redis://127.0.0.1:1", WAYMARK_PREFIX: randomPrefix(), WAYMARK_JOURNEYS: "tests/fixtures/live/order" }, encoding: "utf8", timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("REDIS_URL: no Redis answers at redis://127.0.0.1:1");
    expect(`${r.stdout}${r.stderr}`).not.toContain("Unhandled error event");
  });

  it("stops naming PORT when the port is taken, after handing back what it started", async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, "127.0.0.1", () => r()));
    const port = (taken.address() as AddressInfo).port;
    const prefix = randomPrefix();
    try {
      const child = spawn(process.execPath, ["bin/waymark.js", "start"], {
        env: { ...process.env, REDIS_URL: await redisUrl(), WAYMARK_PREFIX: prefix, PORT: String(port), WAYMARK_JOURNEYS: "tests/fixtures/live/order", LOG_LEVEL: "silent" },
        stdio: ["ignore", "ignore", "pipe"],
      });
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => { stderr += b.toString(); });
      const code = await new Promise<number | null>((r) => child.once("exit", r));
      expect(code).toBe(1);
      expect(stderr).toBe(`waymark: PORT=${port}: cannot listen: it is in use by another process\n`);
    } finally {
      taken.close();
      const redis = new Redis(await redisUrl());
      await cleanup(redis, prefix);
      redis.disconnect();
    }
  });

  it("waymark dlq names REDIS_URL in one line when no Redis answers, without ioredis's dumps", () => {
    const r = spawnSync(process.execPath, ["bin/waymark.js", "dlq", "list"], {
      env: { ...process.env, REDIS_URL: "redis://127.0.0.1:1", WAYMARK_PREFIX: randomPrefix() }, encoding: "utf8", timeout: 20_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^waymark: REDIS_URL: no Redis answers at redis:\/\/127\.0\.0\.1:1 \([^\n]*\)\n$/);
  });

  it("keeps the running journeys on a bad reload, reloads on SIGHUP, stops on SIGTERM", async () => {
    const url = await redisUrl();
    const prefix = randomPrefix();
    const dir = mkdtempSync(join(tmpdir(), "waymark-serve-"));
    cpSync("tests/fixtures/live/order", dir, { recursive: true });
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    let log = "";
    const p = spawn(process.execPath, ["bin/waymark.js", "start"], {
      env: { ...process.env, REDIS_URL: url, WAYMARK_PREFIX: prefix, WAYMARK_JOURNEYS: dir, PORT: String(port), WAYMARK_ADMIN_TOKEN: ADMIN, WAYMARK_WRITE_KEYS: "k", LOG_LEVEL: "info" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    p.stdout!.on("data", (d) => { log += String(d); });
    p.stderr!.on("data", (d) => { log += String(d); });
    const redis = new Redis(url);
    try {
      await until(async () => log.includes("API listening"), 20_000, 50);
      const reload = () => fetch(`http://127.0.0.1:${port}/v1/journeys/reload`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
      const file = join(dir, "order.yaml");
      const good = readFileSync(file, "utf8");
      writeFileSync(file, good.replace("id: order", "id: Order!"));
      const bad = await reload();
      expect(bad.status).toBe(422);
      expect(JSON.stringify(await bad.json())).toContain("order.yaml:");
      const journeys = await fetch(`http://127.0.0.1:${port}/v1/journeys`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(((await journeys.json()) as { journeys: { id: string }[] }).journeys.map((j) => j.id)).toEqual(["order"]);
      writeFileSync(file, good.replace("id: order", "id: order-v2"));
      p.kill("SIGHUP");
      await until(async () => log.includes("journeys reloaded") && log.includes("order-v2"), 10_000, 50);
      // Its own announcement (for the other processes) does not reload it a second time.
      await new Promise((r) => setTimeout(r, 500));
      expect(log.split("journeys reloaded").length - 1).toBe(1);
      p.kill("SIGTERM");
      const code = await new Promise<number | null>((r) => p.once("exit", (c) => r(c)));
      expect(code).toBe(0);
      expect(log).toContain("stopped");
    } finally {
      p.kill("SIGKILL");
      await cleanup(redis, prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it("a reload by the API is announced: a separate worker process reloads too, once", async () => {
    const url = await redisUrl();
    const prefix = randomPrefix();
    const dir = mkdtempSync(join(tmpdir(), "waymark-serve-"));
    cpSync("tests/fixtures/live/order", dir, { recursive: true });
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const env = { ...process.env, REDIS_URL: url, WAYMARK_PREFIX: prefix, WAYMARK_JOURNEYS: dir, PORT: String(port), WAYMARK_ADMIN_TOKEN: ADMIN, WAYMARK_WRITE_KEYS: "k", LOG_LEVEL: "info" };
    const logs = { api: "", worker: "" };
    const procs = (["api", "worker"] as const).map((role) => {
      const p = spawn(process.execPath, ["bin/waymark.js", role], { env, stdio: ["ignore", "pipe", "pipe"] });
      for (const s of [p.stdout!, p.stderr!]) s.on("data", (d) => { logs[role] += String(d); });
      return p;
    });
    const redis = new Redis(url);
    try {
      // "running": subscribed to reload announcements, and serving.
      await until(async () => logs.api.includes("running (") && logs.worker.includes("running ("), 20_000, 50);
      const file = join(dir, "order.yaml");
      writeFileSync(file, readFileSync(file, "utf8").replace("id: order", "id: order-v2"));
      const r = await fetch(`http://127.0.0.1:${port}/v1/journeys/reload`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
      expect(r.status).toBe(200);
      await until(async () => logs.worker.includes("journeys reloaded") && logs.worker.includes("order-v2"), 10_000, 50);
      await new Promise((res) => setTimeout(res, 500));
      expect(logs.api.split("journeys reloaded").length - 1).toBe(1);
      expect(logs.worker.split("journeys reloaded").length - 1).toBe(1);
    } finally {
      for (const p of procs) p.kill("SIGKILL");
      await cleanup(redis, prefix);
      redis.disconnect();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
