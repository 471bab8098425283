/**
 * Whether an identity merge the drain meets goes ahead: the first merge of an anonymous id
 * wins, as in simulate (the route key tells which was queued first).
 */
import { currentId } from "../redis/state.js";
import type { DrainDeps } from "./drain.js";

/**
 * Whether `anon` may be merged into `contact`: not merged already (into anyone: the first
 * merge wins, as in simulate), and no other contact's merge of it queued first (its route).
 */
export async function mergeable(d: Pick<DrainDeps, "redis" | "keys">, anon: string, contact: string): Promise<boolean> {
  const [alias, route] = await d.redis.mget(d.keys.alias(anon), d.keys.route(anon));
  if (alias != null) return false;
  if (route == null) return true;
  // The route names the user the merge was pushed for; that user may have been merged into
  // this contact since (its inbox, this merge in it, came along): follow its aliases.
  const owner = route.slice(route.indexOf("|") + 1);
  return owner === contact || (await currentId(d.redis, d.keys, owner)) === contact;
}
