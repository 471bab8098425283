/**
 * Reading and completing contact journals. A journal is its list of sealed chunks followed by
 * the open chunk kept in the contact record (contact-record.ts). A send the outside world has
 * not confirmed yet sits in it as a `~<effect id>` placeholder line at its evaluation
 * position; the action worker replaces it with the outcome record (sent, suppressed, failed).
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { JournalRecord } from "../../core/index.js";
import { CHUNK_RECORDS, chunkDictionary, encodeChunk, entryLines, isChunk, isPlaceholder, parseJournal } from "./codec.js";
import { HEADER_BYTES, RECORD_TAG, unpackContact, wrongType, type StoredContact } from "./contact-record.js";
import { loadDictionaries } from "./dictionary.js";
import { journalWrite } from "./journal-write.js";
import type { Keys } from "./keys.js";
import { LUA_ENTRY_COUNT, LUA_TRIM_JOURNAL } from "./lua-journal.js";
import { DAY_KEPT_S, HOUR_KEPT_S, hourOf } from "./stats.js";

/** A contact's journal list and record (null when it has none, or is still a hash), in one round trip. */
async function readRaw(redis: Redis, keys: Keys, contact: string): Promise<{ list: Buffer[]; contact: StoredContact | null }> {
  const [[e1, rec], [e2, list]] = (await redis.multi().getBuffer(keys.contact(contact)).lrangeBuffer(keys.journal(contact), 0, -1).exec()) as [[Error | null, unknown], [Error | null, unknown]];
  if (e2) throw e2;
  if (e1 && !wrongType(e1)) throw e1;
  const c = rec instanceof Buffer ? unpackContact(rec) : null;
  await loadDictionaries(redis, keys, [...(list as Buffer[]), c?.open]);
  return { list: list as Buffer[], contact: c };
}

/**
 * A contact's journal (oldest first), at most the newest `limit` records. Records are kept
 * in the order they were written, which is time order except for delivery failures
 * (`webhook.failed`), written when the last attempt fails but stamped at the instant the
 * webhook was decided: they are listed among their instant's records, after them (a stable
 * sort on `at`; records of one instant keep evaluation order).
 */
export async function readJournal(redis: Redis, keys: Keys, contact: string, limit?: number): Promise<JournalRecord[]> {
  const records = inTimeOrder(await readStoredJournal(redis, keys, contact));
  return limit === undefined ? records : records.slice(-limit);
}

/** A contact's journal records in the order they are stored (oldest chunk first). */
export async function readStoredJournal(redis: Redis, keys: Keys, contact: string): Promise<JournalRecord[]> {
  const raw = await readRaw(redis, keys, contact);
  return parseJournal(raw.contact?.open?.length ? [...raw.list, raw.contact.open] : raw.list);
}

/** Records stably sorted by `at` (ISO 8601 UTC with milliseconds: text order is time order); as is when sorted already. */
export function inTimeOrder(records: JournalRecord[]): JournalRecord[] {
  for (let i = 1; i < records.length; i++) {
    if (records[i]!.at < records[i - 1]!.at) return records.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }
  return records;
}

/**
 * KEYS: journal, stream, stats, effect outcome key, the record's hour and day counters, the contact.
 * ARGV: mode, outcome, outcome ttl (s), journal max, stream max, hour ttl, day ttl, record
 * JSON, expected (mode `open`: the record's version; `list`: the entry's index), open lines,
 * sealed lines, stat field ('' for none), the stat field of the failure a replay's outcome
 * replaces ('' for none: it is taken off the counters), then by mode:
 * - `open`: the record's new open chunk, then chunks to seal (append to the list);
 * - `list`: the entry as read, the entry that replaces it;
 * - `push`: a one-record chunk to append to the list (no record with an open chunk; -1 when
 *   one has appeared since the read).
 * Writes an effect's outcome once: a later outcome is written only over a failure (a dead
 * letter replayed). Returns 1 when written, 0 when this outcome was recorded already, -1
 * when the record or the entry changed since read (the caller reads again).
 */
