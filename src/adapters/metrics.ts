/**
 * Prometheus metrics of one process (prom-client, a registry per process, no globals):
 * ingest rate, evaluation latency, timer lateness, email and webhook outcomes, and, read
 * from Redis at scrape time, queue depth per state, the inbox backlog and dead letters.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Keys } from "./redis/keys.js";

const STATES = ["waiting", "active", "delayed", "failed", "completed", "prioritized", "waiting-children"] as const;

/** The metrics of a process. */
export class Metrics {
  readonly registry = new Registry();
  /** Messages taken by the ingest API, by route and outcome (accepted, duplicate, invalid). */
  readonly ingested = new Counter({ name: "waymark_ingest_messages_total", help: "Messages received by the ingest API", labelNames: ["route", "outcome"], registers: [this.registry] });
  /** Time to evaluate and commit one drain batch. */
  readonly evaluation = new Histogram({
    name: "waymark_evaluation_seconds", help: "Time to evaluate and commit one contact's batch of inputs", registers: [this.registry],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
  });
  /** Inputs evaluated. */
  readonly evaluated = new Counter({ name: "waymark_inputs_evaluated_total", help: "Inputs (events, acks, wake-ups) evaluated", registers: [this.registry] });
  /** Commits refused because something changed since the read (the contact is evaluated again). */
  readonly conflicts = new Counter({ name: "waymark_commit_conflicts_total", help: "Commits refused by a concurrent change, by what changed (version: the contact record, which holds the journal's open chunk; cursor); re-evaluated", labelNames: ["on"], registers: [this.registry] });
  /** How late wake-ups were picked up (they are evaluated at their instant regardless). */
  readonly lateness = new Histogram({
    name: "waymark_timer_lateness_seconds", help: "Delay between a wake-up's instant and its pick-up", registers: [this.registry],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
  /** Email outcomes: sent, suppressed, failed, retried. */
  readonly emails = new Counter({ name: "waymark_emails_total", help: "Email outcomes", labelNames: ["outcome"], registers: [this.registry] });
  /** Webhook attempts by kind and outcome: delivered, retried, failed, disabled. */
  readonly webhooks = new Counter({ name: "waymark_webhooks_total", help: "Webhook attempt outcomes", labelNames: ["kind", "outcome"], registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }

  /** Adds the gauges read from Redis when scraped. */
  watch(redis: Redis, keys: Keys, queues: Queue[]): void {
    new Gauge({
      name: "waymark_queue_jobs", help: "Jobs per queue and state", labelNames: ["queue", "state"], registers: [this.registry],
      async collect() {
        for (const q of queues) {
          const counts = await q.getJobCounts(...STATES);
          for (const s of STATES) this.set({ queue: q.name, state: s }, counts[s] ?? 0);
        }
      },
    });
    new Gauge({
      name: "waymark_inbox_backlog", help: "Inputs waiting in contact inboxes", registers: [this.registry],
      async collect() { this.set(Number((await redis.get(keys.backlog)) ?? 0)); },
    });
    new Gauge({
      name: "waymark_dead_letters", help: "Dead letters waiting for ops", registers: [this.registry],
      async collect() { this.set(await redis.zcard(keys.deadLetterIndex)); },
    });
    new Gauge({
      name: "waymark_outbox_effects", help: "Committed effects not yet queued", registers: [this.registry],
      async collect() { this.set(await redis.zcard(keys.outbox)); },
    });
  }
}
