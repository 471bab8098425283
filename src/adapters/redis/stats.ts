/**
 * Counters kept as records happen (never by scanning): per journey and record type, per
 * stage (entered, now, converted, time spent, moves to each other stage) and per segment (size).
 */
import type { Compiled, ContactState, JournalRecord } from "../../core/index.js";

/** Stay lengths are counted in buckets growing by 2^(1/4) (about 19%) from one second. */
const PER_DOUBLING = 4;

/** The bucket of a stay of `ms` (0 holds every stay under 1 s). */
export function stayBucket(ms: number): number {
  return ms < 1_000 ? 0 : Math.floor(PER_DOUBLING * Math.log2(ms / 1_000)) + 1;
}

/** The geometric middle of a bucket (ms): the estimate of a stay that fell in it. */
export function bucketMiddle(b: number): number {
  if (b === 0) return 500;
  const lo = 1_000 * 2 ** ((b - 1) / PER_DOUBLING);
  return Math.round(lo * 2 ** (1 / (2 * PER_DOUBLING)));
}

/**
 * The (lower) median stay from bucket counts, null without stays. The median's bucket is
 * found by the counts; with the sums of the stays whose lengths were kept in it (`sums`
 * over `summed` stays), it is their mean: exact when they are equal (nine stays of 1.5 s:
 * 1,500; instant passes: 0), and inside that bucket, so under 19% from the exact lower
 * median. Without them (counters written before lengths were kept), the bucket's middle:
 * within 10% for stays of 1 s or more (stays under 1 s: 0.5 s).
 */
export function medianFromBuckets(counts: Map<number, number>, sums?: Map<number, number>, summed?: Map<number, number>): number | null {
  const total = [...counts.values()].reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  let seen = 0;
  for (const b of [...counts.keys()].sort((x, y) => x - y)) {
    seen += counts.get(b)!;
    if (seen * 2 < total) continue;
    const n = summed?.get(b) ?? 0;
    return n > 0 ? Math.round((sums?.get(b) ?? 0) / n) : bucketMiddle(b);
  }
  return null;
}

/** A counter field and its increment. */
export type StatDelta = [field: string, delta: number];

/** Where a contact stood in each active run before an evaluation: what the counters need. */
export type RunPositions = Map<string, { stage: string | undefined; since: number; segments: string[] }>;

/** Takes the positions before evaluating (the evaluator changes the state it owns). */
export function runPositions(c: Compiled, s: ContactState): RunPositions {
  const out: RunPositions = new Map();
  for (const [jid, run] of Object.entries(s.runs)) {
    const j = c.byId.get(jid);
    if (run.on && j) out.set(jid, { stage: j.stages[run.st]?.id, since: run.sAt, segments: run.sg.slice() });
  }
  return out;
}

/** Whether a counter is a flow (counted per hour and day too) rather than a level (`now`, segment sizes). */
export function isFlow(field: string): boolean {
  return !field.startsWith("g|") && !field.endsWith("|now");
}

/** How long hour and day buckets of counters are kept (seconds). */
export const HOUR_KEPT_S = 8 * 86_400;
export const DAY_KEPT_S = 400 * 86_400;

const HOUR_MS = 3_600_000;
const hourNames = new Map<number, string>();

/** The hour bucket (`YYYY-MM-DDTHH`, UTC) of an instant (names remembered: every commit asks, mostly for the same few hours). */
export function hourOf(at: number): string {
  const h = Math.floor(at / HOUR_MS);
  let name = hourNames.get(h);
  if (name === undefined) {
    name = new Date(h * HOUR_MS).toISOString().slice(0, 13);
    if (hourNames.size >= 10_000) hourNames.clear();
    hourNames.set(h, name);
  }
  return name;
}

/**
 * The counter increments for `records`, given where the contact stood before them (to
 * know the stage a contact leaves on exit or converts in, and the segments it leaves):
 * in all (`total`) and, for flows, by the UTC hour of each record's instant (`hourly`).
 * One pass over the records: this runs on every commit.
 */
