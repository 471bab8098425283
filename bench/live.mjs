// `npm run bench:live`: the live engine on a real Redis, with real `waymark` processes.
// 1. end-to-end throughput (HTTP /v1/batch -> evaluated -> journal) vs raw BullMQ (no-op jobs);
// 2. ingest-to-journal latency of single `track` calls at a steady rate;
// 3. Redis memory per contact after draining a generated funnel;
// 4. timer lateness of many pending wake-ups falling due over a window (20,000 over 12 s; --full:
//    100,000 over 60 s; a burst: --window 5).
// Memory runs last: it leaves Redis the most to reclaim (a million keys), which slowed the
// timer part when that ran right after it.
// Each part runs under its own random key prefix, deleted after. Redis: REDIS_URL, else
// 127.0.0.1:6379. Defaults take a couple of minutes; --full runs the full sizes.
// Options: --contacts N --workers N --rate N --duration S --mem-contacts N --timers N
//          --window S --warmup S --lead S --full --only 1,2,3,4 --front start|api (parts 1 and
//          2's HTTP process: `waymark start`, the default, or `waymark api` beside the workers)
//          --repeat N (part 1: engine/yardstick pairs, default 3; the median pair's ratio is
//          reported, as the machine's speed drifts from one minute to the next)
//          --settle (part 3: measure once the queued emails are sent, not right after evaluation)
//          --emails (part 1: after each engine run, time the delivery of the emails still queued)
// BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" passes flags to the engine processes (profiles);
// BENCH_KEEP=1 keeps each part's keys for inspection (delete them after: `{bench-p*}*`).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import pino from "pino";
import { loadJourneyFolder } from "../dist/adapters/journey-files.js";
import { Engine } from "../dist/adapters/pipeline/engine.js";
import { entryCount } from "../dist/adapters/redis/codec.js";
import { unpackContact } from "../dist/adapters/redis/contact-record.js";
import { compile, Message, resolveMessage } from "../dist/core/index.js";
import { generate } from "./generate.mjs";
import { cleanup, closeAgent, cpuSeconds, ownCpuSeconds, demoSecrets, post, newPrefix, readStream, redisCpuSeconds, sleep, startEngine, summary, waitDrained, postBatches, redisCommandStats, commandsPerEvent, timeEmails } from "./live-util.mjs";

const { values: o } = parseArgs({ options: {
  contacts: { type: "string" }, workers: { type: "string" }, rate: { type: "string" }, duration: { type: "string" },
  "mem-contacts": { type: "string" }, timers: { type: "string" }, window: { type: "string" }, warmup: { type: "string" }, lead: { type: "string" },
  repeat: { type: "string" }, full: { type: "boolean", default: false }, only: { type: "string", default: "1,2,3,4" }, front: { type: "string", default: "start" }, settle: { type: "boolean", default: false }, emails: { type: "boolean", default: false },
} });
const pick = (v, small, full) => Number(v ?? (o.full ? full : small));
const opt = {
  contacts: pick(o.contacts, 5_000, 50_000), workers: pick(o.workers, 1, 1), rate: pick(o.rate, 1_000, 1_000),
  duration: pick(o.duration, 10, 60), memContacts: pick(o["mem-contacts"], 10_000, 100_000), timers: pick(o.timers, 20_000, 100_000),
  window: pick(o.window, 12, 60), warmup: pick(o.warmup, 3, 5), repeat: Math.max(1, pick(o.repeat, 3, 3)),
};
const only = new Set(o.only.split(",").map((s) => s.trim()));
if (!["start", "api"].includes(o.front)) throw new Error(`bench/live: --front is start or api, got ${o.front}`);
if (o.front === "api" && opt.workers < 1) throw new Error("bench/live: --front api needs --workers 1 or more (the API process evaluates nothing)");
const CONCURRENCY = Number(process.env.WAYMARK_WORKER_CONCURRENCY ?? 64);
const redisUrl = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
if (!/^redis:\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(\/\d+)?$/.test(redisUrl)) throw new Error(`bench/live: loopback Redis only, got ${redisUrl}`);
const redis = new Redis(redisUrl, { maxRetriesPerRequest: null });
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d }) : "n/a");
const say = (s) => process.stderr.write(`${s}\n`);
const silent = pino({ level: "silent" });
const results = { at: new Date().toISOString(), node: process.version, redis: (await redis.info("server")).match(/redis_version:(\S+)/)?.[1], options: opt };

