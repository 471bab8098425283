/**
 * YAML text with source positions: parse once, then point any problem at its node.
 */
import { isCollection, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, visit, type Alias, type Document, type Node, type YAMLError } from "yaml";
import type { PathIssue, Problem } from "./problems.js";

/** A parsed YAML file that can locate a path inside itself. */
export type YamlSource = {
  file: string;
  data: unknown;
  syntaxProblems: Problem[];
  /** The problem for an issue at `path` (at the key itself when `key` is set). */
  problemAt(issue: PathIssue): Problem;
};

/** Parses YAML keeping positions. Syntax errors come back as problems, never thrown. */
export function parseYamlSource(file: string, text: string): YamlSource {
  const lineCounter = new LineCounter();
  // `merge`: `<<: *defaults` merge keys, as marketers write them to share settings.
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, merge: true });
  const at = (offset: number) => lineCounter.linePos(offset);
  const syntaxProblems: Problem[] = [...doc.errors, ...doc.warnings].map((e) => {
    const { line, col } = at(unclosedStart(doc, e) ?? e.pos[0]);
    const message = e.code === "MULTIPLE_DOCS" ? "a file holds one YAML document, this one has a second (after ---): put each journey in a file of its own" : e.message.split("\n")[0]!;
    return { file, line, col, message };
  });
  let data: unknown;
  if (doc.errors.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      syntaxProblems.push(aliasProblem(doc, err, file, at));
    }
  }
  return {
    file,
    data,
    syntaxProblems,
    problemAt(issue) {
      const offset = locate(doc, issue.path, issue.key);
      const { line, col } = at(offset);
      return { file, line, col, message: issue.message };
    },
  };
}

/** How many nodes aliases may expand to in one file (a "billion laughs" file is refused). */
const MAX_ALIAS_COUNT = 100;

/**
 * The problem of a document that parsed but cannot be turned into data: an alias to an
 * anchor not set before it, or aliases expanding past MAX_ALIAS_COUNT.
 */
function aliasProblem(doc: Document, err: unknown, file: string, at: (offset: number) => { line: number; col: number }): Problem {
  let unresolved: Alias | undefined;
  let first: Alias | undefined;
  visit(doc, {
    Alias(_key, node) {
      first ??= node;
      if (!unresolved && node.resolve(doc) === undefined) unresolved = node;
    },
  });
  const node = unresolved ?? first;
  const { line, col } = at(node?.range?.[0] ?? 0);
  const message = unresolved
    ? `unknown alias *${unresolved.source}: an alias needs an anchor &${unresolved.source} set before it`
    : /alias count/i.test(String((err as Error)?.message))
      ? `aliases here expand to too many nodes (more than ${MAX_ALIAS_COUNT}): write the values out`
      : `the YAML cannot be read: ${(err as Error)?.message ?? String(err)}`;
  return { file, line, col, message };
}

/**
 * An unclosed `{`, `[` or quote is reported by the parser where it gave up (often a later
 * line); the marketer needs the bracket or quote that was left open.
 */
function unclosedStart(doc: Document, e: YAMLError): number | undefined {
  const flow = /must (be sufficiently indented and )?end with a [}\]]/.test(e.message);
  const quote = /^Missing closing ["']quote/.test(e.message);
  if ((e.code !== "BAD_INDENT" && e.code !== "MISSING_CHAR") || (!flow && !quote)) return undefined;
  let start: number | undefined;
  visit(doc, (_key, node) => {
    const open = flow ? isCollection(node) && node.flow : isScalar(node) && (node.type === "QUOTE_DOUBLE" || node.type === "QUOTE_SINGLE");
    const range = open ? (node as Node).range : undefined;
    if (range && range[1] === e.pos[0]) start = range[0];
  });
  return start;
}

/** Offset of the node at `path` (or of the deepest existing ancestor). */
function locate(doc: Document, path: PropertyKey[], key?: string): number {
  let node: unknown = doc.contents;
  let offset = rangeStart(node) ?? 0;
  const steps = key === undefined ? path : [...path, key];
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i];
    const last = i === steps.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && keyOf(p.key) === String(step));
      if (!pair) return offset;
      if (last && key !== undefined) return rangeStart(pair.key) ?? offset;
      node = pair.value;
      offset = rangeStart(pair.value) ?? rangeStart(pair.key) ?? offset;
    } else if (isSeq(node) && typeof step === "number") {
      node = node.items[step];
      offset = rangeStart(node) ?? offset;
    } else {
      return offset;
    }
  }
  return offset;
}

function keyOf(k: unknown): string | undefined {
  if (isScalar(k)) return String(k.value);
  return typeof k === "string" ? k : undefined;
}

function rangeStart(n: unknown): number | undefined {
  const range = (n as Node | null | undefined)?.range;
  return range ? range[0] : undefined;
}
