/**
 * Reads a journeys folder from disk: every `*.yaml` journey, `waymark.yaml`, templates.
 */
import { readdir, readFile } from "node:fs/promises";
import { join, relative, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { loadDefinitions, type LoadResult, type SourceFile } from "../core/index.js";
import { readTemplates, type Template } from "./templates.js";

/** A load result plus the templates read (for rendering). */
export type FolderLoad = LoadResult & { templates: Template[]; dir: string };

/** Options for reading a journeys folder. */
export type ReadOptions = { env?: Record<string, string | undefined>; requireEnv?: boolean; cwd?: string };

/**
 * Loads and validates a journeys folder. Problems name files as the folder was given
 * (`journeys/a.yaml` for `journeys`, an absolute path for an absolute folder); a relative
 * folder is taken from `cwd`.
 */
export async function loadJourneyFolder(dir: string, opts: ReadOptions = {}): Promise<FolderLoad> {
  const cwd = opts.cwd ?? process.cwd();
  const abs = resolve(cwd, dir);
  const shown = (p: string) => join(dir, relative(abs, p));
  let entries: string[];
  try {
    entries = (await readdir(abs)).sort();
  } catch (e) {
    const problem = { file: shown(abs), line: 1, col: 1, message: `cannot read journeys folder: ${(e as Error).message}` };
    return { ok: false, problems: [problem], warnings: [], templates: [], dir: abs };
  }
  const journeys: SourceFile[] = [];
  let workspace: SourceFile | undefined;
  for (const name of entries) {
    if (!/\.ya?ml$/.test(name)) continue;
    const path = join(abs, name);
    const file = { path: shown(path), text: await readFile(path, "utf8") };
    if (/^waymark\.ya?ml$/.test(name)) workspace = file;
    else journeys.push(file);
  }
  const templatesDir = join(abs, templatesFolder(workspace?.text) ?? "templates");
  const { templates, problems } = await readTemplates(templatesDir);
  for (const p of problems) p.file = shown(resolve(cwd, p.file));
  const result = loadDefinitions({
    journeys,
    ...(workspace ? { workspace } : {}),
    templates: templates.map((t) => t.name),
    templateProblems: problems,
    untitled: templates.filter((t) => t.subject === undefined).map((t) => t.name),
    env: opts.env ?? process.env,
    requireEnv: opts.requireEnv ?? false,
  });
  return { ...result, templates, dir: abs };
}

function templatesFolder(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    const w = parseYaml(text) as { email?: { templates?: unknown } } | null;
    return typeof w?.email?.templates === "string" ? w.email.templates : undefined;
  } catch {
    return undefined;
  }
}
