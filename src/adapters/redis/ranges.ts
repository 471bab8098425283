/**
 * Counters over a time range: flows (entries, goals, emails, stays, credit) summed from the
 * hour or day buckets kept as records happen, levels (contacts now, segment sizes) from the
 * all-time counters. Ranges up to 48 hours use hours; longer ones UTC days.
 */
import type { Redis } from "ioredis";
import type { Keys } from "./keys.js";
import { hourOf, isFlow } from "./stats.js";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** A time range [from, to) in ms, and the buckets that cover it. */
export type Range = { from: number; to: number; granularity: "hour" | "day" };

/** The named ranges of the dashboard. */
export const RANGES = { "24h": DAY, "7d": 7 * DAY, "30d": 30 * DAY } as const;
export type RangeName = keyof typeof RANGES;

/** Hour buckets are kept 8 days; a range reaching further back is counted by day. */
const HOURS_KEPT = 8 * DAY;

/** A range of `from`..`to`: hourly buckets when it spans at most 48 hours within the last 8 days, else daily. */
export function range(from: number, to: number, now = Date.now()): Range {
  return { from, to, granularity: to - from <= 2 * DAY && from >= now - HOURS_KEPT + HOUR ? "hour" : "day" };
}

/** The range widened to whole buckets: what the counters actually cover. */
export function aligned(r: Range): { from: number; to: number } {
  const size = r.granularity === "hour" ? HOUR : DAY;
  return { from: Math.floor(r.from / size) * size, to: Math.ceil(r.to / size) * size };
}

/** The bucket names covering a range (partial buckets at the ends are included whole). */
export function buckets(r: Range): string[] {
  const out: string[] = [];
  if (r.granularity === "hour") {
    for (let t = Math.floor(r.from / HOUR) * HOUR; t < r.to; t += HOUR) out.push(hourOf(t));
  } else {
    for (let t = Math.floor(r.from / DAY) * DAY; t < r.to; t += DAY) out.push(new Date(t).toISOString().slice(0, 10));
  }
  return out;
}

/** Counters as `journeyStats` reads them: flows within `r` (all time when null), levels now. */
export async function rangeCounters(redis: Redis, keys: Keys, r: Range | null): Promise<Record<string, string>> {
  const all = await redis.hgetall(keys.stats);
  if (r === null) return all;
  const out: Record<string, string> = {};
  for (const [f, v] of Object.entries(all)) if (!isFlow(f)) out[f] = v;
  const names = buckets(r);
  const pipe = redis.pipeline();
  for (const b of names) pipe.hgetall(r.granularity === "hour" ? keys.statsHour(b) : keys.statsDay(b));
  const sums = new Map<string, number>();
  for (const [, h] of (await pipe.exec()) ?? []) {
    for (const [f, v] of Object.entries((h ?? {}) as Record<string, string>)) sums.set(f, (sums.get(f) ?? 0) + Number(v));
  }
  for (const [f, v] of sums) out[f] = String(v);
  return out;
}
