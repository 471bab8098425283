/**
 * The drain: evaluates one contact's inbox in order, in batches, and commits each batch
 * atomically (state, consumed inputs, journal, stream, counters) under a version check.
 * Wake-ups become delayed jobs; a wake is evaluated at its scheduled instant however late
 * it is picked up.
 */
import type { Queue } from "bullmq";
import type { Redis } from "ioredis";
import type { Logger } from "pino";
import { evaluateOwned, mergeContacts, newContact, type Compiled, type Cursors, type Input, type JournalRecord, type Workspace } from "../../core/index.js";
import type { Outbox } from "../actions/outbox.js";
import type { Metrics } from "../metrics.js";
import type { Keys } from "../redis/keys.js";
import type { Scripts } from "../redis/scripts.js";
import { decodeState } from "../redis/codec.js";
import { readContactRecords, storedContacts, type StoredContact } from "../redis/contact-record.js";
import { dictionaryOf, storeDictionary } from "../redis/dictionary.js";
import { runPositions } from "../redis/stats.js";
import { commit, type CommitInput } from "./commit.js";
import { cancelledHandoffOps, planCommit, snapshotAt, takesSnapshot, trackedHandoffs, type CommitOp, type OutboxEntry } from "./commit-plan.js";
import { drainJobs, type InboxItem } from "./inbox.js";
import { mergeable } from "./mergeable.js";
import { rearmWakes, wakeJob, wakeJobId } from "./wake-jobs.js";

export { OVERDUE_WAKE_GRACE_MS, wakeJob } from "./wake-jobs.js";

/** What a drain needs. */
export type DrainDeps = {
  redis: Redis; keys: Keys; scripts: Scripts; queue: Queue; log: Logger;
  compiled: () => Compiled;
  /** The workspace in force (audiences and their endpoints). */
  workspace: () => Workspace;
  /** Where committed effects are queued (none: they stay in the outbox for a worker's sweep). */
  outbox?: Outbox;
  metrics?: Metrics;
  batch: number; journalMax: number; streamMax: number;
  /** See {@link OVERDUE_WAKE_GRACE_MS}; 0 evaluates overdue wake-ups in the drain that made them overdue. */
  overdueGraceMs: number;
};

/**
 * What a drain reads of a contact (one MULTI, for one contact or many): `stored`, `version`
 * and `open` as in StoredContact; `route`, the `at|user` of a merge of this contact queued
 * and not committed yet.
 */
export type ContactRead = { alias: unknown; stored: Buffer | null; version: string; open: Buffer | null; raw: string[]; route: string | null };

/** Reads contacts and the round-robin cursors in one round trip (two for contacts still stored as a hash). */
export async function readContacts(d: DrainDeps, contacts: string[]): Promise<{ reads: ContactRead[]; cursors: Cursors }> {
  const k = d.keys;
  const m = d.redis.multi();
  for (const c of contacts) m.get(k.alias(c)).getBuffer(k.contact(c)).lrange(k.inbox(c), 0, d.batch - 1).get(k.route(c));
  m.hgetall(k.cursors);
  const res = (await m.exec())!;
  // The contact GETs may fail (WRONGTYPE: a contact still stored as a hash): storedContacts reads those again.
  for (const [i, [err]] of res.entries()) if (err && i % 4 !== 1) throw err;
  const records = await storedContacts(d.redis, k, contacts, (i) => res[i * 4 + 1] as [Error | null, unknown]);
  const reads = contacts.map((_, i) => ({
    alias: res[i * 4]![1], ...records[i]!, raw: res[i * 4 + 2]![1] as string[], route: res[i * 4 + 3]![1] as string | null,
  }));
  const cursors: Cursors = Object.fromEntries(Object.entries(res.at(-1)![1] as Record<string, string>).map(([f, x]) => [f, Number(x)]));
  return { reads, cursors };
}

/**
 * One evaluation of what a contact's read holds, ready to commit: `forward` (an alias: the
 * inbox goes to the user), `idle` (nothing to do), `first` (an identity merge whose
 * anonymous contact still has history up to `until` waiting: drain `other` up to then
 * first, then this contact again),
 * or the commit with the wake job to add first (when the wake-up moved), or the id of the
 * job whose grace starts again (an overdue wake-up left waiting by this drain's messages).
 */
export type Prepared =
  | { kind: "forward"; to: string }
  | { kind: "idle" }
  | { kind: "first"; other: string; until: number }
  | { kind: "commit"; input: CommitInput; wake: ReturnType<typeof wakeJob> | undefined; rearm: string | undefined; started: number };

