/**
 * The stored forms of contact state and journal entries: raw DEFLATE against a fixed
 * dictionary of the formats' own structure (field names, record types), so a contact's
 * state takes about a third of its JSON and a journal chunk a seventh.
 *
 * - State: `0x01` + deflate(state JSON). A value starting with `{` is the JSON itself
 *   (states written before the codec) and is still read.
 * - Journal entry: a chunk `0x02 <count: uint16 BE>` + deflate(lines joined by `\n`: record
 *   JSONs, and `~<effect id>` placeholders of unconfirmed sends, which count as records), a
 *   plain record JSON (`{`), or a placeholder as an entry of its own (journals written
 *   before placeholders went inside chunks).
 *
 * The dictionaries are part of the format: changing one needs a new tag byte.
 */
import { deflateRawSync, inflateRawSync } from "node:zlib";
import type { ContactState, JournalRecord } from "../../core/index.js";
import { LUA_CONTACT } from "./contact-record.js";

const STATE_TAG = 0x01;
const CHUNK_TAG = 0x02;
/** Records per journal chunk at most (a chunk is re-compressed as it fills). */
export const CHUNK_RECORDS = 64;

const STATE_DICT = Buffer.from(
  `{"v":1,"id":"","clock":17,"traits":{"email":"@example.com","firstName":"","lastName":"","timezone":"America/Europe/",` +
  `"plan":"","company":"","unsubscribed":false},"tz":"","f":{"":[1,17],"":[2,17,17]},"fs":"","runs":{"":{"on":0,"n":1,"at":17,` +
  `"st":0,"sAt":17,"sg":[],"sc":0,"scAt":17,"sr":[0,0],"tr":{"":[17,1]},"stl":[],"th":[{"id":1,"tr":"","pc":[[0,1]],"due":17,` +
  `"wu":1,"re":1,"h":"","b0":0}],"hd":[{"id":"ho_","team":"","owner":"","due":17,"at":17,"tr":"","step":[0,1],"br":1}],` +
  `"em":[17],"ev":{"name":"","properties":{}},"seq":1,"wk":null,"end":17},"":{"on":1,"n":1,"at":17,"st":1,"sAt":17,"sg":[],` +
  `"sc":0,"scAt":17,"sr":[],"tr":{},"stl":[],"th":[],"hd":[],"em":[],"ev":null,"seq":0,"wk":null}},"es":{},"aud":{},"em":[],"wakeAt":null}`,
);

const RECORD_TYPES = [
  "journey.entered", "journey.exited", "goal.reached", "stage.entered", "segment.entered", "segment.exited", "score.crossed",
  "trigger.fired", "email.sent", "email.suppressed", "email.deferred", "email.failed", "handoff.opened", "handoff.resolved",
  "handoff.breached", "audience.added", "audience.removed", "webhook.sent", "webhook.failed", "trait.set", "split.assigned",
  "conversion.attributed",
];
const JOURNAL_DICT = Buffer.from(
  `{"at":"2026-01-01T00:00:00.000Z","contact":"","journey":"","type":"${RECORD_TYPES.join(`"}\n{"at":"2026-`)}",` +
  `"stage":"","from":null,"segment":"","threshold":"","score":0,"trigger":"","template":"","reason":"","until":"","handoff":"ho_",` +
  `"team":"","owner":"","dueAt":"","audience":"","expiresAt":"","endpoint":"","effect":"fx_","traits":{},"split":"","variant":"",` +
  `"model":"","credits":[{"at":"","event":"","channel":"","credit":0}]}\n{"at":"2026-01-01T00:00:00.000Z","contact":"","journey":"","type":"`,
);

/** Small windows: states and chunks are a few KB, and a small window is cheap to set up. */
const STATE_Z = { windowBits: 13, memLevel: 5, dictionary: STATE_DICT } as const;
const JOURNAL_Z = { windowBits: 14, memLevel: 6, dictionary: JOURNAL_DICT } as const;

/** The stored form of a contact's state. */
export function encodeState(s: ContactState): Buffer {
  const z = deflateRawSync(JSON.stringify(s), STATE_Z);
  const out = Buffer.allocUnsafe(z.length + 1);
  out[0] = STATE_TAG;
  z.copy(out, 1);
  return out;
}

