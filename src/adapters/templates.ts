/**
 * Email templates: `templates/<name>.liquid` (or `.mjml`) with optional YAML front matter
 * (`subject:`). Liquid runs sandboxed: own properties only, strict filters, bounded work.
 */
import { readdir, readFile } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { Liquid } from "liquidjs";
import { isMap, isScalar, LineCounter, parseDocument, type Node } from "yaml";
import type { Problem } from "../core/index.js";

/** A template as read from disk. */
export type Template = {
  name: string; file: string; kind: "liquid" | "mjml"; subject?: string; preheader?: string; body: string; bodyLine: number;
  /** Where the subject's text starts in the file (line, col), for Liquid error positions. */
  subjectAt?: { line: number; col: number };
};

/** The sandboxed Liquid engine shared by validation and rendering. */
export function createLiquid(extra: { outputEscape?: "escape" } = {}): Liquid {
  return new Liquid({
    ...extra,
    ownPropertyOnly: true,
    strictFilters: true,
    strictVariables: false,
    parseLimit: 100_000,
    renderLimit: 1_000,
    memoryLimit: 10_000_000,
    jsTruthy: false,
  });
}

const FRONT = /^---\r?\n([\s\S]*?)\r?\n---\r?\n?/;

/** Splits front matter from a template's text. */
export function parseTemplate(file: string, text: string): { template?: Template; problems: Problem[] } {
  const name = basename(file, extname(file));
  const kind = extname(file) === ".mjml" ? "mjml" : "liquid";
  const m = FRONT.exec(text);
  let subject: string | undefined;
  let preheader: string | undefined;
  let subjectAt: { line: number; col: number } | undefined;
  const problems: Problem[] = [];
  if (m) {
    // The front matter starts on the file's second line.
    const lineCounter = new LineCounter();
    const doc = parseDocument(m[1]!, { lineCounter, prettyErrors: false });
    const pos = (offset: number) => { const p = lineCounter.linePos(offset); return { line: p.line + 1, col: p.col }; };
    const startOf = (n: unknown) => pos((n as Node | null)?.range?.[0] ?? 0);
    const e = doc.errors[0];
    if (e) problems.push({ file, ...pos(e.pos[0]), message: `front matter: ${e.message.split("\n")[0]}` });
    else if (isMap(doc.contents)) {
      for (const pair of doc.contents.items) {
        const k = isScalar(pair.key) ? String(pair.key.value) : String(pair.key);
        if (k !== "subject" && k !== "preheader") problems.push({ file, ...startOf(pair.key), message: `unknown front matter key "${k}" (allowed: subject, preheader)` });
        if (k === "preheader" && isScalar(pair.value) && typeof pair.value.value === "string") preheader = pair.value.value;
        if (k !== "subject") continue;
        const v = pair.value;
        if (!isScalar(v) || typeof v.value !== "string") problems.push({ file, ...startOf(v ?? pair.key), message: "`subject` must be a string" });
        else {
          subject = v.value;
          const at = startOf(v);
          const quoted = v.type === "QUOTE_DOUBLE" || v.type === "QUOTE_SINGLE";
          subjectAt = { line: at.line, col: at.col + (quoted ? 1 : 0) };
        }
      }
    }
  }
  const body = m ? text.slice(m[0].length) : text;
  const bodyLine = m ? m[0].split("\n").length - (m[0].endsWith("\n") ? 1 : 0) + 1 : 1;
  return {
    template: { name, file, kind, ...(subject !== undefined ? { subject, subjectAt } : {}), ...(preheader !== undefined ? { preheader } : {}), body, bodyLine },
    problems,
  };
}

/** Checks a template's Liquid (subject and body) and reports syntax errors with positions. */
export function checkTemplate(liquid: Liquid, t: Template): Problem[] {
  const problems: Problem[] = [];
  const check = (src: string, start: { line: number; col: number }) => {
    try {
      liquid.parse(src);
    } catch (e) {
      const err = e as { message: string; token?: { getPosition?: () => [number, number] } };
      const [line, col] = err.token?.getPosition?.() ?? [1, 1];
      problems.push({
        file: t.file, line: start.line + line - 1, col: line === 1 ? start.col + col - 1 : col,
        message: `Liquid: ${err.message.split(", line:")[0]}`,
      });
    }
  };
  if (t.subject !== undefined) check(t.subject, t.subjectAt ?? { line: 2, col: 1 });
  check(t.body, { line: t.bodyLine, col: 1 });
  return problems;
}

/** Reads every template in `dir` (missing folder: none). */
export async function readTemplates(dir: string): Promise<{ templates: Template[]; problems: Problem[] }> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith(".liquid") || n.endsWith(".mjml")).sort();
  } catch {
    return { templates: [], problems: [] };
  }
  const liquid = createLiquid();
  const templates: Template[] = [];
  const problems: Problem[] = [];
  for (const n of names) {
    const file = join(dir, n);
    const parsed = parseTemplate(file, await readFile(file, "utf8"));
    problems.push(...parsed.problems);
    if (parsed.template) {
      problems.push(...checkTemplate(liquid, parsed.template));
      templates.push(parsed.template);
    }
  }
  return { templates, problems };
}
