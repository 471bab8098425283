/**
 * Contact state as stored in Redis (the contact record, contact-record.ts and codec.ts), and the id a contact lives under.
 */
import type { Redis } from "ioredis";
import type { ContactState } from "../../core/index.js";
import { decodeState } from "./codec.js";
import { readContactRecords } from "./contact-record.js";
import type { Keys } from "./keys.js";

/** A contact's stored state, or null when it has none. */
export async function readState(redis: Redis, keys: Keys, id: string): Promise<ContactState | null> {
  return (await readStates(redis, keys, [id]))[0]!;
}

/** The stored states of several contacts in one round trip (null where there is none). */
export async function readStates(redis: Redis, keys: Keys, ids: string[]): Promise<(ContactState | null)[]> {
  const records = await readContactRecords(redis, keys, ids);
  return records.map(({ stored }) => (stored ? decodeState(stored) : null));
}

/** The id a contact lives under now: an anonymous id merged into a user resolves to the user. */
export async function currentId(redis: Redis, keys: Keys, id: string): Promise<string> {
  return (await redis.get(keys.alias(id))) ?? id;
}
