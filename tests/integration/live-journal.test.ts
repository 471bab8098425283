// The live engine's journal equals `simulate`'s for the same events: the contract's worked
// example (events with past timestamps) and a time-based journey with durations of seconds.
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { Message, resolveMessage, type Compiled, type JournalRecord } from "../../src/core/index.js";
import { producerConnection, ready, workerConnection } from "../../src/adapters/redis/connection.js";
import { Engine } from "../../src/adapters/pipeline/engine.js";
import { CONTACTS_PER_JOB } from "../../src/adapters/pipeline/inbox.js";
import { loadConfig } from "../../src/adapters/config.js";
import { decodeState } from "../../src/adapters/redis/codec.js";
import { RECORD_TAG, unpackContact } from "../../src/adapters/redis/contact-record.js";
import { openLines } from "../../src/adapters/redis/journal-write.js";
import { readState } from "../../src/adapters/redis/state.js";
import { readJournal } from "../../src/adapters/redis/journal.js";
import { createRuntime, type Deployable, type Runtime } from "../../src/adapters/runtime.js";
import { exampleDeployable, exampleEvents } from "../example.js";
import { compileJourney, PINGS, simulate } from "../helpers.js";
import { cleanup, quietLog, randomPrefix, redisUrl, stopRedis, until } from "./redis.js";

let redis: Redis;
let workerRedis: Redis;
let prefix: string;
let runtimes: Runtime[] = [];

beforeEach(async () => {
  const url = await redisUrl();
  redis = producerConnection(url);
  workerRedis = workerConnection(url);
  await Promise.all([ready(redis), ready(workerRedis)]);
  prefix = randomPrefix();
});
afterEach(async () => {
  for (const r of runtimes) await r.close(2_000);
  runtimes = [];
  await cleanup(redis, prefix);
  redis.disconnect();
  workerRedis.disconnect();
});
afterAll(stopRedis);

/** A process's engine and action workers (emails go to a log transport: no SMTP_URL). */
async function start(compiled: Compiled, more: Partial<Deployable> = {}, env: Record<string, string> = {}): Promise<Engine> {
  const config = loadConfig({ REDIS_URL: await redisUrl(), WAYMARK_PREFIX: prefix, WAYMARK_WORKER_CONCURRENCY: "4", ...env });
  const r = await createRuntime(config, { compiled, workspace: {}, templates: [], ...more }, quietLog, redis, workerRedis);
  runtimes.push(r);
  return r.engine;
}

async function push(e: Engine, messages: object[]): Promise<void> {
  const items = messages.map((m) => {
    const p = Message.parse(m);
    const r = resolveMessage(p, Date.parse(p.timestamp!));
    return { contact: r.contact!, item: { i: r.input, at: r.at, ...(r.mergeFrom ? { m: r.mergeFrom } : {}) }, ...(p.messageId ? { messageId: p.messageId } : {}) };
  });
  await e.inbox.push(items, Date.now());
}

/** Waits until no inbox holds anything and no contact waits for a drain. */
function drained(e: Engine): Promise<boolean> {
  return until(async () => (await e.inbox.backlog()) === 0 && (await redis.zcard(e.keys.pending)) === 0);
}

async function journal(e: Engine, contact: string): Promise<JournalRecord[]> {
  return readJournal(redis, e.keys, contact);
}

/** A contact's journal once it holds at least `ready` records (or `ready` says it is done). */
async function journalOnce(e: Engine, contact: string, ready: number | ((j: JournalRecord[]) => boolean), ms?: number): Promise<JournalRecord[]> {
  return until(async () => {
    const j = await journal(e, contact);
    return (typeof ready === "number" ? j.length >= ready : ready(j)) ? j : undefined;
  }, ms) as Promise<JournalRecord[]>;
}

