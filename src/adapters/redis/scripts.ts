/**
 * Lua scripts: enqueueing into contact inboxes, and committing an evaluation atomically
 * (state, consumed inputs, journal, stream, counters, indexes) under a version check.
 */
import type { Redis } from "ioredis";
import { LUA_ENTRY_COUNT, LUA_TRIM_JOURNAL } from "./lua-journal.js";

/**
 * KEYS: backlog, pending, then per item: alias key, inbox, message-id key.
 * ARGV: dedupe ttl (s), now (ms), inbox key prefix, alias key prefix, route key prefix,
 * route ttl (s), then per item: item JSON, contact id, dedupe (1/0), the anonymous id it
 * merges into the contact ('' for none), its instant (ms). An item for an anonymous id
 * merged into a user goes to the user's inbox (read here, atomically with the push, so a
 * merge cannot slip in between), and so does one stamped at or after the instant of a merge
 * queued but not committed yet (its route key, `<instant>|<user>`, set here by the first
 * such merge's push and deleted by its commit): the messages after an identify or alias are
 * the user's, even in the same batch, while a late one stamped before it stays the
 * anonymous contact's (evaluated before the merge, as in simulate).
 * Returns per item two values: -1 (duplicate) or the inbox length after the push, and the
 * user it went to when the id was merged (else nil: the caller keeps its own string, which
 * may not survive a round trip through UTF-8).
 */
/**
 * Links followed at most from one id (merges chain: an anonymous id into a user, that user
 * aliased into another), where a message is queued and where an id is looked up.
 */
export const MERGE_HOPS = 16;

const ENQUEUE = `
local out = {}
local n = (#ARGV - 6) / 5
local pushed = 0
for i = 1, n do
  local alias = KEYS[2 + (i - 1) * 3 + 1]
  local inbox = KEYS[2 + (i - 1) * 3 + 2]
  local mid = KEYS[2 + (i - 1) * 3 + 3]
  local a = 6 + (i - 1) * 5
  local item, contact, dedupe, merge, at = ARGV[a + 1], ARGV[a + 2], ARGV[a + 3], ARGV[a + 4], ARGV[a + 5]
  -- Along a chain of merges (an anonymous id into a user merged later into another), up to
  -- MERGE_HOPS of them: committed ones (alias keys) whatever the message's instant, queued
  -- ones (routes) for a message stamped at or after theirs.
  local user = false -- a nil would end the reply array here (false is a nil reply)
  local id = contact
  for hop = 1, ${MERGE_HOPS} do
    local nxt = redis.call('GET', hop == 1 and alias or (ARGV[4] .. id))
    if not nxt then
      local route = redis.call('GET', ARGV[5] .. id)
      if route then
        local sep = string.find(route, '|', 1, true)
        if sep and tonumber(at) >= tonumber(string.sub(route, 1, sep - 1)) then nxt = string.sub(route, sep + 1) end
      end
    end
    if not nxt or nxt == id or nxt == contact then break end
    user = nxt
    id = nxt
  end
  if user then
    contact = user
    inbox = ARGV[3] .. user
  end
  out[2 * i] = user
  if dedupe == '1' and not redis.call('SET', mid, '1', 'NX', 'EX', ARGV[1]) then
    out[2 * i - 1] = -1
  else
    local len = redis.call('RPUSH', inbox, item)
    pushed = pushed + 1
    if len == 1 then redis.call('ZADD', KEYS[2], ARGV[2], contact) end
    if merge ~= '' and merge ~= contact and redis.call('EXISTS', ARGV[4] .. merge) == 0 then
      redis.call('SET', ARGV[5] .. merge, at .. '|' .. contact, 'NX', 'EX', ARGV[6])
    end
    out[2 * i - 1] = len
  end
end
if pushed > 0 then redis.call('INCRBY', KEYS[1], pushed) end
return out
`;

/**
 * KEYS: contact (its record, contact-record.ts), inbox, journal, stream, stats, backlog, pending, cursors, then the
 * merged-away contact, its alias key, its inbox and its journal (dummies when there is no
 * merge), then the keys the payload names by index.
 * ARGV[1]: payload JSON { v, av, ai, consumed, jmax, smax, id, merged, now, ns, sadd, on, jadd,
 * hkeep, dkeep, r, s, b, cc, cs, o } (expected versions as strings, '' = none; `ai` the
 * merged-away contact's inbox length the drain saw, -1 = not checked; `ns` sealed
 * chunks holding `sadd` lines, `on` lines left open, `jadd` lines added): `r` record JSONs
 * for the stream, `s` [field, delta] of the all-time counters, `b` [hour key, day key,
 * [[field, delta]]] of the time buckets, `cc` [field, expected] and `cs` [field, value] of
 * the cursors, `o` extra commands [command, key index, args...]. ARGV[2]: the stored state;
 * ARGV[3]: the journal's new open chunk; then ns sealed chunks to append to the journal list.
 * The version check covers the open chunk: whatever writes the record moves the version.
 * A merged-away contact's open chunk goes to the end of its own journal list.
 * Returns -1 on a version conflict, -2 on a cursor conflict, else the inbox length left.
 */
