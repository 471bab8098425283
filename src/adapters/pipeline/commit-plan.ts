/**
 * What a commit writes besides the state: journal entries, the read models kept as records
 * happen (hand-offs by status, audience members and their pending syncs) and the effects
 * to queue (the outbox). Built in memory from an evaluation's records and effects, then
 * applied by the commit script in the same atomic step as the state.
 */
import { runPosition, type Compiled, type ContactState, type Effect, type JournalRecord, type RunPosition, type Workspace } from "../../core/index.js";
import type { Keys } from "../redis/keys.js";
import type { RunPositions } from "../redis/stats.js";

/** One extra Redis command of a commit: command, key, arguments. */
export type CommitOp = [command: string, key: string, ...args: (string | number)[]];

/** The contact in one journey at a webhook's or hand-off's decision: what its `data` tells. */
export type Snapshot = RunPosition & { traits: Record<string, unknown> };

/**
 * An effect waiting in the outbox; emails carry the record to write once sent, webhooks and
 * hand-offs the contact as it was when they were decided (a backfill's later events must
 * not show in a hand-off decided at the start of it).
 */
export type OutboxEntry = Effect & { rec?: JournalRecord; snap?: Snapshot };

/** The snapshot of `journey` in `state` at instant `at` (the score decayed to then). */
export function snapshotAt(c: Compiled, state: ContactState, journey: string, at: number): Snapshot {
  const run = state.runs[journey];
  return {
    ...(run ? runPosition(c, journey, run, at) : { stage: null, segments: [], score: 0 }),
    // A deep copy: later inputs of the same drain change nested traits in place.
    traits: structuredClone(state.traits),
  };
}

/** Whether an effect's webhook carries a snapshot. */
export function takesSnapshot(e: Effect): boolean {
  return e.kind === "webhook" || e.kind === "handoff.opened" || e.kind === "handoff.breached";
}

/** What a commit writes for an evaluation's records and effects. */
export type CommitPlan = {
  /** Journal entries in evaluation order: record JSON, or `~<effect id>` for a send not yet confirmed. */
  journal: string[];
  /** Records that count now (stream and counters): all but the unconfirmed sends. */
  counted: JournalRecord[];
  ops: CommitOp[];
  /** Outbox members (effect JSON), to be queued as jobs once committed. */
  outbox: string[];
};

/** Record types written by a worker once the outside world confirmed them. */
export const CONFIRMED_LATER = new Set(["email.sent"]);

/** Attributed conversions kept per journey for reports under other models. */
const CONVERSIONS_KEPT = 100_000;

/** How long resolved hand-offs stay listed (seconds). */
const RESOLVED_KEPT_S = 30 * 86_400;

/** Far-future score of audience members without a TTL. */
const NEVER = "+inf";

/** Plans the commit of `records` and `effects` at `now`, given where the contact stood before them. */
export function planCommit(k: Keys, ws: Workspace, records: JournalRecord[], effects: Effect[], now: number, before: RunPositions = new Map()): CommitPlan {
  const stageNow = new Map<string, string>();
  for (const [j, p] of before) if (p.stage !== undefined) stageNow.set(j, p.stage);
  const journal: string[] = [];
  const counted: JournalRecord[] = [];
  const ops: CommitOp[] = [];
  const withheld = new Map<string, JournalRecord>();
  for (const r of records) {
    if (CONFIRMED_LATER.has(r.type) && typeof r["effect"] === "string") {
      journal.push(`~${r["effect"]}`);
      withheld.set(r["effect"], r);
    } else {
      journal.push(JSON.stringify(r));
      counted.push(r);
    }
    handoffOps(k, r, ops);
    audienceOps(k, ws, r, now, ops);
    stageOps(k, r, stageNow, ops);
    if (r.type === "conversion.attributed" && r.journey) {
      ops.push(["RPUSH", k.conversions(r.journey), JSON.stringify({ at: r.at, contact: r.contact, credits: r["credits"] })]);
      ops.push(["LTRIM", k.conversions(r.journey), -CONVERSIONS_KEPT, -1]);
    }
  }
  const outbox: string[] = [];
  for (const e of effects) {
    if (e.kind === "audience") continue; // synced from the audience change lists
    const rec = withheld.get(e.id);
    outbox.push(JSON.stringify(rec ? { ...e, rec } : e));
  }
  for (const m of outbox) ops.push(["ZADD", k.outbox, now, m]);
  return { journal, counted, ops, outbox };
}

/** Who is in which stage since when: moved on stage entries and journey exits. */
function stageOps(k: Keys, r: JournalRecord, stageNow: Map<string, string>, ops: CommitOp[]): void {
  const j = r.journey;
  if (j === undefined || (r.type !== "stage.entered" && r.type !== "journey.exited")) return;
  const cur = stageNow.get(j);
  if (cur !== undefined) ops.push(["ZREM", k.inStage(j, cur), r.contact]);
  if (r.type === "stage.entered") {
    ops.push(["ZADD", k.inStage(j, r["stage"] as string), Date.parse(r.at), r.contact]);
    stageNow.set(j, r["stage"] as string);
  } else stageNow.delete(j);
}

