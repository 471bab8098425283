/**
 * `waymark`: the command line. validate | simulate | schema | start | api | worker | dlq.
 */
import { Command, InvalidArgumentError } from "commander";
import { runSchema } from "./schema.js";
import { runSimulate } from "./simulate.js";
import { runValidate } from "./validate.js";

/** Builds the program (exported for tests). */
export function program(): Command {
  const p = new Command("waymark")
    .description("Event-driven journey orchestration: YAML playbooks, millisecond segments, exact timers.")
    .showHelpAfterError()
    .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2));

  p.command("validate")
    .description("check every journey file, waymark.yaml and the templates; prints path:line:col: message per problem")
    .argument("[dir]", "journeys folder", "journeys")
    .action(async (dir: string) => { process.exitCode = await runValidate(dir); });

  p.command("simulate")
    .description("replay Segment-shaped NDJSON events on a virtual clock and print the journal as NDJSON")
    .requiredOption("--journeys <dir>", "journeys folder")
    .requiredOption("--events <file>", "events file (NDJSON, one Segment message per line)")
    .option("--until <iso>", "run the clock up to this instant (default: the last event)", (v: string) => {
      const t = Date.parse(v);
      if (Number.isNaN(t)) throw new InvalidArgumentError("expected an ISO 8601 instant");
      return t;
    })
    .action(async (o: { journeys: string; events: string; until?: number }) => {
      process.exitCode = await runSimulate(o);
    });

  for (const [role, what] of [["start", "the API, the dashboard and a worker in one process"], ["api", "the HTTP API only"], ["worker", "a worker only (run several to scale out)"]] as const) {
    p.command(role)
      .description(`run ${what}; configured by the environment (REDIS_URL, PORT, WAYMARK_JOURNEYS, ...)`)
      .action(async () => {
        const { serve } = await import("./serve.js");
        process.exitCode = await serve(role);
        process.exit();
      });
  }

  const dlq = p.command("dlq").description("dead letters: effects whose delivery failed for good (REDIS_URL, WAYMARK_PREFIX)");
  const run = async (cmd: import("./dlq.js").DlqCommand) => {
    const { runDlq } = await import("./dlq.js");
    process.exitCode = await runDlq(cmd);
  };
  dlq.command("list").description("list dead letters, newest first")
    .option("--json", "one JSON object per line").option("--name <name>", "only this queue or kind (email, handoff.opened, ...)")
    .option("--limit <n>", "at most this many", (v: string) => Number.parseInt(v, 10), 100)
    .action((o: { json?: boolean; name?: string; limit: number }) => run({ action: "list", ...o }));
  dlq.command("show").description("print one dead letter").argument("<id>").action((id: string) => run({ action: "show", id }));
  dlq.command("replay").description("queue dead letters again (same effect ids: receivers still de-duplicate)")
    .argument("[ids...]").option("--all", "every dead letter")
    .action((ids: string[], o: { all?: boolean }) => run({ action: "replay", ids, ...(o.all ? { all: true } : {}) }));
  dlq.command("drop").description("delete dead letters without replaying them").argument("<ids...>")
    .action((ids: string[]) => run({ action: "drop", ids }));

  p.command("schema")
    .description("print the JSON Schema of a journey file (or of waymark.yaml) for editors")
    .option("--workspace", "the schema of waymark.yaml instead")
    .action((o: { workspace?: boolean }) => { process.exitCode = runSchema(o); });
  return p;
}

/** Runs the CLI with `argv`. */
export async function main(argv: string[]): Promise<void> {
  // A reader that stops early (`waymark schema | head`) closes the pipe: that ends the
  // output, it is not a failure of the command.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code !== "EPIPE") throw err;
    process.exit(process.exitCode ?? 0);
  });
  await program().parseAsync(argv);
}
