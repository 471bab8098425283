/**
 * Quiet hours in the contact's IANA time zone, DST-correct (luxon does the zone maths).
 */
import { DateTime } from "luxon";
import { isTimeZone, type QuietHours } from "../schema/common.js";

const minutes = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * When `t` falls inside the quiet window (local clock time in `zone`), the instant the
 * window ends; otherwise null. The window is [start, end) and may wrap midnight. An end
 * time that does not exist on that day (a DST gap) moves forward to the next valid instant.
 */
export function quietUntil(t: number, quiet: QuietHours, zone: string): number | null {
  const local = DateTime.fromMillis(t, { zone });
  if (!local.isValid) return null;
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  if (start === end) return null;
  const now = local.hour * 60 + local.minute;
  const inside = start < end ? now >= start && now < end : now >= start || now < end;
  if (!inside) return null;
  // The end is today, unless the window wraps midnight and we are before midnight.
  let day = local.startOf("day");
  if (start > end && now >= start) day = day.plus({ days: 1 });
  const until = day.set({ hour: Math.floor(end / 60), minute: end % 60, second: 0, millisecond: 0 });
  const ms = until.toMillis();
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
