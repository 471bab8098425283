/**
 * The action workers: email (SMTP) and webhooks (hand-offs, journey webhooks, audience
 * syncs). Jobs carry the effects' stable ids; outcomes are recorded once; what fails for
 * good becomes a dead letter. Retries use BullMQ's backoff with our own schedules.
 */
import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { DEFAULT_SENDER, emailSender, parseDuration, type JournalRecord } from "../../core/index.js";
import type { Engine } from "../pipeline/engine.js";
import type { OutboxEntry } from "../pipeline/commit-plan.js";
import { writeOutcome, type Outcome } from "../redis/journal.js";
import { decodeState } from "../redis/codec.js";
import type { StoredContact } from "../redis/contact-record.js";
import { readForEmail } from "./email-read.js";
import { classifySmtpError, domainOf, mailOptions, parseMailboxes, unsubscribeToken, unsubscribeUrl, type Mailbox, type Mailer, type TemplateRenderer } from "../email/index.js";
import { deliver, retryDelay } from "../webhooks/index.js";
import { EMAIL_QUEUE, WEBHOOK_QUEUE, type WebhookJob } from "./outbox.js";
import { buildPayload } from "./payloads.js";
import type { Metrics } from "../metrics.js";
import { closeWithin } from "../worker-close.js";
import { KeyedSerial } from "../keyed-serial.js";
import { RecentRecords } from "./recent-records.js";

/** A failure worth another attempt (after `retryAfterMs` when the receiver asked for it). */
export class RetryLater extends Error {
  constructor(message: string, readonly retryAfterMs?: number) {
    super(message);
    this.name = "RetryLater";
  }
}

/** Settings of the action workers. */
export type ActionOptions = {
  engine: Engine;
  workerRedis: Redis;
  log: Logger;
  mailer: Mailer;
  renderer: () => TemplateRenderer;
  publicUrl: string;
  secret: Buffer;
  /** First email retry delay (doubling, at most an hour); the attempts are the jobs' own. */
  emailBackoffMs: number;
  /** Webhook retry schedule: the delay before each attempt (ms). */
  webhookSchedule: number[];
  journalMax: number;
  streamMax: number;
  concurrency: number;
  lockMs: number;
  metrics?: Metrics;
};

/** A contact's record read before a send: the outcome is written over it unless it changed since. */
type Hint = { id: string; record: StoredContact };

type EmailEntry = Extract<OutboxEntry, { kind: "email" }> & { replay?: number; accepted?: number };

/** Email and webhook workers, and the dead letters they leave. */
export class ActionWorkers {
  readonly email: Worker;
  readonly webhooks: Worker;
  private readonly serial = new KeyedSerial();
  private readonly recent = new RecentRecords();
  private from?: { raw: string; mailbox: string | Mailbox; domain: string };

  constructor(private readonly o: ActionOptions) {
    const e = o.engine;
    const common = {
      connection: o.workerRedis, prefix: e.keys.bull, concurrency: o.concurrency,
      lockDuration: o.lockMs, stalledInterval: o.lockMs, maxStalledCount: 1_000,
    };
    this.email = new Worker(EMAIL_QUEUE, (job: Job) => this.guard(job, () => this.sendEmail(job)), {
      ...common, settings: { backoffStrategy: (made: number) => emailDelay(o.emailBackoffMs, made) },
    });
    this.webhooks = new Worker(WEBHOOK_QUEUE, (job: Job) => this.guard(job, () => this.sendWebhook(job)), {
      ...common,
      settings: {
        backoffStrategy: (made: number, _t?: string, err?: Error) =>
          retryDelay(o.webhookSchedule, made, err instanceof RetryLater ? err.retryAfterMs : undefined) ?? 0,
      },
    });
    for (const w of [this.email, this.webhooks]) {
      w.on("failed", (job, err) => o.log.warn({ job: job?.id, queue: w.name, err: err.message }, "action attempt failed"));
      w.on("error", (err) => o.log.error({ err }, "action worker error"));
    }
  }