const ms = (iso: unknown) => (typeof iso === "string" ? Date.parse(iso) : NaN);

/** Hand-offs by status: a hash per hand-off and one sorted set per status. */
function handoffOps(k: Keys, r: JournalRecord, ops: CommitOp[]): void {
  if (!r.type.startsWith("handoff.")) return;
  const id = r["handoff"] as string;
  const key = k.handoff(id);
  const at = ms(r.at);
  switch (r.type) {
    case "handoff.opened":
      ops.push(["HSET", key, "id", id, "contact", r.contact, "journey", r.journey ?? "", "team", r["team"] as string,
        "owner", (r["owner"] as string | undefined) ?? "", "trigger", (r["trigger"] as string | undefined) ?? "",
        "openedAt", r.at, "dueAt", r["dueAt"] as string, "status", "open"]);
      ops.push(["ZADD", k.handoffs("open"), at, id]);
      break;
    case "handoff.breached":
      ops.push(["HSET", key, "status", "breached", "breachedAt", r.at]);
      ops.push(["ZREM", k.handoffs("open"), id]);
      ops.push(["ZADD", k.handoffs("breached"), at, id]);
      break;
    case "handoff.resolved":
      ops.push(["HSET", key, "status", "resolved", "resolvedAt", r.at, "by", (r["by"] as string | undefined) ?? "",
        "acknowledgedBy", (r["acknowledgedBy"] as string | undefined) ?? ""]);
      ops.push(["ZREM", k.handoffs("open"), id]);
      ops.push(["ZREM", k.handoffs("breached"), id]);
      ops.push(["ZADD", k.handoffs("resolved"), at, id]);
      // Resolved hand-offs are listed for 30 days, then forgotten.
      ops.push(["EXPIRE", key, RESOLVED_KEPT_S]);
      ops.push(["ZREMRANGEBYSCORE", k.handoffs("resolved"), "-inf", at - RESOLVED_KEPT_S * 1_000]);
      break;
  }
}

/** The ids of the hand-offs a contact's runs still track (open, or breached and awaiting a late resolution). */
export function trackedHandoffs(s: ContactState): Set<string> {
  const out = new Set<string>();
  for (const jid in s.runs) for (const h of s.runs[jid]!.hd) out.add(h.id);
  return out;
}

/**
 * Hand-offs the evaluation stopped tracking without resolving them (the run exited, or a
 * redeploy removed the trigger that opened them): `cancelled` in the read model, so they
 * leave the open and breached lists, and forgotten after 30 days like resolved ones.
 */
export function cancelledHandoffOps(k: Keys, before: Set<string>, after: Set<string>, records: JournalRecord[], at: string, ops: CommitOp[]): void {
  const candidates = new Set(before);
  const resolved = new Set<string>();
  for (const r of records) {
    if (r.type === "handoff.opened") candidates.add(r["handoff"] as string);
    else if (r.type === "handoff.resolved") resolved.add(r["handoff"] as string);
  }
  for (const id of candidates) {
    if (after.has(id) || resolved.has(id)) continue;
    ops.push(["HSET", k.handoff(id), "status", "cancelled", "cancelledAt", at]);
    ops.push(["ZREM", k.handoffs("open"), id]);
    ops.push(["ZREM", k.handoffs("breached"), id]);
    ops.push(["ZADD", k.handoffs("cancelled"), ms(at), id]);
    ops.push(["EXPIRE", k.handoff(id), RESOLVED_KEPT_S]);
    ops.push(["ZREMRANGEBYSCORE", k.handoffs("cancelled"), "-inf", ms(at) - RESOLVED_KEPT_S * 1_000]);
  }
}

/** Audience members (scored by expiry) and the changes waiting to be synced to endpoints. */
function audienceOps(k: Keys, ws: Workspace, r: JournalRecord, now: number, ops: CommitOp[]): void {
  if (r.type !== "audience.added" && r.type !== "audience.removed") return;
  const aud = r["audience"] as string;
  const added = r.type === "audience.added";
  const expires = added && typeof r["expiresAt"] === "string" ? ms(r["expiresAt"]) : NEVER;
  if (added) ops.push(["ZADD", k.audience(aud), expires, r.contact]);
  else ops.push(["ZREM", k.audience(aud), r.contact]);
  if ((ws.audiences?.[aud]?.endpoints ?? []).length === 0) return;
  const change = { op: added ? "add" : "remove", contact: r.contact, at: r.at,
    ...(added && expires !== NEVER ? { expiresAt: r["expiresAt"] } : {}), ...(r["reason"] ? { reason: r["reason"] } : {}) };
  ops.push(["RPUSH", k.audienceChanges(aud), JSON.stringify(change)]);
  ops.push(["ZADD", k.audiencesPending, "NX", now, aud]);
}
