/**
 * `waymark schema`: a JSON Schema (draft 2020-12) for editors that agrees with the loader
 * on the shapes it can express: checked with ajv against real and broken journey files.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
// The named export: with NodeNext, TypeScript types the default import of this CommonJS module as the module object.
import { Ajv2020 } from "ajv/dist/2020.js";
import type { ValidateFunction } from "ajv";
import { parse } from "yaml";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDuration } from "../../src/core/duration.js";
import { emailSender, Workspace } from "../../src/core/index.js";
import { EXAMPLE, ensureBuilt, ROOT, runCli } from "./run-cli.js";

type Schema = Record<string, any>;

let schema: Schema;
let workspaceSchema: Schema;
let validate: ValidateFunction;
let validateWorkspace: ValidateFunction;

const yamlAt = (path: string) => parse(readFileSync(join(ROOT, path), "utf8")) as Record<string, unknown>;
const webinar = () => yamlAt(`${EXAMPLE}/journeys/webinar.yaml`);
const errorsOf = (v: ValidateFunction) => (v.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

beforeAll(async () => {
  ensureBuilt();
  const [j, w] = await Promise.all([runCli(["schema"]), runCli(["schema", "--workspace"])]);
  for (const r of [j, w]) {
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
  }
  schema = JSON.parse(j.stdout) as Schema;
  workspaceSchema = JSON.parse(w.stdout) as Schema;
  // Union types (`type: ["string", "number"]`) are plain JSON Schema; ajv's strict mode only frowns on them.
  const ajv = new Ajv2020({ allErrors: true, allowUnionTypes: true });
  validate = ajv.compile(schema);
  validateWorkspace = ajv.compile(workspaceSchema);
});

describe("the printed schema", () => {
  it("is draft 2020-12 JSON Schema for a journey file", () => {
    expect(schema["$schema"]).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema["type"]).toBe("object");
    expect(Object.keys(schema["properties"])).toEqual(expect.arrayContaining(["id", "entry", "stages", "triggers", "segments", "score", "goal"]));
    expect(schema["required"]).toEqual(expect.arrayContaining(["id", "entry"]));
    // Stages are optional: a journey without them has no funnel.
    expect(schema["required"]).not.toContain("stages");
    expect(schema["additionalProperties"]).toBe(false);
  });

  it("defines the recursive condition and step once, under named $defs", () => {
    const defs = schema["$defs"];
    expect(Object.keys(defs)).toEqual(expect.arrayContaining(["Condition", "Step"]));
    expect(defs.Condition).toMatchObject({ type: "object", minProperties: 1, maxProperties: 1, additionalProperties: false });
    expect(defs.Condition.properties.all.items).toEqual({ $ref: "#/$defs/Condition" });
    expect(defs.Condition.properties.not).toEqual({ $ref: "#/$defs/Condition" });
    expect(defs.Step.properties.then.items).toEqual({ $ref: "#/$defs/Step" });
    expect(defs.Step.oneOf).toContainEqual({ required: ["email"] });
    expect(schema["properties"].stages.items.properties.when).toEqual({ $ref: "#/$defs/Condition" });
  });

  it("has a duration pattern that agrees with the loader's parser", () => {
    const pattern = new RegExp(schema["properties"].goal.properties.within.pattern as string, "u");
    const durations = ["90m", "2d", "1w", "1.5h", "30s", "PT90M", "P2D", "P1W", "P1DT2H", "PT0.5S", "P1W2DT3H4M5S"];
    const notDurations = ["1mo", "P1M", "P1Y", "P1Y2D", "P", "PT", "P1DT", "2 days", "90", "m", "1M", "-1d", "30 d"];
    for (const s of durations) expect([s, pattern.test(s), parseDuration(s) !== null]).toEqual([s, true, true]);
    for (const s of notDurations) expect([s, pattern.test(s), parseDuration(s)]).toEqual([s, false, null]);
    // Zero parses, but is no duration anywhere (the loader says "is zero"): the pattern refuses it too.
    for (const s of ["0s", "00m", "0.0h", "PT0S", "P0D", "P0DT0H0M", "P0W"]) expect([s, pattern.test(s), parseDuration(s)]).toEqual([s, false, 0]);
  });
});

describe("validating documents with ajv", () => {
  it("accepts the contract example's webinar.yaml", () => {
    expect(validate(webinar()), errorsOf(validate).join("\n")).toBe(true);
  });

  it("accepts a journey that uses every reference kind, and its waymark.yaml", () => {
    expect(validate(yamlAt("tests/fixtures/valid/full/trial.yaml")), errorsOf(validate).join("\n")).toBe(true);
    expect(validateWorkspace(yamlAt("tests/fixtures/valid/full/waymark.yaml")), errorsOf(validateWorkspace).join("\n")).toBe(true);
  });

  const broken: [string, (j: Record<string, any>) => void, string][] = [
    ["a month duration", (j) => { j.goal.within = "1mo"; }, "/goal/within must match pattern"],
    ["an ISO month duration", (j) => { j.reentry = { after: "P1M" }; }, "/reentry/after must match pattern"],
    ["a malformed duration", (j) => { j.attribution.lookback = "3 weeks"; }, "/attribution/lookback must match pattern"],
    ["an unknown top-level key", (j) => { j.trigers = j.triggers; }, " must NOT have additional properties"],
    ["a missing entry", (j) => { delete j.entry; }, " must have required property 'entry'"],
    ["a wrong type", (j) => { j.holdout = "ten"; }, "/holdout must be number"],
    ["a condition with two keys", (j) => { j.stages[1].when = { score: { gte: 1 }, segment: "comparison-seeker" }; }, "/stages/1/when must NOT have more than 1 properties"],
    ["an empty condition", (j) => { j.stages[1].when = {}; }, "/stages/1/when must NOT have fewer than 1 properties"],
    ["an empty operator", (j) => { j.stages[1].when = { score: {} }; }, "/stages/1/when/score must NOT have fewer than 1 properties"],
    ["a step with two kinds", (j) => { j.triggers[0].do[0] = { wait: "1d", exit: true }; }, "/triggers/0/do/0 must match exactly one schema in oneOf"],
    ["a step with no kind", (j) => { j.triggers[0].do[0] = { id: "nothing" }; }, "/triggers/0/do/0 must match exactly one schema in oneOf"],
    ["a nested bad step", (j) => { j.triggers[0].do[1].wait.onTimeout[0] = { email: {} }; }, "/triggers/0/do/1/wait/onTimeout/0/email must have required property 'template'"],
  ];

  it.each(broken)("rejects %s", (_name, breakIt, error) => {
    const doc = webinar();
    breakIt(doc);
    expect(validate(doc)).toBe(false);
    const errors = errorsOf(validate);
    expect(errors.some((e) => e.startsWith(error)), errors.join("\n")).toBe(true);
  });

  it("rejects the broken fixtures whose problems are about shape, like the loader does", () => {
    for (const f of ["unknown-key", "wrong-type", "month-duration", "bad-duration", "zero-duration", "two-key-condition", "two-kind-step"]) {
      expect([f, validate(yamlAt(`tests/fixtures/broken/${f}/trial.yaml`))]).toEqual([f, false]);
    }
  });

  it("takes the email sender as `from` or `sender`, not both; without one, the default sender", () => {
    const ws = (email: object) => validateWorkspace({ email });
    expect([ws({ from: "a@b.example" }), ws({ sender: "a@b.example", templates: "templates" }), ws({ templates: "templates" })]).toEqual([true, true, true]);
    expect(ws({ from: "a@b.example", sender: "c@d.example" })).toBe(false);
    expect(Workspace.safeParse({ email: { from: "a@b.example", sender: "c@d.example" } }).success).toBe(false);
    expect(emailSender(Workspace.parse({ email: { templates: "mail" } }).email)).toBeUndefined();
    expect(Workspace.parse({ email: { sender: "Acme <a@b.example>" } }).email).toEqual({ sender: "Acme <a@b.example>" });
    expect(emailSender(Workspace.parse({ email: { sender: "Acme <a@b.example>" } }).email)).toBe("Acme <a@b.example>");
  });

  it("rejects an inline secret in waymark.yaml", () => {
    expect(validateWorkspace(yamlAt("tests/fixtures/broken/inline-secret/waymark.yaml"))).toBe(false);
    expect(errorsOf(validateWorkspace)).toContainEqual(expect.stringContaining("/endpoints/sales-crm/secret must match pattern"));
  });
});

describe("waymark schema into a reader that stops early", () => {
  it("ends quietly with exit 0 when the pipe closes (`waymark schema | head`)", async () => {
    const child = spawn(process.execPath, ["bin/waymark.js", "schema"], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => (stderr += c.toString()));
    // Our end closes before the schema is written, as a `head` that has read enough does.
    child.stdout.destroy();
    const code = await new Promise<number | null>((r) => child.once("exit", (c) => r(c)));
    expect(stderr).toBe("");
    expect(code).toBe(0);
  });
});
