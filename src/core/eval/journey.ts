/**
 * One journey, one contact, one instant: entry, goal and exit, score, segments, stage,
 * hand-offs, waiting steps, then triggers, in the contract's order.
 */
import type { CJourney } from "../compile/compiler.js";
import { segmentMember } from "../compile/conditions.js";
import { eventMatches } from "../compile/steps.js";
import type { AckInput, EventInput } from "../model/io.js";
import type { Run } from "../model/state.js";
import { attribute, type Touchpoint } from "./attribution.js";
import { condCtx, iso, record, type Ctx } from "./context.js";
import { stableId } from "./hash.js";
import { enterRun, exitRun, reentryAllows } from "./run.js";
import { cleanSum, decayed, roundScore } from "./score.js";
import { fireTrigger, rebase, resumeThreads, startThread } from "./threads.js";
import { runWake } from "./wake.js";

/** A signal raised during an evaluation, matched against trigger `on`. */
type Sig = { type: string; ref?: string | null };

/** Evaluates journey `j` for the context's contact at the context's instant. */
export function evalJourney(ctx: Ctx, j: CJourney, ev: EventInput | null, ack: AckInput | null): void {
  const s = ctx.s;
  let run: Run | undefined = s.runs[j.id];
  const signals: Sig[] = [];
  if (!run || !run.on) {
    let want: boolean;
    if ("ev" in j.entry) want = ev !== null && eventMatches(j.entry.ev, ev.name, ev.properties);
    else {
      const cc = condCtx(ctx, j, null);
      const member = segmentMember(cc, j.entry.segment);
      const was = s.es[j.id]?.[0] === 1;
      const next = j.segById.get(j.entry.segment)!.next(cc);
      s.es[j.id] = [member ? 1 : 0, Number.isFinite(next) ? next : 0];
      want = member && !was;
    }
    if (!want || !reentryAllows(j, run, ctx.t)) return;
    run = enterRun(ctx, j, run, ev);
    // Entering the journey enters its first stage (recorded by enterRun): both are signals.
    signals.push({ type: "journey.entered" });
    if (j.stages.length > 0) signals.push({ type: "stage.entered", ref: j.stages[0]!.id });
  }
  if (ev) signals.push({ type: "event" });
  rebase(ctx, j, run);

  // Goal, then exit (rules on events and traits; those on the run's own state follow its stage).
  if (ev && j.goal && eventMatches(j.goal, ev.name, ev.properties) && (j.goal.within === undefined || ev.at < run.at + j.goal.within)) {
    reachGoal(ctx, j, run, ev);
    return;
  }
  if (ev && j.exitEvents.some((m) => eventMatches(m, ev.name, ev.properties))) return exitRun(ctx, j, run, "exit");
  if (j.exitConds.length > 0) {
    const cc = condCtx(ctx, j, run);
    if (j.exitConds.some((c) => c.test(cc))) return exitRun(ctx, j, run, "exit");
  }

  if (ev && j.score && ev.at >= run.at) applyScore(ctx, j, run, ev, signals);

  // Segments (in dependency order), then the stage.
  const cc = condCtx(ctx, j, run);
  segmentPass(ctx, j, run, cc, signals);
  // A stay that reaches its `stalled` length at this instant stalled, even when this
  // instant's event moves the contact on (signalled after the move, in signal order).
  const stalls = stallsDue(ctx, j, run);
  let target = -1;
  for (let i = j.stages.length - 1; i >= 0; i--) {
    const when = j.stages[i]!.when;
    if (!when || when.test(cc)) { target = i; break; }
  }
  if (target >= 0 && (target > run.st || (j.regress && target !== run.st))) {
    record(ctx, j.id, "stage.entered", { stage: j.stages[target]!.id, from: j.stages[run.st]!.id });
    run.st = target;
    run.sAt = ctx.t;
    run.stl = [];
    signals.push({ type: "stage.entered", ref: j.stages[target]!.id });
    // Segments on the stage (`stage`, `inStage`) follow the move in the same instant.
    if (j.segments.length > 0) segmentPass(ctx, j, run, condCtx(ctx, j, run), signals);
  }
  // Exit rules on the run's own score, stage or segments see this instant's values: an event
  // that raises the score past an exit bound, or a move into an exit stage, exits now.
  if (j.exitAfter.length > 0) {
    const after = condCtx(ctx, j, run);
    if (j.exitAfter.some((c) => c.test(after))) return exitRun(ctx, j, run, "exit");
  }
  for (const sig of stalls) signals.push(sig);

  const breaches = handoffs(ctx, j, run, ev, ack, signals);
  resumeThreads(ctx, j, run, ev);
  for (const b of breaches) if (run.on) startThread(ctx, j, run, b.trigger, b.block, true);
  if (!run.ho) fire(ctx, j, run, signals, ev);
  run.wk = run.on ? runWake(ctx, j, run) : null;
  // A run that time ended at this instant (a step after a wait, a timeout, a stall, a breach)
  // ended before the instant's event: that event may open the next run, as it would have
  // had the wake-up been evaluated on its own first.
  if (!run.on && ev && "ev" in j.entry && ctx.timeExit?.delete(j.id)) evalJourney(ctx, j, ev, null);
}

