/**
 * Lua shared by the scripts that write journals: the record count of an entry, and the trim
 * that keeps a journal within its bound (entries as codec.ts writes them; the count in the
 * contact record, contact-record.ts).
 */
import { CHUNK_TAG, CHUNK_TAG_D } from "./codec.js";
import { LUA_CONTACT } from "./contact-record.js";

/**
 * Lua: the number of records in journal entry `e` (a chunk's count, else 1). Shared by the
 * scripts that trim journals.
 */
export const LUA_ENTRY_COUNT = `
local function entry_count(e)
  local t = string.byte(e, 1)
  if t == ${CHUNK_TAG} or t == ${CHUNK_TAG_D} then return string.byte(e, 2) * 256 + string.byte(e, 3) end
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
