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

/**
 * How long the route of a queued merge may outlive it (its commit deletes it): a safety net,
 * the merge is committed within seconds.
 */
export const ROUTE_SECONDS = 7 * 86_400;

/** Drain job options: removed once done (a later drain gets a fresh id), failures kept a week. */
export const DRAIN_JOB = { removeOnComplete: true, removeOnFail: { age: 7 * 86_400 }, attempts: 10, backoff: { type: "exponential", delay: 200 } } as const;

/** Most inputs one enqueue round trip carries when pushes are coalesced. */
export const PUSH_GROUP_MAX = 1_000;

type Outcome = "accepted" | "duplicate";
/** A push waiting for the round trip in flight to finish. */
type Waiting = { items: Push[]; now: number; resolve: (r: Outcome[]) => void; reject: (e: unknown) => void };

/**
 * Appends inputs to inboxes and schedules drains. Pushes are coalesced: while one round trip
 * is in flight, the pushes that arrive meanwhile wait and then go together (in arrival
 * order, so every contact's inputs keep theirs), in one enqueue and one `addBulk` of drain
 * jobs of up to CONTACTS_PER_JOB contacts. An idle inbox sends a push at once; under load
 * each request costs a fraction of a round trip, and the workers get fuller jobs.
 */
export class Inbox {
  private readonly waiting: Waiting[] = [];
  private flushing = false;
  /**
   * A drainer in this process (`waymark start`): offered the contacts whose inbox was empty;
   * when it takes them (it has room) no drain job is queued for them. A crash before their
   * commit leaves them to the sweep, as a producer dying before queueing the job would.
   */
  local: ((contacts: string[]) => boolean) | undefined;

  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly scripts: Scripts, private readonly queue: Queue) {}

  /**
   * Pushes inputs; returns, per input, whether it was new. With `queueDrains: false` the
   * caller drains the contacts itself (a crash before it does is caught by the sweep), and
   * the push goes on its own.
   */
  push(items: Push[], now: number, opts: { queueDrains?: boolean } = {}): Promise<Outcome[]> {
    if (items.length === 0) return Promise.resolve([]);
    if (opts.queueDrains === false) return this.send(items, now, false);
    return new Promise((resolve, reject) => {
      this.waiting.push({ items, now, resolve, reject });
      if (!this.flushing) void this.flush();
    });
  }

  /** Sends waiting pushes, a group per round trip, until none wait. */
  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        let n = 0, size = 0;
        while (n < this.waiting.length && (n === 0 || size + this.waiting[n]!.items.length <= PUSH_GROUP_MAX)) size += this.waiting[n++]!.items.length;
        const group = this.waiting.splice(0, n);
        try {
          const out = await this.send(group.length === 1 ? group[0]!.items : group.flatMap((w) => w.items), Math.min(...group.map((w) => w.now)), true);
          let at = 0;
          for (const w of group) { w.resolve(out.slice(at, at + w.items.length)); at += w.items.length; }
        } catch (err) {
          for (const w of group) w.reject(err);
        }
      }
    } finally {
      this.flushing = false;
    }
  }

  /** One enqueue (aliases resolved in it), then the drain jobs of contacts whose inbox was empty. */
  private async send(items: Push[], now: number, queueDrains: boolean): Promise<Outcome[]> {
    const keys = [this.keys.backlog, this.keys.pending];
    const args: (string | number)[] = [DEDUPE_SECONDS, now, this.keys.inbox(""), this.keys.alias(""), this.keys.route(""), ROUTE_SECONDS];
    for (const p of items) {
      keys.push(this.keys.alias(p.contact), this.keys.inbox(p.contact), this.keys.message(p.messageId ?? "-"));
      args.push(JSON.stringify(p.item), p.contact, p.messageId ? "1" : "0", p.item.m ?? "", Math.round(p.item.at));
    }
    const reply = await this.scripts.enqueue(keys, args);
    const first = new Set<string>();
    const out: Outcome[] = [];
    for (let i = 0; i < items.length; i++) {
      const len = Number(reply[2 * i]);
      if (len === 1) first.add((reply[2 * i + 1] as string | null) ?? items[i]!.contact);
      out.push(len === -1 ? "duplicate" : "accepted");
    }
    if (first.size > 0 && queueDrains) {
      const contacts = [...first];
      if (!this.local?.(contacts)) await this.queue.addBulk(drainJobs(contacts));
    }
    return out;
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