/** The `stalled` triggers whose stay in the run's stage reaches their length by now (marked once per stay). */
function stallsDue(ctx: Ctx, j: CJourney, run: Run): Sig[] {
  const due: Sig[] = [];
  for (const trig of j.triggers) {
    const on = trig.on;
    if (on.type === "stalled" && on.stage === run.st && !run.stl.includes(trig.id) && ctx.t >= run.sAt + on.ms) {
      run.stl.push(trig.id);
      due.push({ type: "stalled", ref: trig.id });
    }
  }
  return due;
}

/** Recomputes the run's segments, recording (and signalling) every entry and exit. */
function segmentPass(ctx: Ctx, j: CJourney, run: Run, cc: ReturnType<typeof condCtx>, signals: Sig[]): void {
  const now: string[] = [];
  for (const seg of j.segments) {
    const member = segmentMember(cc, seg.id);
    const was = run.sg.includes(seg.id);
    if (member) now.push(seg.id);
    if (member && !was) {
      record(ctx, j.id, "segment.entered", { segment: seg.id });
      signals.push({ type: "segment.entered", ref: seg.id });
    } else if (!member && was) {
      record(ctx, j.id, "segment.exited", { segment: seg.id });
      signals.push({ type: "segment.exited", ref: seg.id });
    }
  }
  run.sg = now;
}

function fire(ctx: Ctx, j: CJourney, run: Run, signals: Sig[], ev: EventInput | null): void {
  for (const sig of signals) {
    for (const trig of j.triggers) {
      if (!run.on) return;
      const on = trig.on;
      if (on.type !== sig.type) continue;
      if (on.type === "event") {
        if (!ev || !eventMatches(on.ev, ev.name, ev.properties)) continue;
      } else if (on.type === "stalled") {
        if (sig.ref !== trig.id) continue;
      } else if (on.type === "handoff.breached") {
        if (on.ref !== null && on.ref !== sig.ref) continue;
      } else if ("ref" in on && on.ref !== sig.ref) continue;
      fireTrigger(ctx, j, run, trig, on.type === "stalled" || on.type === "handoff.breached");
    }
  }
}

function applyScore(ctx: Ctx, j: CJourney, run: Run, ev: EventInput, signals: Sig[]): void {
  const sc = j.score!;
  const prev = decayed(run.sc, run.scAt, ctx.t, j.halfLife);
  let add = 0;
  sc.rules.forEach((rule, i) => {
    if (!eventMatches(rule, ev.name, ev.properties)) return;
    let pts = rule.points;
    if (rule.max !== undefined) {
      const room = rule.max - run.sr[i]!;
      pts = pts > 0 ? Math.min(pts, Math.max(0, room)) : pts;
    }
    if (pts === 0) return;
    run.sr[i] = run.sr[i]! + pts;
    add += decayed(pts, ev.at, ctx.t, j.halfLife);
  });
  if (add === 0) return;
  const next = cleanSum(prev + add);
  run.sc = next;
  run.scAt = ctx.t;
  for (const [name, v] of sc.thresholds) {
    if (prev < v && next >= v) {
      record(ctx, j.id, "score.crossed", { threshold: name, score: roundScore(next) });
      signals.push({ type: "score.crossed", ref: name });
    }
  }
}

