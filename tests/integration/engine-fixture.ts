// One Engine on a real Redis per test (a random prefix, cleaned up after), with drain deps
// and a push that leaves the drains to the test: for tests that drive drains themselves.
import { afterAll, afterEach, beforeEach } from "vitest";
import type { Redis } from "ioredis";
import { Message, resolveMessage, type Compiled } from "../../src/core/index.js";
import { producerConnection, ready } from "../../src/adapters/redis/connection.js";
import { Engine } from "../../src/adapters/pipeline/engine.js";
import type { DrainDeps } from "../../src/adapters/pipeline/drain.js";
import { PINGS } from "../helpers.js";
import { cleanup, quietLog, randomPrefix, redisUrl, stopRedis } from "./redis.js";

/** What a test sees: the connection, the prefix and the engine of the test running. */
export type EngineFixture = {
  redis: Redis; prefix: string; engine: Engine;
  /** Drain dependencies over `compiled`. */
  deps(compiled: Compiled): DrainDeps;
  /** Pushes Segment-shaped messages into the inboxes without queueing drains; returns their contacts. */
  push(messages: object[]): Promise<string[]>;
};

/** Registers the hooks of a suite whose tests each get a fresh engine. */
export function engineFixture(): EngineFixture {
  const f = {
    deps: (compiled: Compiled): DrainDeps => ({ redis: f.redis, keys: f.engine.keys, scripts: f.engine.scripts, queue: f.engine.queue, log: quietLog,
      compiled: () => compiled, workspace: () => ({}), batch: 100, journalMax: 1_000, streamMax: 10_000,
      // No worker runs wake jobs here: overdue wake-ups are evaluated in the drain itself.
      overdueGraceMs: 0 }),
    push: async (messages: object[]) => {
      const items = messages.map((m) => {
        const p = Message.parse(m);
        const r = resolveMessage(p, Date.parse(p.timestamp!));
        return { contact: r.contact!, item: { i: r.input, at: r.at, ...(r.mergeFrom ? { m: r.mergeFrom } : {}) } };
      });
      await f.engine.inbox.push(items, Date.now(), { queueDrains: false });
      return [...new Set(items.map((i) => i.contact))];
    },
  } as EngineFixture;
  beforeEach(async () => {
    f.redis = producerConnection(await redisUrl());
    await ready(f.redis);
    f.prefix = randomPrefix();
    f.engine = new Engine({ redis: f.redis, prefix: f.prefix, compiled: PINGS, log: quietLog });
  });
  afterEach(async () => {
    await f.engine.close();
    await cleanup(f.redis, f.prefix);
    f.redis.disconnect();
  });
  afterAll(stopRedis);
  return f;
}