const COMMIT = `${LUA_ENTRY_COUNT}${LUA_TRIM_JOURNAL}
local h = cjson.decode(ARGV[1])
local _, v, jn, ctype = contact_meta(KEYS[1])
if v ~= h.v then return -1 end
if h.merged ~= '' then
  local _, av = contact_meta(KEYS[9])
  if av ~= h.av then return -1 end
  -- A message stamped before the merge arrived in its inbox meanwhile: it goes first.
  if h.ai >= 0 and redis.call('LLEN', KEYS[11]) ~= h.ai then return -1 end
end
for _, c in ipairs(h.cc) do
  if (redis.call('HGET', KEYS[8], c[1]) or '') ~= c[2] then return -2 end
end
for _, c in ipairs(h.cs) do redis.call('HSET', KEYS[8], c[1], c[2]) end
if h.consumed > 0 then
  redis.call('LTRIM', KEYS[2], h.consumed, -1)
  redis.call('DECRBY', KEYS[6], h.consumed)
end
for i = 1, h.ns do redis.call('RPUSH', KEYS[3], ARGV[3 + i]) end
if h.jadd > 0 then jn = trim_count(KEYS[3], jn, h.sadd, h.ns, math.max(0, h.jmax - h.on)) end
-- One write of the record: the next version, the journal list's count, the state, the open chunk.
contact_write(KEYS[1], (tonumber(v) or 0) + 1, jn, ARGV[2], ARGV[3], ctype)
for _, r in ipairs(h.r) do redis.call('XADD', KEYS[4], 'MAXLEN', '~', h.smax, '*', 'r', r) end
for _, s in ipairs(h.s) do redis.call('HINCRBY', KEYS[5], s[1], s[2]) end
for _, b in ipairs(h.b) do
  local hk, dk = KEYS[b[1]], KEYS[b[2]]
  for _, s in ipairs(b[3]) do
    redis.call('HINCRBY', hk, s[1], s[2])
    redis.call('HINCRBY', dk, s[1], s[2])
  end
  redis.call('EXPIRE', hk, h.hkeep)
  redis.call('EXPIRE', dk, h.dkeep)
end
for _, o in ipairs(h.o) do redis.call(o[1], KEYS[o[2]], unpack(o, 3)) end
if h.merged ~= '' then
  local moved = redis.call('LRANGE', KEYS[11], 0, -1)
  local open = contact_open(KEYS[9])
  if open ~= '' then redis.call('RPUSH', KEYS[12], open) end
  redis.call('DEL', KEYS[9], KEYS[11])
  redis.call('SET', KEYS[10], h.id)
  redis.call('ZREM', KEYS[7], h.merged)
  for _, m in ipairs(moved) do redis.call('RPUSH', KEYS[2], m) end
end
local left = redis.call('LLEN', KEYS[2])
if left == 0 then redis.call('ZREM', KEYS[7], h.id) else redis.call('ZADD', KEYS[7], 'XX', h.now, h.id) end
return left
`;

/** The scripts, registered on a connection. */
export type Scripts = {
  enqueue(keys: string[], args: (string | number)[]): Promise<(number | string | null)[]>;
  commit(keys: string[], args: (string | number | Buffer)[]): Promise<number>;
  /** Several commits pipelined in one round trip, run in order; per commit its result or its error. */
  commitAll(calls: { keys: string[]; args: (string | number | Buffer)[] }[]): Promise<(number | Error)[]>;
};

/** Registers the scripts on `r` (EVALSHA with automatic fallback). */
export function scripts(r: Redis): Scripts {
  r.defineCommand("waymarkEnqueue", { lua: ENQUEUE });
  r.defineCommand("waymarkCommit", { lua: COMMIT });
  const call = r as unknown as Record<string, (n: number, ...a: (string | number | Buffer)[]) => Promise<unknown>>;
  return {
    enqueue: (keys, args) => call["waymarkEnqueue"]!(keys.length, ...keys, ...args) as Promise<(number | string | null)[]>,
    commit: (keys, args) => call["waymarkCommit"]!(keys.length, ...keys, ...args) as Promise<number>,
    commitAll: async (calls) => {
      if (calls.length === 0) return [];
      const p = r.pipeline();
      const pc = p as unknown as Record<string, (n: number, ...a: (string | number | Buffer)[]) => unknown>;
      for (const c of calls) pc["waymarkCommit"]!(c.keys.length, ...c.keys, ...c.args);
      const res = (await p.exec()) ?? [];
      return res.map(([err, v]) => err ?? (v as number));
    },
  };
}
