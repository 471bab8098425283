/**
 * Closing a BullMQ worker within a deadline. `Worker.close()` waits for the running jobs, and
 * a later `close(true)` only returns that same wait; so past the deadline we stop waiting
 * instead. The process then exits: the jobs still running are handed back (their locks
 * lapse and another worker takes them). A drain commits nothing twice (version checks); a
 * send cut off after its server accepted it may reach the receiver again, with the same
 * `Message-ID` / `webhook-id`, as after a crash.
 */
import type { Worker } from "bullmq";

/** Stops `w` taking jobs and waits up to `ms` for its running ones; false when some were still running. */
export async function closeWithin(w: Worker, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const closed = w.close().then(() => true, () => true);
  const late = new Promise<boolean>((r) => { timer = setTimeout(() => r(false), Math.max(0, ms)); });
  try {
    return await Promise.race([closed, late]);
  } finally {
    clearTimeout(timer);
  }
}
