/**
 * The contact record: one Redis string per contact at `{prefix}:c:<id>`, a 13-byte header,
 * the stored state (codec.ts), then the journal's open chunk (its newest records, codec.ts):
 *
 *     0x04 | version: uint32 BE | sealed journal records: uint32 BE | state bytes: uint32 BE | state | open chunk
 *
 * The open chunk holds up to CHUNK_RECORDS records (and the placeholders of unconfirmed
 * sends) and is rewritten by every commit; once full it is sealed and appended to the list
 * `{prefix}:j:<id>`, whose record count the header keeps (0xFFFFFFFF = unknown). A contact
 * with fewer records than a chunk has no journal list at all: one key instead of two, and
 * one compressed chunk instead of one per stretch between placeholders.
 *
 * Earlier forms are still read and become this one at the contact's next commit: `0x03` (a
 * 9-byte header, the state, no open chunk: the whole journal in the list) and a hash of `s`
 * (state), `v` (version) and `jn` (records).
 */
import type { Redis } from "ioredis";
import { loadDictionaries } from "./dictionary.js";
import type { Keys } from "./keys.js";

/** The tag byte of a contact record. */
export const RECORD_TAG = 0x04;
/** Header bytes before the state. */
export const HEADER_BYTES = 13;
/** The tag and header size of records written before the open chunk. */
const TAG_V3 = 0x03;
const HEADER_V3 = 9;

/**
 * A contact as stored: its state bytes (codec.ts), version (`""` when it has none) and the
 * journal's open chunk (empty when it holds nothing; null for an earlier form, which keeps
 * the whole journal in the list, or no contact).
 */
export type StoredContact = { stored: Buffer | null; version: string; open: Buffer | null };

const NONE: StoredContact = { stored: null, version: "", open: null };

/** Splits a contact record (either string form; commits write records in Lua: LUA_CONTACT). */
export function unpackContact(record: Buffer): StoredContact {
  if (record[0] === RECORD_TAG && record.length >= HEADER_BYTES) {
    const end = HEADER_BYTES + record.readUInt32BE(9);
    return { stored: record.subarray(HEADER_BYTES, end), version: String(record.readUInt32BE(1)), open: record.subarray(end) };
  }
  if (record[0] === TAG_V3 && record.length >= HEADER_V3) return { stored: record.subarray(HEADER_V3), version: String(record.readUInt32BE(1)), open: null };
  throw new Error("contact record: unknown format");
}

/** True when a reply is Redis's WRONGTYPE error (a contact still stored as a hash). */
export function wrongType(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("WRONGTYPE");
}

/**
 * Reads contacts: `get(i)` is the reply (or error) of a GET of contact `ids[i]` made by the
 * caller's own round trip. Contacts still stored as a hash are read again as one, in one
 * more round trip (only until their next commit); dictionaries the records name and this
 * process lacks are loaded (dictionary.ts).
 */
export async function storedContacts(redis: Redis, keys: Keys, ids: string[], get: (i: number) => [Error | null, unknown]): Promise<StoredContact[]> {
  const out: StoredContact[] = [];
  const legacy: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const [err, v] = get(i);
    if (err && wrongType(err)) legacy.push(i);
    else if (err) throw err;
    out.push(v instanceof Buffer ? unpackContact(v) : NONE);
  }
  if (legacy.length > 0) {
    const m = redis.multi();
    for (const i of legacy) m.hgetBuffer(keys.contact(ids[i]!), "s").hget(keys.contact(ids[i]!), "v");
    const res = (await m.exec())!;
    legacy.forEach((i, n) => {
      const [[e1, s], [e2, v]] = [res[2 * n]!, res[2 * n + 1]!];
      if (e1 || e2) throw e1 ?? e2;
      out[i] = { stored: s instanceof Buffer ? s : null, version: typeof v === "string" ? v : "", open: null };
    });
  }
  await loadDictionaries(redis, keys, out.flatMap((c) => [c.stored, c.open]));
  return out;
}

/** Reads contacts in one round trip (more for any still stored as a hash, or written with a dictionary this process has not loaded). */
export async function readContactRecords(redis: Redis, keys: Keys, ids: string[]): Promise<StoredContact[]> {
  const m = redis.multi();
  for (const id of ids) m.getBuffer(keys.contact(id));
  const res = (await m.exec())!;
  return storedContacts(redis, keys, ids, (i) => res[i] as [Error | null, unknown]);
}

/**
 * Lua helpers over contact records (a string of either form, or a hash written before them):
 * - `contact_meta(c)`: exists, version string ('' for none), sealed journal record count
 *   (nil when unknown), and the key's type;
 * - `contact_write(c, version, jn, state, open, t)`: writes the record; `t` is the type
 *   `contact_meta` saw (a hash is deleted first, so it becomes a string);
 * - `contact_set_jn(c, jn, t)`: updates the journal record count in place (`t` as above);
 * - `contact_open(c)`: the open chunk of a string record ('' for none).
 */
export const LUA_CONTACT = `
local function contact_meta(c)
  local t = redis.call('TYPE', c).ok
  if t == 'string' then
    local h = redis.call('GETRANGE', c, 0, 8)
    local v, jn = struct.unpack('>I4I4', h, 2)
    if jn == 4294967295 then jn = nil end
    return true, tostring(v), jn, t
  elseif t == 'hash' then
    return redis.call('HEXISTS', c, 's') == 1, redis.call('HGET', c, 'v') or '', tonumber(redis.call('HGET', c, 'jn') or ''), t
  end
  return false, '', nil, t
end
local function contact_write(c, version, jn, state, open, t)
  if t == 'hash' then redis.call('DEL', c) end
  redis.call('SET', c, struct.pack('>BI4I4I4', ${RECORD_TAG}, version, jn or 4294967295, #state) .. state .. open)
end
local function contact_set_jn(c, jn, t)
  if t == 'string' then redis.call('SETRANGE', c, 5, struct.pack('>I4', jn))
  elseif t == 'hash' then redis.call('HSET', c, 'jn', jn) end
end
local function contact_open(c)
  if redis.call('TYPE', c).ok ~= 'string' then return '' end
  local h = redis.call('GETRANGE', c, 0, ${HEADER_BYTES - 1})
  if string.byte(h, 1) ~= ${RECORD_TAG} then return '' end
  return redis.call('GETRANGE', c, ${HEADER_BYTES} + struct.unpack('>I4', h, 10), -1)
end
`;
