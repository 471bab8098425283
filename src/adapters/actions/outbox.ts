/**
 * The outbox: effects are written in the same atomic commit as the state that decided
 * them, then queued as BullMQ jobs whose ids are the effects' stable ids. A crash between
 * the commit and the queueing leaves them in the outbox, where the sweep finds them; a
 * second queueing of the same id is ignored by BullMQ, so nothing is lost or doubled.
 */
import { randomUUID } from "node:crypto";
import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import type { Workspace } from "../../core/index.js";
import type { Config } from "../config.js";
import type { Keys } from "../redis/keys.js";
import { DeadLetters } from "./dead-letters.js";
import type { OutboxEntry } from "../pipeline/commit-plan.js";

/** Queue names of the action workers. */
export const EMAIL_QUEUE = "email";
export const WEBHOOK_QUEUE = "webhooks";

/** BullMQ's per-queue event streams (nobody here listens to them): short, not its default 10,000. */
export const EVENTS = { events: { maxLen: 1_000 } };

/**
 * How long finished webhook jobs are kept: their ids de-duplicate a re-queueing by the
 * outbox sweep (which runs within seconds). Email jobs go once done: the effect's outcome
 * key (kept 30 days) makes a re-queued email a no-op, and a finished email job would
 * otherwise hold its rendered data in Redis for the hour.
 */
const KEEP_DONE = { age: 3600, count: 100_000 };

/** Retry settings of the action jobs. */
export type RetryPolicy = { emailAttempts: number; webhookAttempts: number };

/** The retry settings of a configuration. */
export function retryPolicy(config: Pick<Config, "WAYMARK_EMAIL_ATTEMPTS" | "WAYMARK_WEBHOOK_RETRIES">): RetryPolicy {
  return { emailAttempts: config.WAYMARK_EMAIL_ATTEMPTS, webhookAttempts: config.WAYMARK_WEBHOOK_RETRIES.length };
}

/** A webhook job: one message to one declared endpoint. */
export type WebhookJob = {
  kind: "handoff.opened" | "handoff.breached" | "journey.webhook" | "audience.changed";
  id: string; endpoint: string; effect: OutboxEntry | AudienceBatch;
};

/** A batch of audience changes for the audience's endpoints. */
export type AudienceBatch = {
  kind: "audience.changed"; id: string; audience: string; at: string;
  changes: { op: "add" | "remove"; contact: string; at: string; expiresAt?: string; reason?: string }[];
};

type Planned = { queue: Queue; name: string; data: unknown; opts: JobsOptions };

/** The producer side of the action queues. */
export class Outbox {
  readonly email: Queue;
  readonly webhooks: Queue;

  /** `queueRedis` (default `redis`) carries the BullMQ queues (see Engine). */
  constructor(private readonly redis: Redis, private readonly keys: Keys, private readonly retry: RetryPolicy, queueRedis: Redis = redis) {
    this.email = new Queue(EMAIL_QUEUE, { connection: queueRedis, prefix: keys.bull, streams: EVENTS });
    this.webhooks = new Queue(WEBHOOK_QUEUE, { connection: queueRedis, prefix: keys.bull, streams: EVENTS });
  }

  /** The dead letters of these queues (replays go back to them with their attempts). */
  deadLetters(): DeadLetters {
    return new DeadLetters(this.redis, this.keys, {
      [EMAIL_QUEUE]: { queue: this.email, attempts: this.retry.emailAttempts },
      [WEBHOOK_QUEUE]: { queue: this.webhooks, attempts: this.retry.webhookAttempts },
    });
  }

