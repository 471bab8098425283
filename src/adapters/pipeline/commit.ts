/**
 * The drain's atomic commit: one Lua call writes the state, consumes the inbox, appends the
 * journal and the stream, moves the counters (all time, by hour and by day), the cursors and
 * the read models, under version checks. Everything but the binary parts (the stored state
 * and journal entries) travels as one JSON argument that the script decodes, so a commit of
 * many records costs a handful of arguments, not one per counter.
 */
import type { ContactState, Cursors } from "../../core/index.js";
import { CHUNK_RECORDS, encodeState, isPlaceholder, type Dictionary } from "../redis/codec.js";
import type { Keys } from "../redis/keys.js";
import type { Scripts } from "../redis/scripts.js";
import { counterDeltas, DAY_KEPT_S, HOUR_KEPT_S, type RunPositions } from "../redis/stats.js";
import type { CommitPlan } from "./commit-plan.js";
import { journalWrite } from "../redis/journal-write.js";

/** What a commit writes. */
export type CommitInput = {
  contact: string; state: ContactState; version: unknown; merged: string; mergedVersion: string;
  /** The merged-away contact's inbox length when the merge was prepared (-1: not checked). */
  mergedInbox?: number;
  consumed: number;
  plan: CommitPlan; cursors: Cursors; cursorsRead: Cursors; before: RunPositions;
  /** The journal's open chunk as read (contact-record.ts). */
  open: Buffer | null;
  /** The deployment's dictionary, in Redis already (dictionary.ts). */
  dict: Dictionary;
};

/** Settings of the commit. */
export type CommitDeps = { keys: Keys; scripts: Scripts; journalMax: number; streamMax: number };

/**
 * Commits; returns -1 on a version conflict (the record, and so the journal's open chunk,
 * changed meanwhile), -2 on a cursor conflict (the caller re-reads and evaluates again), else
 * the number of inputs left in the inbox.
 */
export function commit(d: CommitDeps, c: CommitInput): Promise<number> {
  const { keys, args } = commitCall(d, c);
  return d.scripts.commit(keys, args);
}

/** The keys and arguments of a commit's script call (to send alone, or pipelined with others). */
export function commitCall(d: CommitDeps, c: CommitInput): { keys: string[]; args: (string | Buffer)[] } {
  const k = d.keys;
  const m = c.merged || `${c.contact}\u0000none`;
  const keys = [k.contact(c.contact), k.inbox(c.contact), k.journal(c.contact), k.stream, k.stats, k.backlog, k.pending, k.cursors,
    k.contact(m), k.alias(m), k.inbox(m), k.journal(m)];
  const keyIndex = new Map<string, number>();
  const keyOf = (key: string) => {
    let i = keyIndex.get(key);
    if (i === undefined) keyIndex.set(key, (i = keys.push(key)));
    return i;
  };
  const { total, hourly } = counterDeltas(c.before, c.plan.counted);
  const buckets: [number, number, [string, string][]][] = [];
  for (const [hour, deltas] of hourly) {
    if (deltas.length > 0) buckets.push([keyOf(k.statsHour(hour)), keyOf(k.statsDay(hour.slice(0, 10))), deltas.map(([f, v]) => [f, String(v)])]);
  }
  const ops = c.plan.ops.map(([cmd, key, ...rest]) => {
    // A bad number would fail the script half-way (Redis does not roll scripts back): refuse it here.
    if (rest.some((x) => typeof x === "number" && !Number.isFinite(x))) throw new Error(`drain: ${cmd} ${key} with a non-finite number`);
    return [cmd, keyOf(key), ...rest.map(String)];
  });
  const changed = Object.entries(c.cursors).filter(([f, v]) => c.cursorsRead[f] !== v);
  const j = journalWrite(c.open, c.plan.journal, Math.min(CHUNK_RECORDS, d.journalMax), c.dict);
  const payload = {
    v: typeof c.version === "string" ? c.version : "", av: c.mergedVersion, ai: c.mergedInbox ?? -1, consumed: c.consumed, jmax: d.journalMax, smax: d.streamMax,
    id: c.contact, merged: c.merged, now: Date.now(), ns: j.sealed.length, sadd: j.sealedLines, on: j.openLines, jadd: c.plan.journal.length, hkeep: HOUR_KEPT_S, dkeep: DAY_KEPT_S,
    r: c.plan.journal.filter((line) => !isPlaceholder(line)),
    s: total.map(([f, v]) => [f, String(v)]),
    b: buckets,
    cc: changed.map(([f]) => [f, c.cursorsRead[f] === undefined ? "" : String(c.cursorsRead[f])]),
    cs: changed.map(([f, v]) => [f, String(v)]),
    o: ops,
  };
  return { keys, args: [payloadJson(payload), encodeState(c.state, c.dict), j.open, ...j.sealed] };
}

/**
 * The payload as JSON Redis's cjson accepts: JSON.stringify writes a lone surrogate (a
 * string that is not valid UTF-16, from a contact id or a hand-off's `by`) as a `\udXXX`
 * escape, which cjson refuses; such strings get U+FFFD in its place, the bytes a plain
 * argument would have carried.
 */
export function payloadJson(payload: unknown): string {
  const json = JSON.stringify(payload);
  if (!/\\ud[89a-f]/i.test(json)) return json;
  return JSON.stringify(payload, (_k, v: unknown) => (typeof v === "string" ? (v as string & { toWellFormed(): string }).toWellFormed() : v));
}
