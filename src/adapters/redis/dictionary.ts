/**
 * Deployment dictionaries: the strings a deployment's states and journals repeat (journey,
 * stage, segment, trigger and feature ids, templates, endpoints, teams, event names), put in
 * front of the codec's fixed dictionaries (codec.ts). In a compressed state or chunk each
 * such string then costs a back-reference instead of its letters, once per chunk and state.
 *
 * A dictionary's id is a hash of its strings; every state and chunk names the one it was
 * written with. The strings are kept in Redis (`{prefix}:dicts`, id -> strings) before
 * anything is written with them, so that any process, and any later deployment, reads what
 * was written under an earlier one.
 */
import type { Redis } from "ioredis";
import type { Compiled } from "../../core/index.js";
import { missingDictionary, registerDictionary, type Dictionary } from "./codec.js";
import type { Keys } from "./keys.js";

const byDeployment = new WeakMap<Compiled, Dictionary>();
/** `{dicts key}|{id}` already in Redis, as far as this process knows. */
const stored = new Set<string>();

/** Strings of the deployment worth a dictionary entry: short identifiers, longest-lived last. */
export function deploymentStrings(compiled: Compiled): Buffer {
  const seen = new Set<string>();
  const add = (x: string) => {
    if (x.length >= 2 && x.length <= 48 && !/\s/.test(x)) {
      seen.delete(x); // the last occurrence counts (nearest the fixed dictionary: cheapest to refer to)
      seen.add(x);
    }
  };
  const walk = (v: unknown): void => {
    if (typeof v === "string") add(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === "object") Object.values(v as Record<string, unknown>).forEach(walk);
  };
  for (const j of compiled.journeys) walk(j.def);
  for (const k of compiled.features.keys()) add(k);
  for (const j of compiled.journeys) add(j.id);
  add(compiled.signature);
  return Buffer.from([...seen].join('"'));
}

/** A deployment's dictionary (computed once per compiled deployment). */
export function dictionaryOf(compiled: Compiled): Dictionary {
  let d = byDeployment.get(compiled);
  if (!d) byDeployment.set(compiled, (d = registerDictionary(deploymentStrings(compiled))));
  return d;
}

/** Keeps a dictionary in Redis (once per process and prefix): to be done before anything is written with it. */
export async function storeDictionary(redis: Redis, keys: Keys, d: Dictionary): Promise<void> {
  const mark = `${keys.dictionaries}|${d.id}`;
  if (stored.has(mark)) return;
  if ((await redis.hsetnx(keys.dictionaries, String(d.id), d.strings)) === 0) {
    const there = await redis.hgetBuffer(keys.dictionaries, String(d.id));
    if (!there?.equals(d.strings)) throw new Error(`dictionary ${d.id}: ${keys.dictionaries} holds other strings under this id`);
  }
  stored.add(mark);
}

/**
 * Loads from Redis the dictionaries that stored states and journal entries name and this
 * process does not know yet (one round trip when there are any), so they can be decoded.
 */
export async function loadDictionaries(redis: Redis, keys: Keys, entries: Iterable<Buffer | null | undefined>): Promise<void> {
  const ids = new Set<number>();
  for (const e of entries) {
    const id = missingDictionary(e);
    if (id !== undefined) ids.add(id);
  }
  if (ids.size === 0) return;
  const want = [...ids];
  const got = await redis.hmgetBuffer(keys.dictionaries, ...want.map(String));
  want.forEach((id, i) => {
    const strings = got[i];
    if (!strings) throw new Error(`dictionary ${id} is named by a stored contact but missing from ${keys.dictionaries}`);
    if (registerDictionary(strings).id !== id) throw new Error(`dictionary ${id} in ${keys.dictionaries} does not match its id`);
  });
}