const examples = await loadJourneyFolder("journeys", { env: { ...process.env, ...demoSecrets("journeys") } });
if (!examples.ok) throw new Error("journeys/ does not load");
const exampleJourneys = examples.definitions.journeys.map((j) => j.journey);

/** Runs a part under a fresh prefix; its keys are deleted after, its failure recorded. */
async function part(key, title, fn) {
  if (!only.has(key)) return;
  const prefix = newPrefix(`p${key}`);
  say(`\n[${key}] ${title} (prefix {${prefix}})`);
  const t = Date.now();
  try { results[`part${key}`] = await fn(prefix); }
  catch (e) { results[`part${key}`] = { error: e.message }; say(`[${key}] FAILED: ${e.message}`); }
  finally { say(`[${key}] ${((Date.now() - t) / 1000).toFixed(1)} s, ${process.env.BENCH_KEEP ? "keys kept (BENCH_KEEP)" : `${await cleanup(redis, prefix)} keys deleted`}`); }
}

/** Segment messages -> inbox pushes (what ingest does), for the in-process producer. */
function toPushes(messages) {
  return messages.map((m) => {
    const p = Message.parse(m);
    const r = resolveMessage(p, Date.parse(p.timestamp));
    return { contact: r.contact, item: { i: r.input, at: r.at } };
  });
}
async function pushAll(engine, pushes, deadline) {
  for (let i = 0; i < pushes.length; i += 500) {
    while ((await engine.inbox.backlog()) > 150_000) { if (Date.now() > deadline) throw new Error("push: out of time"); await sleep(50); }
    await engine.inbox.push(pushes.slice(i, i + 500), Date.now());
  }
}

// 1. End-to-end throughput, and raw BullMQ as the yardstick.
/**
 * One engine run and, right after it, one yardstick run on the same machine state; the
 * ratio of a pair is what is compared (the machine's speed drifts between minutes).
 */
