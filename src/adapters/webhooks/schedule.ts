/**
 * Webhook retry schedules: the delay before each attempt, Standard Webhooks' by default,
 * and `Retry-After` handling.
 */

/**
 * Standard Webhooks' schedule: the delays before attempts 1..8 — immediately, 5 s, 5 min,
 * 30 min, 2 h, 5 h, 10 h, 10 h.
 */
export const DEFAULT_SCHEDULE = "0,5s,5m,30m,2h,5h,10h,10h";

const UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a comma-separated schedule (`<n>ms|s|m|h|d` or a bare `0`, e.g. `0,5s,5m,2h`)
 * into milliseconds: item i is the delay before attempt i + 1.
 *
 * @throws Error naming the bad item (its position and text) or saying the schedule is empty.
 */
export function parseSchedule(text: string): number[] {
  const items = text.split(",").map((x) => x.trim());
  if (items.every((x) => x === "")) throw new Error("the retry schedule is empty (expected e.g. 0,5s,5m,30m,2h)");
  return items.map((item, i) => {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)?$/.exec(item);
    const ms = m ? Math.round(Number(m[1]) * UNIT[m[2] ?? "ms"]!) : NaN;
    if (!m || (m[2] === undefined && Number(m[1]) !== 0) || !Number.isSafeInteger(ms)) {
      throw new Error(`retry schedule item ${i + 1} ("${item}") is not a duration like 0, 500ms, 5s, 5m, 2h or 1d`);
    }
    return ms;
  });
}

/** The longest `Retry-After` honoured: a day. */
const MAX_RETRY_AFTER = 86_400_000;

/**
 * The delay in ms before the next attempt once `attemptsMade` attempts have failed
 * (`schedule[attemptsMade]`), or null when the schedule is used up. A receiver's
 * `Retry-After` (429/503), capped at 24 h, wins when it asks for longer.
 */
export function retryDelay(schedule: number[], attemptsMade: number, retryAfterMs?: number): number | null {
  if (attemptsMade < 0 || attemptsMade >= schedule.length) return null;
  const planned = schedule[attemptsMade]!;
  if (retryAfterMs === undefined || !(retryAfterMs > 0)) return planned;
  return Math.max(planned, Math.min(retryAfterMs, MAX_RETRY_AFTER));
}

/** An HTTP-date (RFC 9110: IMF-fixdate, RFC 850 or asctime) names a weekday. */
const HTTP_DATE = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,? /;

/**
 * A `Retry-After` header value (delay-seconds or an HTTP-date) as ms from `now`;
 * undefined when absent or invalid, 0 for a date in the past, never negative.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    const ms = Number(v) * 1_000;
    return Number.isFinite(ms) ? ms : undefined;
  }
  if (!HTTP_DATE.test(v)) return undefined;
  const at = Date.parse(v);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
