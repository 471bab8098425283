/**
 * What the email worker reads before a send, in one round trip in the common case: the
 * effect's recorded outcome, whether the contact was merged into another, the unsubscribe
 * mark and the contact's record (its traits, and its journal's open chunk, where the send's
 * placeholder usually is: the outcome is then written over this read, see writeOutcome).
 */
import type { Redis } from "ioredis";
import type { Keys } from "../redis/keys.js";
import { storedContacts, type StoredContact } from "../redis/contact-record.js";
import { currentId } from "../redis/state.js";

/**
 * The read: `record()` decodes the record of `current`, the id the contact lives under now
 * (only when wanted: a job whose email was sent already returns before).
 */
export type EmailRead = { prev: string | null; current: string; unsubscribed: boolean; record(): Promise<StoredContact> };

type Reply = [Error | null, unknown];

/**
 * Reads for an email to `contact`: one MULTI (outcome, alias, unsubscribe mark, record); a
 * contact merged into another takes one more hop per merge and one more read of the user's.
 */
export async function readForEmail(redis: Redis, keys: Keys, effect: string, contact: string): Promise<EmailRead> {
  const res = (await redis.multi().get(keys.effect(effect)).get(keys.alias(contact)).exists(keys.unsubscribed(contact)).getBuffer(keys.contact(contact)).exec())!;
  const value = (i: number) => {
    const [err, v] = res[i] as Reply;
    if (err) throw err;
    return v;
  };
  const prev = value(0) as string | null;
  const alias = value(1) as string | null;
  const decode = (id: string, reply: Reply) => async () => ((await storedContacts(redis, keys, [id], () => reply)) as [StoredContact])[0];
  if (alias === null || alias === contact) return { prev, current: contact, unsubscribed: (value(2) as number) > 0, record: decode(contact, res[3] as Reply) };
  // Merged: the mark under either id counts, the traits are the user's.
  const current = await currentId(redis, keys, contact);
  const more = (await redis.multi().exists(keys.unsubscribed(current)).getBuffer(keys.contact(current)).exec())!;
  const [err, n] = more[0] as Reply;
  if (err) throw err;
  return { prev, current, unsubscribed: (value(2) as number) > 0 || (n as number) > 0, record: decode(current, more[1] as Reply) };
}
