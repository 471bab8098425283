/**
 * Where a contact stands in one journey at an instant: the read both the contact view and
 * the snapshots of webhooks and hand-offs give.
 */
import type { Compiled } from "../compile/compiler.js";
import type { Run } from "../model/state.js";
import { decayed, roundScore } from "./score.js";

/** A run's stage, segments and score at an instant. */
export type RunPosition = {
  /** The stage id; null when the journey is not deployed any more. */
  stage: string | null;
  segments: string[];
  /** The journey score decayed to the instant, rounded to 2 decimals. */
  score: number;
};

/** The position of `run` (of journey `journey`) at `at`. */
export function runPosition(c: Compiled, journey: string, run: Run, at: number): RunPosition {
  const j = c.byId.get(journey);
  return { stage: j?.stages[run.st]?.id ?? null, segments: [...run.sg], score: roundScore(decayed(run.sc, run.scAt, at, j?.halfLife)) };
}