  /** An unexpected error (a bug, Redis away) is retried like any failure; on the last attempt it becomes a dead letter. */
  private async guard(job: Job, run: () => Promise<string>): Promise<string> {
    try {
      return await run();
    } catch (err) {
      // An email the SMTP server accepted is never dead-lettered (a replay would send it again).
      if (err instanceof RetryLater || !lastAttempt(job) || (job.data as { accepted?: number }).accepted) throw err;
      const d = job.data as { contact?: string; endpoint?: string; effect?: { contact?: string } };
      const contact = d.contact ?? d.effect?.contact;
      return this.giveUp(job, "error", (err as Error).message, failureRecord(job), contact, d.endpoint);
    }
  }

  /**
   * Records an outcome, trying a few times (a Redis blip must not make an accepted email go
   * out again); `onFirstFailure` runs once if the first attempt fails.
   */
  private async outcome(effect: string, record: JournalRecord, outcome: Outcome, onFirstFailure?: () => Promise<void>, hint?: Hint): Promise<void> {
    // One outcome at a time per contact in this process (see KeyedSerial).
    await this.serial.run(record.contact, async () => {
      for (let i = 0; ; i++) {
        try {
          // Where to start: the newer of the record read before the send (when it is this
          // contact's) and this process's last write of it. Written over unless something else
          // wrote the record since; then read again.
          const start = i === 0 ? this.recent.newest(record.contact, hint?.id === record.contact ? hint.record : undefined) : undefined;
          const w = await writeOutcome(this.o.engine.redis, this.o.engine.keys, { effect, record, outcome, journalMax: this.o.journalMax, streamMax: this.o.streamMax }, start);
          if (w.record) this.recent.set(record.contact, w.record);
          return;
        } catch (err) {
          if (i === 0) await onFirstFailure?.();
          if (i >= 4) throw err;
          await new Promise((r) => setTimeout(r, 100 * 2 ** i));
        }
      }
    });
  }

