/**
 * Problems found while loading journey files, and the translation of zod issues into them.
 */
import type { z } from "zod";
import { SIGNAL_MAP_KEYS, SIGNAL_NAMES } from "../schema/journey.js";

/** One problem, reported as `path:line:col: message`. */
export type Problem = { file: string; line: number; col: number; message: string };

/** Formats a problem the way editors and CI logs understand. */
export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.message}`;
}

/** An issue located by its path in the document (before positions are known). */
export type PathIssue = { path: PropertyKey[]; message: string; key?: string };

type Issue = z.core.$ZodIssue;

/**
 * Flattens zod issues into path issues. For a failed union, only the branch that got
 * furthest is kept, so a marketer reads "expected a number" rather than "Invalid input".
 */
export function flattenIssues(issues: readonly Issue[], base: PropertyKey[] = []): PathIssue[] {
  const out: PathIssue[] = [];
  for (const issue of issues) {
    const path = [...base, ...issue.path];
    if (issue.code === "invalid_union" && issue.errors.length > 0) {
      const branch = bestBranch(issue.errors);
      if (branch) {
        out.push(...flattenIssues(branch, path));
        continue;
      }
    }
    if (issue.code === "unrecognized_keys") {
      for (const key of issue.keys) out.push({ path, key, message: `unknown key "${key}"${suggest(key)}` });
      continue;
    }
    if (issue.code === "invalid_key" && path.length > 0) {
      // A record key that fails its schema (a segment id, an endpoint name): point at the
      // key, with the key schema's own message.
      const key = String(path.at(-1));
      const why = issue.issues.map((i) => i.message).filter(Boolean).join("; ") || issue.message;
      out.push({ path: path.slice(0, -1), key, message: why });
      continue;
    }
    out.push({ path, message: friendly(issue) });
  }
  return out;
}

function bestBranch(branches: Issue[][]): Issue[] | undefined {
  // A branch that rejected the value's type at its root, or all its keys, was the wrong branch.
  const scored = branches.map((b) => ({
    b,
    wrongShape: b.some((i) => i.path.length === 0 && (i.code === "invalid_type" || i.code === "unrecognized_keys" || i.code === "invalid_value")),
    depth: Math.max(0, ...b.map((i) => i.path.length)),
  }));
  const plausible = scored.filter((s) => !s.wrongShape);
  const pool = plausible.length > 0 ? plausible : [];
  if (pool.length === 0) return undefined;
  pool.sort((x, y) => y.depth - x.depth || x.b.length - y.b.length);
  return pool[0]!.b;
}

function friendly(issue: Issue): string {
  if (issue.code === "invalid_type") {
    const received = (issue as { input?: unknown }).input;
    if (received === undefined) {
      const key = issue.path.at(-1);
      return typeof key === "string" ? `missing required key "${key}" (expected ${issue.expected})` : `missing required key (expected ${issue.expected})`;
    }
    return `expected ${issue.expected}, got ${describe(received)}`;
  }
  if (issue.code === "invalid_union") {
    // A union left out altogether (`entry`): name the key, as for any other missing one.
    const key = issue.path.at(-1);
    const input = (issue as { input?: unknown }).input;
    if (input === undefined && typeof key === "string") return `missing required key "${key}"`;
    return unionProblem(issue.path, input);
  }
  if (issue.code === "invalid_value") return `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}`;
  return issue.message;
}

const SIGNAL_KEYS: readonly string[] = SIGNAL_MAP_KEYS;
const SIGNALS = `${SIGNAL_NAMES.join(", ")}, or a one-key map: ${SIGNAL_MAP_KEYS.filter((k) => k !== "journey.entered" && k !== "goal.reached").join(", ")}`;

/** What a value that fits none of a union's forms should have been, by the key it sits under. */
function unionProblem(path: readonly PropertyKey[], input: unknown): string {
  const key = path.at(-1);
  const keys = input !== null && typeof input === "object" && !Array.isArray(input) ? Object.keys(input) : null;
  if (key === "entry") {
    if (keys && keys.includes("event") && keys.includes("segment")) return "entry takes one form, found event and segment: { event, where? } or { segment }";
    return "expected entry { event, where? } or { segment }";
  }
  if (key === "on") {
    if (typeof input === "string" && SIGNAL_KEYS.includes(input)) return `the signal ${input} needs a value: { ${input}: ${input === "stalled" ? "{ stage, for }" : input === "event" ? "Name" : "<id>"} }`;
    if (typeof input === "string") return `unknown signal ${JSON.stringify(input)} (signals: ${SIGNALS})`;
    if (keys?.includes("event")) {
      const extra = keys.find((k) => k !== "event" && k !== "where");
      if (extra !== undefined) return `an event signal takes event and where, found ${JSON.stringify(extra)}`;
    }
    if (keys && keys.length > 1) return `a signal map has exactly one key, found ${keys.join(", ")}`;
    const unknown = keys?.find((k) => !SIGNAL_KEYS.includes(k) && k !== "where");
    if (unknown !== undefined) return `unknown signal ${JSON.stringify(unknown)}${suggest(unknown, SIGNAL_KEYS)} (signals: ${SIGNALS})`;
    return `expected a signal: ${SIGNALS}`;
  }
  if (key === "reentry") return "expected never, always or { after: <duration> }";
  return "not one of the allowed forms";
}

function describe(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a map";
  return `${typeof v} ${JSON.stringify(v)}`;
}

const KNOWN = ["entry", "exit", "goal", "stages", "segments", "score", "triggers", "attribution", "reentry", "limits",
  "holdout", "quietHours", "stagesCanRegress", "performed", "within", "count", "where", "event", "trait", "segment",
  "stage", "inStage", "template", "subject", "handoff", "resolvedBy", "onBreach", "onTimeout", "timeout", "until",
  "thresholds", "halfLife", "decay", "points", "touchpoints", "lookback", "channel", "cooldown", "once", "webhook",
  "when", "rules", "model", "weights", "variants", "weight", "audience", "owners", "payload", "description", "endpoints",
  "audiences", "timezone", "headers", "secret", "replyTo", "templates", "preheader", "split", "flag", "email"];

function suggest(key: string, known: readonly string[] = KNOWN): string {
  const lower = key.toLowerCase();
  // The nearest known key; short keys allow fewer typos, so "on" never suggests "do".
  const limit = Math.min(2, Math.floor(lower.length / 3));
  let hit: string | undefined;
  let best = Infinity;
  for (const k of known) {
    const d = k.toLowerCase() === lower ? 0 : distance(k.toLowerCase(), lower);
    if (d <= limit && d < best) { hit = k; best = d; }
  }
  return hit && hit !== key ? ` (did you mean "${hit}"?)` : "";
}

function distance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 9;
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
  }
  return d[a.length]![b.length]!;
}
