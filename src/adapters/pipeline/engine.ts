/**
 * The live engine's moving parts in one place: the contact queue, its workers, the inbox,
 * and the deployed journeys (swapped atomically on reload).
 */
import { Queue, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Compiled, Workspace } from "../../core/index.js";
import type { DeadLetters } from "../actions/dead-letters.js";
import { EVENTS, Outbox, type RetryPolicy } from "../actions/outbox.js";
import type { Metrics } from "../metrics.js";
import { Keys } from "../redis/keys.js";
import { scripts, type Scripts } from "../redis/scripts.js";
import { closeWithin } from "../worker-close.js";
import { DrainBatcher } from "./drain-batcher.js";
import { OVERDUE_WAKE_GRACE_MS, type DrainDeps } from "./drain.js";
import { CONTACT_QUEUE, CONTACTS_PER_JOB, drainJobs, Inbox } from "./inbox.js";

/**
 * Most contacts of one push drained in the pushing process itself (one drain job's worth):
 * a bigger push (a batch for many contacts) is spread over the worker processes.
 */
const LOCAL_DRAIN_MAX = CONTACTS_PER_JOB;

/** How often stale inboxes are looked for, and how long an inbox may wait without a commit. */
const SWEEP_MS = 5_000;
const STALE_MS = 30_000;

/** How often waiting audience changes are looked at: a quarter of their wait, between 50 ms and 1 s. */
function audienceCheckMs(wait: number): number {
  return Math.max(50, Math.min(1_000, Math.floor(wait / 4)));
}

/** Settings of an engine. */
export type EngineOptions = {
  /** Connection for producers and reads (fail fast). */
  redis: Redis;
  /** Connection for BullMQ workers (never gives up a command); omit for a producer-only engine. */
  workerRedis?: Redis;
  prefix: string;
  compiled: Compiled;
  /** Workspace settings (audiences and their endpoints); default none. */
  workspace?: Workspace;
  log: Logger;
  concurrency?: number;
  batch?: number;
  journalMax?: number;
  streamMax?: number;
  /** Job lock duration (ms): a crashed worker's drain is run again after about this long. */
  lockMs?: number;
  /** Attempts of email and webhook jobs. */
  retry?: RetryPolicy;
  /** Audience changes per `audience.changed` webhook, and the longest a change waits (ms). */
  audienceBatch?: number;
  audienceWaitMs?: number;
  /** Where evaluation latency and timer lateness are observed. */
  metrics?: Metrics;
  /** How long an overdue wake-up waits for the contact's next inputs (ms; default OVERDUE_WAKE_GRACE_MS, 0: at once). */
  overdueGraceMs?: number;
};

/** A running engine (a producer, and a worker when `workerRedis` is given). */
export class Engine {
  readonly keys: Keys;
  readonly scripts: Scripts;
  readonly queue: Queue;
  readonly inbox: Inbox;
  readonly worker: Worker | undefined;
  readonly outbox: Outbox;
  readonly deadLetters: DeadLetters;
  private current: Compiled;
  private ws: Workspace;
  private readonly queueRedis: Redis;
  private sweeper: NodeJS.Timeout | undefined;
  private audiences: NodeJS.Timeout | undefined;
  private batcher: DrainBatcher | undefined;
  private stopping = false;

  constructor(private readonly o: EngineOptions) {
    this.keys = new Keys(o.prefix);
    this.scripts = scripts(o.redis);
    this.current = o.compiled;
    this.ws = o.workspace ?? {};
    const retry = o.retry ?? { emailAttempts: 8, webhookAttempts: 8 };
    // BullMQ defines its few dozen scripts on the connection it is given, and ioredis copies
    // every defined script into each MULTI and pipeline: the queues get a connection of their
    // own, so the drains' reads and commits stay cheap.
    this.queueRedis = o.redis.duplicate();
    this.outbox = new Outbox(o.redis, this.keys, retry, this.queueRedis);
    this.deadLetters = this.outbox.deadLetters();
    this.queue = new Queue(CONTACT_QUEUE, { connection: this.queueRedis, prefix: this.keys.bull, streams: EVENTS });
    this.inbox = new Inbox(o.redis, this.keys, this.scripts, this.queue);
    if (o.workerRedis) {
      const deps: DrainDeps = {
        redis: o.redis, keys: this.keys, scripts: this.scripts, queue: this.queue, log: o.log,
        compiled: () => this.current, workspace: () => this.ws, outbox: this.outbox, ...(o.metrics ? { metrics: o.metrics } : {}), batch: o.batch ?? 100, journalMax: o.journalMax ?? 1_000, streamMax: o.streamMax ?? 100_000,
        overdueGraceMs: o.overdueGraceMs ?? OVERDUE_WAKE_GRACE_MS,
      };
      const batcher = new DrainBatcher(deps, (ids) => this.outbox.flush(ids, this.ws, o.log));
      this.batcher = batcher;
      // Small pushes of this process (the API beside the worker: single calls, a few
      // contacts) are drained here when the batcher has room: no drain job to add, fetch and
      // complete. Bigger ones, or when busy, go to the queue, shared by every worker process;
      // a failed local drain goes there too (a retry finds done work done).
      this.inbox.local = (contacts) => {
        if (this.stopping || contacts.length > LOCAL_DRAIN_MAX || !batcher.hasRoom) return false;
        void batcher.drain(contacts).catch((err: unknown) => {
          o.log.warn({ err, contacts: contacts.length }, "local drain failed: queued as drain jobs");
          return this.queue.addBulk(drainJobs(contacts));
        }).catch((err: unknown) => o.log.error({ err }, "could not queue drains (the sweep will)"));
        return true;
      };
      this.worker = new Worker(CONTACT_QUEUE, (job) => this.process(batcher, job), {
        connection: o.workerRedis, prefix: this.keys.bull, concurrency: o.concurrency ?? 64,
        lockDuration: o.lockMs ?? 30_000, stalledInterval: o.lockMs ?? 30_000, maxStalledCount: 1_000,
      });
      this.worker.on("failed", (job, err) => {
        o.log.error({ job: job?.id, err }, "contact job failed");
        // A wake job given up for good: the contact goes to the sweep, whose drain evaluates
        // the due wake-up (the job was the only record of it).
        if (job?.name === "wake" && job.attemptsMade >= (job.opts.attempts ?? 1)) {
          void o.redis.zadd(this.keys.pending, "NX", Date.now() - STALE_MS, (job.data as { c: string }).c).catch((e: unknown) => o.log.error({ err: e }, "could not hand a failed wake-up to the sweep"));
        }
      });
      this.sweeper = setInterval(() => void this.sweep().catch((err) => o.log.warn({ err }, "sweep failed")), SWEEP_MS);
      this.sweeper.unref();
      const every = audienceCheckMs(o.audienceWaitMs ?? 5_000);
      this.audiences = setInterval(() => void this.batchAudiences().catch((err) => o.log.warn({ err }, "audience batching failed")), every);
      this.audiences.unref();
    }
  }

