/**
 * `waymark validate [dir]`: exit 0 with a summary, or 1 with one `path:line:col: message` per
 * problem on stdout (and nothing else there: the count goes to stderr, so the output can be
 * read line by line as problems).
 */
import { formatProblem } from "../core/index.js";
import { loadJourneyFolder } from "../adapters/journey-files.js";

/** Validates a folder; returns the exit code. */
export async function runValidate(dir: string): Promise<number> {
  const r = await loadJourneyFolder(dir);
  for (const w of r.warnings) process.stderr.write(`warning: ${formatProblem(w)}\n`);
  if (!r.ok) {
    for (const p of r.problems) process.stdout.write(`${formatProblem(p)}\n`);
    process.stderr.write(`${r.problems.length} problem${r.problems.length === 1 ? "" : "s"}: nothing would be deployed\n`);
    return 1;
  }
  const d = r.definitions;
  const triggers = d.journeys.reduce((n, j) => n + (j.journey.triggers?.length ?? 0), 0);
  const n = (count: number, what: string) => `${count} ${what}${count === 1 ? "" : "s"}`;
  process.stdout.write(`ok: ${n(d.journeys.length, "journey")} (${d.journeys.map((j) => j.journey.id).join(", ")}), `
    + `${n(triggers, "trigger")}, ${n(d.templates.length, "template")}, ${n(Object.keys(d.workspace.endpoints ?? {}).length, "endpoint")}\n`);
  return 0;
}
