// Profiles evaluate() alone, each contact's inputs back to back: node --cpu-prof bench/profile-eval.mjs [contacts]
import { loadJourneyFolder } from "../dist/adapters/journey-files.js";
import { compile, evaluateOwned, Message, newContact, resolveMessage } from "../dist/core/index.js";
import { generate } from "./generate.mjs";

const contacts = Number(process.argv[2] ?? 20000);
const load = await loadJourneyFolder("journeys", { env: {} });
const compiled = compile(load.definitions);
const messages = generate({ journeys: load.definitions.journeys.map((j) => j.journey), contacts, perContact: 10 });
const byContact = new Map();
for (const m of messages) {
  const p = Message.parse(m);
  const r = resolveMessage(p, Date.parse(p.timestamp));
  if (!byContact.has(r.contact)) byContact.set(r.contact, []);
  byContact.get(r.contact).push(r);
}
let n = 0;
let records = 0;
const t0 = performance.now();
for (const [id, list] of byContact) {
  let s = newContact(id);
  for (const r of list) {
    const out = evaluateOwned(compiled, s, r.input, r.at);
    s = out.state;
    records += out.records.length;
    n++;
  }
}
const ms = performance.now() - t0;
console.log(`${Math.round(n / ms * 1000)} events/s, ${records} records`);
