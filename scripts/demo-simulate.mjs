// `npm run demo`: the example journeys on their demo event streams, then a generated funnel
// of 5,000 contacts through all of them, on the virtual clock (the same evaluator the live
// engine runs). Journals are written under .waymark/demo/; a funnel table is printed.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadJourneyFolder } from "../dist/adapters/journey-files.js";
import { compile, formatProblem, Message, resolveMessage, Simulator } from "../dist/core/index.js";
import { readEvents } from "../dist/cli/simulate.js";
import { generate } from "../bench/generate.mjs";

const dir = process.argv[2] ?? "journeys";
const out = join(".waymark", "demo");
mkdirSync(out, { recursive: true });
const load = await loadJourneyFolder(dir, { env: {} });
if (!load.ok) {
  for (const p of load.problems) console.error(formatProblem(p));
  process.exit(1);
}
const compiled = compile(load.definitions);
const journeys = load.definitions.journeys.map((j) => j.journey);

const run = (resolved) => {
  const records = [];
  const sim = new Simulator(compiled, { record: (r) => records.push(r) });
  for (const r of resolved) sim.apply(r);
  if (resolved.length) sim.advance(resolved[resolved.length - 1].at);
  return records;
};

console.log(`Waymark demo: ${journeys.length} journeys from ${dir}/\n`);
for (const f of readdirSync(join(dir, "events")).filter((n) => n.endsWith(".ndjson")).sort()) {
  const { events, rejected } = await readEvents(join(dir, "events", f));
  for (const line of rejected) console.error(line);
  const records = run(events);
  const file = join(out, f.replace(".ndjson", ".journal.ndjson"));
  writeFileSync(file, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
  const types = {};
  for (const r of records) types[r.type] = (types[r.type] ?? 0) + 1;
  console.log(`${f}: ${records.length} records -> ${file}`);
  console.log(`  ${Object.entries(types).map(([t, n]) => `${t} ${n}`).join(", ")}`);
}

const contacts = 5_000;
const messages = generate({ journeys, contacts, perContact: 12, seed: 7 });
const started = performance.now();
const records = run(messages.map((m) => { const p = Message.parse(m); return resolveMessage(p, Date.parse(p.timestamp)); }));
const ms = performance.now() - started;
writeFileSync(join(out, "funnel.journal.ndjson"), records.map((r) => JSON.stringify(r)).join("\n") + "\n");
console.log(`\nGenerated funnel: ${contacts.toLocaleString()} contacts, ${messages.length.toLocaleString()} events, `
  + `${records.length.toLocaleString()} journal records in ${Math.round(ms)} ms -> ${join(out, "funnel.journal.ndjson")}\n`);
for (const j of journeys) {
  const mine = records.filter((r) => r.journey === j.id);
  const count = (type, key, value) => mine.filter((r) => r.type === type && (key === undefined || r[key] === value)).length;
  console.log(`${j.id}: entered ${count("journey.entered")}, goal ${count("goal.reached")}, exited ${count("journey.exited")}`);
  console.log(`  stages: ${j.stages.map((s) => `${s.id} ${count("stage.entered", "stage", s.id)}`).join(" -> ")}`);
  console.log(`  email sent ${count("email.sent")}, suppressed ${count("email.suppressed")}, deferred ${count("email.deferred")}; `
    + `hand-offs opened ${count("handoff.opened")}, breached ${count("handoff.breached")}; audience adds ${count("audience.added")}`);
}
console.log("\nLook at: the journals above (one JSON record per line), docs/journey-language.md, and `npx waymark simulate --help`.");
