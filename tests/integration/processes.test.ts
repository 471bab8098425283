// Worker processes on one stream: three `waymark worker` processes keep every contact's
// order, and killing a worker mid-stream (kill -9) loses and doubles nothing. Each
// contact's live journal must equal what `simulate` prints for the same events.
import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { Message, resolveMessage } from "../../src/core/index.js";
import { loadJourneyFolder } from "../../src/adapters/journey-files.js";
import { compile } from "../../src/core/index.js";
import { producerConnection, ready } from "../../src/adapters/redis/connection.js";
import { Engine } from "../../src/adapters/pipeline/engine.js";
import { readJournal } from "../../src/adapters/redis/journal.js";
import { simulate } from "../helpers.js";
import { cleanup, quietLog, randomPrefix, redisUrl, stopRedis, until } from "./redis.js";

const DIR = "tests/fixtures/live/order";
const T0 = Date.parse("2026-03-02T09:00:00.000Z");

let redis: Redis;
let prefix: string;
let url: string;
let workers: ChildProcess[] = [];
let producer: Engine;

beforeEach(async () => {
  url = await redisUrl();
  redis = producerConnection(url);
  await ready(redis);
  prefix = randomPrefix();
  const load = await loadJourneyFolder(DIR, { env: {} });
  if (!load.ok) throw new Error("fixture does not validate");
  producer = new Engine({ redis, prefix, compiled: compile(load.definitions), log: quietLog });
});
afterEach(async () => {
  for (const w of workers) w.kill("SIGKILL");
  workers = [];
  await producer.close();
  await cleanup(redis, prefix);
  redis.disconnect();
});
afterAll(stopRedis);

function worker(): ChildProcess {
  const w = spawn(process.execPath, ["bin/waymark.js", "worker"], {
    env: {
      ...process.env, REDIS_URL: url, WAYMARK_PREFIX: prefix, WAYMARK_JOURNEYS: DIR, LOG_LEVEL: "error",
      WAYMARK_WORKER_CONCURRENCY: "4", WAYMARK_BATCH: "3", WAYMARK_LOCK_SECONDS: "2",
    },
    stdio: ["ignore", "ignore", "inherit"],
  });
  workers.push(w);
  return w;
}

/** Start + Step 1..10 for each contact, one second apart, as Segment messages. */
function stream(contacts: number): object[] {
  const out: object[] = [];
  for (let c = 0; c < contacts; c++) {
    const userId = `c${c}`;
    out.push({ type: "track", userId, event: "Start", timestamp: new Date(T0 + c).toISOString(), messageId: `${userId}-0` });
    for (let n = 1; n <= 10; n++) {
      out.push({ type: "track", userId, event: "Step", properties: { n }, timestamp: new Date(T0 + n * 1000 + c).toISOString(), messageId: `${userId}-${n}` });
    }
  }
  return out.sort((a, b) => ((a as { timestamp: string }).timestamp < (b as { timestamp: string }).timestamp ? -1 : 1));
}

async function push(messages: object[]): Promise<void> {
  await producer.inbox.push(messages.map((m) => {
    const p = Message.parse(m);
    const r = resolveMessage(p, Date.parse(p.timestamp!));
    return { contact: r.contact!, item: { i: r.input, at: r.at }, messageId: p.messageId! };
  }), Date.now());
}

async function drained(): Promise<boolean> {
  return (await producer.inbox.backlog()) === 0 && (await redis.zcard(producer.keys.pending)) === 0;
}

async function expectJournalsEqualSimulate(messages: object[], contacts: number): Promise<void> {
  const expected = simulate(producer.compiled, messages).records;
  for (let c = 0; c < contacts; c++) {
    const id = `c${c}`;
    const got = await readJournal(redis, producer.keys, id);
    expect(got, id).toEqual(expected.filter((r) => r.contact === id));
    expect(got.filter((r) => r.type === "trait.set"), id).toHaveLength(1);
  }
}

describe("worker processes", () => {
  it("three workers keep every contact's order", async () => {
    const contacts = 60;
    const messages = stream(contacts);
    worker(); worker(); worker();
    for (let i = 0; i < messages.length; i += 37) await push(messages.slice(i, i + 37));
    await until(drained, 60_000, 100);
    await expectJournalsEqualSimulate(messages, contacts);
  }, 90_000);

  it("killing workers mid-stream (kill -9, three times) loses and doubles nothing", async () => {
    const contacts = 60;
    const messages = stream(contacts);
    let victim = worker();
    worker();
    const quarter = Math.ceil(messages.length / 4);
    for (let q = 0; q < 4; q++) {
      const part = messages.slice(q * quarter, (q + 1) * quarter);
      for (let i = 0; i < part.length; i += 29) await push(part.slice(i, i + 29));
      if (q < 3) {
        await until(async () => (await producer.queue.getActiveCount()) > 0 || (await drained()), 5_000, 5);
        victim.kill("SIGKILL");
        victim = worker();
      }
    }
    // Re-sent messages (a client retrying after the crash) are ignored by messageId.
    await push(messages.slice(0, 50));
    await until(drained, 60_000, 100);
    await expectJournalsEqualSimulate(messages, contacts);
  }, 90_000);
});
