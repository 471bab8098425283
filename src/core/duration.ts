/**
 * Durations as marketers write them: `<n>s|m|h|d|w` (`90m`, `2d`, `1w`) or ISO 8601
 * (`PT90M`, `P2D`, `P1W`). Months and years are not durations: their length varies.
 */

const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
const SHORT = /^(\d+(?:\.\d+)?)(s|m|h|d|w)$/;
const ISO = /^P(?!$)(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?=\d)(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$/;

/**
 * The longest duration: 36,500 days (about a century). Longer ones are refused: a wait or
 * a TTL of a billion weeks would put instants past what a date can hold.
 */
export const MAX_DURATION_MS = 36_500 * UNIT_MS.d;

/** The pattern a duration string must match (used in the JSON Schema): zero is not one. */
export const DURATION_PATTERN =
  "^(?!(0+(\\.0+)?[smhdw]|P(0+(\\.0+)?W)?(0+(\\.0+)?D)?(T(0+(\\.0+)?H)?(0+(\\.0+)?M)?(0+(\\.0+)?S)?)?)$)(\\d+(\\.\\d+)?(s|m|h|d|w)|P(?!$)(\\d+(\\.\\d+)?W)?(\\d+(\\.\\d+)?D)?(T(?=\\d)(\\d+(\\.\\d+)?H)?(\\d+(\\.\\d+)?M)?(\\d+(\\.\\d+)?S)?)?)$";

/** Parses a duration into milliseconds, or returns `null` when it is not one. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  const short = SHORT.exec(s);
  if (short) return Math.round(Number(short[1]) * UNIT_MS[short[2] as keyof typeof UNIT_MS]);
  const iso = ISO.exec(s);
  if (!iso) return null;
  const [, w, d, h, m, sec] = iso;
  const ms = Number(w ?? 0) * UNIT_MS.w + Number(d ?? 0) * UNIT_MS.d + Number(h ?? 0) * UNIT_MS.h
    + Number(m ?? 0) * UNIT_MS.m + Number(sec ?? 0) * UNIT_MS.s;
  return Math.round(ms);
}

/** A human explanation of why `text` is not a duration. */
export function durationProblem(text: string): string {
  if (/^\d+(\.\d+)?\s*(mo|mon|month|months|y|yr|year|years)$/i.test(text.trim()) || /^P.*[YM].*$/.test(text.trim()) && !/T.*M/.test(text.trim())) {
    return `"${text}" is not a duration: months and years vary in length; use days or weeks (e.g. 30d, 4w)`;
  }
  const ms = parseDuration(text);
  if (ms === 0) return `"${text}" is zero: a duration must be longer than that (e.g. 1s)`;
  if (ms !== null && ms > MAX_DURATION_MS) return `"${text}" is too long: a duration is at most 36500d (about 100 years)`;
  return `"${text}" is not a duration: use <n>s|m|h|d|w (90m, 2d, 1w) or ISO 8601 (PT90M)`;
}

/** Formats milliseconds back into the shortest exact `<n><unit>` form. */
export function formatDuration(ms: number): string {
  for (const unit of ["w", "d", "h", "m", "s"] as const) {
    if (ms % UNIT_MS[unit] === 0 && ms >= UNIT_MS[unit]) return `${ms / UNIT_MS[unit]}${unit}`;
  }
  return `${ms / 1000}s`;
}
