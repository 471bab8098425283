/**
 * Coalesces the drains of a worker's concurrent jobs. Every drain and wake job of one worker
 * process hands its contacts here: when nothing is in flight they go at once; jobs that
 * arrive while a drain is in flight wait for it and then go together, in one `drainMany`
 * (one read, pipelined commits) and one queueing of their effects. So a burst of wake-ups,
 * each still its own delayed BullMQ job, costs a few round trips per batch of contacts, not
 * a few per contact; and single-contact drain jobs at a steady rate share their round
 * trips whenever they overlap.
 */
import { drainMany } from "./drain-many.js";
import type { DrainDeps } from "./drain.js";

/** Most contacts one coalesced drain takes (a job with more still goes, alone). */
export const BATCH_CONTACTS_MAX = 128;

/** Coalesced drains in flight at once (one reads or commits while another evaluates). */
export const BATCHES_IN_FLIGHT = 2;

/** A job's drain waiting for its turn. */
type Request = { contacts: string[]; wakeBy: number | undefined; resolve: (done: number) => void; reject: (err: unknown) => void };

/** Drains the contacts of concurrent jobs together; see the module comment. */
export class DrainBatcher {
  private waiting: Request[] = [];
  /** Contacts of the drains in flight: a job naming one waits for them. */
  private readonly busy = new Set<string>();
  private running = 0;
  private runs = 0;

  /**
   * @param d what drains need
   * @param queueEffects queues committed effects (already in the outbox) by id
   * @param max most contacts per coalesced drain
   * @param parallel most coalesced drains in flight
   */
  constructor(
    private readonly d: DrainDeps,
    private readonly queueEffects: (ids: string[]) => Promise<void>,
    private readonly max = BATCH_CONTACTS_MAX,
    private readonly parallel = BATCHES_IN_FLIGHT,
  ) {}

  /**
   * Drains `contacts` (a wake job's: up to `wakeBy`, its instant) with whatever other jobs
   * wait; resolves with the inputs evaluated for them. Rejects with the first error of one of
   * them (the job is retried; its retry finds the work done and does nothing twice), or when
   * the batch's effects could not be queued (they wait in the outbox for the sweep).
   */
  drain(contacts: string[], wakeBy?: number): Promise<number> {
    if (contacts.length === 0 && wakeBy === undefined) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      this.waiting.push({ contacts, wakeBy, resolve, reject });
      this.pump();
    });
  }

  /** Coalesced drains run so far. */
  get batches(): number {
    return this.runs;
  }

  /** True when a drain handed in now would start at once (room in flight, nothing waiting). */
  get hasRoom(): boolean {
    return this.running < this.parallel && this.waiting.length === 0;
  }

  /** True when nothing is in flight or waiting. */
  get idle(): boolean {
    return this.running === 0 && this.waiting.length === 0;
  }

  /** Starts coalesced drains while there is room and a job can go. */
  private pump(): void {
    while (this.running < this.parallel && this.waiting.length > 0) {
      const batch = this.take();
      if (batch.length === 0) return;
      this.running++;
      this.runs++;
      void this.run(batch).finally(() => {
        this.running--;
        for (const r of batch) for (const c of r.contacts) this.busy.delete(c);
        this.pump();
      });
    }
  }

  /**
   * The next batch, in arrival order: jobs none of whose contacts is in a drain in flight
   * or already in the batch, up to `max` contacts. A job naming a taken contact waits for a
   * later batch, so a contact is never drained twice at once and its jobs keep their order.
   */
  private take(): Request[] {
    const batch: Request[] = [];
    const rest: Request[] = [];
    let size = 0;
    for (const r of this.waiting) {
      const fits = batch.length === 0 || size + r.contacts.length <= this.max;
      if (fits && r.contacts.every((c) => !this.busy.has(c))) {
        batch.push(r);
        size += r.contacts.length;
        for (const c of r.contacts) this.busy.add(c);
      } else rest.push(r);
    }
    this.waiting = rest;
    return batch;
  }

  private async run(batch: Request[]): Promise<void> {
    const contacts: string[] = [];
    const wakeBy = new Map<string, number>();
    for (const r of batch) {
      contacts.push(...r.contacts);
      if (r.wakeBy !== undefined) for (const c of r.contacts) wakeBy.set(c, r.wakeBy);
    }
    try {
      const queued: string[] = [];
      const res = await drainMany(this.d, contacts, queued, wakeBy);
      let queueErr: unknown;
      if (queued.length > 0) await this.queueEffects(queued).catch((err: unknown) => (queueErr = err ?? new Error("effects not queued")));
      for (const r of batch) {
        const err = r.contacts.map((c) => res.errors.get(c)).find((e) => e !== undefined) ?? queueErr;
        if (err !== undefined) r.reject(err);
        else r.resolve(r.contacts.reduce((n, c) => n + (res.by.get(c) ?? 0), 0));
      }
    } catch (err) {
      for (const r of batch) r.reject(err);
    }
  }
}
