/**
 * Counters kept as records happen (never by scanning): per journey and record type, per
 * stage (entered, now, converted, time spent) and per segment (size).
 */
import type { Compiled, ContactState, JournalRecord } from "../../core/index.js";

/** A counter field and its increment. */
export type StatDelta = [field: string, delta: number];

/**
 * The counter increments for `records`, given the contact's state before them (to know
 * the stage a contact leaves on exit or converts in).
 */
export function statDeltas(c: Compiled, before: ContactState | null, records: JournalRecord[]): StatDelta[] {
  const stage = new Map<string, { id: string; since: number }>();
  const segments = new Map<string, Set<string>>();
  if (before) {
    for (const [jid, run] of Object.entries(before.runs)) {
      const j = c.byId.get(jid);
      if (run.on && j) {
        stage.set(jid, { id: j.stages[run.st]!.id, since: run.sAt });
        segments.set(jid, new Set(run.sg));
      }
    }
  }
  const segs = (j: string) => {
    let set = segments.get(j);
    if (!set) segments.set(j, (set = new Set()));
    return set;
  };
  const out = new Map<string, number>();
  const add = (f: string, d: number) => out.set(f, (out.get(f) ?? 0) + d);
  for (const r of records) {
    const j = r.journey;
    if (j === undefined) continue;
    const at = Date.parse(r.at);
    add(`j|${j}|${r.type}`, 1);
    const cur = stage.get(j);
    switch (r.type) {
      case "stage.entered": {
        const id = r["stage"] as string;
        add(`s|${j}|${id}|entered`, 1);
        add(`s|${j}|${id}|now`, 1);
        if (cur && r["from"] !== null) {
          add(`s|${j}|${cur.id}|now`, -1);
          add(`s|${j}|${cur.id}|left`, 1);
          add(`s|${j}|${cur.id}|ms`, at - cur.since);
        }
        stage.set(j, { id, since: at });
        break;
      }
      case "goal.reached":
        if (cur) add(`s|${j}|${cur.id}|converted`, 1);
        break;
      case "journey.exited":
        if (cur) {
          add(`s|${j}|${cur.id}|now`, -1);
          add(`s|${j}|${cur.id}|left`, 1);
          add(`s|${j}|${cur.id}|ms`, at - cur.since);
          stage.delete(j);
        }
        // Leaving the journey leaves its segments (no segment.exited is recorded for that).
        for (const g of segs(j)) add(`g|${j}|${g}`, -1);
        segments.delete(j);
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
  return [...out].filter(([, d]) => d !== 0);
}
