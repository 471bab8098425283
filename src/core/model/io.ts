/**
 * What goes into the evaluator (inputs) and what comes out (journal records, effects).
 */

/** An event for one contact, already resolved from a Segment message. */
export type EventInput = {
  kind: "event";
  name: string;
  properties: Record<string, unknown>;
  /** Event time (epoch ms). */
  at: number;
  /** Trait patch (identify, group): top-level keys replace. */
  traits?: Record<string, unknown>;
  /** Group traits, kept under the trait `groups.<id>`. */
  group?: { id: string; traits: Record<string, unknown> };
};

/** A hand-off acknowledgement: one hand-off by id, or all of the contact's to a team. */
export type AckInput = { kind: "ack"; handoff?: string; team?: string; by?: string };

/** A timer firing: evaluates whatever fell due. */
export type WakeInput = { kind: "wake" };

export type Input = EventInput | AckInput | WakeInput;

/** One journal record. `at` is ISO 8601 with milliseconds, UTC. */
export type JournalRecord = {
  at: string;
  contact: string;
  journey?: string;
  type: string;
  [field: string]: unknown;
};

/** Something to do in the outside world, with a stable id for idempotency. */
export type Effect =
  | { kind: "email"; id: string; at: string; contact: string; journey: string; trigger: string; template: string;
      subject?: string; to: string; stage?: string; event: { name: string; properties: Record<string, unknown> } | null }
  | { kind: "webhook"; id: string; at: string; contact: string; journey: string; trigger: string; endpoint: string;
      payload: Record<string, unknown> }
  | { kind: "handoff.opened" | "handoff.breached" | "handoff.resolved"; id: string; at: string; contact: string; journey: string;
      trigger: string; endpoint: string; handoff: string; team: string; owner?: string; dueAt: string }
  | { kind: "audience"; id: string; at: string; contact: string; journey: string; audience: string; op: "add" | "remove";
      expiresAt?: string };

/** Round-robin cursors shared across contacts (`journey/step` -> next index). */
export type Cursors = Record<string, number>;

/** The result of one evaluation. */
export type Evaluation<S> = {
  state: S;
  records: JournalRecord[];
  effects: Effect[];
  /** The earliest instant (epoch ms) at which anything of this contact can change, or null. */
  wakeAt: number | null;
  /** Updated round-robin cursors (only when the caller passed some). */
  cursors?: Cursors;
};
