/**
 * `waymark schema`: the JSON Schema of journey files (zod 4's own conversion).
 */
import { z } from "zod";
import { Journey, Workspace } from "../core/index.js";

/** The JSON Schema of a journey file, or of waymark.yaml. */
export function journeySchema(workspace = false): object {
  return z.toJSONSchema(workspace ? Workspace : Journey, { io: "input", unrepresentable: "any" });
}

/** Prints the schema; returns the exit code. */
export function runSchema(o: { workspace?: boolean }): number {
  process.stdout.write(`${JSON.stringify(journeySchema(o.workspace), null, 2)}\n`);
  return 0;
}