async function throughputPair(prefix) {
  const messages = generate({ journeys: exampleJourneys, contacts: opt.contacts, perContact: 10, seed: 7 }).map((m, i) => ({ ...m, messageId: `b-${i}` }));
  // The generated events are months old, so every wake-up they schedule is overdue: with the
  // default grace (WAYMARK_OVERDUE_WAKE_GRACE_MS) each contact's last one would wait 2 s for
  // more input, idle time in a run of seconds. With 0 they are evaluated in their drain.
  const eng = await startEngine({ redisUrl, redis, prefix, journeys: "journeys", workers: opt.workers, front: o.front, name: "throughput", env: { WAYMARK_OVERDUE_WAKE_GRACE_MS: "0" } });
  let engine;
  try {
    const deadline = Date.now() + 600_000;
    // Warm-up (JIT, sockets, scripts) on other contacts, drained before the timed run.
    const warm = generate({ journeys: exampleJourneys, contacts: 300, perContact: 10, seed: 8 }).map((m, i) => ({ ...m, userId: `w${m.userId}`, messageId: `w-${i}` }));
    await postBatches(eng.base, warm, { size: 500, inflight: 4, deadline });
    await waitDrained(redis, prefix, deadline);
    const t0 = Date.now(), cpu0 = cpuSeconds(eng.pids), each0 = eng.pids.map((p) => cpuSeconds([p])), rcpu0 = await redisCpuSeconds(redis), cmd0 = await redisCommandStats(redis), gen0 = ownCpuSeconds();
    await postBatches(eng.base, messages, { size: 500, inflight: 4, deadline });
    const sent = Date.now();
    const done = await waitDrained(redis, prefix, deadline);
    const secs = (done - t0) / 1000;
    const each = eng.pids.map((p, i) => ((cpuSeconds([p]) - each0[i]) * 1e6) / messages.length);
    const cpu = cpuSeconds(eng.pids) - cpu0, rcpu = (await redisCpuSeconds(redis)) - rcpu0, gen = ownCpuSeconds() - gen0;
    const commands = commandsPerEvent(cmd0, await redisCommandStats(redis), messages.length);
    engine = { events: messages.length, seconds: secs, eventsPerSec: messages.length / secs, ingestSeconds: (sent - t0) / 1000, journalRecords: Number(await redis.xlen(`{${prefix}}:stream`)),
      engineCpuUsPerEvent: (cpu * 1e6) / messages.length, cpuUsPerEventByProcess: Object.fromEntries(eng.roles.map((r, i) => [`${i}:${r}`, each[i]])), redisCpuUsPerEvent: (rcpu * 1e6) / messages.length, generatorCpuUsPerEvent: (gen * 1e6) / messages.length, redisCommandsPerEvent: commands };
    if (o.emails) engine.emailsAfter = await timeEmails(redis, prefix, eng.pids, deadline);
  } finally { await eng.stop(); }
  say(`    engine: ${fmt(engine.events)} events in ${fmt(engine.seconds, 2)} s = ${fmt(engine.eventsPerSec)} events/s; CPU per event: engine processes ${fmt(engine.engineCpuUsPerEvent)} us (${Object.entries(engine.cpuUsPerEventByProcess).map(([r, v]) => `${r.split(":")[1]} ${fmt(v)}`).join(", ")}), Redis ${fmt(engine.redisCpuUsPerEvent)} us (actions delivered meanwhile included), load generator ${fmt(engine.generatorCpuUsPerEvent)} us; Redis commands per event ${fmt(engine.redisCommandsPerEvent.total, 2)}`);
  const m = engine.emailsAfter;
  if (m) say(`    then the ${fmt(m.emails)} emails still queued: delivered in ${fmt(m.seconds, 2)} s = ${fmt(m.perSec)} emails/s; CPU per email: engine processes ${fmt(m.cpuUs)} us, Redis ${fmt(m.redisUs)} us`);

  // The yardstick: the same number of no-op jobs through BullMQ, the same total concurrency
  // as the processes that evaluate (`waymark api` takes no contacts).
  const concurrency = CONCURRENCY * (opt.workers + (o.front === "api" ? 0 : 1));
  const conn = redis.duplicate();
  const queue = new Queue("yardstick", { connection: conn, prefix: `{${prefix}}` });
  const wconn = redis.duplicate();
  let completed = 0;
  const worker = new Worker("yardstick", async () => 0, { connection: wconn, prefix: `{${prefix}}`, concurrency });
  worker.on("completed", () => { completed++; });
  let bull;
  try {
    await worker.waitUntilReady();
    const n = messages.length, deadline = Date.now() + 600_000;
    const t0 = Date.now(), own0 = ownCpuSeconds(), rcpu0 = await redisCpuSeconds(redis);
    for (let i = 0; i < n; i += 500) {
      await queue.addBulk(Array.from({ length: Math.min(500, n - i) }, (_, k) => ({ name: "noop", data: { c: `u${i + k}` }, opts: { removeOnComplete: true } })));
    }
    while (completed < n) { if (Date.now() > deadline) throw new Error("BullMQ yardstick out of time"); await sleep(10); }
    const secs = (Date.now() - t0) / 1000;
    const own = ownCpuSeconds() - own0, rcpu = (await redisCpuSeconds(redis)) - rcpu0;
    bull = { jobs: n, seconds: secs, jobsPerSec: n / secs, concurrency, clientCpuUsPerJob: (own * 1e6) / n, redisCpuUsPerJob: (rcpu * 1e6) / n };
  } finally { await worker.close(); await queue.close(); conn.disconnect(); wconn.disconnect(); }
  say(`    BullMQ: ${fmt(bull.jobs)} no-op jobs in ${fmt(bull.seconds, 2)} s = ${fmt(bull.jobsPerSec)} jobs/s (concurrency ${concurrency}); CPU per job: producer and worker ${fmt(bull.clientCpuUsPerJob)} us, Redis ${fmt(bull.redisCpuUsPerJob)} us; ratio ${fmt(engine.eventsPerSec / bull.jobsPerSec, 2)}x`);
  // The machine is saturated in both runs, so throughput follows CPU per item; this ratio
  // does not drift with the machine's speed between the two runs as the throughput ratio does.
  const cpuRatio = (bull.clientCpuUsPerJob + bull.redisCpuUsPerJob) / (engine.engineCpuUsPerEvent + engine.redisCpuUsPerEvent + engine.generatorCpuUsPerEvent);
  say(`    CPU ratio (BullMQ's CPU per job / the engine's per event, load generator included): ${fmt(cpuRatio, 2)}x`);
  return { engine, bullmq: bull, ratio: engine.eventsPerSec / bull.jobsPerSec, cpuRatio, processes: 1 + opt.workers, front: o.front };
}

