// Writes the generated stream as NDJSON: node bench/write-stream.mjs <contacts> <file>
import { writeFileSync } from "node:fs";
import { loadJourneyFolder } from "../dist/adapters/journey-files.js";
import { generate } from "./generate.mjs";

const [contacts = "20000", file = "/tmp/waymark-stream.ndjson"] = process.argv.slice(2);
const load = await loadJourneyFolder("journeys", { env: {} });
const messages = generate({ journeys: load.definitions.journeys.map((j) => j.journey), contacts: Number(contacts), perContact: 10 });
writeFileSync(file, messages.map((m) => JSON.stringify(m)).join("\n") + "\n");
console.log(`${messages.length} messages -> ${file}`);
