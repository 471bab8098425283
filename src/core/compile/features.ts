/**
 * Features: the event histories the compiled journeys need, and nothing more.
 * A feature is an event name plus a `where` filter; each contact keeps, per feature,
 * a capped count and the newest timestamps still inside the longest window that uses it.
 */
import type { Where } from "../schema/condition.js";
import { canonical, compileWhere } from "./predicates.js";
import { fnv1a } from "../eval/hash.js";

/** A compiled feature. */
export type Feature = {
  id: string;
  event: string;
  match: ((props: Record<string, unknown>) => boolean) | null;
  /** How many newest timestamps to keep (0: none). */
  keep: number;
  /** How long a timestamp is worth keeping (ms); 0 when no window uses it. */
  retain: number;
  /** Cap on the stored count. */
  capN: number;
};

/** Collects features across all journeys, merging identical ones. */
export class FeatureRegistry {
  readonly byId = new Map<string, Feature>();

  /** Registers a use: `need` events counted, optionally inside `within` ms (Infinity: all kept). */
  use(event: string, where: Where | undefined, need: number, within?: number): Feature {
    const key = canonical({ event, where: where ?? null });
    const id = fnv1a(key).toString(36);
    let f = this.byId.get(id);
    if (!f) {
      f = { id, event, match: compileWhere(where), keep: 0, retain: 0, capN: 1 };
      this.byId.set(id, f);
    }
    const n = Math.max(1, Math.ceil(need));
    f.capN = Math.max(f.capN, n);
    if (within !== undefined) {
      f.keep = Math.max(f.keep, n);
      f.retain = Math.max(f.retain, within);
    }
    return f;
  }

  /** Features by event name, for the ingest fast path. */
  byEvent(): Map<string, Feature[]> {
    const m = new Map<string, Feature[]>();
    for (const f of this.byId.values()) {
      const list = m.get(f.event) ?? [];
      list.push(f);
      m.set(f.event, list);
    }
    return m;
  }
}

/** Records one matching event at `ts` into a history, keeping it bounded. */
export function addToHistory(h: number[] | undefined, f: Feature, ts: number, now: number): number[] {
  const count = Math.min((h?.[0] ?? 0) + 1, f.capN);
  const out = [count];
  if (f.keep === 0) return out;
  // Merge `ts` into the newest-first timestamps, keeping at most `keep` inside the window.
  const cutoff = now - f.retain;
  let pending = ts > cutoff;
  if (h) {
    for (let i = 1; i < h.length && out.length <= f.keep; i++) {
      const x = h[i]!;
      if (pending && ts >= x) {
        out.push(ts);
        pending = false;
        if (out.length > f.keep) break;
      }
      if (x <= cutoff) break;
      out.push(x);
    }
  }
  if (pending && out.length <= f.keep) out.push(ts);
  return out;
}

/** Drops timestamps older than the feature's longest window as of `t` (a new array if any). */
export function pruneHistory(h: number[], f: Feature, t: number): number[] {
  if (f.keep === 0) return h.length > 1 ? h.slice(0, 1) : h;
  const cutoff = t - f.retain;
  let end = h.length;
  while (end > 1 && h[end - 1]! <= cutoff) end--;
  return end === h.length ? h : h.slice(0, end);
}

/** Number of timestamps in `h` strictly younger than `within` at `t`. */
export function countWithin(h: number[] | undefined, within: number, t: number): number {
  if (!h) return 0;
  const cutoff = t - within;
  let c = 0;
  for (let i = 1; i < h.length; i++) {
    if (h[i]! > cutoff && h[i]! <= t) c++;
    else if (h[i]! <= cutoff) break;
  }
  return c;
}
