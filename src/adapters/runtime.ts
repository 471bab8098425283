/**
 * The live parts of one process, built from the configuration: the engine (inboxes,
 * drains, outbox), the action workers (email, webhooks), the mailer and the deployment
 * secret. `waymark start|api|worker` and the tests build their processes with it.
 */
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import type { Compiled, Workspace } from "../core/index.js";
import { retryPolicy } from "./actions/outbox.js";
import { ActionWorkers } from "./actions/workers.js";
import { deploymentSecret } from "./actions/secret.js";
import type { Config } from "./config.js";
import { createMailer, TemplateRenderer } from "./email/index.js";
import { Metrics } from "./metrics.js";
import { Engine } from "./pipeline/engine.js";
import type { Template } from "./templates.js";

/** A deployable set: compiled journeys, the workspace and the email templates. */
export type Deployable = { compiled: Compiled; workspace: Workspace; templates: Template[] };

/** A process's live parts. */
export type Runtime = {
  engine: Engine;
  actions: ActionWorkers | undefined;
  secret: Buffer;
  metrics: Metrics;
  /** Swaps the journeys, workspace and templates in force. */
  deploy(d: Deployable): void;
  /** Stops the workers taking jobs; waits up to `ms` for their running ones. */
  stopWorkers(ms: number): Promise<void>;
  close(ms: number): Promise<void>;
};

/** Builds the parts; workers run only when `workerRedis` is given. */
export async function createRuntime(config: Config, d: Deployable, log: Logger, redis: Redis, workerRedis?: Redis): Promise<Runtime> {
  const metrics = new Metrics();
  const engine = new Engine({
    metrics,
    redis, ...(workerRedis ? { workerRedis } : {}), prefix: config.WAYMARK_PREFIX, compiled: d.compiled, workspace: d.workspace, log,
    concurrency: config.WAYMARK_WORKER_CONCURRENCY, batch: config.WAYMARK_BATCH,
    journalMax: config.WAYMARK_JOURNAL_MAX, streamMax: config.WAYMARK_STREAM_MAX, lockMs: config.WAYMARK_LOCK_SECONDS * 1_000,
    retry: retryPolicy(config),
    audienceBatch: config.WAYMARK_AUDIENCE_BATCH, audienceWaitMs: config.WAYMARK_AUDIENCE_WAIT_MS,
    overdueGraceMs: config.WAYMARK_OVERDUE_WAKE_GRACE_MS,
  });
  metrics.watch(redis, engine.keys, [engine.queue, engine.outbox.email, engine.outbox.webhooks]);
  const secret = await deploymentSecret(redis, engine.keys, config.WAYMARK_SECRET);
  let renderer = new TemplateRenderer(d.templates);
  const mailer = createMailer(config.SMTP_URL);
  let actions: ActionWorkers | undefined;
  if (workerRedis) {
    if (mailer.kind === "log") log.warn("SMTP_URL is unset: emails are rendered and accepted by a log transport, not sent");
    actions = new ActionWorkers({
      engine, workerRedis, log, mailer, renderer: () => renderer, secret,
      publicUrl: config.WAYMARK_PUBLIC_URL ?? `http://localhost:${config.PORT}`,
      emailBackoffMs: config.WAYMARK_EMAIL_BACKOFF_MS, webhookSchedule: config.WAYMARK_WEBHOOK_RETRIES,
      journalMax: config.WAYMARK_JOURNAL_MAX, streamMax: config.WAYMARK_STREAM_MAX,
      concurrency: config.WAYMARK_ACTION_CONCURRENCY, lockMs: config.WAYMARK_LOCK_SECONDS * 1_000, metrics,
    });
  }
  return {
    engine, actions, secret, metrics,
    deploy(next) {
      engine.deploy(next.compiled, next.workspace);
      renderer = new TemplateRenderer(next.templates);
    },
    async stopWorkers(ms) {
      await Promise.all([engine.stopWorker(ms), actions?.close(ms)]);
    },
    async close(ms) {
      await Promise.all([engine.close(ms), actions?.close(ms)]);
      mailer.close();
    },
  };
}
