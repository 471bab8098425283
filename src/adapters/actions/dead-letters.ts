/**
 * Dead letters: effects whose delivery failed for good (retries exhausted, a permanent
 * rejection, a disabled or unknown endpoint, a broken template). Ops list them, replay them
 * (same effect id, so receivers still de-duplicate) or drop them.
 */
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Keys } from "../redis/keys.js";

/** One dead letter. */
export type DeadLetter = {
  /** The job id (the effect's stable id, or batch id + endpoint). */
  id: string;
  queue: string;
  /** Job name: `email`, `handoff.opened`, `handoff.breached`, `journey.webhook`, `audience.changed`. */
  name: string;
  data: Record<string, unknown>;
  error: string;
  /** Why it was given up: `retries-exhausted`, `rejected`, `endpoint-disabled`, `unknown-endpoint`, `template`. */
  reason: string;
  attempts: number;
  failedAt: string;
  contact?: string;
  endpoint?: string;
  /** Times it was replayed before. */
  replays: number;
};

/** The dead-letter store, and replay onto the action queues. */
export class DeadLetters {
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly queues: Record<string, { queue: Queue; attempts: number }>) {}

  /** Adds (or replaces) a dead letter. */
  async add(d: Omit<DeadLetter, "failedAt" | "replays"> & { failedAt?: string }): Promise<void> {
    const replays = Number((d.data["replay"] as number | undefined) ?? 0);
    const entry: DeadLetter = { ...d, failedAt: d.failedAt ?? new Date().toISOString(), replays };
    await this.redis.multi().hset(this.keys.deadLetters, d.id, JSON.stringify(entry))
      .zadd(this.keys.deadLetterIndex, Date.parse(entry.failedAt), d.id).exec();
  }

  /** Newest first; optionally only one queue or job name. */
  async list(o: { limit?: number; offset?: number; name?: string } = {}): Promise<{ total: number; items: DeadLetter[] }> {
    const offset = o.offset ?? 0;
    const limit = o.limit ?? 100;
    const read = async (ids: string[]) => (ids.length ? await this.redis.hmget(this.keys.deadLetters, ...ids) : [])
      .filter((x): x is string => x !== null).map((x) => JSON.parse(x) as DeadLetter);
    if (!o.name) {
      const [total, ids] = await Promise.all([this.redis.zcard(this.keys.deadLetterIndex), this.redis.zrevrange(this.keys.deadLetterIndex, offset, offset + limit - 1)]);
      return { total, items: await read(ids) };
    }
    // Filtered: every dead letter is read (they are few; ops replay or drop them).
    const items = (await read(await this.redis.zrevrange(this.keys.deadLetterIndex, 0, -1))).filter((d) => d.name === o.name || d.queue === o.name);
    return { total: items.length, items: items.slice(offset, offset + limit) };
  }

  async get(id: string): Promise<DeadLetter | null> {
    const x = await this.redis.hget(this.keys.deadLetters, id);
    return x === null ? null : (JSON.parse(x) as DeadLetter);
  }

  /** Removes dead letters without replaying them. Returns how many existed. */
  async drop(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const [[, n]] = (await this.redis.multi().hdel(this.keys.deadLetters, ...ids).zrem(this.keys.deadLetterIndex, ...ids).exec()) as [[unknown, number]];
    return n;
  }

  /**
   * Queues dead letters again (all of them when `ids` is omitted). The job keeps its data,
   * so an email keeps its Message-ID and a webhook its `webhook-id`. Returns the ids queued.
   */
  async replay(ids?: string[]): Promise<string[]> {
    const targets = ids ?? (await this.redis.zrange(this.keys.deadLetterIndex, "0", "-1"));
    const done: string[] = [];
    for (const id of targets) {
      const d = await this.get(id);
      const q = d ? this.queues[d.queue] : undefined;
      if (!d || !q) continue;
      const n = d.replays + 1;
      await q.queue.add(d.name, { ...d.data, replay: n }, {
        jobId: `${d.id}-r${n}`, attempts: q.attempts, backoff: { type: "waymark" },
        removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 86_400 },
      });
      await this.drop([id]);
      done.push(id);
    }
    return done;
  }
}