  private async sendEmail(job: Job): Promise<string> {
    const { engine, log } = this.o;
    const k = engine.keys;
    const r = engine.redis;
    const e = job.data as EmailEntry;
    const read = await readForEmail(r, k, e.id, e.contact);
    const prev = read.prev;
    if (prev === "sent" || prev === "suppressed") return prev; // done before a crash or a replay
    if (prev === "failed" && !e.replay) return prev; // given up: only a replay sends it again
    const base = { at: e.at, contact: e.contact, journey: e.journey, template: e.template, effect: e.id };
    if (e.accepted) return this.sent(e, base); // accepted by the SMTP server on an earlier attempt
    const record = await read.record();
    // The outcome goes into the journal of e.contact: the record read is a start for it when it is that contact's.
    const hint = read.current === e.contact ? { id: e.contact, record } : undefined;
    const stored = record.stored;
    const traits = stored ? decodeState(stored).traits : {};
    // Consent is checked again at send time. The one-click link (a person's click, now)
    // always wins. The trait was judged at the decision's instant, in event time; an
    // unsubscribe stamped later (a backfill still streaming in, a CRM sync a moment after)
    // does not undo that decision, as in simulate, unless this is a retry or a replay, sent
    // long after it was decided.
    const later = job.attemptsMade > 0 || Boolean(e.replay);
    if (read.unsubscribed || (later && traits["unsubscribed"] === true)) {
      await this.outcome(e.id, { ...base, type: "email.suppressed", reason: "unsubscribed" }, "suppressed", undefined, hint);
      this.o.metrics?.emails.inc({ outcome: "suppressed" });
      return "suppressed";
    }
    // One mailbox per email: a trait holding a list of addresses must not fan out.
    const to = parseMailboxes(e.to);
    if (to.length !== 1) {
      await this.outcome(e.id, { ...base, type: "email.suppressed", reason: "invalid-address" }, "suppressed", undefined, hint);
      this.o.metrics?.emails.inc({ outcome: "suppressed" });
      return "suppressed";
    }
    const ws = engine.workspace;
    const from = this.sender(emailSender(ws.email) ?? DEFAULT_SENDER);
    const unsubscribe = unsubscribeUrl(this.o.publicUrl, unsubscribeToken(this.o.secret, e.contact));
    let rendered;
    try {
      rendered = await this.o.renderer().render(e.template, {
        contact: { id: e.contact, traits }, event: e.event, journey: { id: e.journey, ...(e.stage !== undefined ? { stage: e.stage } : {}) }, unsubscribe_url: unsubscribe,
      }, e.subject);
    } catch (err) {
      return this.giveUp(job, "template", (err as Error).message, { ...base, type: "email.failed", reason: "template" }, e.contact);
    }
    const mail = mailOptions({
      effectId: e.id, from: from.mailbox, ...(ws.email?.replyTo ? { replyTo: ws.email.replyTo } : {}), to: to[0]!, subject: rendered.subject,
      html: rendered.html, text: rendered.text, unsubscribeUrl: unsubscribe, contact: e.contact, journey: e.journey, template: e.template,
    }, from.domain);
    try {
      await this.o.mailer.send(mail);
    } catch (err) {
      const c = classifySmtpError(err);
      if (!c.permanent && !lastAttempt(job)) {
        this.o.metrics?.emails.inc({ outcome: "retried" });
        throw new RetryLater(c.message);
      }
      const reason = c.permanent ? "rejected" : "retries-exhausted";
      return this.giveUp(job, reason, c.message, { ...base, type: "email.failed", reason, ...(c.code ? { code: c.code } : {}) }, e.contact);
    }
    // Accepted: the outcome is the first write. Only if it fails is the job marked accepted
    // (before the outcome's next attempts), so that no later attempt sends the email again.
    const markAccepted = () => job.updateData({ ...e, accepted: Date.now() }).catch((err: unknown) => log.warn({ err, effect: e.id }, "could not mark an accepted email"));
    return this.sent(e, base, markAccepted, hint);
  }

  private async sent(e: EmailEntry, base: { at: string; contact: string; journey: string; template: string; effect: string }, onFirstFailure?: () => Promise<void>, hint?: Hint): Promise<string> {
    await this.outcome(e.id, e.rec ?? { ...base, type: "email.sent" }, "sent", onFirstFailure, hint);
    this.o.metrics?.emails.inc({ outcome: "sent" });
    this.o.log.debug({ effect: e.id, to: e.to }, "email sent");
    return "sent";
  }

  private async sendWebhook(job: Job): Promise<string> {
    const { engine } = this.o;
    const d = job.data as WebhookJob & { body?: Record<string, unknown>; replay?: number };
    const ws = engine.workspace;
    const ep = ws.endpoints?.[d.endpoint];
    const contact = "contact" in d.effect ? d.effect.contact : undefined;
    const failed = failureRecord(job);
    if (!ep) return this.giveUp(job, "unknown-endpoint", `endpoint "${d.endpoint}" is not declared in waymark.yaml`, failed, contact, d.endpoint);
    const disabled = await engine.redis.hget(engine.keys.disabledEndpoints, d.endpoint);
    if (disabled !== null) return this.giveUp(job, "endpoint-disabled", `endpoint "${d.endpoint}" is disabled (it answered 410 Gone)`, failed, contact, d.endpoint);
    let body = d.body;
    if (!body) {
      body = await buildPayload({ redis: engine.redis, keys: engine.keys, compiled: engine.compiled, workspace: ws, publicUrl: this.o.publicUrl, secret: this.o.secret }, d);
      await job.updateData({ ...d, body });
    }
    const timeoutMs = (ep.timeout ? parseDuration(ep.timeout) : null) ?? 10_000;
    const res = await deliver(
      { name: d.endpoint, url: ep.url, secret: ep.secret, ...(ep.headers ? { headers: ep.headers } : {}), timeoutMs },
      { id: d.id, type: d.kind, timestamp: new Date(d.effect.at), data: body },
    );
    const count = (outcome: string) => this.o.metrics?.webhooks.inc({ kind: d.kind, outcome });
    if (res.ok) {
      count("delivered");
      return `delivered ${res.status}`;
    }
    if (res.disable) {
      await engine.redis.hset(engine.keys.disabledEndpoints, d.endpoint, JSON.stringify({ at: new Date().toISOString(), status: res.status, error: res.error }));
      this.o.log.error({ endpoint: d.endpoint }, "endpoint answered 410 Gone: disabled until re-enabled");
      count("disabled");
      return this.giveUp(job, "endpoint-disabled", res.error, failed, contact, d.endpoint);
    }
    if (res.retryable && !lastAttempt(job)) {
      count("retried");
      throw new RetryLater(res.error, res.retryAfterMs);
    }
    return this.giveUp(job, res.retryable ? "retries-exhausted" : "rejected", res.error, failed, contact, d.endpoint);
  }

