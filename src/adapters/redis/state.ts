/**
 * Contact state as stored in Redis (the contact hash's `s` field, see codec.ts), and the id a contact lives under.
 */
import type { Redis } from "ioredis";
import type { ContactState } from "../../core/index.js";
import { decodeState } from "./codec.js";
import type { Keys } from "./keys.js";

/** A contact's stored state, or null when it has none. */
export async function readState(redis: Redis, keys: Keys, id: string): Promise<ContactState | null> {
  const stored = await redis.hgetBuffer(keys.contact(id), "s");
  return stored === null ? null : decodeState(stored);
}

/** The stored states of several contacts in one round trip (null where there is none). */
export async function readStates(redis: Redis, keys: Keys, ids: string[]): Promise<(ContactState | null)[]> {
  const pipe = redis.pipeline();
  for (const id of ids) pipe.hgetBuffer(keys.contact(id), "s");
  const res = (await pipe.exec()) ?? [];
  return ids.map((_, i) => {
    const s = res[i]?.[1];
    return s instanceof Buffer ? decodeState(s) : null;
  });
}

/** The id a contact lives under now: an anonymous id merged into a user resolves to the user. */
export async function currentId(redis: Redis, keys: Keys, id: string): Promise<string> {
  return (await redis.get(keys.alias(id))) ?? id;
}