/**
 * Evaluates a contact's read inputs and due wake-ups, from `cursors` as they stand.
 * `waiting`: contacts whose drains wait for this one (a merge of one of them goes ahead
 * without draining it first: two identifies naming each other must not wait in a circle).
 * `until`: the instant of a merge waiting for this (anonymous) contact: only its history up
 * to then is evaluated (the inbox's leading inputs stamped by then, wake-ups due by then).
 */
export async function prepare(d: DrainDeps, contact: string, r: ContactRead, cursorsNow: Cursors, wakeBy?: number, waiting?: ReadonlySet<string>, until?: number): Promise<Prepared> {
  const k = d.keys;
  const { alias, stored, version, open, raw, route } = r;
  if (typeof alias === "string") return { kind: "forward", to: alias };
  let items = raw.map((x) => JSON.parse(x) as InboxItem);
  if (until !== undefined) {
    // History up to a merge: the leading inputs stamped by then (a prefix: commits consume one).
    const n = items.findIndex((x) => x.at > until);
    if (n >= 0) items = items.slice(0, n);
  } else if (items.length > 1 && !items.some((x) => x.m !== undefined)) {
    // A batch is evaluated in timestamp order, as simulate replays a file (a stable sort:
    // equal instants keep their arrival order). Not a batch holding a merge: its place
    // counts, and a commit consumes a prefix of the inbox.
    items.sort((a, b) => a.at - b.at);
  }
  if (items.length === 0 && !(stored instanceof Buffer)) return { kind: "idle" };
  const started = performance.now();
  const compiled = d.compiled();
  const dict = dictionaryOf(compiled);
  let state = stored instanceof Buffer ? decodeState(stored) : newContact(contact);
  // A wake job whose wake-up is done already (the contact's next one is later, with a job of
  // its own) catches nothing up: it would cut that one's grace short.
  const stale = wakeBy !== undefined && (state.wakeAt === null || state.wakeAt > wakeBy);
  if (stale && items.length === 0) return { kind: "idle" };
  // A merge of this contact queued and not evaluated yet: its wake-ups after the merge's
  // instant are the user's, evaluated after the merge (on the merged state), as in simulate.
  const mergeAt = route ? Number(route.slice(0, route.indexOf("|"))) : NaN;
  const dueBy = Math.min(until ?? (stale ? Date.now() : Math.max(Date.now(), wakeBy ?? 0)), Number.isFinite(mergeAt) ? mergeAt : Infinity);
  // Nothing to do: the wake-up moved or was done already (or this is an extra drain).
  if (items.length === 0 && (state.wakeAt === null || state.wakeAt > dueBy)) return { kind: "idle" };
  const before = runPositions(compiled, state);
  const handoffsBefore = trackedHandoffs(state);
  const emailBefore = state.traits["email"];
  const unsubscribedBefore = state.traits["unsubscribed"];
  const oldWake = state.wakeAt;
  let cursors = cursorsNow;
  const cursorsRead = { ...cursors };
  const records: JournalRecord[] = [];
  const effects: OutboxEntry[] = [];
  const mergeOps: CommitOp[] = [];
  let merged = "";
  let mergedVersion = "";
  let mergedInbox = -1;
  let consumed = 0;
  const evaluateOne = (input: Input, at: number) => {
    const out = evaluateOwned(compiled, state, input, at, { cursors });
    state = out.state;
    if (out.cursors) cursors = out.cursors;
    records.push(...out.records);
    // The instant evaluated: `at`, or the contact's clock for a late input.
    for (const e of out.effects) effects.push(takesSnapshot(e) ? { ...e, snap: snapshotAt(compiled, state, e.journey, state.clock) } : e);
  };
  // Wake-ups due before an input's instant are evaluated first, each on its own, as simulate
  // does (the evaluator would catch them up inside the input's call, with the same records;
  // before a merge, on the merged state): an effect they decide is snapshot at its instant.
  // One due at the input's instant itself is evaluated with the input (see `evaluate`).
  const catchUp = (at: number) => {
    for (let n = 0; n < 10_000 && state.wakeAt !== null && state.wakeAt < Math.max(at, state.clock); n++) evaluateOne({ kind: "wake" }, state.wakeAt);
  };
  for (const item of items) {
    if (item.m !== undefined && item.m !== contact && (await mergeable(d, item.m, contact))) {
      if (merged !== "") break; // one merge per commit
      const [{ stored: anon, version: anonVersion }] = (await readContactRecords(d.redis, k, [item.m])) as [StoredContact];
      const from = anon ? decodeState(anon) : null;
      // The anonymous contact's history up to the merge's instant goes first, on its own
      // state, as in time order: its inputs waiting (sent before the identify, not evaluated
      // yet) stamped by then, and its wake-ups due by then.
      let inboxLen = -1;
      if (!waiting?.has(item.m)) {
        const [[, head], [, len]] = (await d.redis.multi().lindex(k.inbox(item.m), 0).llen(k.inbox(item.m)).exec()) as [[unknown, string | null], [unknown, number]];
        const headAt = head === null ? Infinity : (JSON.parse(head) as InboxItem).at;
        if (headAt <= item.at || (from?.wakeAt != null && from.wakeAt <= item.at)) return { kind: "first", other: item.m, until: item.at };
        inboxLen = len; // the commit refuses if a late message (stamped before) arrived since
      }
      catchUp(item.at);
      if (from) {
        // Its hand-offs are the merged contact's now: tracked, so they are cancelled if dropped.
        for (const id of trackedHandoffs(from)) handoffsBefore.add(id);
        const positions = runPositions(compiled, from);
        // The anonymous id leaves the stage sets; runs taken over keep their positions (for
        // the counters) and put the user in their stage's set.
        for (const [jid, p] of positions) {
          if (p.stage !== undefined) mergeOps.push(["ZREM", d.keys.inStage(jid, p.stage), item.m]);
          if (!before.has(jid) && !state.runs[jid]?.on) {
            before.set(jid, p);
            if (p.stage !== undefined) mergeOps.push(["ZADD", d.keys.inStage(jid, p.stage), p.since, contact]);
          }
        }
        state = mergeContacts(compiled, state, from);
        for (const aud of Object.keys(from.aud)) {
          mergeOps.push(["ZREM", d.keys.audience(aud), item.m]);
          const kept = state.aud[aud];
          if (kept) mergeOps.push(["ZADD", d.keys.audience(aud), kept[0] === 0 ? "+inf" : kept[0], contact]);
        }
      }
      // Ingest routes the anonymous id by its alias from now on (set by the commit).
      mergeOps.push(["DEL", d.keys.route(item.m)]);
      merged = item.m;
      mergedVersion = anonVersion;
      mergedInbox = inboxLen;
    }
    catchUp(item.at);
    evaluateOne(item.i, item.at);
    consumed++;
  }
  // Wake-ups already due are evaluated here, each at its own instant: by a wake job's drain,
  // a drain with no inputs (the sweep's), or with no grace. A drain of inputs leaves those
  // its inputs made overdue to a wake job after the grace (OVERDUE_WAKE_GRACE_MS), so the
  // contact's next messages go first; a message stamped after a wake-up fires it first.
  const catchUpDue = items.length === 0 || (wakeBy !== undefined && !stale) || until !== undefined || d.overdueGraceMs === 0;
  if (catchUpDue) {
    for (let n = 0; n < 10_000 && state.wakeAt !== null && state.wakeAt <= dueBy; n++) evaluateOne({ kind: "wake" }, state.wakeAt);
  }
  const now = Date.now();
  const wake = state.wakeAt !== null && state.wakeAt !== oldWake ? wakeJob(contact, state.wakeAt, now, d.overdueGraceMs) : undefined;
  // An overdue wake-up these messages left waiting, its job queued by an earlier drain: its
  // grace starts again, so the contact's next message gets the same time to arrive. Only one
  // overdue by more than the grace: a live wake-up that has just fallen due is not delayed.
  const rearm = !catchUpDue && state.wakeAt !== null && state.wakeAt === oldWake && state.wakeAt <= now - d.overdueGraceMs ? wakeJobId(contact, state.wakeAt) : undefined;
  const plan = planCommit(d.keys, d.workspace(), records, effects, Date.now(), before);
  if (handoffsBefore.size > 0 || records.some((r) => r.type === "handoff.opened")) {
    cancelledHandoffOps(d.keys, handoffsBefore, trackedHandoffs(state), records, new Date(state.clock).toISOString(), plan.ops);
  }
  await storeDictionary(d.redis, k, dict);
  plan.ops.unshift(...mergeOps);
  const email = state.traits["email"];
  if (typeof email === "string" && email !== emailBefore) plan.ops.push(["SET", d.keys.email(email), contact]);
  // Re-subscribed (`unsubscribed` set back to false): the one-click mark goes too.
  if (state.traits["unsubscribed"] === false && unsubscribedBefore !== false) plan.ops.push(["DEL", d.keys.unsubscribed(contact)]);
  return { kind: "commit", input: { contact, state, version, merged, mergedVersion, mergedInbox, consumed, plan, cursors, cursorsRead, before, open, dict }, wake, rearm, started };
}