await part("1", `end-to-end throughput vs raw BullMQ (${opt.repeat} pair${opt.repeat === 1 ? "" : "s"}, the median reported)`, async (prefix) => {
  const runs = [];
  for (let i = 0; i < opt.repeat; i++) {
    const p = `${prefix}-r${i}`;
    try { runs.push(await throughputPair(p)); } finally { await cleanup(redis, p); }
  }
  const median = [...runs].sort((a, b) => a.ratio - b.ratio)[Math.floor((runs.length - 1) / 2)];
  return { ...median, runs: runs.map((r) => ({ eventsPerSec: r.engine.eventsPerSec, jobsPerSec: r.bullmq.jobsPerSec, ratio: r.ratio, cpuRatio: r.cpuRatio })) };
});

// 2. Ingest-to-journal latency of single `track` calls at a steady rate.
await part("2", `latency at ${opt.rate}/s for ${opt.duration} s (after ${opt.warmup} s of warm-up)`, async (prefix) => {
  const total = Math.round(opt.rate * opt.duration);
  const eng = await startEngine({ redisUrl, redis, prefix, journeys: "tests/fixtures/live/order", workers: opt.workers, front: o.front, name: "latency", env: { WAYMARK_STREAM_MAX: String(Math.max(100_000, total * 4)) } });
  try {
    const sentAt = new Map(), seen = new Set(), read = [], commit = [];
    const deadline = Date.now() + (opt.duration + opt.warmup) * 1000 + 60_000;
    // Single `track` calls for distinct contacts (`${tag}${i}`) at the steady rate, bounded.
    const steady = async (tag, count) => {
      const ack = [], pending = [];
      let errors = 0, inflight = 0, maxInflight = 0;
      const send = async (i) => {
        const t = Date.now();
        if (tag === "l") sentAt.set(`l${i}`, t);
        inflight++; maxInflight = Math.max(maxInflight, inflight);
        try {
          const res = await post(`${eng.base}/v1/track`, JSON.stringify({ userId: `${tag}${i}`, event: "Start", timestamp: new Date(t).toISOString() }));
          if (res.status === 200) ack.push(Date.now() - t); else errors++;
        } catch { errors++; } finally { inflight--; }
      };
      const start = Date.now();
      for (let i = 0; i < count && Date.now() < deadline;) {
        const due = Math.min(count, Math.floor(((Date.now() - start) * opt.rate) / 1000) + 1);
        for (; i < due; i++) pending.push(send(i));
        await sleep(Math.max(1, Math.round(1000 / opt.rate)));
      }
      const secs = (Date.now() - start) / 1000;
      await Promise.all(pending);
      return { secs, errors, maxInflight, ack };
    };
    // Warm-up (JIT, sockets, scripts): not measured; then drained before the measured run.
    if (opt.warmup > 0) { await steady("w", Math.round(opt.rate * opt.warmup)); await waitDrained(redis, prefix, deadline); }
    let errors = 0;
    const reader = readStream(redis, prefix, (rec, readAt, commitMs) => {
      const s = sentAt.get(rec.contact);
      if (s === undefined || seen.has(rec.contact)) return;
      seen.add(rec.contact);
      read.push(readAt - s);
      commit.push(commitMs - s);
    }, () => seen.size >= total - errors, deadline);
    const cpu0 = cpuSeconds(eng.pids);
    const run = await steady("l", total);
    errors = run.errors;
    await reader;
    const cpuUs = ((cpuSeconds(eng.pids) - cpu0) * 1e6) / total;
    const r = summary(read), c = summary(commit), a = summary(run.ack);
    say(`    sent ${fmt(total)} in ${fmt(run.secs, 1)} s (${fmt(total / run.secs)}/s, ${errors} errors); journal read: p50 ${fmt(r.p50)} ms p99 ${fmt(r.p99)} ms; commit: p50 ${fmt(c.p50)} p99 ${fmt(c.p99)}; HTTP ack p99 ${fmt(a.p99)}; engine CPU ${fmt(cpuUs)} us/event`);
    return { sent: total, achievedRate: total / run.secs, warmupSec: opt.warmup, errors, seen: seen.size, maxInflight: run.maxInflight, readLatencyMs: r, commitLatencyMs: c, ackMs: a, engineCpuUsPerEvent: cpuUs };
  } finally { await eng.stop(); }
});

