/**
 * The contract's worked example (`../shared/spec/example`): its journeys folder loaded as
 * the engine loads one (templates included), and its events.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { compile } from "../src/core/index.js";
import { loadJourneyFolder } from "../src/adapters/journey-files.js";
import type { Deployable } from "../src/adapters/runtime.js";

const example = new URL("../../shared/spec/example/", import.meta.url);

/** The example's journeys, workspace and templates. */
export async function exampleDeployable(): Promise<Deployable> {
  const r = await loadJourneyFolder(fileURLToPath(new URL("journeys", example)), { env: {} });
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join("\n"));
  return { compiled: compile(r.definitions), workspace: r.definitions.workspace, templates: r.templates };
}

/** The example's events (Segment messages). */
export function exampleEvents(): (Record<string, unknown> & { type: string; timestamp: string })[] {
  return readFileSync(new URL("events.ndjson", example), "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l) as never);
}
