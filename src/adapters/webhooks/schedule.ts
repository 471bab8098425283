/**
 * Webhook retry schedules: the delay before each attempt, Standard Webhooks' by default,
 * and `Retry-After` handling.
 */

/** Standard Webhooks: immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_SCHEDULE = "0,5s,5m,30m,2h,5h,10h,10h";

const UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses `0,5s,5m,...` into milliseconds; throws naming the bad item. */
export function parseSchedule(text: string): number[] {
  const items = text.split(",").map((x) => x.trim());
  if (items.length === 0 || items.every((x) => x === "")) throw new Error("the retry schedule is empty");
  return items.map((item, i) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(item);
    if (!m || (m[2] === undefined && Number(m[1]) !== 0)) {
      throw new Error(`retry schedule item ${i + 1} ("${item}") is not a duration like 0, 500ms, 5s, 5m, 2h or 1d`);
    }
    return Math.round(Number(m[1]) * UNIT[m[2] ?? "ms"]!);
  });
}

/** Retry-After is capped at a day. */
const MAX_RETRY_AFTER = 86_400_000;

/**
 * The delay before the next attempt once `attemptsMade` attempts failed, or null when the
 * schedule is used up. A receiver's `Retry-After` wins when it asks for longer.
 */
export function retryDelay(schedule: number[], attemptsMade: number, retryAfterMs?: number): number | null {
  if (attemptsMade >= schedule.length) return null;
  const planned = schedule[attemptsMade]!;
  return retryAfterMs === undefined ? planned : Math.max(planned, Math.min(retryAfterMs, MAX_RETRY_AFTER));
}

/** `Retry-After` (seconds or an HTTP date) in ms from `now`; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1_000;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