// 4. Timer lateness: N wake-ups (`wait: 30s`) falling due evenly over a window.
await part("4", `timer lateness, ${fmt(opt.timers)} wake-ups within ${opt.window} s`, async (prefix) => {
  const dir = mkdtempSync(join(tmpdir(), "waymark-bench-timer-"));
  writeFileSync(join(dir, "timer.yaml"), "id: timer\nentry: { event: Go }\nstages: [ { id: waiting } ]\ntriggers:\n  - id: t\n    on: journey.entered\n    do:\n      - wait: 30s\n      - set: { woke: true }\n");
  const n = opt.timers;
  const eng = await startEngine({ redisUrl, redis, prefix, journeys: dir, workers: opt.workers, name: "timers", env: { WAYMARK_STREAM_MAX: String(Math.max(100_000, n * 5)) } });
  const load = await loadJourneyFolder(dir, { env: {} });
  const producer = new Engine({ redis, prefix, compiled: compile(load.definitions), log: silent });
  try {
    // Entries timestamped so the wakes (entry + 30 s) fall due in [due0, due0 + window), with a
    // lead long enough to push and evaluate every entry first.
    // Default lead: ~2,000 entries/s evaluated (measured ~3,500/s on a 2-vCPU box) plus 5 s; --lead S overrides.
    const lead = o.lead !== undefined ? Number(o.lead) * 1000 : 5_000 + n / 2;
    const due0 = Date.now() + lead;
    // Warm-up (JIT, the wake path, idle-to-busy): a few wake-ups due in the 3 s before the window, not measured.
    const warm = Math.min(2_000, Math.ceil(n / 20));
    const pushes = toPushes([
      ...Array.from({ length: warm }, (_, i) => ({ type: "track", userId: `tw${i}`, event: "Go", timestamp: new Date(due0 - 33_000 + Math.floor((i * 2_000) / warm)).toISOString() })),
      ...Array.from({ length: n }, (_, i) => ({ type: "track", userId: `t${i}`, event: "Go",
        timestamp: new Date(due0 - 30_000 + Math.floor((i * opt.window * 1000) / n)).toISOString() })),
    ]);
    const late = [], commitLate = [];
    const deadline = due0 + opt.window * 1000 + 120_000;
    const reader = readStream(redis, prefix, (rec, readAt, commitMs) => {
      if (rec.type !== "trait.set" || rec.contact.startsWith("tw")) return;
      late.push(readAt - Date.parse(rec.at));
      commitLate.push(commitMs - Date.parse(rec.at));
    }, () => late.length >= n, deadline);
    await pushAll(producer, pushes, deadline);
    const enteredBy = await waitDrained(redis, prefix, deadline, 50);
    await reader;
    const l = summary(late), c = summary(commitLate);
    const out = { timers: n, warmupWakes: warm, windowSec: opt.window, leadMs: lead, entriesEvaluatedMsBeforeFirstDue: due0 - enteredBy, woke: late.length, readLatenessMs: l, commitLatenessMs: c };
    say(`    ${fmt(late.length)}/${fmt(n)} woke; entries evaluated ${fmt(out.entriesEvaluatedMsBeforeFirstDue)} ms before the first due; lateness (read) p50 ${fmt(l.p50)} p99 ${fmt(l.p99)} max ${fmt(l.max)} ms; (commit) p50 ${fmt(c.p50)} p99 ${fmt(c.p99)}`);
    return out;
  } finally { await producer.close(); await eng.stop(); rmSync(dir, { recursive: true, force: true }); }
});

