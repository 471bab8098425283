/**
 * Read models of the admin API, computed from stored data: a contact's view (from its
 * state) and per-journey funnel numbers (from the counters hash). Pure.
 */
import { runPosition, type Compiled, type ContactState } from "../../core/index.js";
import { medianFromBuckets } from "../redis/stats.js";

/** One journey as seen on a contact. */
export type ContactJourney = {
  active: boolean;
  /** Current (or last) stage id; null when the journey is no longer deployed. */
  stage: string | null;
  /** Segments of this journey the contact is in. */
  segments: string[];
  /** The journey score decayed to now, rounded to 2 decimals. */
  score: number;
  enteredAt: string;
  stageSince: string;
  /** When the run ended (inactive runs only). */
  endedAt?: string;
  /** Drawn into the journey's control group. */
  holdout?: true;
};

/** `GET /v1/contacts/:id`. */
export type ContactView = {
  id: string;
  traits: Record<string, unknown>;
  journeys: Record<string, ContactJourney>;
  /** The contact's next wake-up (ISO), or null. */
  wakeAt: string | null;
};

const iso = (ms: number) => new Date(ms).toISOString();

/** A contact's view at `now`: traits, and per journey its stage, segments, score and entry. */
export function contactView(compiled: Compiled, s: ContactState, now: number): ContactView {
  const journeys: Record<string, ContactJourney> = {};
  for (const [jid, run] of Object.entries(s.runs)) {
    journeys[jid] = {
      active: run.on === 1,
      ...runPosition(compiled, jid, run, now),
      enteredAt: iso(run.at),
      stageSince: iso(run.sAt),
      ...(run.on === 0 && run.end !== undefined ? { endedAt: iso(run.end) } : {}),
      ...(run.ho ? { holdout: true as const } : {}),
    };
  }
  return { id: s.id, traits: s.traits, journeys, wakeAt: s.wakeAt === null ? null : iso(s.wakeAt) };
}

/** One stage's funnel numbers. */
export type StageStats = {
  stage: string;
  /** Contacts in the stage now. */
  now: number;
  /** Entries into the stage, ever. */
  entered: number;
  /** Goals reached while in the stage. */
  converted: number;
  /** Stays in the stage that ended (moved on, or left the journey). */
  left: number;
  /** Mean time (ms) of the stays that ended; null before any did. */
  avgMsInStage: number | null;
  /** Median time (ms) of the stays that ended: the mean of the stays in the median's bucket (buckets about 19% wide; exact when those stays are equal); null before any did. */
  medianMsInStage: number | null;
};

/** `GET /v1/journeys`: one journey's numbers. */
export type JourneyStats = {
  id: string;
  name?: string;
  stages: StageStats[];
  /** Contacts in each segment of the journey now. */
  segments: Record<string, number>;
  /** Journal records of the journey by type. */
  records: Record<string, number>;
};

/** Funnel numbers of every deployed journey from the counters hash (`keys.stats`). */
export function journeyStats(compiled: Compiled, counters: Record<string, string>): JourneyStats[] {
  const n = (field: string) => Number(counters[field] ?? 0);
  // Stay-length buckets (`s|journey|stage|h|<bucket>`: counts; `...|hm|<bucket>`: the ms of
  // the `...|hn|<bucket>` stays whose lengths were kept), grouped by stage in one pass.
  const buckets = new Map<string, Map<number, number>>();
  const sums = new Map<string, Map<number, number>>();
  const summed = new Map<string, Map<number, number>>();
  for (const f of Object.keys(counters)) {
    const m = /^(s\|.+\|)(h|hm|hn)\|(\d+)$/.exec(f);
    // A stage may be called `h`: only `...|h|<digits>` is a bucket.
    if (!m) continue;
    const into = m[2] === "h" ? buckets : m[2] === "hm" ? sums : summed;
    let per = into.get(m[1]!);
    if (!per) into.set(m[1]!, (per = new Map()));
    per.set(Number(m[3]), n(f));
  }
  return compiled.journeys.map((j) => {
    const stages = j.stages.map(({ id }) => {
      const base = `s|${j.id}|${id}|`;
      const left = n(`${base}left`);
      return {
        stage: id, now: n(`${base}now`), entered: n(`${base}entered`), converted: n(`${base}converted`), left,
        avgMsInStage: left > 0 ? Math.round(n(`${base}ms`) / left) : null, medianMsInStage: medianFromBuckets(buckets.get(base) ?? new Map(), sums.get(base), summed.get(base)),
      };
    });
    const segments = Object.fromEntries(j.segments.map(({ id }) => [id, n(`g|${j.id}|${id}`)]));
    const prefix = `j|${j.id}|`;
    const records = Object.fromEntries(Object.keys(counters).filter((f) => f.startsWith(prefix)).sort().map((f) => [f.slice(prefix.length), n(f)]));
    return { id: j.id, ...(j.def.name !== undefined ? { name: j.def.name } : {}), stages, segments, records };
  });
}
