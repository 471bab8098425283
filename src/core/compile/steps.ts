/**
 * Steps compiled into flat blocks: a run's program counter is a stack of [block, index].
 */
import { parseDuration } from "../duration.js";
import type { Step } from "../schema/steps.js";
import { isEventMatch, walkCondition } from "../load/walk.js";
import { compileCondition, type CCond } from "./conditions.js";
import type { FeatureRegistry } from "./features.js";
import { compileWhere } from "./predicates.js";

/** An event filter (`{ event, where? }`) compiled. */
export type CEventMatch = { event: string; match: ((p: Record<string, unknown>) => boolean) | null };

/** A compiled step; `key` is stable within the journey (the step's `id`, else its path). */
export type CStep = { key: string } & (
  | { kind: "email"; template: string; subject?: string; to?: string }
  | { kind: "sleep"; ms: number }
  | { kind: "until"; ev?: CEventMatch; cond?: CCond; timeout?: number; onTimeout?: number }
  | { kind: "if"; cond: CCond; then?: number; else?: number }
  | { kind: "split"; id: string; variants: { name: string; weight: number; block: number }[]; total: number }
  | { kind: "handoff"; endpoint: string; team: string; owners?: string[]; sla: number; resolvedBy?: CEventMatch; onBreach?: number }
  | { kind: "flag"; audience: string; op: "add" | "remove"; ttl?: number }
  | { kind: "webhook"; endpoint: string; payload?: Record<string, unknown> }
  | { kind: "set"; traits: Record<string, unknown> }
  | { kind: "exit" }
);

/** Compiles an event filter. */
export function compileEventMatch(m: { event: string; where?: Record<string, unknown> }): CEventMatch {
  return { event: m.event, match: compileWhere(m.where as never) };
}

/** True when an input event satisfies the filter. */
export function eventMatches(m: CEventMatch, name: string, props: Record<string, unknown>): boolean {
  return m.event === name && (m.match === null || m.match(props));
}

/** Builds blocks for one journey. */
export class BlockBuilder {
  readonly blocks: CStep[][] = [];
  /** Every event name a step listens to. */
  readonly events = new Set<string>();
  usesTraits = false;

  constructor(private readonly reg: FeatureRegistry) {}

  /** Compiles a list of steps into a new block and returns its index. */
  block(steps: Step[], path: string): number {
    const index = this.blocks.length;
    const out: CStep[] = [];
    this.blocks.push(out);
    steps.forEach((s, i) => out.push(this.step(s, `${path}.${i}`)));
    return index;
  }

  private cond(c: Parameters<typeof compileCondition>[0]): CCond {
    // An event a step condition counts must re-evaluate the journey (a waiting `until`).
    walkCondition(c, [], (n) => { if (n.performed) this.events.add(n.performed.event); });
    const cc = compileCondition(c, this.reg);
    if (cc.traits) this.usesTraits = true;
    return cc;
  }

  private step(s: Step, path: string): CStep {
    const key = s.id ?? path;
    if (s.email) return { key, kind: "email", ...s.email };
    if (s.wait !== undefined) {
      if (typeof s.wait === "string") return { key, kind: "sleep", ms: parseDuration(s.wait)! };
      const w = s.wait;
      const until = isEventMatch(w.until) ? { ev: compileEventMatch(w.until) } : { cond: this.cond(w.until) };
      if (until.ev) this.events.add(until.ev.event);
      return {
        key, kind: "until", ...until,
        ...(w.timeout ? { timeout: parseDuration(w.timeout)! } : {}),
        ...(w.onTimeout ? { onTimeout: this.block(w.onTimeout, `${path}.onTimeout`) } : {}),
      };
    }
    if (s.if) {
      return {
        key, kind: "if", cond: this.cond(s.if),
        ...(s.then ? { then: this.block(s.then, `${path}.then`) } : {}),
        ...(s.else ? { else: this.block(s.else, `${path}.else`) } : {}),
      };
    }
    if (s.split) {
      const variants = Object.entries(s.split.variants).map(([name, v]) => ({
        name, weight: v.weight, block: this.block(v.do, `${path}.${name}`),
      }));
      return { key, kind: "split", id: s.split.id, variants, total: variants.reduce((a, v) => a + v.weight, 0) };
    }
    if (s.handoff) {
      const h = s.handoff;
      const resolvedBy = h.resolvedBy ? compileEventMatch(h.resolvedBy) : undefined;
      if (resolvedBy) this.events.add(resolvedBy.event);
      return {
        key, kind: "handoff", endpoint: h.to, team: h.team, sla: parseDuration(h.sla)!,
        ...(h.owners ? { owners: h.owners } : {}),
        ...(resolvedBy ? { resolvedBy } : {}),
        ...(h.onBreach ? { onBreach: this.block(h.onBreach, `${path}.onBreach`) } : {}),
      };
    }
    if (s.flag) return { key, kind: "flag", audience: s.flag.audience, op: s.flag.op, ...(s.flag.ttl ? { ttl: parseDuration(s.flag.ttl)! } : {}) };
    if (s.webhook) return { key, kind: "webhook", endpoint: s.webhook.to, ...(s.webhook.payload ? { payload: s.webhook.payload } : {}) };
    if (s.set) return { key, kind: "set", traits: s.set };
    return { key, kind: "exit" };
  }
}
