/**
 * Wake jobs: a contact's next wake-up is one delayed BullMQ job whose id names the contact
 * and the instant. An overdue wake-up waits a grace for the contact's next messages, and the
 * grace runs again from each drain of messages that leaves it waiting.
 */
import { Job, type Queue } from "bullmq";
import { jobKey } from "../redis/keys.js";

/**
 * How long (ms) a wake-up already overdue when a drain of inputs schedules it waits for the
 * contact's next inputs. Messages for the past sent one at a time (a replay, a backfill, a
 * test posting an events file line by line) then meet their wake-ups in timestamp order, as
 * `simulate` does: a later message stamped before the wake-up is evaluated first, one
 * stamped after it fires the wake-up first (the evaluator catches up). Each drain of messages
 * that leaves the wake-up waiting starts its grace again ({@link rearmWakes}), so messages
 * posted one after another, each within the grace of the one before, all go first. A
 * wake-up in the future is not affected: it fires at its instant.
 */
export const OVERDUE_WAKE_GRACE_MS = 2_000;

/** The id of the wake job of `contact` at instant `at`. */
export function wakeJobId(contact: string, at: number): string {
  return `w-${jobKey(contact)}-${at}`;
}

/**
 * Wake job options: the id names the contact and the instant, so re-adding is a no-op. A
 * wake-up due already waits `grace` ms (see {@link OVERDUE_WAKE_GRACE_MS}).
 */
export function wakeJob(contact: string, at: number, now: number, grace = 0) {
  return {
    name: "wake", data: { c: contact, at },
    opts: { jobId: wakeJobId(contact, at), delay: at > now ? at - now : grace, removeOnComplete: true, removeOnFail: { age: 7 * 86_400 }, attempts: 10, backoff: { type: "exponential", delay: 200 } },
  };
}

/**
 * Starts the grace of overdue wake-ups again: their delayed jobs are moved to `grace` ms
 * from now. A job no longer delayed (its grace ran out, it is running or done) is left as it
 * is, and so is one that cannot be moved now (Redis away: the commit after fails too): its
 * wake-up is evaluated when its job runs, as without the re-arm.
 */
export async function rearmWakes(queue: Queue, ids: readonly string[], grace: number): Promise<void> {
  await Promise.all(ids.map((id) => new Job(queue, "wake", {}, {}, id).changeDelay(grace).catch(() => undefined)));
}
