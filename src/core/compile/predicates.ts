/**
 * Value tests compiled into plain functions: operators, `where` maps, dot-paths.
 */
import { compilePattern } from "../pattern.js";
import type { NumberTest, Operator, ValueTest, Where } from "../schema/condition.js";

/** A compiled test of one value (`undefined` = missing). */
export type ValuePred = (v: unknown) => boolean;

/** Reads a dot-path (`a.b.c`) from an object; `undefined` when any part is missing. */
export function pathGetter(path: string): (o: unknown) => unknown {
  const parts = path.split(".");
  if (parts.length === 1) {
    const k = parts[0]!;
    return (o) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined);
  }
  return (o) => {
    let cur: unknown = o;
    for (const p of parts) {
      if (cur === null || typeof cur !== "object") return undefined;
      cur = (cur as Record<string, unknown>)[p];
    }
    return cur;
  };
}

const MAX_MATCH_INPUT = 2_000;

const comparable = (a: unknown, b: unknown) =>
  (typeof a === "number" && typeof b === "number") || (typeof a === "string" && typeof b === "string");

/**
 * Compiles one operator object. A missing value (`undefined` or `null`) is neither equal,
 * greater nor less than anything: only `ne`, `nin` and `exists: false` hold for it.
 */
export function compileOperator(op: Operator): ValuePred {
  const tests: ValuePred[] = [];
  const missing = (v: unknown) => v === undefined || v === null;
  if (op.eq !== undefined) {
    const x = op.eq;
    tests.push((v) => v === x);
  }
  if (op.ne !== undefined) { const x = op.ne; tests.push((v) => v !== x); }
  if (op.gt !== undefined) { const x = op.gt; tests.push((v) => !missing(v) && comparable(v, x) && (v as number) > (x as number)); }
  if (op.gte !== undefined) { const x = op.gte; tests.push((v) => !missing(v) && comparable(v, x) && (v as number) >= (x as number)); }
  if (op.lt !== undefined) { const x = op.lt; tests.push((v) => !missing(v) && comparable(v, x) && (v as number) < (x as number)); }
  if (op.lte !== undefined) { const x = op.lte; tests.push((v) => !missing(v) && comparable(v, x) && (v as number) <= (x as number)); }
  if (op.in !== undefined) {
    const set = new Set<unknown>(op.in);
    tests.push((v) => (Array.isArray(v) ? v.some((e) => set.has(e)) : !missing(v) && set.has(v)));
  }
  if (op.nin !== undefined) {
    const set = new Set<unknown>(op.nin);
    tests.push((v) => (Array.isArray(v) ? !v.some((e) => set.has(e)) : !set.has(v)));
  }
  if (op.exists !== undefined) { const want = op.exists; tests.push((v) => !missing(v) === want); }
  if (op.contains !== undefined) {
    const x = op.contains;
    tests.push((v) => (typeof v === "string" && typeof x === "string" ? v.includes(x) : Array.isArray(v) && v.includes(x)));
  }
  if (op.startsWith !== undefined) { const x = op.startsWith; tests.push((v) => typeof v === "string" && v.startsWith(x)); }
  if (op.matches !== undefined) {
    const re = compilePattern(op.matches);
    tests.push((v) => typeof v === "string" && re.test(v.length > MAX_MATCH_INPUT ? v.slice(0, MAX_MATCH_INPUT) : v));
  }
  if (tests.length === 1) return tests[0]!;
  return (v) => tests.every((t) => t(v));
}

/** Compiles a bare value (equality) or an operator object. */
export function compileValueTest(t: ValueTest): ValuePred {
  if (t === null || typeof t !== "object") return (v) => v === t;
  return compileOperator(t);
}

/** Compiles a numeric test (a bare number means equality). */
export function compileNumberTest(t: NumberTest): ValuePred {
  return typeof t === "number" ? (v) => v === t : compileOperator(t);
}

/** The numbers a numeric test mentions (to know how many events a count needs to keep). */
export function numbersIn(t: NumberTest): number[] {
  if (typeof t === "number") return [t];
  return [t.eq, t.ne, t.gt, t.gte, t.lt, t.lte, ...(t.in ?? []), ...(t.nin ?? [])].filter((x): x is number => typeof x === "number");
}

/** Compiles a `where` map over event properties; `null` when there is nothing to test. */
export function compileWhere(where: Where | undefined): ((props: Record<string, unknown>) => boolean) | null {
  if (!where) return null;
  const tests = Object.entries(where).map(([path, t]) => ({ get: pathGetter(path), test: compileValueTest(t) }));
  if (tests.length === 0) return null;
  if (tests.length === 1) {
    const { get, test } = tests[0]!;
    return (p) => test(get(p));
  }
  return (p) => tests.every(({ get, test }) => test(get(p)));
}

/** A stable text for a value, with object keys sorted (for feature identity). */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonical).join(",")}]`;
  const keys = Object.keys(v as object).filter((k) => (v as Record<string, unknown>)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(",")}}`;
}

/** The values a test allows when it names them (a bare value, `eq`, or `in` alone); undefined: any. */
function allowed(t: ValueTest): unknown[] | undefined {
  if (t === null || typeof t !== "object") return [t];
  const keys = Object.keys(t);
  if (keys.length === 1 && t.eq !== undefined) return [t.eq];
  if (keys.length === 1 && t.in !== undefined) return t.in;
  return undefined;
}

/**
 * Whether one event could match both filters: false only when some path is held to values
 * that the other filter rules out (`{ campaign: x }` and `{ campaign: y }`); otherwise true.
 */
export function mayOverlap(a: Where | undefined, b: Where | undefined): boolean {
  if (!a || !b) return true;
  for (const path of Object.keys(a)) {
    if (!(path in b)) continue;
    const va = allowed(a[path]!), vb = allowed(b[path]!);
    if (va && vb && !va.some((x) => vb.some((y) => canonical(x) === canonical(y)))) return false;
  }
  return true;
}