/** After a commit: metrics, and the effects queued (now, or by the caller via `queued`). Returns the inputs consumed. */
export async function committed(d: DrainDeps, p: Extract<Prepared, { kind: "commit" }>, queued?: string[]): Promise<number> {
  d.metrics?.evaluation.observe((performance.now() - p.started) / 1_000);
  d.metrics?.evaluated.inc(p.input.consumed);
  const outbox = p.input.plan.outbox;
  if (queued) queued.push(...outbox);
  else if (d.outbox && outbox.length > 0) await d.outbox.flush(outbox, d.workspace(), d.log);
  return p.input.consumed;
}

/**
 * Drains a contact's inbox until it is empty. Returns the number of inputs evaluated.
 * Committed effects are queued at once, or added to `queued` for the caller to queue in one
 * go (they are in the outbox already: a crash before that is caught by the sweep).
 * Wake-ups due by now (or by `wakeBy`, a wake job's instant) are evaluated too, each at its
 * own instant after whatever the inbox holds, even when the inbox is empty: so a wake job,
 * and any drain the sweep queues, catches a contact's due wake-ups up.
 */
export async function drain(d: DrainDeps, contact: string, queued?: string[], wakeBy?: number, waiting?: ReadonlySet<string>, until?: number): Promise<number> {
  let done = 0;
  for (let round = 0; round < 10_000; round++) {
    const { reads: [read], cursors } = await readContacts(d, [contact]);
    const p = await prepare(d, contact, read!, cursors, wakeBy, waiting, until);
    if (p.kind === "first") {
      await drain(d, p.other, queued, undefined, new Set([...(waiting ?? []), contact]), p.until);
      continue;
    }
    if (p.kind !== "commit") return done + (await conclude(d, contact, p));
    // Timers first (idempotent ids): a crash after this and before the commit re-adds the same job.
    if (p.wake) await d.queue.add(p.wake.name, p.wake.data, p.wake.opts);
    if (p.rearm) await rearmWakes(d.queue, [p.rearm], d.overdueGraceMs);
    const result = await commit(d, p.input);
    if (result < 0) {
      conflict(d, contact, result);
      continue;
    }
    done += await committed(d, p, queued);
    if (result === 0) return done;
  }
  return done;
}

