/**
 * Lead score arithmetic: continuous half-life decay and exact crossing instants.
 */

/** The score `v` (as of `at`) decayed to `t`. Without a half-life it does not decay. */
export function decayed(v: number, at: number, t: number, halfLife: number | undefined): number {
  if (!halfLife || v === 0 || t <= at) return v;
  return v * Math.pow(2, -(t - at) / halfLife);
}

/**
 * A sum of points without binary floating-point dust (0.1 + 0.2 + 100 - 50 - 50 is
 * 0.29999999999999716, not 0.3): kept to 9 decimals, so a score that never went below a
 * threshold is not seen to cross it again.
 */
export function cleanSum(v: number): number {
  return Math.round(v * 1e9) / 1e9;
}

/** Rounds a score for reporting (2 decimals). */
export function roundScore(v: number): number {
  return Math.round(v * 100) / 100;
}

/**
 * The first whole millisecond after `t` at which `test(score)` differs from its value at
 * `t`, as the score decays from `v` as of `at` (its last change, `at <= t`); Infinity when it
 * never does. `bounds` are the numbers the test compares against. Every value is computed
 * from (`v`, `at`), as the conditions compute it: a wake-up in between (which does not move
 * the anchor) cannot shift a crossing by floating-point dust.
 */
export function nextScoreFlip(
  v: number, at: number, t: number, halfLife: number | undefined, bounds: number[], test: (x: number) => boolean,
): number {
  if (!halfLife || v === 0) return Infinity;
  const cur = decayed(v, at, t, halfLife);
  const now = test(cur);
  let best = Infinity;
  for (const b of bounds) {
    // The score only moves towards 0: it meets b when b lies between 0 (excluded) and the
    // current value (included: a score exactly on its bound leaves it the next millisecond).
    if (b === 0 || Math.sign(b) !== Math.sign(cur) || Math.abs(b) > Math.abs(cur)) continue;
    const dt = halfLife * Math.log2(v / b);
    let cand = Math.max(t + 1, at + Math.floor(dt) - 1);
    // Walk forward to the first millisecond where the test's value differs.
    for (let k = 0; k < 4 && cand < best; k++, cand++) {
      if (test(decayed(v, at, cand, halfLife)) !== now) {
        best = Math.min(best, cand);
        break;
      }
    }
  }
  return best;
}
