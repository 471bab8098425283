/**
 * Small builders shared by the semantic tests of the evaluator: Segment-shaped messages
 * at second offsets from a fixed instant, and journal rows without ids and hashes.
 */
import type { JournalRecord } from "../../src/core/index.js";

/** Every test's clock starts here (a Monday, 09:00 UTC). */
export const BASE = Date.parse("2026-01-05T09:00:00.000Z");

/** Epoch ms `sec` seconds after BASE (fractions allowed: `ms(1.5)`). */
export const ms = (sec: number): number => BASE + Math.round(sec * 1000);

/** ISO instant `sec` seconds after BASE. */
export const iso = (sec: number): string => new Date(ms(sec)).toISOString();

type Props = Record<string, unknown>;

/** A `track` message at `sec` seconds (or at an ISO instant). */
export function track(userId: string, event: string, sec: number | string, properties: Props = {}): object {
  return { type: "track", userId, event, properties, timestamp: typeof sec === "string" ? sec : iso(sec) };
}

/** An `identify` message (optionally linking an anonymous id). */
export function identify(userId: string, sec: number | string, traits: Props = {}, anonymousId?: string): object {
  return {
    type: "identify", userId, traits, timestamp: typeof sec === "string" ? sec : iso(sec),
    ...(anonymousId !== undefined ? { anonymousId } : {}),
  };
}

/** A `track` message from an anonymous visitor. */
export function anon(anonymousId: string, event: string, sec: number, properties: Props = {}): object {
  return { type: "track", anonymousId, event, properties, timestamp: iso(sec) };
}

/** Records as plain rows: `contact` and `journey` dropped unless asked for; effect ids always dropped. */
export function rows(records: JournalRecord[], opts: { contact?: boolean; journey?: boolean; types?: string[] } = {}): Props[] {
  return records
    .filter((r) => !opts.types || opts.types.includes(r.type))
    .map((r) => {
      const { contact, journey, effect, ...rest } = r;
      void effect;
      return { ...(opts.contact ? { contact } : {}), ...(opts.journey ? { journey } : {}), ...rest };
    });
}

/** Only the records of the listed types, as rows. */
export const only = (records: JournalRecord[], ...types: string[]): Props[] => rows(records, { types });

/** The workspace file used by tests that need endpoints (secrets from env S). */
export const WORKSPACE = `
endpoints:
  crm: { url: "https://crm.example/hook", secret: "\${S}" }
  mgr: { url: "https://mgr.example/hook", secret: "\${S}" }
`;
export const ENV = { S: "whsec_c2hoaGg=" };