// 3. Redis memory per contact (funnel of the example journeys, drained by the engine).
await part("3", `memory per contact, ${fmt(opt.memContacts)} contacts x 20 events`, async (prefix) => {
  const pushes = toPushes(generate({ journeys: exampleJourneys, contacts: opt.memContacts, perContact: 20, seed: 11 }));
  // Months-old events, as in part 1: overdue wake-ups evaluated in their drain (no grace).
  const eng = await startEngine({ redisUrl, redis, prefix, journeys: "journeys", workers: opt.workers, name: "memory", env: { WAYMARK_OVERDUE_WAKE_GRACE_MS: "0" } });
  const producer = new Engine({ redis, prefix, compiled: compile(examples.definitions), log: silent });
  try {
    const deadline = Date.now() + 1_800_000; // 2,000,000 events at --full: half an hour leaves room for a slow machine
    await sleep(200);
    const before = Number((await redis.info("memory")).match(/used_memory:(\d+)/)[1]);
    await pushAll(producer, pushes, deadline);
    await waitDrained(redis, prefix, deadline, 100);
    // --settle: also wait for the email jobs queued now (not the deferred ones) to be done, so
    // sends are recorded in the journals (a placeholder becomes its record).
    if (o.settle) {
      const email = new Queue("email", { connection: redis, prefix: `{${prefix}}` });
      try {
        for (;;) {
          const c = await email.getJobCounts("waiting", "active", "prioritized");
          if (c.waiting + c.active + c.prioritized === 0) break;
          if (Date.now() > deadline) throw new Error("emails not sent in time");
          await sleep(500);
        }
      } finally { await email.close(); }
    }
    const after = Number((await redis.info("memory")).match(/used_memory:(\d+)/)[1]);
    const sample = Array.from({ length: Math.min(2_000, opt.memContacts) }, (_, i) => `u${Math.floor((i * opt.memContacts) / Math.min(2_000, opt.memContacts))}`);
    let hash = 0, journal = 0, records = 0, stateLen = 0, openLen = 0, entries = 0, entryLen = 0;
    for (const c of sample) {
      // The contact record (header, state, the journal's open chunk) and the journal list (sealed chunks).
      const [[, h], [, j], [, rec], [, list]] = await redis.multi().call("MEMORY", "USAGE", `{${prefix}}:c:${c}`, "SAMPLES", "0")
        .call("MEMORY", "USAGE", `{${prefix}}:j:${c}`, "SAMPLES", "0").getBuffer(`{${prefix}}:c:${c}`).lrangeBuffer(`{${prefix}}:j:${c}`, 0, -1).exec();
      hash += Number(h ?? 0); journal += Number(j ?? 0);
      const { stored, open } = rec ? unpackContact(rec) : { stored: null, open: null };
      stateLen += stored?.length ?? 0; openLen += open?.length ?? 0;
      records += (open?.length ? entryCount(open) : 0) + list.reduce((t, b) => t + entryCount(b), 0);
      entries += list.length; entryLen += list.reduce((t, b) => t + b.length, 0);
    }
    const k = sample.length;
    const out = { contacts: opt.memContacts, settled: o.settle, events: pushes.length, sampled: k, contactBytes: hash / k, journalBytes: journal / k, journalRecords: records / k,
      stateBytes: stateLen / k, openChunkBytes: openLen / k, journalEntries: entries / k, journalPayloadBytes: entryLen / k,
      perContactBytes: (hash + journal) / k, usedMemoryDeltaPerContact: (after - before) / opt.memContacts, streamEntries: await redis.xlen(`{${prefix}}:stream`) };
    say(`    per contact: ${fmt(out.perContactBytes)} B (contact record ${fmt(out.contactBytes)} B, journal list ${fmt(out.journalBytes)} B; ${fmt(out.journalRecords, 1)} journal records); stored: state ${fmt(out.stateBytes)} B, open chunk ${fmt(out.openChunkBytes)} B, sealed chunks ${fmt(out.journalPayloadBytes)} B in ${fmt(out.journalEntries, 2)} list entries; used_memory delta / N ${fmt(out.usedMemoryDeltaPerContact)} B`);
    return out;
  } finally { await producer.close(); await eng.stop(); }
});

