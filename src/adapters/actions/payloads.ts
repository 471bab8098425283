/**
 * The `data` of outbound webhooks, built once (on the first attempt) from the effect and
 * the contact as it was when the step was decided (the effect's snapshot: stage, score,
 * segments, traits; the journal up to then); retries send the same body.
 */
import { createHash } from "node:crypto";
import type { Redis } from "ioredis";
import type { Compiled, Workspace } from "../../core/index.js";
import { contactView } from "../http/views.js";
import { readJournal } from "../redis/journal.js";
import type { Keys } from "../redis/keys.js";
import { currentId, readState, readStates } from "../redis/state.js";
import type { OutboxEntry } from "../pipeline/commit-plan.js";
import type { AudienceBatch, WebhookJob } from "./outbox.js";
import { ackUrl } from "./secret.js";

/** Journal records carried by a hand-off. */
export const HANDOFF_JOURNAL = 20;

/** What building a payload needs. */
export type PayloadDeps = { redis: Redis; keys: Keys; compiled: Compiled; workspace: Workspace; publicUrl: string; secret: Buffer };

/** A contact as stored now (following a merge), or a bare one when it no longer exists. */
async function contactNow(d: PayloadDeps, id: string) {
  const current = await currentId(d.redis, d.keys, id);
  return { id: current, state: await readState(d.redis, d.keys, current) };
}

/** Builds the `data` of a webhook job. */
export async function buildPayload(d: PayloadDeps, job: WebhookJob): Promise<Record<string, unknown>> {
  if (job.kind === "audience.changed") return audiencePayload(d, job.effect as AudienceBatch);
  const e = job.effect as Exclude<OutboxEntry, { kind: "email" | "audience" }>;
  const { id, state } = await contactNow(d, e.contact);
  // The contact as it was when the step was decided (its snapshot); an entry queued before
  // snapshots were taken shows the contact as it stands now.
  const run = e.snap ?? (state ? contactView(d.compiled, state, Date.now()).journeys[e.journey] : undefined);
  const contact = { id, traits: e.snap?.traits ?? state?.traits ?? {} };
  const where = { stage: run?.stage ?? null, score: run?.score ?? 0, segments: run?.segments ?? [] };
  if (e.kind === "webhook") {
    return { journey: e.journey, trigger: e.trigger, contact, ...where, payload: e.payload };
  }
  const common = {
    handoff: e.handoff, journey: e.journey, trigger: e.trigger, team: e.team, owner: e.owner ?? null, dueAt: e.dueAt,
    ackUrl: ackUrl(d.publicUrl, d.secret, e.handoff), contact, ...where,
  };
  if (e.kind === "handoff.breached") return { ...common, breachedAt: e.at };
  // The journal up to the decision (a backfill may have written later records by now).
  const upTo = (await readJournal(d.redis, d.keys, id)).filter((r) => r.at <= e.at);
  return { ...common, openedAt: e.at, journal: upTo.slice(-HANDOFF_JOURNAL) };
}

/** The shape an ad-platform sync consumes: who joined and left, with hashed emails. */
async function audiencePayload(d: PayloadDeps, b: AudienceBatch): Promise<Record<string, unknown>> {
  const ids = [...new Set(b.changes.map((c) => c.contact))];
  const emails = new Map<string, string>();
  const states = await readStates(d.redis, d.keys, ids);
  ids.forEach((c, i) => {
    const email = states[i]?.traits["email"];
    if (typeof email === "string") emails.set(c, email);
  });
  const withEmail = (c: string) => {
    const email = emails.get(c);
    return email ? { email, emailSha256: sha256(email.trim().toLowerCase()) } : {};
  };
  return {
    audience: b.audience, name: d.workspace.audiences?.[b.audience]?.name ?? b.audience, batch: b.id,
    added: b.changes.filter((c) => c.op === "add").map((c) => ({ contact: c.contact, ...withEmail(c.contact), at: c.at, expiresAt: c.expiresAt ?? null })),
    removed: b.changes.filter((c) => c.op === "remove").map((c) => ({ contact: c.contact, ...withEmail(c.contact), at: c.at, ...(c.reason ? { reason: c.reason } : {}) })),
  };
}

function sha256(s: string): string {
  return createHash("sha256").update(s).digest("hex");
}