/** What a refused commit's result (-1, -2) says changed. */
const CONFLICT_ON = ["", "version", "cursor"] as const;

/** Counts and logs a commit refused by a concurrent change (the contact is evaluated again). */
export function conflict(d: DrainDeps, contact: string, result: number): void {
  const on = CONFLICT_ON[-result] ?? "version";
  d.metrics?.conflicts.inc({ on });
  d.log.debug({ contact, on }, "drain: concurrent change, re-reading");
}

/** Ends a drain that has nothing to commit: an alias forwards its inbox, an idle contact settles. Returns 0. */
export function conclude(d: DrainDeps, contact: string, p: Extract<Prepared, { kind: "forward" | "idle" }>): Promise<number> {
  return p.kind === "forward" ? forward(d, contact, p.to) : settled(d, contact);
}

/** A contact found with nothing to do leaves the sweep's set, unless an input arrived meanwhile. Returns 0. */
async function settled(d: DrainDeps, contact: string): Promise<number> {
  await d.redis.eval("if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end", 2, d.keys.inbox(contact), d.keys.pending, contact);
  return 0;
}

/** An aliased (merged-away) contact: its inbox moves to the user's, which gets a drain. */
async function forward(d: DrainDeps, from: string, to: string): Promise<number> {
  const k = d.keys;
  const moved = await d.redis.eval(
    "local m = redis.call('LRANGE', KEYS[1], 0, -1) for _, x in ipairs(m) do redis.call('RPUSH', KEYS[2], x) end redis.call('DEL', KEYS[1]) redis.call('ZREM', KEYS[3], ARGV[1]) return #m",
    3, k.inbox(from), k.inbox(to), k.pending, from) as number;
  if (moved > 0) await d.queue.addBulk(drainJobs([to]));
  return 0;
}

