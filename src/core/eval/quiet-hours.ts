/**
 * Quiet hours in the contact's IANA time zone, DST-correct (luxon does the zone maths).
 */
import { DateTime, IANAZone } from "luxon";
import { isTimeZone, type QuietHours } from "../schema/common.js";

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When `t` falls inside the quiet window (local clock time in `zone`), the instant the
 * window ends; otherwise null. The window is [start, end) and may wrap midnight. An end
 * time that does not exist on that day (a DST gap) ends the window when the clocks jump.
 */
export function quietUntil(t: number, quiet: QuietHours, zone: string): number | null {
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  if (start === end) return null;
  // Fast path: most sends are outside the window; the zone's offset (cached per six-hour
  // bucket over which it is constant) says so without building a DateTime.
  const offset = cachedOffset(zone, t);
  if (offset !== null) {
    const now = Math.floor(((t / 60_000 + offset) % 1440 + 1440) % 1440);
    if (start < end ? now < start || now >= end : now < start && now >= end) return null;
    // Inside: the end is a whole number of local minutes away; valid as is unless the
    // offset changes before it (a DST switch tonight), which luxon handles below.
    const until = t - (((t % 60_000) + 60_000) % 60_000) + ((end - now + 1440) % 1440) * 60_000;
    if (cachedOffset(zone, until) === offset && cachedOffset(zone, until - 1) === offset) return until;
  }
  const local = DateTime.fromMillis(t, { zone });
  if (!local.isValid) return null;
  const inside = (d: DateTime) => {
    const now = d.hour * 60 + d.minute;
    return start < end ? now >= start && now < end : now >= start || now < end;
  };
  if (!inside(local)) return null;
  const now = local.hour * 60 + local.minute;
  // The end is today, unless the window wraps midnight and we are before midnight.
  let day = local.startOf("day");
  if (start > end && now >= start) day = day.plus({ days: 1 });
  const until = day.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  let ms = until.toMillis();
  // An end inside a DST gap (02:30 on a spring-forward night) was moved past the gap: the
  // window really ends when the clocks jump, at the first minute outside it.
  if (until.hour * 60 + until.minute !== end) {
    while (ms - 60_000 > t && !inside(DateTime.fromMillis(ms - 60_000, { zone }))) ms -= 60_000;
  }
  return ms > t ? ms : null;
}

/** The zone to use: the contact's if valid, else the fallback. */
export function pickZone(candidates: unknown[], fallback: string): string {
  for (const c of candidates) {
    if (typeof c !== "string" || c.length === 0) continue;
    let ok = zoneCache.get(c);
    if (ok === undefined) {
      ok = isTimeZone(c);
      if (zoneCache.size < 1_000) zoneCache.set(c, ok);
    }
    if (ok) return c;
  }
  return fallback;
}

const zoneCache = new Map<string, boolean>();

const BUCKET = 6 * 3_600_000;
const offsets = new Map<string, number | null>();

/** The zone's UTC offset (minutes) at `t`, when the same at both ends of t's bucket; else null. */
function cachedOffset(zone: string, t: number): number | null {
  const bucket = Math.floor(t / BUCKET);
  const key = `${zone}|${bucket}`;
  let v = offsets.get(key);
  if (v === undefined) {
    const z = IANAZone.create(zone);
    if (!z.isValid) v = null;
    else {
      const a = z.offset(bucket * BUCKET);
      v = a === z.offset(bucket * BUCKET + BUCKET - 1) ? a : null;
    }
    if (offsets.size >= 50_000) offsets.clear();
    offsets.set(key, v);
  }
  return v;
}
