/**
 * Runs the built `waymark` CLI as a child process from the project root, the way a
 * marketer or CI would, so problem paths come out relative (`tests/fixtures/...`).
 *
 * It spawns `node bin/waymark.js` (what `npx --no-install waymark` resolves to) rather
 * than npx itself: npx adds start-up time and may print its own npm warnings on stderr.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The project root (the CLI's working directory in these tests). */
export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The contract's worked example, relative to ROOT. */
export const EXAMPLE = "../shared/spec/example";

export type CliResult = { code: number | null; stdout: string; stderr: string };

/** Builds dist/ once when it is missing (`npm test` builds before vitest anyway). */
export function ensureBuilt(): void {
  if (existsSync(join(ROOT, "dist/cli/main.js"))) return;
  const r = spawnSync("npm", ["run", "build"], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`npm run build failed:\n${r.stdout}\n${r.stderr}`);
}

/** An environment without the secrets the fixtures refer to (unless given). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.endsWith("_SECRET")) delete env[k];
  delete env["FORCE_COLOR"];
  return { ...env, ...extra };
}

/** Runs `waymark <args>` and collects its exit code and output. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["bin/waymark.js", ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => { stdout += d; });
    child.stderr.setEncoding("utf8").on("data", (d: string) => { stderr += d; });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses NDJSON output, failing on any line that is not a JSON object. */
export function parseNdjson(text: string): Record<string, unknown>[] {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return lines.map((line, i) => {
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      throw new Error(`stdout line ${i + 1} is not JSON: ${line}`);
    }
    if (!v || typeof v !== "object" || Array.isArray(v)) throw new Error(`stdout line ${i + 1} is not a JSON object: ${line}`);
    return v as Record<string, unknown>;
  });
}