function reachGoal(ctx: Ctx, j: CJourney, run: Run, ev: EventInput): void {
  record(ctx, j.id, "goal.reached", { goal: j.goal!.event });
  const a = j.attribution;
  if (a) {
    // Histories hold timestamps, not event ids: one event matching two touchpoint rules is in
    // both, two events at the same instant are twice in one. A rule's entries at an instant
    // beyond what earlier rules it may overlap with (same name, filters not disjoint) already
    // gave are further events; the first rule that matches an event gives its channel. The
    // goal event is left out of each rule it matched.
    const tps: Touchpoint[] = [];
    const gave = a.touchpoints.map(() => new Map<number, number>());
    a.touchpoints.forEach((tp, r) => {
      const h = ctx.s.f[tp.feature.id];
      if (!h) return;
      const mine = new Map<number, number>();
      let skipGoal = tp.event === ev.name && (tp.feature.match === null || tp.feature.match(ev.properties));
      for (let i = 1; i < h.length; i++) {
        const at = h[i]!;
        if (at > ev.at || ev.at - at >= a.lookback) continue;
        if (skipGoal && at === ev.at) { skipGoal = false; continue; }
        const n = (mine.get(at) ?? 0) + 1;
        mine.set(at, n);
        const before = tp.overlaps.reduce((sum, k) => sum + (gave[k]!.get(at) ?? 0), 0);
        if (n <= before) continue;
        gave[r]!.set(at, (gave[r]!.get(at) ?? 0) + 1);
        tps.push({ at, event: tp.event, channel: tp.channel });
      }
    });
    tps.sort((x, y) => x.at - y.at);
    const credits = attribute(a.model, tps, ev.at, a.halfLife, a.weights);
    if (credits.length > 0) record(ctx, j.id, "conversion.attributed", { model: a.model, credits });
  }
  if (!run.ho) fire(ctx, j, run, [{ type: "goal.reached" }], null);
  exitRun(ctx, j, run, "goal");
}

/** Acks, resolving events and SLA breaches. Returns the onBreach step lists to start. */
function handoffs(ctx: Ctx, j: CJourney, run: Run, ev: EventInput | null, ack: AckInput | null, signals: Sig[]) {
  const breaches: { trigger: string; block: number }[] = [];
  if (run.hd.length === 0) return breaches;
  const stepOf = (h: Run["hd"][number]) => {
    const step = j.blocks[h.step[0]]?.[h.step[1]];
    return step?.kind === "handoff" ? step : undefined;
  };
  const fieldsOf = (h: Run["hd"][number]) => ({ handoff: h.id, team: h.team, ...(h.owner ? { owner: h.owner } : {}) });
  // SLAs run out first: a resolution at the due instant itself comes after the breach.
  for (const h of run.hd) {
    if (h.br || h.due > ctx.t) continue;
    const hs = stepOf(h);
    h.br = 1;
    record(ctx, j.id, "handoff.breached", { ...fieldsOf(h), trigger: h.tr });
    if (!run.ho && hs) {
      ctx.effects.push({
        kind: "handoff.breached", id: stableId("fx", h.id, "breached"), at: iso(ctx), contact: ctx.s.id, journey: j.id,
        trigger: h.tr, endpoint: hs.endpoint, handoff: h.id, team: h.team, ...(h.owner ? { owner: h.owner } : {}),
        dueAt: new Date(h.due).toISOString(),
      });
      if (hs.onBreach !== undefined) breaches.push({ trigger: h.tr, block: hs.onBreach });
    }
    signals.push({ type: "handoff.breached", ref: h.tr });
  }
  if (ack === null && ev === null) return breaches;
  const keep = [];
  for (const h of run.hd) {
    const hs = stepOf(h);
    const acked = ack !== null && (ack.handoff === h.id || (ack.handoff === undefined && ack.team === h.team));
    const byEvent = ev !== null && hs?.resolvedBy !== undefined && eventMatches(hs.resolvedBy, ev.name, ev.properties);
    if (acked || byEvent) {
      record(ctx, j.id, "handoff.resolved", {
        ...fieldsOf(h), by: acked ? "ack" : "event", ...(acked && ack.by ? { acknowledgedBy: ack.by } : {}), ...(h.br ? { breached: true } : {}),
      });
    } else keep.push(h);
  }
  run.hd = keep;
  return breaches;
}
