/**
 * `/admin/queues`: bull-board over every queue of the engine (contacts, email, webhooks),
 * mounted behind the admin sign-in (bull-board has no auth of its own).
 */
import type { Queue } from "bullmq";
import type { Router } from "express";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";

/** The mount path; bull-board's base path must equal it. */
export const QUEUES_PATH = "/admin/queues";

/** bull-board's router for `queues`. */
export function queuesBoard(queues: Queue[]): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUES_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { description: DESCRIPTIONS[q.name] ?? "" })),
    serverAdapter,
    options: { uiConfig: { boardTitle: "Waymark queues" } },
  });
  return serverAdapter.getRouter() as Router;
}

const DESCRIPTIONS: Record<string, string> = {
  contacts: "drains of contact inboxes and wake-ups (delayed jobs are timers)",
  email: "emails to send (job id = effect id)",
  webhooks: "hand-offs, journey webhooks and audience syncs (job id = effect id)",
};
