/**
 * Loads a whole journeys folder (already read into memory) into validated definitions.
 * All files' problems are reported at once; nothing is returned unless everything is valid.
 */
import { Journey } from "../schema/journey.js";
import { Workspace } from "../schema/workspace.js";
import { checkJourney, untitledSteps, checkWorkspace } from "./check.js";
import { flattenIssues, type Problem } from "./problems.js";
import { parseYamlSource } from "./yaml-source.js";

/** A source file. */
export type SourceFile = { path: string; text: string };

/** What the loader needs: journey files, the optional workspace file, known templates. */
export type LoadInput = {
  journeys: SourceFile[];
  workspace?: SourceFile;
  /** Template names (file names without extension) that exist. */
  templates: Iterable<string>;
  /** Problems found in templates by whoever read them (syntax errors). */
  templateProblems?: Problem[];
  /** Templates without a subject in their front matter: an email step using one without a `subject` is warned about. */
  untitled?: Iterable<string>;
  /** Values for `${ENV_NAME}` in waymark.yaml. */
  env: Record<string, string | undefined>;
  /** When true, an unset `${ENV_NAME}` is a problem; otherwise a warning. */
  requireEnv?: boolean;
};

/** A journey with the file it came from. */
export type LoadedJourney = { file: string; journey: Journey };

/** Valid definitions, ready to compile. */
export type Definitions = { workspace: Workspace; journeys: LoadedJourney[]; templates: string[] };

/** The result of a load: definitions, or every problem. Warnings never block. */
export type LoadResult =
  | { ok: true; definitions: Definitions; warnings: Problem[] }
  | { ok: false; problems: Problem[]; warnings: Problem[] };

/** Validates and cross-checks every file. */
export function loadDefinitions(input: LoadInput): LoadResult {
  const problems: Problem[] = [...(input.templateProblems ?? [])];
  const warnings: Problem[] = [];
  const templates = new Set(input.templates);
  const untitled = new Set(input.untitled ?? []);

  let workspace: Workspace = {};
  let workspaceKnown = true;
  if (input.workspace) {
    const src = parseYamlSource(input.workspace.path, input.workspace.text);
    problems.push(...src.syntaxProblems);
    if (src.syntaxProblems.length > 0) workspaceKnown = false;
    else {
      const parsed = Workspace.safeParse(src.data ?? {}, { reportInput: true });
      if (!parsed.success) {
        problems.push(...flattenIssues(parsed.error.issues).map(src.problemAt));
        // Journeys are still checked against the names waymark.yaml declares, so one bad
        // endpoint does not also make every reference to it "unknown".
        workspace = declaredNames(src.data);
      } else {
        workspace = parsed.data;
        problems.push(...checkWorkspace(workspace).map(src.problemAt));
        const env = substituteEnv(workspace, input.env);
        for (const { path, name, empty } of env.missing) {
          const p = src.problemAt({ path, message: `environment variable ${name} is ${empty ? "empty" : "not set"}` });
          (input.requireEnv ? problems : warnings).push(p);
        }
        workspace = env.value;
        for (const [name, ep] of Object.entries(workspace.endpoints ?? {})) {
          const unset = (field: string) => env.missing.some((m) => m.path[1] === name && m.path[2] === field);
          // whsec_ announces Standard Webhooks' base64 secret: it must decode (a plain secret is used as it is).
          const b64 = ep.secret.startsWith("whsec_") ? ep.secret.slice(6) : null;
          if (!unset("secret") && b64 !== null && (!/^[A-Za-z0-9+/]+={0,2}$/.test(b64) || b64.length % 4 !== 0)) {
            problems.push(src.problemAt({ path: ["endpoints", name, "secret"], message: "the secret starts with whsec_ but is not padded base64 (Standard Webhooks), e.g. whsec_$(openssl rand -base64 32)" }));
          }
          if (!unset("url") && !/^https?:\/\/[^\s/]+/.test(ep.url)) {
            problems.push(src.problemAt({ path: ["endpoints", name, "url"], message: "the url must be an http:// or https:// URL" }));
          }
        }
      }
    }
  }

  const journeys: LoadedJourney[] = [];
  const seen = new Map<string, string>();
  for (const file of input.journeys) {
    const src = parseYamlSource(file.path, file.text);
    problems.push(...src.syntaxProblems);
    if (src.syntaxProblems.length > 0) continue;
    const parsed = Journey.safeParse(src.data ?? null, { reportInput: true });
    if (!parsed.success) {
      problems.push(...flattenIssues(parsed.error.issues).map(src.problemAt));
      continue;
    }
    const j = parsed.data;
    const other = seen.get(j.id);
    if (other) problems.push(src.problemAt({ path: ["id"], message: `duplicate journey id "${j.id}" (also in ${other})` }));
    seen.set(j.id, file.path);
    problems.push(...checkJourney(j, { workspace, templates, workspaceKnown }).map(src.problemAt));
    warnings.push(...untitledSteps(j, untitled).map(src.problemAt));
    journeys.push({ file: file.path, journey: j });
  }
  problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.col - b.col));
  if (problems.length > 0) return { ok: false, problems, warnings };
  return { ok: true, definitions: { workspace, journeys, templates: [...templates].sort() }, warnings };
}

/** The endpoint and audience names of a waymark.yaml that failed validation (for cross-checks only). */
function declaredNames(data: unknown): Workspace {
  const w = (data && typeof data === "object" ? data : {}) as Record<string, unknown>;
  const names = (v: unknown) => (v && typeof v === "object" && !Array.isArray(v) ? v : undefined);
  const endpoints = names(w["endpoints"]) as Workspace["endpoints"];
  const audiences = names(w["audiences"]) as Workspace["audiences"];
  return { ...(endpoints ? { endpoints } : {}), ...(audiences ? { audiences } : {}) };
}

const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

function substituteEnv(w: Workspace, env: Record<string, string | undefined>) {
  // An empty value counts as unset (an empty secret would sign every webhook with no key).
  const missing: { path: PropertyKey[]; name: string; empty: boolean }[] = [];
  const walk = (v: unknown, path: PropertyKey[]): unknown => {
    if (typeof v === "string") {
      return v.replace(ENV_REF, (whole, name: string) => {
        const value = env[name];
        if (value === undefined || value === "") {
          missing.push({ path, name, empty: value === "" });
          return whole;
        }
        return value;
      });
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...path, k])]));
    return v;
  };
  const endpoints = w.endpoints ? (walk(w.endpoints, ["endpoints"]) as Workspace["endpoints"]) : undefined;
  return { value: { ...w, ...(endpoints ? { endpoints } : {}) }, missing };
}
