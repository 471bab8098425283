/**
 * Test helpers: compile journeys from inline YAML and run messages through the simulator.
 */
import {
  compile, loadDefinitions, Message, resolveMessage, Simulator,
  type Compiled, type Effect, type JournalRecord, type Problem,
} from "../src/core/index.js";

/** Inline sources for a test workspace. */
export type Sources = {
  /** Journey files: name -> YAML text. */
  journeys: Record<string, string>;
  /** waymark.yaml text. */
  workspace?: string;
  /** Template names that exist. */
  templates?: string[];
  env?: Record<string, string>;
};

function load(src: Sources) {
  return loadDefinitions({
    journeys: Object.entries(src.journeys).map(([path, text]) => ({ path, text })),
    ...(src.workspace !== undefined ? { workspace: { path: "waymark.yaml", text: src.workspace } } : {}),
    templates: src.templates ?? [],
    env: src.env ?? {},
  });
}

/** Loads and validates inline sources; returns the problems (empty when valid). */
export function problemsOf(src: Sources): Problem[] {
  const r = load(src);
  return r.ok ? [] : r.problems;
}

/** Compiles inline sources, throwing with the problems when invalid. */
export function compileSources(src: Sources): Compiled {
  const r = load(src);
  if (!r.ok) throw new Error(r.problems.map((p) => `${p.file}:${p.line}:${p.col}: ${p.message}`).join("\n"));
  return compile(r.definitions);
}

/** Shorthand: one journey file. */
export function compileJourney(yaml: string, extra: Omit<Sources, "journeys"> = {}): Compiled {
  return compileSources({ journeys: { "j.yaml": yaml }, ...extra });
}

/** Go enters, each Ping sets a trait: a journey with a record per event, for the storage tests. */
export const PINGS = compileJourney(`
id: pings
entry: { event: Go }
stages: [ { id: a } ]
triggers: [ { id: t, on: { event: Ping }, do: [ { set: { pinged: true } } ] } ]
`);

/** Runs Segment-shaped messages (objects) through a simulator, up to `until` (ISO) or the last one. */
export function simulate(compiled: Compiled, messages: object[], until?: string): { records: JournalRecord[]; effects: Effect[]; sim: Simulator } {
  const records: JournalRecord[] = [];
  const effects: Effect[] = [];
  const sim = new Simulator(compiled, { record: (r) => records.push(r), effect: (e) => effects.push(e) });
  const resolved = messages.map((m, i) => {
    const parsed = Message.parse(m);
    const ts = parsed.timestamp ?? parsed.originalTimestamp;
    if (ts === undefined) throw new Error(`message ${i} needs a timestamp`);
    return { r: resolveMessage(parsed, Date.parse(ts)), i };
  }).sort((a, b) => a.r.at - b.r.at || a.i - b.i).map((x) => x.r);
  for (const r of resolved) sim.apply(r);
  const end = until !== undefined ? Date.parse(until) : resolved[resolved.length - 1]?.at;
  if (end !== undefined) sim.advance(end);
  return { records, effects, sim };
}

/** Records reduced to `type` plus chosen fields, for compact assertions. */
export function pick(records: JournalRecord[], ...fields: string[]): Record<string, unknown>[] {
  return records.map((r) => Object.fromEntries([["type", r.type], ...fields.filter((f) => f in r).map((f) => [f, r[f]])]));
}