  /** Gives a job up: a dead letter, and a failure record in the contact's journal. */
  private async giveUp(job: Job, reason: string, error: string, record: JournalRecord | null, contact?: string, endpoint?: string): Promise<string> {
    await this.o.engine.deadLetters.add({
      id: (job.data as { replay?: number }).replay ? String(job.id).replace(/-r\d+$/, "") : String(job.id), queue: job.queueName, name: job.name, data: job.data as Record<string, unknown>, error, reason,
      attempts: job.attemptsMade + 1, ...(contact ? { contact } : {}), ...(endpoint ? { endpoint } : {}),
    });
    if (job.queueName === EMAIL_QUEUE) this.o.metrics?.emails.inc({ outcome: "failed" });
    else this.o.metrics?.webhooks.inc({ kind: job.name, outcome: "failed" });
    const effect = (job.data as { id: string }).id;
    if (record) await this.outcome(effect, { ...record, error }, "failed");
    this.o.log.error({ job: job.id, reason, error }, "action dead-lettered");
    return `dead: ${reason}`;
  }

  /** The sender parsed once per configured value (it is the same for every email), and its Message-ID domain. */
  private sender(raw: string): { raw: string; mailbox: string | Mailbox; domain: string } {
    if (this.from?.raw !== raw) {
      const parsed = parseMailboxes(raw);
      this.from = { raw, mailbox: parsed.length === 1 ? parsed[0]! : raw, domain: domainOf(parsed[0] ?? "") };
    }
    return this.from;
  }

  /** Stops taking jobs; waits up to `ms` for the running ones. */
  async close(ms = 10_000): Promise<void> {
    await Promise.all([this.email, this.webhooks].map((w) => closeWithin(w, ms)));
  }
}

/** The journal record of a job given up for an unexpected error. */
function failureRecord(job: Job): JournalRecord | null {
  if (job.queueName === EMAIL_QUEUE) {
    const e = job.data as EmailEntry;
    return { at: e.at, contact: e.contact, journey: e.journey, type: "email.failed", template: e.template, effect: e.id, reason: "error" };
  }
  const d = job.data as WebhookJob;
  if (!("contact" in d.effect)) return null;
  return { at: d.effect.at, contact: d.effect.contact, journey: (d.effect as { journey: string }).journey, type: "webhook.failed", endpoint: d.endpoint, webhook: d.kind };
}

function lastAttempt(job: Job): boolean {
  return job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
}

/** Exponential email backoff from `base` ms, at most an hour, with ±10% jitter. */
export function emailDelay(base: number, attemptsMade: number): number {
  const d = Math.min(3_600_000, base * 2 ** Math.max(0, attemptsMade - 1));
  return Math.round(d * (0.9 + Math.random() * 0.2));
}