describe("live journal", () => {
  it("equals simulate's for the contract's worked example", async () => {
    const d = await exampleDeployable();
    const events = exampleEvents();
    const expected = simulate(d.compiled, events).records;
    expect(expected.map((r) => r.type)).toContain("email.sent");
    const e = await start(d.compiled, d);
    await push(e, events);
    const got = await journalOnce(e, "lea", expected.length);
    expect(got).toEqual(expected);
  });

  it("evaluates the messages of one batch in timestamp order, whatever order they came in", async () => {
    const d = await exampleDeployable();
    const events = exampleEvents();
    const expected = simulate(d.compiled, events).records;
    const e = await start(d.compiled, d);
    await push(e, [...events].reverse());
    const got = await journalOnce(e, "lea", expected.length);
    expect(got).toEqual(expected);
  });

  it("fires time-based changes at their exact instant with no new event (durations of seconds)", async () => {
    const compiled = compileJourney(`
id: quick
entry: { event: Signed Up }
stages:
  - id: new
  - id: active
    when: { performed: { event: Clicked, within: 2s } }
  - id: quiet
    when: { inStage: { for: 1s } }
segments:
  clicking: { when: { performed: { event: Clicked, within: 2s } } }
triggers:
  - id: nudge
    on: journey.entered
    do:
      - wait: { until: { event: Clicked }, timeout: 1s, onTimeout: [ { set: { nudged: true } } ] }
`);
    const t0 = Date.now() + 200;
    const at = (ms: number) => new Date(t0 + ms).toISOString();
    const events = [
      { type: "track", userId: "ann", event: "Signed Up", timestamp: at(0) },
      { type: "track", userId: "ann", event: "Clicked", timestamp: at(1_500) },
    ];
    const expected = simulate(compiled, events, at(4_000)).records;
    expect(expected.map((r) => r.type)).toContain("segment.exited");
    const e = await start(compiled);
    await push(e, [events[0]!]);
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + 1_500 - Date.now())));
    await push(e, [events[1]!]);
    const got = await journalOnce(e, "ann", expected.length, 8_000);
    expect(got).toEqual(expected);
    // Wake jobs evaluate the due wake-ups in place: no wake input went through the inbox
    // (which would leave a de-duplication key per wake-up for 48 hours).
    expect(await redis.keys(`{${prefix}}:mid:*`)).toEqual([]);
  });

  it("evaluates an event stamped at the instant a wake-up falls due with that wake-up, as simulate does", async () => {
    const compiled = compileJourney(`
id: renew
entry: { event: Start }
segments:
  active: { when: { performed: { event: V, within: 10m } } }
triggers:
  - { id: lapsed, on: { segment.exited: active }, do: [ { set: { lapsed: true } } ] }
`);
    const at = (s: number) => new Date(Date.UTC(2026, 0, 5, 9) + s * 1000).toISOString();
    const events = [
      { type: "track", userId: "rae", event: "Start", timestamp: at(0) },
      { type: "track", userId: "rae", event: "V", timestamp: at(600) },
      { type: "track", userId: "rae", event: "V", timestamp: at(1200) },
      { type: "track", userId: "rae", event: "Done", timestamp: at(1300) },
    ];
    const expected = simulate(compiled, events).records;
    expect(expected.map((r) => r.type)).not.toContain("segment.exited");
    const e = await start(compiled);
    await push(e, events.slice(0, 2));
    await drained(e);
    await push(e, events.slice(2));
    await drained(e);
    expect(await journalOnce(e, "rae", expected.length)).toEqual(expected);
  });

  it("ignores a repeated messageId", async () => {
    const compiled = PINGS;
    const e = await start(compiled);
    const ts = new Date().toISOString();
    const go = { type: "track", userId: "bo", event: "Go", timestamp: ts, messageId: "m-1" };
    const ping = { type: "track", userId: "bo", event: "Ping", timestamp: ts, messageId: "m-2" };
    await push(e, [go, ping, ping]);
    await push(e, [ping]);
    await until(async () => (await redis.llen(e.keys.inbox("bo"))) === 0 && (await journal(e, "bo")).length > 0);
    await new Promise((r) => setTimeout(r, 200));
    const fired = (await journal(e, "bo")).filter((r) => r.type === "trigger.fired");
    expect(fired).toHaveLength(1);
  });

  it("sweeps an inbox stranded by a producer that died before queueing its drain", async () => {
    const compiled = compileJourney(`
id: swept
entry: { event: Go }
stages: [ { id: a } ]
`);
    const e = await start(compiled);
    const item = JSON.stringify({ i: { kind: "event", name: "Go", properties: {}, at: Date.now() }, at: Date.now() });
    // The push half of an enqueue, without the drain job (what a crash in between leaves).
    await e.scripts.enqueue([e.keys.backlog, e.keys.pending, e.keys.alias("cy"), e.keys.inbox("cy"), e.keys.message("-")], [60, Date.now(), e.keys.inbox(""), e.keys.alias(""), e.keys.route(""), 60, item, "cy", "0", "", Date.now()]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await journal(e, "cy")).toEqual([]);
    expect(await e.sweep(Date.now() + 60_000)).toBe(1);
    const got = await until(async () => ((await journal(e, "cy")).length > 0 ? journal(e, "cy") : undefined));
    expect(got!.map((r) => r.type)).toEqual(["journey.entered", "stage.entered"]);
  });

  it("keeps the journal in compressed chunks, bounded by WAYMARK_JOURNAL_MAX, and reads what was stored as JSON", async () => {
    const compiled = PINGS;
    const e = await start(compiled, {}, { WAYMARK_JOURNAL_MAX: "10" });
    const t0 = Date.now() - 60_000;
    const msg = (i: number) => ({ type: "track", userId: "di", event: i === 0 ? "Go" : "Ping", timestamp: new Date(t0 + i * 10).toISOString() });
    const all = Array.from({ length: 40 }, (_, i) => msg(i));
    const expected = simulate(compiled, all).records;
    // One event at a time: one commit each, extending the newest chunk.
    for (const m of all.slice(0, 20)) {
      await push(e, [m]);
      await until(async () => (await redis.llen(e.keys.inbox("di"))) === 0);
    }
    const upTo20 = simulate(compiled, all.slice(0, 20)).records;
    let got = await journal(e, "di");
    expect(got.length).toBeGreaterThanOrEqual(10);
    expect(got.length).toBeLessThan(20);
    expect(got).toEqual(upTo20.slice(-got.length));
    expect(await redis.llen(e.keys.journal("di"))).toBeLessThanOrEqual(2);
    // One string per contact: the header's version and the journal list's count, the state,
    // then the open chunk (the newest records).
    const record = (await redis.getBuffer(e.keys.contact("di")))!;
    expect(record[0]).toBe(RECORD_TAG);
    const open = openLines(unpackContact(record).open);
    expect(open.length).toBeGreaterThan(0);
    expect(open.map((l) => JSON.parse(l) as JournalRecord)).toEqual(got.slice(-open.length));
    expect(record.readUInt32BE(5) + open.length).toBe(got.length);
    const version = record.readUInt32BE(1);
    expect(version).toBeGreaterThanOrEqual(20);

    // A record of the form before the open chunk (0x03, a 9-byte header, the whole journal
    // in the list) is read as it is.
    const v3 = Buffer.concat([Buffer.from([0x03]), record.subarray(1, 9), unpackContact(record).stored!]);
    await redis.multi().set(e.keys.contact("di"), v3).rpush(e.keys.journal("di"), unpackContact(record).open!).exec();
    expect(await readState(redis, e.keys, "di")).toEqual(decodeState(unpackContact(record).stored!));
    expect(await journal(e, "di")).toEqual(got);

    // What an earlier version stored: a hash of the state as JSON and its version, one record
    // JSON per journal entry, no count.
    const state = decodeState(unpackContact(record).stored!);
    await redis.multi().del(e.keys.contact("di")).hset(e.keys.contact("di"), "s", JSON.stringify(state), "v", String(version)).del(e.keys.journal("di"))
      .rpush(e.keys.journal("di"), ...got.map((r) => JSON.stringify(r))).exec();
    expect(await readState(redis, e.keys, "di")).toEqual(state);
    await push(e, all.slice(20));
    const last = await journalOnce(e, "di", (j) => j.at(-1)?.at === expected.at(-1)!.at);
    expect(last.length).toBeGreaterThanOrEqual(10);
    expect(last.length).toBeLessThan(20);
    expect(last).toEqual(expected.slice(-last.length));

    // A journal list gone while its count stayed (an operator's DEL): new records are kept,
    // after the open chunk's (the DEL took the sealed ones).
    await redis.del(e.keys.journal("di"));
    const more = [40, 41, 42].map((i) => msg(i));
    const all2 = simulate(compiled, [...all, ...more]).records;
    await push(e, more);
    const after = await journalOnce(e, "di", (j) => j.at(-1)?.at === all2.at(-1)!.at);
    const added = all2.length - expected.length;
    expect(added).toBeGreaterThan(0);
    expect(after.slice(-added)).toEqual(all2.slice(-added));
    // Committed since: a string again, its version counting on from the hash's.
    const now = (await redis.getBuffer(e.keys.contact("di")))!;
    expect(now[0]).toBe(RECORD_TAG);
    expect(now.readUInt32BE(5) + openLines(unpackContact(now).open).length).toBe(after.length);
    expect(now.readUInt32BE(1)).toBeGreaterThan(version + 1);
  });

  it("drains a burst for many contacts with one job per 32 contacts, each contact's inputs in order", async () => {
    const compiled = PINGS;
    const producer = new Engine({ redis, prefix, compiled, log: quietLog });
    const ts = Date.now() - 1_000;
    const messages = Array.from({ length: 100 }, (_, i) => [
      { type: "track", userId: `b${i}`, event: "Go", timestamp: new Date(ts).toISOString() },
      { type: "track", userId: `b${i}`, event: "Ping", timestamp: new Date(ts + 1).toISOString() },
    ]).flat();
    await push(producer, messages);
    expect(await producer.queue.getWaitingCount()).toBe(Math.ceil(100 / CONTACTS_PER_JOB));
    await producer.close();
    const e = await start(compiled);
    const expected = simulate(compiled, messages).records;
    await drained(e);
    for (const id of ["b0", "b31", "b32", "b99"]) expect(await journal(e, id), id).toEqual(expected.filter((r) => r.contact === id));
  });

  it("a job's contacts drained together hand round-robin owners on as sequential drains would (journals equal simulate's)", async () => {
    const compiled = compileJourney(`
id: rr
entry: { event: Go }
stages: [ { id: a } ]
triggers:
  - id: h
    on: journey.entered
    do:
      - handoff: { to: crm, team: sales, owners: [ana, ben, cy], sla: 1h }
`, { workspace: "endpoints:\n  crm: { url: 'http://127.0.0.1:9/hooks', secret: '${CRM_SECRET}' }\n", env: { CRM_SECRET: "whsec_ZGVtby1zZWNyZXQtbm90LWZvci1wcm9kdWN0aW9u" } });
    const producer = new Engine({ redis, prefix, compiled, log: quietLog });
    const ts = Date.now() - 1_000;
    // One job's worth (jobs side by side take owners in whatever order they commit).
    const messages = Array.from({ length: CONTACTS_PER_JOB }, (_, i) => ({ type: "track", userId: `r${i}`, event: "Go", timestamp: new Date(ts + i).toISOString() }));
    await push(producer, messages);
    await producer.close();
    const e = await start(compiled);
    const expected = simulate(compiled, messages).records;
    await drained(e);
    // (Deliveries to the closed port fail and are journalled later: not the drain's records.)
    const got = (await Promise.all(messages.map((m) => journal(e, m.userId)))).flat().filter((r) => !r.type.startsWith("webhook."));
    expect(got.filter((r) => r.type === "handoff.opened").map((r) => r["owner"])).toEqual(expected.filter((r) => r.type === "handoff.opened").map((r) => r["owner"]));
    expect(got).toEqual(expected);
    // Each evaluation saw the cursors its predecessors left: no commit had to be redone.
    expect((await runtimes.at(-1)!.metrics.conflicts.get()).values.reduce((n, v) => n + v.value, 0)).toBe(0);
  });

  it("a process with a worker drains its own small pushes (no drain job); a bigger push is queued for every worker; close waits for a local drain", async () => {
    const e = await start(PINGS);
    const added = async () => (await redis.xrange(`${e.keys.bull}:${e.queue.name}:events`, "-", "+")).filter(([, f]) => f[1] === "added").length;
    const ts = Date.now() - 1_000;
    const go = (id: string) => ({ type: "track", userId: id, event: "Go", timestamp: new Date(ts).toISOString() });
    await push(e, [go("loc1")]);
    await drained(e);
    expect((await journal(e, "loc1")).map((r) => r.type)).toEqual(["journey.entered", "stage.entered"]);
    expect(await added()).toBe(0);
    // More contacts than one job takes: drain jobs, for whichever worker is free.
    await push(e, Array.from({ length: CONTACTS_PER_JOB + 1 }, (_, i) => go(`big${i}`)));
    await drained(e);
    expect(await added()).toBe(2);
    // A push right before close: close returns once its local drain has committed.
    await push(e, [go("last")]);
    await runtimes.pop()!.close(5_000);
    expect((await readJournal(redis, e.keys, "last")).map((r) => r.type)).toEqual(["journey.entered", "stage.entered"]);
    expect(await redis.llen(e.keys.inbox("last"))).toBe(0);
  });

  it("coalesces pushes made while one is in flight (fewer round trips and jobs), each contact's inputs in order", async () => {
    const compiled = PINGS;
    const producer = new Engine({ redis, prefix, compiled, log: quietLog });
    const ts = Date.now() - 1_000;
    const one = (i: number, event: string, dt: number) => push(producer, [{ type: "track", userId: `k${i}`, event, timestamp: new Date(ts + dt).toISOString() }]);
    // 200 requests' pushes at once: the first goes alone, the other 199 wait for it and go together.
    const calls = [...Array.from({ length: 100 }, (_, i) => one(i, "Go", 0)), ...Array.from({ length: 100 }, (_, i) => one(i, "Ping", 1))];
    await Promise.all(calls);
    expect(await producer.queue.getWaitingCount()).toBe(1 + Math.ceil(99 / CONTACTS_PER_JOB));
    const inbox = await redis.lrange(producer.keys.inbox("k7"), 0, -1);
    expect(inbox.map((s) => (JSON.parse(s) as { i: { name: string } }).i.name)).toEqual(["Go", "Ping"]);
    // An anonymous id merged into a user: its push goes to the user's inbox (and drain).
    await redis.set(producer.keys.alias("anon-k"), "k7");
    await push(producer, [{ type: "track", anonymousId: "anon-k", event: "Ping", timestamp: new Date(ts + 2).toISOString() }]);
    expect(await redis.llen(producer.keys.inbox("k7"))).toBe(3);
    expect(await redis.exists(producer.keys.inbox("anon-k"))).toBe(0);
    await producer.close();
  });

  it("a due wake-up whose job is gone is caught up by the sweep's drain, at its instant", async () => {
    const compiled = compileJourney(`
id: later
entry: { event: Go }
stages: [ { id: a } ]
triggers: [ { id: t, on: journey.entered, do: [ { wait: 2s }, { set: { woke: true } } ] } ]
`);
    const e = await start(compiled);
    const t0 = new Date(Date.now()).toISOString();
    const go = [{ type: "track", userId: "wy", event: "Go", timestamp: t0 }];
    await push(e, go);
    await until(async () => (await journal(e, "wy")).length > 0 && (await e.queue.getDelayedCount()) === 1);
    // What a wake job given up for good leaves: no job, the contact handed to the sweep.
    for (const j of await e.queue.getDelayed()) await j.remove();
    await redis.zadd(e.keys.pending, Date.now() - 60_000, "wy");
    await new Promise((r) => setTimeout(r, Math.max(0, Date.parse(t0) + 2_100 - Date.now())));
    expect(await e.sweep()).toBe(1);
    const expected = simulate(compiled, go, new Date(Date.parse(t0) + 3_000).toISOString()).records;
    const got = await journalOnce(e, "wy", expected.length);
    expect(got).toEqual(expected);
    expect(await redis.zscore(e.keys.pending, "wy")).toBeNull();
    // Handed to the sweep with nothing due (done already): its drain lets it go, not forever re-queued.
    await redis.zadd(e.keys.pending, Date.now() - 60_000, "wy");
    await redis.del(`${e.keys.base}:sweep`); // one sweep per 5 s: let this one run now
    expect(await e.sweep()).toBe(1);
    await until(async () => (await redis.zscore(e.keys.pending, "wy")) === null);
    expect(await journal(e, "wy")).toEqual(expected);
  });

  it("keeps contact ids and values that are not well-formed UTF-16 (cjson refuses lone surrogates)", async () => {
    const compiled = PINGS;
    const e = await start(compiled);
    const id = "odd\ud800id";
    const ts = Date.now() - 1_000;
    const messages = [
      { type: "track", userId: id, event: "Go", timestamp: new Date(ts).toISOString() },
      { type: "track", userId: id, event: "Ping", timestamp: new Date(ts + 1).toISOString() },
    ];
    await push(e, messages);
    const expected = simulate(compiled, messages).records;
    const got = await journalOnce(e, id, expected.length);
    expect(got).toEqual(expected);
  });
});
