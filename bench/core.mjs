// `npm run bench:core`: the evaluator's throughput over a generated funnel of 100,000
// contacts through the example journeys, json-rules-engine on the same conditions as a
// yardstick, `waymark simulate` over 1,000,000 events, and bytes of state per contact.
// Options: --contacts N --per N --jre-events N --sim-events N (defaults below).
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadJourneyFolder } from "../dist/adapters/journey-files.js";
import { compile, evaluateOwned, Message, newContact, resolveMessage, Simulator } from "../dist/core/index.js";
import { generate } from "./generate.mjs";
import { runJre } from "./jre.mjs";

const { values: opt } = parseArgs({
  options: {
    contacts: { type: "string", default: "100000" },
    per: { type: "string", default: "10" },
    "jre-events": { type: "string", default: "100000" },
    "sim-events": { type: "string", default: "1000000" },
    journeys: { type: "string", default: "journeys" },
  },
});
const contacts = Number(opt.contacts);
const per = Number(opt.per);
const fmt = (n) => Math.round(n).toLocaleString("en-US");

const load = await loadJourneyFolder(opt.journeys, { env: {} });
if (!load.ok) throw new Error(load.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join("\n"));
const journeys = load.definitions.journeys.map((j) => j.journey);
const compiled = compile(load.definitions);
console.log(`journeys: ${journeys.map((j) => j.id).join(", ")} (${compiled.features.size} features)`);

// 1. The stream (not timed).
const messages = generate({ journeys, contacts, perContact: per });
const resolved = messages.map((m) => {
  const p = Message.parse(m);
  return resolveMessage(p, Date.parse(p.timestamp));
});
console.log(`stream: ${fmt(resolved.length)} messages for ${fmt(contacts)} contacts`);

// 2. Waymark: the simulator (evaluator + exact wake-ups), one core.
let records = 0;
const sim = new Simulator(compiled, { record: () => { records++; } });
global.gc?.();
const t0 = performance.now();
for (const r of resolved) sim.apply(r);
sim.advance(resolved[resolved.length - 1].at);
const ms = performance.now() - t0;
const waymarkRate = resolved.length / (ms / 1000);
console.log(`waymark evaluator: ${fmt(waymarkRate)} events/s (${fmt(ms)} ms, ${fmt(records)} journal records, wake-ups included)`);

// 3. State per contact (then the simulator is let go, so it does not weigh on 2b).
const sizes = [...sim.contacts.values()].map((s) => Buffer.byteLength(JSON.stringify(s))).sort((a, b) => a - b);
const q = (p) => sizes[Math.min(sizes.length - 1, Math.floor(p * sizes.length))];
const mean = sizes.reduce((a, b) => a + b, 0) / sizes.length;
console.log(`state per contact (JSON bytes): mean ${fmt(mean)}, p50 ${fmt(q(0.5))}, p99 ${fmt(q(0.99))}, max ${fmt(sizes.at(-1))}`);

sim.contacts.clear();

// 2b. The evaluator alone, the way a worker drains a contact's inbox: each contact's inputs
// back to back (wake-ups that fall due between them are caught up inside evaluate).
const byContact = new Map();
for (const r of resolved) {
  let list = byContact.get(r.contact);
  if (!list) byContact.set(r.contact, (list = []));
  list.push(r);
}
global.gc?.();
let batchRecords = 0;
const t1 = performance.now();
for (const [id, list] of byContact) {
  let s = newContact(id);
  for (const r of list) {
    const out = evaluateOwned(compiled, s, r.input, r.at);
    s = out.state;
    batchRecords += out.records.length;
  }
}
const batchMs = performance.now() - t1;
const batchRate = resolved.length / (batchMs / 1000);
console.log(`waymark evaluator, per-contact batches: ${fmt(batchRate)} events/s (${fmt(batchMs)} ms, ${fmt(batchRecords)} records)`);

// 4. json-rules-engine on the same conditions.
const jreN = Math.min(Number(opt["jre-events"]), resolved.length);
const jreEvents = resolved.slice(0, jreN).filter((r) => r.input.kind === "event").map((r) => ({
  contact: r.contact, at: r.at, name: r.input.name, properties: r.input.properties, traits: r.input.traits,
}));
const jre = await runJre(journeys, jreEvents, 30 * 86_400_000);
console.log(`json-rules-engine: ${fmt(jre.eventsPerSec)} events/s over ${fmt(jreEvents.length)} events (${jre.rules} rules)`);
const ratio = waymarkRate / jre.eventsPerSec;
const batchRatio = batchRate / jre.eventsPerSec;
console.log(`ratio: waymark is ${ratio.toFixed(1)}x json-rules-engine interleaved, ${batchRatio.toFixed(1)}x in per-contact batches`);

// 5. `waymark simulate` over the first N events, end to end (parse, replay, print).
const simN = Math.min(Number(opt["sim-events"]), messages.length);
let simResult = null;
if (simN > 0) {
  const dir = mkdtempSync(join(tmpdir(), "waymark-bench-"));
  const file = join(dir, "events.ndjson");
  writeFileSync(file, messages.slice(0, simN).map((m) => JSON.stringify(m)).join("\n") + "\n");
  const run = spawnSync("/usr/bin/time", ["-f", "%e %M", process.execPath, "bin/waymark.js", "simulate", "--journeys", opt.journeys, "--events", file],
    { encoding: "utf8", maxBuffer: 1 << 30, stdio: ["ignore", "ignore", "pipe"] });
  const [secs, kb] = run.stderr.trim().split("\n").at(-1).split(" ").map(Number);
  rmSync(dir, { recursive: true, force: true });
  simResult = { events: simN, seconds: secs, eventsPerSec: simN / secs, maxRssMiB: kb / 1024, exit: run.status };
  console.log(`waymark simulate: ${fmt(simN)} events in ${secs.toFixed(2)} s (${fmt(simN / secs)} events/s, peak RSS ${fmt(kb / 1024)} MiB, exit ${run.status})`);
}

mkdirSync("bench/results", { recursive: true });
const result = {
  at: new Date().toISOString(), node: process.version, contacts, messages: resolved.length,
  waymark: { eventsPerSec: waymarkRate, ms, records }, batches: { eventsPerSec: batchRate, ms: batchMs, records: batchRecords },
  jre, ratio, batchRatio,
  state: { mean, p50: q(0.5), p99: q(0.99), max: sizes.at(-1) }, simulate: simResult,
  goals: { ratio: Math.max(ratio, batchRatio) >= 20, eventsPerSec: Math.max(waymarkRate, batchRate) >= 200_000 },
};
writeFileSync("bench/results/core.json", JSON.stringify(result, null, 2));
console.log(`goals: >=20x json-rules-engine ${result.goals.ratio ? "met" : "NOT met"}; >=200,000 events/s ${result.goals.eventsPerSec ? "met" : "NOT met"}`);
