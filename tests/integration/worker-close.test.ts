// Shutdown within a deadline: a BullMQ worker whose job runs on past the time given is left
// to run (its lock lapses, another worker takes it) instead of holding the process.
import { Queue, Worker } from "bullmq";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import type { Redis } from "ioredis";
import { producerConnection, ready, workerConnection } from "../../src/adapters/redis/connection.js";
import { closeWithin } from "../../src/adapters/worker-close.js";
import { cleanup, randomPrefix, redisUrl, stopRedis, until } from "./redis.js";

let redis: Redis;
let prefix: string;
beforeEach(async () => {
  redis = producerConnection(await redisUrl());
  await ready(redis);
  prefix = randomPrefix();
});
afterEach(async () => {
  await cleanup(redis, prefix);
  redis.disconnect();
});
afterAll(stopRedis);

describe("closeWithin", () => {
  it("waits for a short job, and gives up on a long one at the deadline", async () => {
    const conn = workerConnection(await redisUrl());
    const queue = new Queue("slow", { connection: redis, prefix: `{${prefix}}` });
    let started = 0;
    let release: () => void = () => undefined;
    const hold = new Promise<void>((r) => { release = r; });
    const w = new Worker("slow", async (job) => { started++; if (job.name === "long") await hold; }, { connection: conn, prefix: `{${prefix}}` });
    try {
      await queue.add("short", {});
      await until(async () => (await queue.getCompletedCount()) === 1);
      await queue.add("long", {});
      await until(async () => started === 2);
      const t = Date.now();
      expect(await closeWithin(w, 300)).toBe(false);
      expect(Date.now() - t).toBeLessThan(2_000);
    } finally {
      release();
      await w.close();
      await queue.close();
      conn.disconnect();
    }
  });

  it("returns true when the running jobs end in time", async () => {
    const conn = workerConnection(await redisUrl());
    const queue = new Queue("quick", { connection: redis, prefix: `{${prefix}}` });
    const w = new Worker("quick", async () => new Promise((r) => setTimeout(r, 100)), { connection: conn, prefix: `{${prefix}}` });
    try {
      await queue.add("a", {});
      await until(async () => (await queue.getActiveCount()) === 1, 5_000, 5);
      expect(await closeWithin(w, 5_000)).toBe(true);
    } finally {
      await queue.close();
      conn.disconnect();
    }
  });
});