const OUTCOME = `${LUA_ENTRY_COUNT}${LUA_TRIM_JOURNAL}
local prev = redis.call('GET', KEYS[4])
if prev and (prev ~= 'failed' or ARGV[2] == 'failed') then return 0 end
local mode = ARGV[1]
local _, v, jn, t = contact_meta(KEYS[7])
local current = t == 'string' and string.byte(redis.call('GETRANGE', KEYS[7], 0, 0)) == ${RECORD_TAG}
if mode == 'open' then
  if v ~= ARGV[9] or not current then return -1 end
elseif mode == 'list' then
  if redis.call('LINDEX', KEYS[1], ARGV[9]) ~= ARGV[14] then return -1 end
elseif current then
  return -1 -- read as an earlier form (or none), committed as the current one since: its open chunk comes last
end
redis.call('SET', KEYS[4], ARGV[2], 'EX', ARGV[3])
if mode == 'open' then
  for i = 15, #ARGV do redis.call('RPUSH', KEYS[1], ARGV[i]) end
  local sealed = #ARGV - 14
  jn = trim_count(KEYS[1], jn, tonumber(ARGV[11]), sealed, math.max(0, tonumber(ARGV[4]) - tonumber(ARGV[10])))
  local h = redis.call('GETRANGE', KEYS[7], 0, ${HEADER_BYTES - 1})
  local state = redis.call('GETRANGE', KEYS[7], ${HEADER_BYTES}, ${HEADER_BYTES - 1} + struct.unpack('>I4', h, 10))
  contact_write(KEYS[7], tonumber(v) + 1, jn, state, ARGV[14], t)
elseif mode == 'list' then
  redis.call('LSET', KEYS[1], ARGV[9], ARGV[15])
else
  redis.call('RPUSH', KEYS[1], ARGV[14])
  trim_journal(KEYS[7], KEYS[1], 1, 1, tonumber(ARGV[4]))
end
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[5], '*', 'r', ARGV[8])
if ARGV[12] ~= '' then
  redis.call('HINCRBY', KEYS[3], ARGV[12], 1)
  redis.call('HINCRBY', KEYS[5], ARGV[12], 1)
  redis.call('HINCRBY', KEYS[6], ARGV[12], 1)
end
-- A replayed dead letter: its failure no longer counts (same instant, so the same buckets).
if prev == 'failed' and ARGV[13] ~= '' then
  redis.call('HINCRBY', KEYS[3], ARGV[13], -1)
  redis.call('HINCRBY', KEYS[5], ARGV[13], -1)
  redis.call('HINCRBY', KEYS[6], ARGV[13], -1)
end
redis.call('EXPIRE', KEYS[5], ARGV[6])
redis.call('EXPIRE', KEYS[6], ARGV[7])
return 1
`;

/** What an effect came to. */
export type Outcome = "sent" | "suppressed" | "failed";

/** How long an effect's outcome is remembered (de-duplicates redeliveries). */
export const OUTCOME_TTL_SECONDS = 30 * 86_400;

const OUTCOME_SHA = createHash("sha1").update(OUTCOME).digest("hex");

/** Runs OUTCOME by its hash (its text, a few KB, only when this Redis does not have it yet). */
async function outcomeScript(redis: Redis, args: [number, ...(string | Buffer)[]]): Promise<unknown> {
  try {
    return await redis.evalsha(OUTCOME_SHA, ...args);
  } catch (err) {
    if (err instanceof Error && err.message.startsWith("NOSCRIPT")) return redis.eval(OUTCOME, ...args);
    throw err;
  }
}

/** Attempts at writing an outcome while commits keep changing the contact's record. */
const OUTCOME_ATTEMPTS = 50;

/**
 * Records an effect's outcome in its contact's journal, the stream and the counters:
 * `written` false when it was recorded already. `record` is the contact's record as the
 * write left it when it wrote the record (the outcome went into its open chunk): its
 * version and open chunk, `stored` null, for the next outcome of the contact to start from.
 * `read`: the record as the caller read it a moment ago (the email worker, for the traits,
 * or the previous outcome's write): when its open chunk holds the placeholder, the first
 * attempt writes over it without reading again (the version check refuses it when anything
 * wrote the record in between).
 */
