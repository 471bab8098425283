/**
 * Contact state as stored in Redis (the contact record, contact-record.ts and codec.ts), and the id a contact lives under.
 */
import type { Redis } from "ioredis";
import type { ContactState } from "../../core/index.js";
import { decodeState } from "./codec.js";
import { readContactRecords } from "./contact-record.js";
import type { Keys } from "./keys.js";
import { MERGE_HOPS } from "./scripts.js";

/** A contact's stored state, or null when it has none. */
export async function readState(redis: Redis, keys: Keys, id: string): Promise<ContactState | null> {
  return (await readStates(redis, keys, [id]))[0]!;
}

/** The stored states of several contacts in one round trip (null where there is none). */
export async function readStates(redis: Redis, keys: Keys, ids: string[]): Promise<(ContactState | null)[]> {
  const records = await readContactRecords(redis, keys, ids);
  return records.map(({ stored }) => (stored ? decodeState(stored) : null));
}


/**
 * The id a contact lives under now: an anonymous id merged into a user resolves to the
 * user, and on along a chain of merges (anon -> user -> the user it was aliased to).
 */
export async function currentId(redis: Redis, keys: Keys, id: string): Promise<string> {
  let at = id;
  for (let hop = 0; hop < MERGE_HOPS; hop++) {
    const next = await redis.get(keys.alias(at));
    if (next === null || next === at || next === id) return at;
    at = next;
  }
  return at;
}
