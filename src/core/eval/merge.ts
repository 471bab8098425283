/**
 * Identity merge: an anonymous contact's history folds into the known user's.
 */
import type { Compiled } from "../compile/compiler.js";
import type { ContactState } from "../model/state.js";
import { cloneData } from "../model/state.js";

/**
 * Merges `from` (the anonymous contact) into `into` (the user). The user's traits win;
 * event histories are combined (bounded as usual); journey runs the user does not have
 * are taken over, as are audience memberships and send history. Pure: returns a new state.
 */
export function mergeContacts(c: Compiled, into: ContactState, from: ContactState): ContactState {
  const s = cloneData(into);
  const o = cloneData(from);
  s.traits = { ...o.traits, ...s.traits };
  for (const [fid, h] of Object.entries(o.f)) {
    const mine = s.f[fid];
    const f = c.features.get(fid);
    if (!mine) { s.f[fid] = h; continue; }
    const cap = f ? f.capN : Infinity;
    const keep = f ? f.keep : Infinity;
    const ts = [...mine.slice(1), ...h.slice(1)].sort((a, b) => b - a).slice(0, keep);
    s.f[fid] = [Math.min(mine[0]! + h[0]!, cap), ...ts];
  }
  for (const [jid, run] of Object.entries(o.runs)) {
    const mine = s.runs[jid];
    if (!mine || (!mine.on && run.on)) s.runs[jid] = run;
  }
  for (const [jid, es] of Object.entries(o.es)) if (!s.es[jid]) s.es[jid] = es;
  for (const [aud, m] of Object.entries(o.aud)) {
    const mine = s.aud[aud];
    if (!mine || (mine[0] !== 0 && (m[0] === 0 || m[0] > mine[0]))) s.aud[aud] = m;
  }
  s.em = [...s.em, ...o.em].sort((a, b) => b - a);
  s.clock = Math.max(s.clock, o.clock);
  s.wakeAt = minWake(s.wakeAt, o.wakeAt);
  // The merged history can change any condition: the next evaluation (the identify or
  // alias itself) must look at every active run and entry segment, not only at those
  // the input's event names.
  for (const run of Object.values(s.runs)) if (run.on) run.wk = run.wk === null ? s.clock : Math.min(run.wk, s.clock);
  for (const es of Object.values(s.es)) es[1] = es[1] === 0 ? s.clock : Math.min(es[1], s.clock);
  return s;
}

function minWake(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.min(a, b);
}
