/**
 * `matches` patterns, run by RE2 (the re2js port): matching takes time linear in the
 * text, whatever the pattern, so a pattern like `^(a+)+$` cannot stall a worker on a long
 * property value. RE2 syntax is JavaScript's for everyday patterns; it has no lookaround
 * and no backreferences (those are what make backtracking engines exponential).
 */
import { RE2JS } from "re2js";

/** A compiled pattern: whether it matches somewhere in a text. */
export type Pattern = { test(text: string): boolean };

/** Compiles a pattern that patternProblem accepted. */
export function compilePattern(source: string): Pattern {
  return RE2JS.compile(source);
}

/** Why `source` cannot be a `matches` pattern, or null when it can. */
export function patternProblem(source: string): string | null {
  try {
    RE2JS.compile(source);
    return null;
  } catch {
    let js = true;
    try {
      new RegExp(source);
    } catch {
      js = false;
    }
    return js
      ? `"${source}" uses regular-expression syntax that is not supported (lookaround or backreferences): patterns run in linear time, in RE2 syntax`
      : `"${source}" is not a valid regular expression`;
  }
}