redis.disconnect();
closeAgent();

// The table.
const p1 = results.part1, p2 = results.part2, p3 = results.part3, p4 = results.part4;
const ok = (x) => x?.error === undefined;
const rows = [];
if (p1) rows.push(...ok(p1)
  ? [["1 end-to-end throughput", `${fmt(p1.engine.eventsPerSec)} events/s (${fmt(p1.engine.events)} in ${fmt(p1.engine.seconds, 1)} s, ${o.front} + ${opt.workers} worker${opt.workers === 1 ? "" : "s"})`, "", ""],
    ["  raw BullMQ no-op jobs", `${fmt(p1.bullmq.jobsPerSec)} jobs/s (concurrency ${p1.bullmq.concurrency})`, "", ""],
    ["  ratio engine / BullMQ", `${fmt(p1.ratio, 2)}x (median of ${p1.runs.length}: ${p1.runs.map((r) => fmt(r.ratio, 2)).join(", ")})`, ">= 1.0x", p1.ratio >= 1 ? "met" : "NOT met"],
    ["  CPU ratio (per job / per event)", `${p1.runs.map((r) => fmt(r.cpuRatio, 2)).join(", ")}`, "", ""]]
  : [["1 end-to-end throughput", `failed: ${p1.error}`, ">= 1.0x", "n/a"]]);
if (p2) rows.push(ok(p2)
  ? ["2 ingest->journal latency", `p50 ${fmt(p2.readLatencyMs.p50)} ms, p99 ${fmt(p2.readLatencyMs.p99)} ms @ ${fmt(p2.achievedRate)}/s`, "p99 <= 50 ms", p2.readLatencyMs.p99 <= 50 && p2.seen === p2.sent ? "met" : "NOT met"]
  : ["2 ingest->journal latency", `failed: ${p2.error}`, "p99 <= 50 ms", "n/a"]);
if (p3) rows.push(ok(p3)
  ? ["3 Redis memory / contact", `${fmt(p3.perContactBytes)} B (state ${fmt(p3.stateBytes)} B + open chunk ${fmt(p3.openChunkBytes)} B in the record, journal list ${fmt(p3.journalBytes)} B; used_memory delta ${fmt(p3.usedMemoryDeltaPerContact)} B)`, "<= 1 KB", p3.perContactBytes <= 1024 ? "met" : "NOT met"]
  : ["3 Redis memory / contact", `failed: ${p3.error}`, "<= 1 KB", "n/a"]);
if (p4) rows.push(...ok(p4)
  ? [["4 timer lateness", `p50 ${fmt(p4.readLatenessMs.p50)} ms, p99 ${fmt(p4.readLatenessMs.p99)} ms (${fmt(p4.woke)} wakes in ${p4.windowSec} s)`, "p99 <= 250 ms", p4.readLatenessMs.p99 <= 250 && p4.woke === p4.timers ? "met" : "NOT met"],
    ...(p4.entriesEvaluatedMsBeforeFirstDue < 0 ? [["  (entries still queued at the first due: raise --lead)", "", "", ""]] : [])]
  : [["4 timer lateness", `failed: ${p4.error}`, "p99 <= 250 ms", "n/a"]]);
const head = ["measure", "result", "goal", ""];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (r) => r.map((c, i) => c.padEnd(w[i])).join("  ").trimEnd();
console.log(`\n${line(head)}\n${w.map((x) => "-".repeat(x)).join("  ")}\n${rows.map(line).join("\n")}`);
mkdirSync("bench/results", { recursive: true });
writeFileSync("bench/results/live.json", JSON.stringify(results, null, 2));
console.log("\nwritten: bench/results/live.json");
