/**
 * The drain of a job's contacts together: one read of them all, their evaluations one after
 * the other (round-robin cursors handed from each to the next, as sequential drains would
 * see them), one `addBulk` of the wake jobs that moved, and their commits pipelined in one
 * round trip (each still atomic and version-checked). An alias is forwarded and a contact
 * with nothing to do settled from the same read; a contact whose commit conflicts or whose
 * inbox holds more goes on through the one-contact drain. So a 32-contact job costs a handful of round trips,
 * not two or three per contact.
 */
import { commitCall } from "./commit.js";
import { committed, conclude, conflict, drain, prepare, readContacts, type DrainDeps, type Prepared } from "./drain.js";
import { rearmWakes } from "./wake-jobs.js";

/** The longest a job's evaluations hold the event loop before letting other work in (ms). */
const YIELD_MS = 2;

/** What a drain of many contacts did: inputs evaluated by contact, and each failed contact's error (the others went on). */
export type ManyResult = { by: Map<string, number>; errors: Map<string, unknown> };

/**
 * Drains `contacts` (distinct), their committed effects added to `queued`. One contact's
 * failure does not hold up the others: it is reported in `errors` after they are done.
 * `wakeBy` gives contacts woken by a wake job that job's instant (see `drain`).
 */
export async function drainMany(d: DrainDeps, contacts: string[], queued: string[], wakeBy?: ReadonlyMap<string, number>): Promise<ManyResult> {
  const by = new Map<string, number>();
  const errors = new Map<string, unknown>();
  const fail = (contact: string, err: unknown) => {
    errors.set(contact, err);
    d.log.warn({ contact, err }, "drain failed; the job will be retried");
  };
  const add = (contact: string, n: number) => {
    if (n > 0) by.set(contact, (by.get(contact) ?? 0) + n);
  };
  const later = new Set<string>();
  const ready: { contact: string; p: Extract<Prepared, { kind: "commit" }> }[] = [];
  try {
    const { reads, cursors: read } = await readContacts(d, contacts);
    let cursors = read;
    let slice = performance.now();
    for (const [i, contact] of contacts.entries()) {
      // Evaluations run back to back: every few milliseconds the event loop gets a turn, so
      // a process that also serves HTTP (waymark start) keeps answering meanwhile.
      if (performance.now() - slice > YIELD_MS) {
        await new Promise((r) => setImmediate(r));
        slice = performance.now();
      }
      try {
        const p = await prepare(d, contact, reads[i]!, cursors, wakeBy?.get(contact));
        // An identity merge waiting for the anonymous contact's inputs: the one-contact drain
        // below drains that contact first.
        if (p.kind === "first") later.add(contact);
        // Nothing to commit: finished from this read (forwarded or settled), not read again.
        else if (p.kind !== "commit") await conclude(d, contact, p);
        else {
          ready.push({ contact, p });
          cursors = p.input.cursors;
        }
      } catch (err) {
        fail(contact, err);
      }
    }
    // Timers first (idempotent ids): a crash after this and before the commits re-adds the same jobs.
    const wakes = ready.flatMap(({ p }) => (p.wake ? [p.wake] : []));
    const rearms = ready.flatMap(({ p }) => (p.rearm ? [p.rearm] : []));
    await Promise.all([wakes.length > 0 && d.queue.addBulk(wakes), rearms.length > 0 && rearmWakes(d.queue, rearms, d.overdueGraceMs)]);
    const results = await d.scripts.commitAll(ready.map(({ p }) => commitCall(d, p.input)));
    for (const [i, { contact, p }] of ready.entries()) {
      const result = results[i]!;
      if (result instanceof Error) fail(contact, result);
      else {
        if (result >= 0) add(contact, await committed(d, p, queued));
        else conflict(d, contact, result);
        // A conflict is evaluated again from a fresh read; more inputs wait for the next batch.
        if (result !== 0) later.add(contact);
      }
    }
  } catch (err) {
    // The shared read, the wake jobs or the pipeline failed: each contact goes alone (a commit
    // that did land is found by the version check; its effects wait in the outbox for the sweep).
    d.log.debug({ err }, "batched drain failed; draining one by one");
    for (const c of contacts) later.add(c);
  }
  for (const contact of contacts) {
    if (!later.has(contact)) continue;
    try {
      add(contact, await drain(d, contact, queued, wakeBy?.get(contact)));
    } catch (err) {
      fail(contact, err);
    }
  }
  return { by, errors };
}
