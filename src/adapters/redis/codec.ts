/**
 * The stored forms of contact state and journal entries: raw DEFLATE against a fixed
 * dictionary of the formats' own structure (field names, record types), so a contact's
 * state takes about a third of its JSON and a journal chunk a seventh.
 *
 * - State: `0x01` + deflate(state JSON), or `0x05 <dictionary id: uint32 BE>` + deflate(state
 *   JSON) against a deployment's dictionary. A value starting with `{` is the JSON itself
 *   (states written before the codec) and is still read.
 * - Journal entry: a chunk `0x02 <count: uint16 BE>` (or `0x06 <count> <dictionary id: uint32
 *   BE>`, against a deployment's dictionary) + deflate(lines joined by `\n`: record
 *   JSONs, and `~<effect id>` placeholders of unconfirmed sends, which count as records), a
 *   plain record JSON (`{`), or a placeholder as an entry of its own (journals written
 *   before placeholders went inside chunks).
 *
 * The dictionaries are part of the format: changing one needs a new tag byte.
 */
import { createHash } from "node:crypto";
import { deflateRaw, inflateRaw } from "./zlib-reuse.js";
import type { ContactState, JournalRecord } from "../../core/index.js";

const STATE_TAG = 0x01;
/** Tag bytes of journal chunks: against the fixed dictionary, and against a deployment's (its id follows the count). */
export const CHUNK_TAG = 0x02;
export const CHUNK_TAG_D = 0x06;
/** A state compressed against a deployment's dictionary (its id follows the tag). */
const STATE_TAG_D = 0x05;
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
/** With a deployment's strings in front of the dictionary, the window holds them too. */
const STATE_DZ = { windowBits: 14, memLevel: 6 } as const;
const JOURNAL_DZ = { windowBits: 15, memLevel: 7 } as const;
/** A deployment's strings kept in a dictionary, at most (the newest end counts: deflate uses the dictionary's last bytes). */
export const DEPLOYMENT_STRINGS_MAX = 6_144;

/**
 * A compression dictionary: a deployment's own strings (journey, stage, trigger, segment and
 * feature ids, templates, teams: dictionary.ts) before the fixed dictionaries above. Its id
 * is a hash of the strings; records name it, and the strings are kept in Redis so that any
 * process can read what another wrote (dictionary.ts).
 */
export type Dictionary = { id: number; strings: Buffer; state: Buffer; journal: Buffer };

const dictionaries = new Map<number, Dictionary>();

/** The id of a deployment's strings. */
export function dictionaryId(strings: Buffer): number {
  return createHash("sha256").update(strings).digest().readUInt32BE(0);
}

/** Makes a dictionary known to this process (idempotent) and returns it. */
export function registerDictionary(strings: Buffer): Dictionary {
  const id = dictionaryId(strings);
  const have = dictionaries.get(id);
  if (have) {
    if (!have.strings.equals(strings)) throw new Error(`codec: two dictionaries share the id ${id}`);
    return have;
  }
  const tail = strings.subarray(Math.max(0, strings.length - DEPLOYMENT_STRINGS_MAX));
  const d = { id, strings, state: Buffer.concat([tail, STATE_DICT]), journal: Buffer.concat([tail, JOURNAL_DICT]) };
  dictionaries.set(id, d);
  return d;
}

/** The dictionary a stored state or journal entry names that this process does not know yet (else undefined). */
export function missingDictionary(stored: Buffer | null | undefined): number | undefined {
  const id = namedDictionary(stored);
  return id !== undefined && !dictionaries.has(id) ? id : undefined;
}

function namedDictionary(b: Buffer | null | undefined): number | undefined {
  if (!b) return undefined;
  if (b[0] === STATE_TAG_D && b.length >= 5) return b.readUInt32BE(1);
  if (b[0] === CHUNK_TAG_D && b.length >= 7) return b.readUInt32BE(3);
  return undefined;
}

