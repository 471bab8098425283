/**
 * The contact record: one Redis string per contact at `{prefix}:c:<id>`, a 9-byte header
 * then the stored state (codec.ts):
 *
 *     0x03 | version: uint32 BE | journal records: uint32 BE (0xFFFFFFFF = unknown) | state
 *
 * It replaced a hash of `s` (state), `v` (version) and `jn` (journal records): a state is a
 * few hundred bytes, past Redis's `hash-max-listpack-value` (64), so the hash was a real hash
 * table and cost about 200 bytes more per contact than the string (MEMORY USAGE 896 against
 * 696 for a 578-byte state). Contacts stored as such a hash are still read, and become a
 * string at their next commit.
 */
import type { Redis } from "ioredis";

/** The tag byte of a contact record. */
export const RECORD_TAG = 0x03;
/** Header bytes before the state. */
export const HEADER_BYTES = 9;

/** A contact as stored: its state bytes (codec.ts) and version (`""` when it has none). */
export type StoredContact = { stored: Buffer | null; version: string };

/** Splits a contact record into its state bytes and version (commits write records, in Lua: LUA_CONTACT). */
export function unpackContact(record: Buffer): StoredContact {
  if (record[0] !== RECORD_TAG || record.length < HEADER_BYTES) throw new Error("contact record: unknown format");
  return { stored: record.subarray(HEADER_BYTES), version: String(record.readUInt32BE(1)) };
}

/** True when a reply is Redis's WRONGTYPE error (a contact still stored as a hash). */
function wrongType(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith("WRONGTYPE");
}

/**
 * Reads contacts: `get(i)` is the reply (or error) of a GET of contact `ids[i]` made by the
 * caller's own round trip. Contacts still stored as a hash are read again as one, in one
 * more round trip (only until their next commit).
 */
export async function storedContacts(redis: Redis, keyOf: (id: string) => string, ids: string[], get: (i: number) => [Error | null, unknown]): Promise<StoredContact[]> {
  const out: StoredContact[] = [];
  const legacy: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const [err, v] = get(i);
    if (err && wrongType(err)) legacy.push(i);
    else if (err) throw err;
    out.push(v instanceof Buffer ? unpackContact(v) : { stored: null, version: "" });
  }
  if (legacy.length > 0) {
    const m = redis.multi();
    for (const i of legacy) m.hgetBuffer(keyOf(ids[i]!), "s").hget(keyOf(ids[i]!), "v");
    const res = (await m.exec())!;
    legacy.forEach((i, n) => {
      const [[e1, s], [e2, v]] = [res[2 * n]!, res[2 * n + 1]!];
      if (e1 || e2) throw e1 ?? e2;
      out[i] = { stored: s instanceof Buffer ? s : null, version: typeof v === "string" ? v : "" };
    });
  }
  return out;
}

/** Reads contacts in one round trip (two for any still stored as a hash). */
export async function readContactRecords(redis: Redis, keyOf: (id: string) => string, ids: string[]): Promise<StoredContact[]> {
  const m = redis.multi();
  for (const id of ids) m.getBuffer(keyOf(id));
  const res = (await m.exec())!;
  return storedContacts(redis, keyOf, ids, (i) => res[i] as [Error | null, unknown]);
}

/**
 * Lua helpers over contact records (a string, or a hash written before them):
 * - `contact_meta(c)`: exists, version string ('' for none), journal record count (nil when
 *   unknown), and the key's type;
 * - `contact_write(c, version, jn, state, t)`: writes the record; `t` is the type
 *   `contact_meta` saw (a hash is deleted first, so it becomes a string);
 * - `contact_set_jn(c, jn, t)`: updates the journal record count in place (`t` as above).
 */
export const LUA_CONTACT = `
local function contact_meta(c)
  local t = redis.call('TYPE', c).ok
  if t == 'string' then
    local h = redis.call('GETRANGE', c, 0, ${HEADER_BYTES - 1})
    local v, jn = struct.unpack('>I4I4', h, 2)
    if jn == 4294967295 then jn = nil end
    return true, tostring(v), jn, t
  elseif t == 'hash' then
    return redis.call('HEXISTS', c, 's') == 1, redis.call('HGET', c, 'v') or '', tonumber(redis.call('HGET', c, 'jn') or ''), t
  end
  return false, '', nil, t
end
local function contact_write(c, version, jn, state, t)
  if t == 'hash' then redis.call('DEL', c) end
  redis.call('SET', c, struct.pack('>BI4I4', ${RECORD_TAG}, version, jn or 4294967295) .. state)
end
local function contact_set_jn(c, jn, t)
  if t == 'string' then redis.call('SETRANGE', c, 5, struct.pack('>I4', jn))
  elseif t == 'hash' then redis.call('HSET', c, 'jn', jn) end
end
`;