  /** The jobs of one outbox member (an audience batch makes one per endpoint of its audience). */
  jobs(member: string, ws: Workspace): Planned[] {
    const e = JSON.parse(member) as OutboxEntry | AudienceBatch;
    const webhook = (kind: WebhookJob["kind"], endpoint: string, id: string): Planned => ({
      queue: this.webhooks, name: kind,
      data: { kind, id, endpoint, effect: e } satisfies WebhookJob,
      opts: { jobId: id, attempts: this.retry.webhookAttempts, backoff: { type: "waymark" }, removeOnComplete: KEEP_DONE, removeOnFail: { age: 7 * 86_400 } },
    });
    switch (e.kind) {
      case "email":
        return [{
          queue: this.email, name: "email", data: e,
          opts: { jobId: e.id, attempts: this.retry.emailAttempts, backoff: { type: "waymark" }, removeOnComplete: true, removeOnFail: { age: 7 * 86_400 } },
        }];
      case "audience.changed":
        return (ws.audiences?.[e.audience]?.endpoints ?? []).map((ep) => webhook("audience.changed", ep, `${e.id}-${ep}`));
      case "webhook":
        return [webhook("journey.webhook", e.endpoint, e.id)];
      case "handoff.opened":
      case "handoff.breached":
        return [webhook(e.kind, e.endpoint, e.id)];
      default:
        return [];
    }
  }

  /** Queues the members' jobs, then takes the members out of the outbox. */
  async flush(members: string[], ws: Workspace, log?: { warn(o: object, msg: string): void }): Promise<void> {
    if (members.length === 0) return;
    const planned = members.flatMap((m) => {
      const jobs = this.jobs(m, ws);
      if (jobs.length === 0) log?.warn({ effect: m.slice(0, 200) }, "effect dropped: nothing to deliver it to (an audience without endpoints after a reload?)");
      return jobs;
    });
    for (const q of [this.email, this.webhooks]) {
      const mine = planned.filter((p) => p.queue === q);
      if (mine.length > 0) await q.addBulk(mine.map((p) => ({ name: p.name, data: p.data, opts: p.opts })));
    }
    await this.redis.zrem(this.keys.outbox, ...members);
  }

  /** Queues outbox members older than `ageMs` (their committer died before queueing them). */
  async sweep(ws: Workspace, now = Date.now(), ageMs = 5_000, log?: { warn(o: object, msg: string): void }): Promise<number> {
    const stale = await this.redis.zrangebyscore(this.keys.outbox, "-inf", now - ageMs, "LIMIT", 0, 500);
    await this.flush(stale, ws, log);
    return stale.length;
  }

  /**
   * Moves waiting audience changes into outbox batches: an audience's changes go once
   * `size` are waiting or the oldest has waited `waitMs`. Returns the batches made.
   */
  async batchAudiences(ws: Workspace, size: number, waitMs: number, now = Date.now()): Promise<number> {
    const k = this.keys;
    const due = new Set(await this.redis.zrangebyscore(k.audiencesPending, "-inf", now - waitMs, "LIMIT", 0, 100));
    const all = await this.redis.zrange(k.audiencesPending, "0", "99");
    if (all.length > 0) {
      const lens = await Promise.all(all.map((a) => this.redis.llen(k.audienceChanges(a))));
      all.forEach((a, i) => { if (lens[i]! >= size) due.add(a); });
    }
    let made = 0;
    for (const aud of due) {
      const n = (await this.redis.eval(TAKE, 3, k.audienceChanges(aud), k.audiencesPending, k.outbox,
        aud, String(size), String(now), `au_${randomUUID().replaceAll("-", "")}`, new Date(now).toISOString())) as number;
      if (n > 0) made++;
    }
    if (made > 0) await this.sweep(ws, now, 0);
    return made;
  }

  async close(): Promise<void> {
    await Promise.all([this.email.close(), this.webhooks.close()]);
  }
}

/**
 * KEYS: the audience's change list, the pending index, the outbox.
 * ARGV: audience, batch size, now (ms), batch id, now (ISO).
 * Moves up to `size` changes into one outbox batch, atomically.
 */
const TAKE = `
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[2]) - 1)
if #items == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) return 0 end
redis.call('LTRIM', KEYS[1], #items, -1)
local changes = {}
for i, x in ipairs(items) do changes[i] = cjson.decode(x) end
redis.call('ZADD', KEYS[3], ARGV[3], cjson.encode({ kind = 'audience.changed', id = ARGV[4], audience = ARGV[1], at = ARGV[5], changes = changes }))
-- Changes left beyond a full batch keep their audience's original waiting time (they are due already).
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
return #items
`;