/** The dictionary a chunk was written with (undefined: the fixed one), to write it again with the same. */
export function chunkDictionary(chunk: Buffer): Dictionary | undefined {
  const id = namedDictionary(chunk);
  return id === undefined ? undefined : known(id);
}

function known(id: number): Dictionary {
  const d = dictionaries.get(id);
  if (!d) throw new Error(`codec: dictionary ${id} is not loaded (loadDictionaries reads it from Redis)`);
  return d;
}

/** `tag`, then `head` more header bytes written by `fill`, then `z`. */
function tagged(tag: number, head: number, z: Buffer, fill: (out: Buffer) => void): Buffer {
  const out = Buffer.allocUnsafe(z.length + 1 + head);
  out[0] = tag;
  fill(out);
  z.copy(out, 1 + head);
  return out;
}

/** The stored form of a contact's state, compressed against `dict` (else the fixed dictionary alone). */
export function encodeState(s: ContactState, dict?: Dictionary): Buffer {
  const json = JSON.stringify(s);
  if (!dict) return tagged(STATE_TAG, 0, deflateRaw(json, STATE_Z), () => {});
  return tagged(STATE_TAG_D, 4, deflateRaw(json, { ...STATE_DZ, dictionary: dict.state }), (o) => o.writeUInt32BE(dict.id, 1));
}

/** Reads a stored state (any form). The feature map becomes a dictionary object (its keys vary by contact). */
export function decodeState(stored: Buffer | string): ContactState {
  const json = typeof stored === "string" ? stored
    : stored[0] === STATE_TAG ? inflateRaw(stored.subarray(1), STATE_Z).toString("utf8")
    : stored[0] === STATE_TAG_D ? inflateRaw(stored.subarray(5), { ...STATE_DZ, dictionary: known(stored.readUInt32BE(1)).state }).toString("utf8")
    : stored.toString("utf8");
  const s = JSON.parse(json) as ContactState;
  s.f = Object.assign(Object.create(null) as ContactState["f"], s.f);
  return s;
}

/** A journal chunk of lines (at most 65,535), compressed against `dict` (else the fixed dictionary alone). */
export function encodeChunk(lines: string[], dict?: Dictionary): Buffer {
  const text = lines.join("\n");
  if (!dict) return tagged(CHUNK_TAG, 2, deflateRaw(text, JOURNAL_Z), (o) => o.writeUInt16BE(lines.length, 1));
  return tagged(CHUNK_TAG_D, 6, deflateRaw(text, { ...JOURNAL_DZ, dictionary: dict.journal }), (o) => {
    o.writeUInt16BE(lines.length, 1);
    o.writeUInt32BE(dict.id, 3);
  });
}

/** True for a placeholder entry (`~<effect id>`). */
export function isPlaceholder(entry: Buffer | string): boolean {
  return typeof entry === "string" ? entry.charCodeAt(0) === 126 : entry[0] === 126;
}

/** True for a compressed chunk of records. */
export function isChunk(entry: Buffer | string): entry is Buffer {
  return typeof entry !== "string" && (entry[0] === CHUNK_TAG || entry[0] === CHUNK_TAG_D);
}

/** The number of records in a journal entry (a placeholder counts as one). */
export function entryCount(entry: Buffer): number {
  return isChunk(entry) ? entry.readUInt16BE(1) : 1;
}

/**
 * The lines of a journal entry, in order: a chunk's records and the placeholders among
 * them, a plain record, or the placeholder an entry of its own is.
 */
export function entryLines(entry: Buffer | string): string[] {
  if (typeof entry === "string") return [entry];
  if (entry[0] === CHUNK_TAG) return inflateRaw(entry.subarray(3), JOURNAL_Z).toString("utf8").split("\n");
  if (entry[0] === CHUNK_TAG_D) return inflateRaw(entry.subarray(7), { ...JOURNAL_DZ, dictionary: known(entry.readUInt32BE(3)).journal }).toString("utf8").split("\n");
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
