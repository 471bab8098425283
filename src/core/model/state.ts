/**
 * The per-contact state the evaluator reads and returns. Compact, bounded, JSON-safe.
 * Times are epoch milliseconds. See docs/state.md for the shape and its size.
 */

/**
 * History of one compiled feature (an event name + `where`):
 * `[count, newest, ..., oldest]`: the count of matching events (capped at what any
 * condition needs) followed by the newest timestamps still inside the longest window,
 * at most as many as any condition needs.
 */
export type FeatureHistory = number[];

/** A paused step sequence of a trigger. `pc` is a stack of `[block, index]`. */
export type Thread = {
  /** Sequence number inside the run (stable cause for effect ids). */
  id: number;
  /** Trigger id. */
  tr: string;
  pc: [number, number][];
  /** Resume (or time-out) instant. */
  due?: number;
  /** Waiting at a `wait: { until }` step. */
  wu?: 1;
  /** Re-run the current step when due (a deferred email). */
  re?: 1;
  /** Hash of the trigger's definition and its first block when the thread started (see rebase). */
  h?: string;
  b0?: number;
};

/** An open hand-off of a run. */
export type OpenHandoff = {
  id: string;
  team: string;
  owner?: string;
  /** SLA due instant. */
  due: number;
  /** Opened at. */
  at: number;
  /** Trigger that opened it. */
  tr: string;
  /** Block and index of the handoff step (for resolvedBy and onBreach). */
  step: [number, number];
  /** Breached already (kept until resolved). */
  br?: 1;
  /** As for threads: the opening trigger's hash and first block. */
  h?: string;
  b0?: number;
};

/** A contact's run of one journey. */
export type Run = {
  /** Active (1) or ended (0). */
  on: 0 | 1;
  /** Number of entries so far. */
  n: number;
  /** Entered at. */
  at: number;
  /** Ended at. */
  end?: number;
  /** In the holdout (control) group. */
  ho?: 1;
  /** Current stage index and since when. */
  st: number;
  sAt: number;
  /** Current segments. */
  sg: string[];
  /** Score value as of `scAt`, and nominal points added per rule (for `max`). */
  sc: number;
  scAt: number;
  sr: number[];
  /** Trigger id -> [last start, starts this run] (for once and cooldown). */
  tr: Record<string, [number, number]>;
  /** Stalled-trigger ids that fired during the current stay. */
  stl: string[];
  th: Thread[];
  hd: OpenHandoff[];
  /** Journey email sends inside the longest journey cap window. */
  em: number[];
  /** The event that started the run (for templates). */
  ev: { name: string; properties: Record<string, unknown> } | null;
  /** Next thread sequence number. */
  seq: number;
  /** The run's own next wake-up. */
  wk: number | null;
};

/** Everything the evaluator knows about one contact. */
export type ContactState = {
  v: 1;
  id: string;
  /** The last instant evaluated. */
  clock: number;
  traits: Record<string, unknown>;
  /** Feature histories by feature id. */
  f: Record<string, FeatureHistory>;
  /** Signature of the compiled features `f` was last cleaned against. */
  fs?: string;
  runs: Record<string, Run>;
  /** Segment-entry journeys: [member now (0/1), next wake or 0]. */
  es: Record<string, [0 | 1, number]>;
  /** Audience memberships: id -> [expiresAt or 0, journey id]. */
  aud: Record<string, [number, string]>;
  /** Email sends inside the longest workspace cap window. */
  em: number[];
  wakeAt: number | null;
};

/** A fresh contact. */
export function newContact(id: string, clock = 0): ContactState {
  return { v: 1, id, clock, traits: {}, f: Object.create(null) as Record<string, FeatureHistory>, runs: {}, es: {}, aud: {}, em: [], wakeAt: null };
}

/** A deep copy of plain JSON data (state is small; this is faster than structuredClone). */
export function cloneData<T>(v: T): T {
  if (v === null || typeof v !== "object") return v;
  if (Array.isArray(v)) {
    const out = new Array(v.length);
    for (let i = 0; i < v.length; i++) out[i] = cloneData(v[i]);
    return out as T;
  }
  const out: Record<string, unknown> = {};
  for (const k in v) out[k] = cloneData((v as Record<string, unknown>)[k]);
  return out as T;
}

/**
 * A copy of a state that may be changed without touching the original: containers are
 * copied shallowly and parts are copied deeply only where the evaluator writes
 * (`ownRun`, `ownTraits`, feature arrays are replaced, never mutated in place).
 */
export function shallowState(s: ContactState): ContactState {
  return { ...s, f: { ...s.f }, runs: { ...s.runs }, es: { ...s.es }, aud: { ...s.aud } };
}

/** A copy of a run whose own containers may be changed (the entry event is shared: it is never written). */
export function cloneRun(r: Run): Run {
  return {
    ...r,
    sg: r.sg.slice(), sr: r.sr.slice(), tr: { ...r.tr }, stl: r.stl.slice(), em: r.em.slice(),
    th: r.th.map((t) => ({ ...t, pc: t.pc.map((f): [number, number] => [f[0], f[1]]) })),
    hd: r.hd.map((h) => ({ ...h })),
  };
}
