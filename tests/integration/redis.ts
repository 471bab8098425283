/**
 * One real Redis for the integration tests: REDIS_URL when set, else a container started
 * with testcontainers (for contributors with Docker). Each test gets a random prefix and
 * its keys are deleted after.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pino from "pino";

let url: string | undefined = process.env["REDIS_URL"];
let container: { stop(): Promise<unknown> } | undefined;

/** The Redis URL, starting a container if no REDIS_URL is set. */
export async function redisUrl(): Promise<string> {
  if (url) return url;
  const { RedisContainer } = await import("@testcontainers/redis");
  const c = await new RedisContainer("redis:7-alpine").withCommand(["redis-server", "--maxmemory-policy", "noeviction"]).start();
  container = c;
  url = c.getConnectionUrl();
  return url;
}

/** Stops the container, if this run started one. */
export async function stopRedis(): Promise<void> {
  await container?.stop();
}

/** A random key prefix for one test. */
export function randomPrefix(): string {
  return `t${randomBytes(6).toString("hex")}`;
}

/** Deletes every key under `{prefix}`. */
export async function cleanup(r: Redis, prefix: string): Promise<void> {
  let cursor = "0";
  do {
    const [next, keys] = await r.scan(cursor, "MATCH", `{${prefix}}*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await r.del(...keys);
  } while (cursor !== "0");
}

/** A quiet logger for tests. */
export const quietLog = pino({ level: process.env["LOG_LEVEL"] ?? "silent" });

/** Polls `fn` until it returns a truthy value or `ms` pass. */
export async function until<T>(fn: () => Promise<T>, ms = 10_000, every = 20): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, every));
  }
}
