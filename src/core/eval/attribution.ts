/**
 * Multi-touch attribution: the six models of the contract, section 7.
 */

/** A touchpoint: when, which event, which channel. */
export type Touchpoint = { at: number; event: string; channel: string };

/** A credited touchpoint. */
export type Credit = { at: string; event: string; channel: string; credit: number };

export type Model = "first" | "last" | "linear" | "time-decay" | "position-based" | "custom";

/**
 * Credits for touchpoints sorted oldest first, summing to 1 (empty when nothing can be
 * credited). `goalAt` and `halfLife` are used by time-decay, `weights` by custom.
 */
export function attribute(model: Model, tps: Touchpoint[], goalAt: number, halfLife: number, weights: Record<string, number>): Credit[] {
  const n = tps.length;
  if (n === 0) return [];
  let w: number[];
  switch (model) {
    case "first": w = tps.map((_, i) => (i === 0 ? 1 : 0)); break;
    case "last": w = tps.map((_, i) => (i === n - 1 ? 1 : 0)); break;
    case "linear": w = tps.map(() => 1 / n); break;
    case "time-decay": w = tps.map((tp) => Math.pow(2, -(goalAt - tp.at) / halfLife)); break;
    case "position-based":
      w = n === 1 ? [1] : n === 2 ? [0.5, 0.5] : tps.map((_, i) => (i === 0 || i === n - 1 ? 0.4 : 0.2 / (n - 2)));
      break;
    case "custom": w = customWeights(tps, weights); break;
  }
  const total = w.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return [];
  const credits = w.map((x) => x / total);
  // The last credited touchpoint takes what the others leave, so the credits, added up in
  // order, make exactly 1 (shares like 1/7 or 0.25/3 do not add up to 1 in binary floating point).
  const last = credits.findLastIndex((c) => c > 0);
  credits[last] = 1 - credits.slice(0, last).reduce((a, b) => a + b, 0);
  return tps.map((tp, i) => ({ at: new Date(tp.at).toISOString(), event: tp.event, channel: tp.channel, credit: credits[i]! }));
}

/**
 * Custom: the earliest touchpoint goes to the `first` bucket and the latest to `last` where
 * those keys exist; the rest to their channel's bucket. Empty buckets drop out, remaining
 * bucket weights are normalised, and each bucket is shared equally by its touchpoints.
 */
function customWeights(tps: Touchpoint[], weights: Record<string, number>): number[] {
  const n = tps.length;
  const bucketOf = tps.map((tp, i) => {
    if (i === 0 && "first" in weights) return "first";
    if (i === n - 1 && "last" in weights) return "last";
    return tp.channel in weights ? tp.channel : null;
  });
  const members = new Map<string, number>();
  for (const b of bucketOf) if (b !== null) members.set(b, (members.get(b) ?? 0) + 1);
  return bucketOf.map((b) => (b === null ? 0 : weights[b]! / members.get(b)!));
}
