/**
 * The virtual-clock driver shared by `waymark simulate` and the tests: many contacts,
 * events in time order, every wake-up fired at its exact instant. Pure: no IO.
 */
import type { Compiled } from "./compile/compiler.js";
import { evaluateOwned } from "./eval/evaluate.js";
import { mergeContacts } from "./eval/merge.js";
import { WakeHeap } from "./heap.js";
import type { Cursors, Effect, JournalRecord } from "./model/io.js";
import { newContact, type ContactState } from "./model/state.js";
import type { Resolved } from "./messages.js";

/** Receives what the simulation decides. */
export type SimulatorSink = { record(r: JournalRecord): void; effect?(e: Effect): void };

/** Drives the evaluator over a stream of resolved messages on a virtual clock. */
export class Simulator {
  readonly contacts = new Map<string, ContactState>();
  private readonly wakes = new WakeHeap();
  private readonly handoffs = new Map<string, string>();
  /** Merged-away ids and the contact they went to: their later messages are that contact's (as live). */
  private readonly aliases = new Map<string, string>();
  private cursors: Cursors = {};
  private clock = -Infinity;

  constructor(private readonly compiled: Compiled, private readonly sink: SimulatorSink) {}

  /**
   * Fires every wake-up due at or before `t`, in time order; but `withInput`'s wake-up due at
   * `t` itself, which the evaluation of that contact's input at `t` takes in (see `evaluate`).
   */
  advance(t: number, withInput?: string): void {
    for (let top = this.wakes.peek(); top && top[0] <= t; top = this.wakes.peek()) {
      this.wakes.pop();
      const [at, , id] = top;
      const s = this.contacts.get(id);
      if (!s || s.wakeAt !== at) continue; // moved or merged away
      if (at === t && id === withInput) continue;
      this.run(id, s, { kind: "wake" }, at);
    }
    if (t > this.clock) this.clock = t;
  }

  /** Applies one message (messages must come in time order). */
  apply(m: Resolved): void {
    // A wake-up of this contact due at the message's instant is evaluated with it (unless the
    // evaluation is at the contact's later clock).
    this.advance(m.at, m.contact !== undefined && m.at >= this.clock ? this.resolve(m.contact) : undefined);
    let id = m.contact;
    if (id === undefined && m.input.kind === "ack" && m.input.handoff) id = this.handoffs.get(m.input.handoff);
    if (id === undefined) return;
    id = this.resolve(id);
    let s = this.contacts.get(id) ?? newContact(id);
    if (m.mergeFrom !== undefined && m.mergeFrom !== id && !this.aliases.has(m.mergeFrom)) {
      const from = this.contacts.get(m.mergeFrom);
      this.aliases.set(m.mergeFrom, id);
      if (from) {
        s = mergeContacts(this.compiled, s, from);
        this.contacts.delete(m.mergeFrom);
        // The merged contact's open hand-offs now live in `id`'s runs: acks by id follow them.
        for (const [h, c] of this.handoffs) if (c === m.mergeFrom) this.handoffs.set(h, id);
      }
    }
    this.run(id, s, m.input, Math.max(m.at, this.clock));
  }

  /** The contact an id stands for now (merged-away ids follow their merges). */
  private resolve(id: string): string {
    for (let n = 0; n < 100 && this.aliases.has(id); n++) id = this.aliases.get(id)!;
    return id;
  }

  private run(id: string, s: ContactState, input: Resolved["input"], at: number): void {
    const prevWake = this.contacts.get(id)?.wakeAt ?? null;
    const out = evaluateOwned(this.compiled, s, input, at, { cursors: this.cursors });
    if (out.cursors) this.cursors = out.cursors;
    for (const r of out.records) {
      if (r.type === "handoff.opened") this.handoffs.set(r["handoff"] as string, id);
      this.sink.record(r);
    }
    if (this.sink.effect) for (const e of out.effects) this.sink.effect(e);
    this.contacts.set(id, out.state);
    if (out.wakeAt !== null && out.wakeAt !== prevWake) this.wakes.push(out.wakeAt, id);
  }
}
