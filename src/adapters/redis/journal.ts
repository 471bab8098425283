/**
 * Reading and completing contact journals. A send the outside world has not confirmed yet
 * sits in the journal as a `~<effect id>` placeholder at its evaluation position; the
 * action worker replaces it with the outcome record (sent, suppressed, failed).
 */
import type { Redis } from "ioredis";
import type { JournalRecord } from "../../core/index.js";
import { encodeChunk, LUA_ENTRY_COUNT, LUA_TRIM_JOURNAL, parseJournal } from "./codec.js";
import type { Keys } from "./keys.js";
import { DAY_KEPT_S, HOUR_KEPT_S, hourOf } from "./stats.js";

/** A contact's journal (oldest first), at most the newest `limit` records. */
export async function readJournal(redis: Redis, keys: Keys, contact: string, limit?: number): Promise<JournalRecord[]> {
  const records = parseJournal(await redis.lrangeBuffer(keys.journal(contact), 0, -1));
  return limit === undefined ? records : records.slice(-limit);
}

/**
 * KEYS: journal, stream, stats, effect outcome key, the record's hour and day counters, the contact.
 * ARGV: placeholder, the record's journal entry (a one-record chunk), outcome, outcome ttl (s),
 * journal max, stream max, hour ttl, day ttl, record JSON, then [stat field, delta] pairs.
 * Writes an effect's outcome once: a later outcome is written only over a failure (a
 * dead letter replayed). The record takes its placeholder's place, else is appended.
 * Returns 1 when written, 0 when this outcome was recorded already.
 */
const OUTCOME = `${LUA_ENTRY_COUNT}${LUA_TRIM_JOURNAL}
local prev = redis.call('GET', KEYS[4])
if prev and (prev ~= 'failed' or ARGV[3] == 'failed') then return 0 end
redis.call('SET', KEYS[4], ARGV[3], 'EX', ARGV[4])
local pos = redis.call('LPOS', KEYS[1], ARGV[1])
if pos then redis.call('LSET', KEYS[1], pos, ARGV[2]) else
  redis.call('RPUSH', KEYS[1], ARGV[2])
  trim_journal(KEYS[7], KEYS[1], 1, 1, tonumber(ARGV[5]))
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'r', ARGV[9])
for i = 10, #ARGV, 2 do
  redis.call('HINCRBY', KEYS[3], ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', KEYS[5], ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', KEYS[6], ARGV[i], ARGV[i + 1])
end
redis.call('EXPIRE', KEYS[5], ARGV[7])
redis.call('EXPIRE', KEYS[6], ARGV[8])
return 1
`;

/** What an effect came to. */
export type Outcome = "sent" | "suppressed" | "failed";

/** How long an effect's outcome is remembered (de-duplicates redeliveries). */
export const OUTCOME_TTL_SECONDS = 30 * 86_400;

/** Records an effect's outcome in its contact's journal, the stream and the counters. */
export async function recordOutcome(
  redis: Redis, keys: Keys, o: { effect: string; record: JournalRecord; outcome: Outcome; journalMax: number; streamMax: number },
): Promise<boolean> {
  const r = o.record;
  const stats = r.journey ? [`j|${r.journey}|${r.type}`, "1"] : [];
  const hour = hourOf(Date.parse(r.at));
  const json = JSON.stringify(r);
  const n = await redis.eval(OUTCOME, 7, keys.journal(r.contact), keys.stream, keys.stats, keys.effect(o.effect),
    keys.statsHour(hour), keys.statsDay(hour.slice(0, 10)), keys.contact(r.contact),
    `~${o.effect}`, encodeChunk([json]), o.outcome, String(OUTCOME_TTL_SECONDS), String(o.journalMax), String(o.streamMax),
    String(HOUR_KEPT_S), String(DAY_KEPT_S), json, ...stats);
  return n === 1;
}