export function counterDeltas(before: RunPositions, records: JournalRecord[]): { total: StatDelta[]; hourly: Map<string, StatDelta[]> } {
  const total = new Map<string, number>();
  const hours = new Map<string, Map<string, number>>();
  walk(before, records, (f, d, at) => {
    total.set(f, (total.get(f) ?? 0) + d);
    if (!isFlow(f)) return;
    const h = hourOf(at);
    let m = hours.get(h);
    if (!m) hours.set(h, (m = new Map()));
    m.set(f, (m.get(f) ?? 0) + d);
  });
  const nonZero = (m: Map<string, number>): StatDelta[] => [...m].filter(([, d]) => d !== 0);
  return { total: nonZero(total), hourly: new Map([...hours].map(([h, m]) => [h, nonZero(m)])) };
}

/** The counter increments for `records` in all (see {@link counterDeltas}). */
export function statDeltas(before: RunPositions, records: JournalRecord[]): StatDelta[] {
  return counterDeltas(before, records).total;
}

function walk(before: RunPositions, records: JournalRecord[], emit: (field: string, delta: number, at: number) => void): void {
  const stage = new Map<string, { id: string; since: number }>();
  const segments = new Map<string, Set<string>>();
  for (const [jid, p] of before) {
    if (p.stage !== undefined) stage.set(jid, { id: p.stage, since: p.since });
    segments.set(jid, new Set(p.segments));
  }
  const segs = (j: string) => {
    let set = segments.get(j);
    if (!set) segments.set(j, (set = new Set()));
    return set;
  };
  let at = 0;
  const add = (f: string, d: number) => emit(f, d, at);
  // A stay ends: one contact fewer now, its length in the total and in its bucket.
  const leave = (j: string, cur: { id: string; since: number }, t: number) => {
    add(`s|${j}|${cur.id}|now`, -1);
    add(`s|${j}|${cur.id}|left`, 1);
    add(`s|${j}|${cur.id}|ms`, t - cur.since);
    const b = stayBucket(t - cur.since);
    add(`s|${j}|${cur.id}|h|${b}`, 1);
    // Their lengths too (`hm`, a zero sum is never written) over the stays counted so (`hn`).
    add(`s|${j}|${cur.id}|hm|${b}`, t - cur.since);
    add(`s|${j}|${cur.id}|hn|${b}`, 1);
  };
  for (const r of records) {
    const j = r.journey;
    if (j === undefined) continue;
    at = Date.parse(r.at);
    add(`j|${j}|${r.type}`, 1);
    const cur = stage.get(j);
    switch (r.type) {
      case "stage.entered": {
        const id = r["stage"] as string;
        add(`s|${j}|${id}|entered`, 1);
        add(`s|${j}|${id}|now`, 1);
        if (cur && r["from"] !== null) {
          leave(j, cur, at);
          // Moves by pair of stages: the funnel's "went on" share counts the moves to later stages.
          add(`s|${j}|${cur.id}|to|${id}`, 1);
        }
        stage.set(j, { id, since: at });
        break;
      }
      case "handoff.resolved":
        // Decided in time: resolved before its SLA ran out (a late one was counted as breached).
        if (!r["breached"]) add(`h|${j}|ontime`, 1);
        break;
      case "goal.reached":
        if (cur) add(`s|${j}|${cur.id}|converted`, 1);
        break;
      case "journey.exited":
        if (cur) {
          if (r["reason"] !== "goal") add(`s|${j}|${cur.id}|dropped`, 1);
          leave(j, cur, at);
          stage.delete(j);
        }
        // Leaving the journey leaves its segments (no segment.exited is recorded for that).
        for (const g of segs(j)) add(`g|${j}|${g}`, -1);
        segments.delete(j);
        break;
      case "conversion.attributed":
        // Credit by channel in thousandths (counters are integers).
        for (const c of (r["credits"] as { channel: string; credit: number }[] | undefined) ?? []) add(`a|${j}|${c.channel}`, Math.round(c.credit * 1_000));
        break;
      case "segment.entered":
        add(`g|${j}|${r["segment"] as string}`, 1);
        segs(j).add(r["segment"] as string);
        break;
      case "segment.exited":
        add(`g|${j}|${r["segment"] as string}`, -1);
        segs(j).delete(r["segment"] as string);
        break;
    }
  }
}