  /**
   * Safety net: a contact whose inbox has waited long without a commit (its producer died
   * between the push and the drain job, or the job failed for good) gets a new drain.
   * Extra drains are harmless; one process sweeps per interval.
   */
  async sweep(now = Date.now()): Promise<number> {
    const lock = await this.o.redis.set(`${this.keys.base}:sweep`, "1", "PX", SWEEP_MS, "NX");
    if (lock !== "OK") return 0;
    const queued = await this.outbox.sweep(this.ws, now, 5_000, this.o.log);
    if (queued > 0) this.o.log.warn({ effects: queued }, "queued effects left in the outbox");
    const stale = await this.o.redis.zrangebyscore(this.keys.pending, "-inf", now - STALE_MS, "LIMIT", 0, 500);
    if (stale.length > 0) {
      await this.queue.addBulk(drainJobs(stale));
      await this.o.redis.zadd(this.keys.pending, "XX", ...stale.flatMap((c) => [now, c]));
      this.o.log.warn({ contacts: stale.length }, "re-queued drains of stale inboxes");
    }
    return stale.length;
  }

  /** The producer connection (fail fast), for readers such as the admin API. */
  get redis(): Redis {
    return this.o.redis;
  }

  /** The journeys in force. */
  get compiled(): Compiled {
    return this.current;
  }

  /** The workspace in force. */
  get workspace(): Workspace {
    return this.ws;
  }

  /** Swaps the deployed journeys (between two drains; a drain uses one set throughout). */
  deploy(compiled: Compiled, workspace?: Workspace): void {
    this.current = compiled;
    if (workspace) this.ws = workspace;
  }

  /** Batches waiting audience changes into `audience.changed` webhooks (one process at a time). */
  async batchAudiences(now = Date.now()): Promise<number> {
    const wait = this.o.audienceWaitMs ?? 5_000;
    // One process at a time, for about one check's interval: a change leaves at most one
    // interval (a quarter of the wait, at most a second) after its wait is over.
    const lock = await this.o.redis.set(`${this.keys.base}:audsync`, "1", "PX", audienceCheckMs(wait) - 10, "NX");
    if (lock !== "OK") return 0;
    return this.outbox.batchAudiences(this.ws, this.o.audienceBatch ?? 1_000, wait, now);
  }

  private async process(batcher: DrainBatcher, job: Job): Promise<number> {
    const data = job.data as { c?: string; cs?: string[]; at?: number };
    if (job.name === "wake") {
      const now = Date.now();
      this.o.metrics?.lateness.observe(Math.max(0, now - data.at!) / 1_000);
      // The job drains the contact itself: the inbox first, then every wake-up due by now
      // (or by the job's instant), each at its own instant (the state's wakeAt, as simulate
      // fires them). A wake-up that moved later meanwhile has its own job; this one finds
      // nothing due. A crash re-runs the job. A merged-away contact's wake-ups live on in the user's state.
      return batcher.drain([data.c!], data.at);
    }
    // A drain job names its contacts (`c`: one, as queued before batches). Jobs running side
    // by side in this process are drained together (DrainBatcher): read, evaluated and
    // committed in one go, their effects queued together at the end. One contact's failure
    // does not hold up the others: the job fails after them (a retry finds their inboxes empty).
    return batcher.drain(data.cs ?? (data.c ? [data.c] : []));
  }

  /** Stops taking jobs and waits up to `ms` for the running ones; false when some were still running. */
  async stopWorker(ms = 10_000): Promise<boolean> {
    clearInterval(this.sweeper);
    clearInterval(this.audiences);
    this.stopping = true;
    const deadline = Date.now() + ms;
    const jobs = !this.worker || (await closeWithin(this.worker, ms));
    // Local drains (no job of their own) finish too, or are left to the sweep.
    while (this.batcher && !this.batcher.idle && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return jobs && (!this.batcher || this.batcher.idle);
  }

  /** Stops taking jobs, waits up to `ms` for the running ones, then closes the queue. */
  async close(ms = 10_000): Promise<void> {
    if (!(await this.stopWorker(ms))) this.o.log.warn({ ms }, "drains still running at the deadline: handed back");
    await this.queue.close();
    await this.outbox.close();
    this.queueRedis.disconnect();
  }
}
