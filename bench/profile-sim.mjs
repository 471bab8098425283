// Profiles the simulator alone over the generated stream: node --cpu-prof bench/profile-sim.mjs [contacts]
import { loadJourneyFolder } from "../dist/adapters/journey-files.js";
import { compile, Message, resolveMessage, Simulator } from "../dist/core/index.js";
import { generate } from "./generate.mjs";

const contacts = Number(process.argv[2] ?? 20000);
const load = await loadJourneyFolder("journeys", { env: {} });
const compiled = compile(load.definitions);
const messages = generate({ journeys: load.definitions.journeys.map((j) => j.journey), contacts, perContact: 10 });
const resolved = messages.map((m) => { const p = Message.parse(m); return resolveMessage(p, Date.parse(p.timestamp)); });
let n = 0;
const sim = new Simulator(compiled, { record: () => n++ });
const t0 = performance.now();
for (const r of resolved) sim.apply(r);
const ms = performance.now() - t0;
console.log(`${Math.round(resolved.length / ms * 1000)} events/s, ${n} records`);
