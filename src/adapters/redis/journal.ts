/**
 * Reading and completing contact journals. A send the outside world has not confirmed yet
 * sits in the journal as a `~<effect id>` placeholder at its evaluation position; the
 * action worker replaces it with the outcome record (sent, suppressed, failed).
 */
import type { Redis } from "ioredis";
import type { JournalRecord } from "../../core/index.js";
import { CHUNK_RECORDS, encodeChunk, entryCount, entryRecords, isChunk, LUA_ENTRY_COUNT, LUA_TRIM_JOURNAL, parseJournal } from "./codec.js";
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
 * journal max, stream max, hour ttl, day ttl, record JSON, the merged chunk ('' for none),
 * the placeholder's neighbours it absorbs as read (left, right; '' for none), then [stat
 * field, delta] pairs.
 * Writes an effect's outcome once: a later outcome is written only over a failure (a
 * dead letter replayed). The record takes its placeholder's place, merged with the chunks
 * either side when they are as read (else alone), or is appended when the placeholder is gone.
 * Returns 1 when written, 0 when this outcome was recorded already.
 */
const OUTCOME = `${LUA_ENTRY_COUNT}${LUA_TRIM_JOURNAL}
local prev = redis.call('GET', KEYS[4])
if prev and (prev ~= 'failed' or ARGV[3] == 'failed') then return 0 end
redis.call('SET', KEYS[4], ARGV[3], 'EX', ARGV[4])
local pos = redis.call('LPOS', KEYS[1], ARGV[1])
if not pos then
  redis.call('RPUSH', KEYS[1], ARGV[2])
  trim_journal(KEYS[7], KEYS[1], 1, 1, tonumber(ARGV[5]))
else
  local left, right = ARGV[11], ARGV[12]
  local merge = ARGV[10] ~= ''
  if merge and left ~= '' and (pos == 0 or redis.call('LINDEX', KEYS[1], pos - 1) ~= left) then merge = false end
  if merge and right ~= '' and redis.call('LINDEX', KEYS[1], pos + 1) ~= right then merge = false end
  if not merge then redis.call('LSET', KEYS[1], pos, ARGV[2]) else
    -- The neighbours become one chunk: it takes the first place, the others are cut out.
    local first = pos
    if left ~= '' then first = pos - 1 end
    local last = pos
    if right ~= '' then last = pos + 1 end
    redis.call('LSET', KEYS[1], first, ARGV[10])
    for i = first + 1, last do redis.call('LSET', KEYS[1], i, '~~cut') end
    if last > first then redis.call('LREM', KEYS[1], last - first, '~~cut') end
  end
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[6], '*', 'r', ARGV[9])
for i = 13, #ARGV, 2 do
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
  const placeholder = `~${o.effect}`;
  const m = mergeAround(await redis.lrangeBuffer(keys.journal(r.contact), 0, -1), placeholder, json, Math.min(CHUNK_RECORDS, o.journalMax));
  const n = await redis.eval(OUTCOME, 7, keys.journal(r.contact), keys.stream, keys.stats, keys.effect(o.effect),
    keys.statsHour(hour), keys.statsDay(hour.slice(0, 10)), keys.contact(r.contact),
    placeholder, encodeChunk([json]), o.outcome, String(OUTCOME_TTL_SECONDS), String(o.journalMax), String(o.streamMax),
    String(HOUR_KEPT_S), String(DAY_KEPT_S), json, m?.chunk ?? "", m?.left ?? "", m?.right ?? "", ...stats);
  return n === 1;
}

/**
 * The chunk that replaces a placeholder and the chunks either side of it (so a send's record
 * does not stay a chunk of its own: each costs its own compression and list entry), as long
 * as the result holds at most `per` records; undefined when there is nothing to merge.
 */
export function mergeAround(entries: Buffer[], placeholder: string, record: string, per = CHUNK_RECORDS): { chunk: Buffer; left: Buffer | ""; right: Buffer | "" } | undefined {
  const pos = entries.findIndex((e) => e.length === Buffer.byteLength(placeholder) && e.toString() === placeholder);
  if (pos === -1) return undefined;
  const near = (e: Buffer | undefined) => (e !== undefined && isChunk(e) ? e : undefined);
  let left = near(entries[pos - 1]);
  let right = near(entries[pos + 1]);
  if (left && right && entryCount(left) + entryCount(right) + 1 > per) right = undefined;
  if (left && entryCount(left) + 1 > per) left = undefined;
  if (right && entryCount(right) + 1 > per) right = undefined;
  if (!left && !right) return undefined;
  const records = [...(left ? entryRecords(left) : []), record, ...(right ? entryRecords(right) : [])];
  return { chunk: encodeChunk(records), left: left ?? "", right: right ?? "" };
}