/** Reads a stored state (either form). The feature map becomes a dictionary object (its keys vary by contact). */
export function decodeState(stored: Buffer | string): ContactState {
  const json = typeof stored === "string" ? stored
    : stored[0] === STATE_TAG ? inflateRawSync(stored.subarray(1), STATE_Z).toString("utf8")
    : stored.toString("utf8");
  const s = JSON.parse(json) as ContactState;
  s.f = Object.assign(Object.create(null) as ContactState["f"], s.f);
  return s;
}

/** A journal chunk of record JSONs (at most 65,535). */
export function encodeChunk(records: string[]): Buffer {
  const z = deflateRawSync(records.join("\n"), JOURNAL_Z);
  const out = Buffer.allocUnsafe(z.length + 3);
  out[0] = CHUNK_TAG;
  out.writeUInt16BE(records.length, 1);
  z.copy(out, 3);
  return out;
}

/** True for a placeholder entry (`~<effect id>`). */
export function isPlaceholder(entry: Buffer | string): boolean {
  return typeof entry === "string" ? entry.charCodeAt(0) === 126 : entry[0] === 126;
}

/** True for a compressed chunk of records. */
export function isChunk(entry: Buffer | string): entry is Buffer {
  return typeof entry !== "string" && entry[0] === CHUNK_TAG;
}

/** The number of records in a journal entry (a placeholder counts as one). */
export function entryCount(entry: Buffer): number {
  return entry[0] === CHUNK_TAG ? entry.readUInt16BE(1) : 1;
}

/**
 * The lines of a journal entry, in order: a chunk's records and the placeholders among
 * them, a plain record, or the placeholder an entry of its own is.
 */
export function entryLines(entry: Buffer | string): string[] {
  if (typeof entry !== "string" && entry[0] === CHUNK_TAG) return inflateRawSync(entry.subarray(3), JOURNAL_Z).toString("utf8").split("\n");
  return [entry.toString()];
}

/** The record JSONs of a journal entry (its placeholders left out). */
export function entryRecords(entry: Buffer | string): string[] {
  if (isPlaceholder(entry)) return [];
  const lines = entryLines(entry);
  return lines.some(isPlaceholder) ? lines.filter((l) => !isPlaceholder(l)) : lines;
}

/** Parses journal entries (oldest first), leaving out placeholders of unconfirmed sends. */
export function parseJournal(entries: (Buffer | string)[]): JournalRecord[] {
  const out: JournalRecord[] = [];
  for (const e of entries) for (const r of entryRecords(e)) out.push(JSON.parse(r) as JournalRecord);
  return out;
}

/**
 * Lua: the number of records in journal entry `e` (a chunk's count, else 1). Shared by the
 * scripts that trim journals.
 */
export const LUA_ENTRY_COUNT = `
local function entry_count(e)
  if string.byte(e, 1) == ${CHUNK_TAG} then return string.byte(e, 2) * 256 + string.byte(e, 3) end
  return 1
end
`;

/**
 * Lua: trims journal `j` after `pushed` entries holding `added` new records were appended:
 * whole entries go from the head while at least `max` records stay (so up to
 * CHUNK_RECORDS - 1 more may). `trim_count` takes the record count before the push (`jn`,
 * nil when unknown) and returns the count after; it is taken afresh when unknown (a journal
 * written before chunks) or when it cannot be right (the list holds nothing but the new
 * entries: it was deleted under its count). `trim_journal` reads and writes the count kept in
 * contact record `c` (contact-record.ts), and leaves a contact without a stored state (merged
 * away) as it is. Includes LUA_CONTACT; needs LUA_ENTRY_COUNT.
 */
export const LUA_TRIM_JOURNAL = `${LUA_CONTACT}
local function trim_count(j, jn, added, pushed, max)
  local len = redis.call('LLEN', j)
  if jn and len > pushed then jn = jn + added else
    jn = 0
    for _, e in ipairs(redis.call('LRANGE', j, 0, -1)) do jn = jn + entry_count(e) end
  end
  while jn > max do
    local head = redis.call('LINDEX', j, 0)
    if not head then jn = 0 break end
    local n = entry_count(head)
    if jn - n < max then break end
    redis.call('LPOP', j)
    jn = jn - n
  end
  return jn
end
local function trim_journal(c, j, added, pushed, max)
  local exists, _, jn, t = contact_meta(c)
  if not exists then return end
  contact_set_jn(c, trim_count(j, jn, added, pushed, max), t)
end
`;
