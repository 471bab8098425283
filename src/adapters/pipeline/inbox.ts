/**
 * Per-contact inboxes: every input for a contact is appended to its inbox (de-duplicated
 * by message id, atomically), and a drain job is queued when the inbox was empty. One
 * drain evaluates a contact's inputs strictly in order, in batches; a version check on
 * commit makes a second drain of the same contact (a stalled job run again) harmless.
 */
import { randomUUID } from "node:crypto";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Input } from "../../core/index.js";
import { jobKey, type Keys } from "../redis/keys.js";
import type { Scripts } from "../redis/scripts.js";

/** What waits in an inbox: an input, its instant, and an identity merge to do first. */
export type InboxItem = { i: Input; at: number; m?: string };

/** One input to push. */
export type Push = { contact: string; item: InboxItem; messageId?: string };

/** The queue name of drain and wake jobs. */
export const CONTACT_QUEUE = "contacts";

/** De-duplication window of message ids: Segment's own is 24 hours; we keep 48. */
export const DEDUPE_SECONDS = 48 * 3600;

/** Drain job options: removed once done (a later drain gets a fresh id), failures kept a week. */
export const DRAIN_JOB = { removeOnComplete: true, removeOnFail: { age: 7 * 86_400 }, attempts: 10, backoff: { type: "exponential", delay: 200 } } as const;

/** Appends inputs to inboxes and schedules drains. */
export class Inbox {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly scripts: Scripts, private readonly queue: Queue) {}

  /**
   * Pushes inputs in one round trip; returns, per input, whether it was new. With
   * `queueDrains: false` the caller drains the contacts itself (a crash before it does is
   * caught by the sweep).
   */
  async push(items: Push[], now: number, opts: { queueDrains?: boolean } = {}): Promise<("accepted" | "duplicate")[]> {
    if (items.length === 0) return [];
    const aliases = await this.redis.mget(items.map((p) => this.keys.alias(p.contact)));
    const contacts = items.map((p, i) => aliases[i] ?? p.contact);
    const keys = [this.keys.backlog, this.keys.pending];
    const args: (string | number)[] = [DEDUPE_SECONDS, now];
    items.forEach((p, i) => {
      keys.push(this.keys.inbox(contacts[i]!), this.keys.message(p.messageId ?? "-"));
      args.push(JSON.stringify(p.item), contacts[i]!, p.messageId ? "1" : "0");
    });
    const lens = await this.scripts.enqueue(keys, args);
    const first = new Set<string>();
    lens.forEach((len, i) => { if (len === 1) first.add(contacts[i]!); });
    if (first.size > 0 && opts.queueDrains !== false) await this.queue.addBulk(drainJobs([...first]));
    return lens.map((len) => (len === -1 ? "duplicate" : "accepted"));
  }

  /** Messages waiting in all inboxes. */
  async backlog(): Promise<number> {
    return Number((await this.redis.get(this.keys.backlog)) ?? 0);
  }
}

/** Contacts per drain job: a burst for many contacts costs one BullMQ job per this many, not one per contact. */
export const CONTACTS_PER_JOB = 32;

/**
 * Drain jobs for contacts, CONTACTS_PER_JOB to a job (ids are unique: extra drains are
 * harmless, missing ones are not).
 */
export function drainJobs(contacts: string[]) {
  const jobs = [];
  for (let i = 0; i < contacts.length; i += CONTACTS_PER_JOB) {
    const cs = contacts.slice(i, i + CONTACTS_PER_JOB);
    jobs.push({ name: "drain", data: { cs }, opts: { ...DRAIN_JOB, jobId: `d-${jobKey(cs[0]!)}-${randomUUID()}` } });
  }
  return jobs;
}
