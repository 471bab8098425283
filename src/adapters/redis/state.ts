/**
 * Contact state as stored in Redis (JSON in the contact hash's `s` field), and the id a contact lives under.
 */
import type { Redis } from "ioredis";
import type { ContactState } from "../../core/index.js";
import type { Keys } from "./keys.js";

/** Parses stored state; the feature map becomes a dictionary object (its keys vary by contact). */
export function parseState(json: string): ContactState {
  const s = JSON.parse(json) as ContactState;
  s.f = Object.assign(Object.create(null) as ContactState["f"], s.f);
  return s;
}

/** The id a contact lives under now: an anonymous id merged into a user resolves to the user. */
export async function currentId(redis: Redis, keys: Keys, id: string): Promise<string> {
  return (await redis.get(keys.alias(id))) ?? id;
}
