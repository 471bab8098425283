/**
 * Building blocks shared by the journey and workspace schemas: ids, durations, clock times.
 */
import { z } from "zod";
import { DURATION_PATTERN, durationProblem, MAX_DURATION_MS, parseDuration } from "../duration.js";

/** A slug: lower-case letters, digits and dashes, starting with a letter. */
export const Slug = z.string().regex(/^[a-z][a-z0-9-]*$/, {
  error: (iss) => `"${String(iss.input)}" is not a valid id: use lower-case letters, digits and dashes, starting with a letter`,
}).meta({ description: "A slug: lower-case letters, digits and dashes" });
export type Slug = z.infer<typeof Slug>;

/** A duration: `<n>s|m|h|d|w` or ISO 8601 (`PT90M`). Months are not durations. */
export const Duration = z.string({ error: "expected a duration such as 90m, 2d or PT90M" })
  .refine((s) => { const ms = parseDuration(s); return ms !== null && ms > 0 && ms <= MAX_DURATION_MS; }, { error: (iss) => durationProblem(String(iss.input)) })
  .meta({ description: "A duration: <n>s|m|h|d|w (90m, 2d, 1w) or ISO 8601 (PT90M). Months are not durations.", pattern: DURATION_PATTERN });
export type Duration = z.infer<typeof Duration>;

/** A local clock time `HH:MM`, 24-hour. */
export const ClockTime = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { error: "expected a clock time HH:MM (24-hour)" });

/** An IANA time zone name such as `Europe/Paris`. */
export const TimeZone = z.string().refine((tz) => isTimeZone(tz), {
  error: (iss) => `"${String(iss.input)}" is not an IANA time zone (e.g. Europe/Paris, America/New_York, UTC)`,
});

/** True when `tz` names a time zone this runtime knows. */
export function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

/** Quiet hours: sends inside the window wait for its end, in the contact's time zone. */
export const QuietHours = z.strictObject({ start: ClockTime, end: ClockTime })
  .meta({ description: "Local clock window in which no email is sent; may wrap midnight" });
export type QuietHours = z.infer<typeof QuietHours>;

/** One frequency cap: at most `max` sends per rolling `per`. */
export const Cap = z.strictObject({ max: z.int().nonnegative(), per: Duration });
export type Cap = z.infer<typeof Cap>;

/** Frequency caps by channel (one cap or several). */
export const Limits = z.strictObject({ email: z.union([Cap, z.array(Cap).min(1)]).optional() });
export type Limits = z.infer<typeof Limits>;