export async function writeOutcome(
  redis: Redis, keys: Keys, o: { effect: string; record: JournalRecord; outcome: Outcome; journalMax: number; streamMax: number }, read?: StoredContact,
): Promise<{ written: boolean; record: StoredContact | null }> {
  const r = o.record;
  const stat = r.journey ? `j|${r.journey}|${r.type}` : "";
  // Over a failure (a dead letter replayed), the failure's counter goes down as this one goes up.
  const failedStat = r.journey && o.outcome !== "failed" ? `j|${r.journey}|${r.type.split(".")[0]}.failed` : "";
  const hour = hourOf(Date.parse(r.at));
  const json = JSON.stringify(r);
  const per = Math.min(CHUNK_RECORDS, o.journalMax);
  for (let attempt = 1; ; attempt++) {
    let from = attempt === 1 && read ? read : undefined;
    let w = from ? placeInOpen(from, `~${o.effect}`, json) : null;
    if (!w) {
      const raw = await readRaw(redis, keys, r.contact);
      from = raw.contact ?? undefined;
      w = placeOutcome(raw, `~${o.effect}`, json, per);
    }
    const n = await outcomeScript(redis, [7, keys.journal(r.contact), keys.stream, keys.stats, keys.effect(o.effect),
      keys.statsHour(hour), keys.statsDay(hour.slice(0, 10)), keys.contact(r.contact),
      w.mode, o.outcome, String(OUTCOME_TTL_SECONDS), String(o.journalMax), String(o.streamMax), String(HOUR_KEPT_S), String(DAY_KEPT_S),
      json, w.expected, String(w.openLines), String(w.sealedLines), stat, failedStat, ...w.entries]);
    if (n === 1) {
      // The state part is not kept: the script takes it from Redis, and the read's buffer may
      // hold on to a whole socket chunk.
      const record = w.mode === "open" && from ? { stored: null, version: String(Number(w.expected) + 1), open: w.entries[0]! } : null;
      return { written: true, record };
    }
    if (n !== -1) return { written: false, record: null };
    if (attempt >= OUTCOME_ATTEMPTS) throw new Error(`journal: the outcome of ${o.effect} kept meeting concurrent changes`);
  }
}

/** The outcome in its placeholder's place in the record's open chunk; null when the placeholder is not there. */
function placeInOpen(c: StoredContact, placeholder: string, record: string): OutcomePlace | null {
  const open = c.open;
  if (!open || open.length === 0) return null;
  const lines = entryLines(open);
  const i = lines.indexOf(placeholder);
  if (i < 0) return null;
  lines[i] = record;
  return { mode: "open", expected: c.version, openLines: lines.length, sealedLines: 0, entries: [encodeChunk(lines, chunkDictionary(open))] };
}

/** Where an outcome record goes (the OUTCOME script's mode and arguments). */
export type OutcomePlace = { mode: "open" | "list" | "push"; expected: string; openLines: number; sealedLines: number; entries: Buffer[] };

/**
 * Places an outcome record: in its placeholder's place (the open chunk, else the newest list
 * entry holding it), else after the newest records (the placeholder is gone: trimmed, or
 * written before placeholders were kept).
 */
export function placeOutcome(raw: { list: Buffer[]; contact: StoredContact | null }, placeholder: string, record: string, per = CHUNK_RECORDS): OutcomePlace {
  const c = raw.contact;
  const open = c?.open;
  const inOpen = c ? placeInOpen(c, placeholder, record) : null;
  if (inOpen) return inOpen;
  for (let i = raw.list.length - 1; i >= 0; i--) {
    const e = raw.list[i]!;
    let now: Buffer | undefined;
    if (isPlaceholder(e)) {
      if (e.toString() === placeholder) now = encodeChunk([record]); // an entry of its own: written before dictionaries
    } else if (isChunk(e)) {
      const lines = entryLines(e);
      const at = lines.indexOf(placeholder);
      if (at >= 0) {
        lines[at] = record;
        now = encodeChunk(lines, chunkDictionary(e));
      }
    }
    if (now) return { mode: "list", expected: String(i), openLines: 0, sealedLines: 0, entries: [e, now] };
  }
  if (c && open) {
    const w = journalWrite(open, [record], per, open.length > 0 ? chunkDictionary(open) : undefined);
    return { mode: "open", expected: c.version, openLines: w.openLines, sealedLines: w.sealedLines, entries: [w.open, ...w.sealed] };
  }
  return { mode: "push", expected: "", openLines: 0, sealedLines: 0, entries: [encodeChunk([record])] };
}
