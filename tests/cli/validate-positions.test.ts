/**
 * `waymark validate <dir>` on broken folders: the exact `path:line:col: message` lines,
 * sorted, then one summary line, exit 1. Every position was worked out by hand from the
 * fixture and is double-checked here against the text found at that line and column.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE, ensureBuilt, ROOT, runCli } from "./run-cli.js";

beforeAll(ensureBuilt);

/** One expected problem: file in the case folder, position, the text found there, message. */
type Want = [file: string, line: number, col: number, at: string, message: string];
type Case = { dir: string; problems: Want[]; env?: Record<string, string> };

const SIGNALS = "journey.entered, goal.reached, handoff.breached, or a one-key map: event, stage.entered, segment.entered, segment.exited, score.crossed, stalled, handoff.breached";
const MONTHS = "months and years vary in length; use days or weeks (e.g. 30d, 4w)";

const cases: Case[] = [
  { dir: "yaml-syntax", problems: [
    // The `{` opened on line 2 is never closed: the parser notices on line 3, the problem points at the bracket.
    ["trial.yaml", 2, 8, "{ event: Trial Started", "Flow map in block collection must be sufficiently indented and end with a }"],
    // A quoted scalar may span lines: the parser stops at the end of the file, the problem points at the open quote.
    ["unclosed-quote.yaml", 2, 7, '"Welcome series', 'Missing closing "quote'],
  ] },
  { dir: "unknown-key", problems: [
    ["trial.yaml", 6, 5, "wen:", 'unknown key "wen" (did you mean "when"?)'],
    ["trial.yaml", 7, 1, "trigers:", 'unknown key "trigers" (did you mean "triggers"?)'],
  ] },
  { dir: "missing-key", problems: [
    // A required key left out is named, at the map that lacks it.
    ["trial.yaml", 1, 1, "id: trial", 'missing required key "entry"'],
  ] },
  { dir: "wrong-type", problems: [
    ["trial.yaml", 3, 10, "ten percent", 'expected number, got string "ten percent"'],
    ["trial.yaml", 8, 37, "lots", 'expected number, got string "lots"'],
    // A count compares numbers: a string there is refused, not a test that never holds.
    ["trial.yaml", 11, 60, "three", 'expected number, got string "three"'],
  ] },
  { dir: "month-duration", problems: [
    ["trial.yaml", 3, 19, "P1M", `"P1M" is not a duration: ${MONTHS}`],
    ["trial.yaml", 6, 11, "1mo", `"1mo" is not a duration: ${MONTHS}`],
  ] },
  { dir: "bad-duration", problems: [
    ["trial.yaml", 9, 15, "2 days", '"2 days" is not a duration: use <n>s|m|h|d|w (90m, 2d, 1w) or ISO 8601 (PT90M)'],
  ] },
  { dir: "unknown-segment", problems: [
    ["trial.yaml", 6, 22, "power-users", 'unknown segment "power-users" (segments: power-user)'],
  ] },
  { dir: "unknown-stage", problems: [
    ["trial.yaml", 12, 26, "decisions", 'unknown stage "decisions" (stages: awareness, decision)'],
  ] },
  { dir: "unknown-threshold", problems: [
    ["trial.yaml", 12, 22, "hot", 'unknown threshold "hot" (thresholds: mql, sql)'],
  ] },
  { dir: "unknown-endpoint", env: { CRM_SECRET: "whsec_czNjcmV0" }, problems: [
    ["trial.yaml", 9, 24, "sales,", 'unknown endpoint "sales" (endpoints in waymark.yaml: sales-crm)'],
    ["trial.yaml", 11, 15, "slack", 'unknown endpoint "slack" (endpoints in waymark.yaml: sales-crm)'],
  ] },
  { dir: "unknown-template", problems: [
    ["trial.yaml", 11, 28, "welcome-2", 'unknown template "welcome-2" (templates: welcome)'],
  ] },
  { dir: "unknown-audience", problems: [
    ["trial.yaml", 10, 27, "churners", 'unknown audience "churners" (audiences in waymark.yaml: trialists, churn-risk)'],
  ] },
  { dir: "segment-cycle", problems: [
    ["trial.yaml", 7, 11, "{ segment: b }", "segment cycle: a -> b -> a"],
  ] },
  { dir: "duplicate-id", problems: [
    ["second.yaml", 2, 5, "onboarding", 'duplicate journey id "onboarding" (also in tests/fixtures/broken/duplicate-id/first.yaml)'],
  ] },
  { dir: "inline-secret", problems: [
    // Only the secret: the journey's reference to sales-crm is not also reported as unknown.
    ["waymark.yaml", 5, 13, "whsec_abc123", "secrets are never written inline: use ${ENV_NAME}"],
  ] },
  { dir: "endpoint-fields", problems: [
    // All three in one run: the url and the timeout are checked with the rest of the file.
    ["waymark.yaml", 4, 10, "ftp://crm.example.com/hooks/waymark", "the url must be an http:// or https:// URL"],
    ["waymark.yaml", 5, 13, "whsec_abc123", "secrets are never written inline: use ${ENV_NAME}"],
    ["waymark.yaml", 6, 14, "banana", '"banana" is not a duration: use <n>s|m|h|d|w (90m, 2d, 1w) or ISO 8601 (PT90M)'],
  ] },
  { dir: "two-key-condition", problems: [
    ["trial.yaml", 7, 7, "performed:", "a condition has exactly one key, found performed, trait: combine them with all: [...]"],
  ] },
  { dir: "two-kind-step", problems: [
    ["trial.yaml", 9, 9, "wait: 1d", "a step does one thing, found wait, exit: make them separate steps"],
  ] },
  { dir: "bad-regex", problems: [
    ["trial.yaml", 4, 30, '"^[a-z+@corp', '"^[a-z+@corp\\.com$" is not a valid regular expression'],
  ] },
  { dir: "liquid-error", problems: [
    // Subject: line 3 (a comment precedes it), column of `{{` inside the quoted value.
    ["templates/nudge.liquid", 3, 11, "{{ contact.traits.firstName | capitalise }}", "Liquid: undefined filter: capitalise"],
    ["templates/nudge.liquid", 6, 21, '{{ "https://example.com/cs" | link_to }}', "Liquid: undefined filter: link_to"],
    // Body line 3 is file line 6: three lines of front matter, then "Hi", a blank line.
    ["templates/welcome.liquid", 6, 1, '{% if contact.traits.plan == "pro" %}', 'Liquid: tag {% if contact.traits.plan == "pro" %} not closed'],
  ] },
  { dir: "two-documents", problems: [
    ["trial.yaml", 3, 1, "---", "a file holds one YAML document, this one has a second (after ---): put each journey in a file of its own"],
  ] },
  { dir: "signal-forms", problems: [
    ["trial.yaml", 2, 8, "{ event: Trial Started, segment: keen }", "entry takes one form, found event and segment: { event, where? } or { segment }"],
    ["trial.yaml", 8, 9, "journey.started", `unknown signal "journey.started" (signals: ${SIGNALS})`],
    ["trial.yaml", 11, 9, "{ segment.entered: keen, stage.entered: aware }", "a signal map has exactly one key, found segment.entered, stage.entered"],
    ["trial.yaml", 14, 9, "{ segment.entred: keen }", `unknown signal "segment.entred" (did you mean "segment.entered"?) (signals: ${SIGNALS})`],
    ["trial.yaml", 17, 9, "stage.entered", "the signal stage.entered needs a value: { stage.entered: <id> }"],
  ] },
  { dir: "email-sender", problems: [
    ["waymark.yaml", 2, 3, "from:", "email takes `from` or `sender`, not both"],
  ] },
  { dir: "zero-duration", problems: [
    ["trial.yaml", 3, 19, "0d", '"0d" is zero: a duration must be longer than that (e.g. 1s)'],
    ["trial.yaml", 8, 15, "PT0S", '"PT0S" is zero: a duration must be longer than that (e.g. 1s)'],
  ] },
  { dir: "bad-key", env: { CRM_SECRET: "whsec_czNjcmV0" }, problems: [
    // A name that is a map key (segment, threshold, endpoint) is pointed at as the key, not at its value.
    ["trial.yaml", 4, 3, "PowerUsers:", '"PowerUsers" is not a valid id: use lower-case letters, digits and dashes, starting with a letter'],
    ["trial.yaml", 9, 26, "Hot_Lead:", '"Hot_Lead" is not a valid id: use lower-case letters, digits and dashes, starting with a letter'],
    ["waymark.yaml", 2, 3, "Sales_CRM:", '"Sales_CRM" is not a valid id: use lower-case letters, digits and dashes, starting with a letter'],
  ] },
  { dir: "yaml-alias", problems: [
    // An alias without its anchor: a problem at the alias, not a crash.
    ["trial.yaml", 2, 8, "*start", "unknown alias *start: an alias needs an anchor &start set before it"],
  ] },
  { dir: "long-duration", problems: [
    ["trial.yaml", 7, 52, "1000000000w", '"1000000000w" is too long: a duration is at most 36500d (about 100 years)'],
  ] },
  { dir: "slow-pattern", problems: [
    // Lookaround is refused: patterns run in RE2, linear in the text.
    ["trial.yaml", 2, 56, '"^/(?!admin)"', '"^/(?!admin)" uses regular-expression syntax that is not supported (lookaround or backreferences): patterns run in linear time, in RE2 syntax'],
  ] },
  { dir: "many-files", problems: [
    // All files in one run, sorted by file then position (the exit rule is checked first but sits last).
    ["a-welcome.yaml", 6, 22, "engaged-users", 'unknown segment "engaged-users" (segments: none declared)'],
    ["a-welcome.yaml", 12, 16, "churned", 'unknown segment "churned" (segments: none declared)'],
    ["b-trial.yaml", 3, 1, "\tevent", "Tabs are not allowed as indentation"],
    ["c-upgrade.yaml", 3, 1, "goals:", 'unknown key "goals" (did you mean "goal"?)'],
    ["templates/hello.liquid", 1, 7, "{{ contact.traits.firstName }", 'Liquid: output "{{ contact.traits.firstName }\\n" not closed'],
    ["waymark.yaml", 2, 36, "8am", "expected a clock time HH:MM (24-hour)"],
  ] },
];

const base = "tests/fixtures/broken";

describe("waymark validate on broken folders", () => {
  it.concurrent.each(cases.map((c) => [c.dir, c] as const))("%s", async (_name, c) => {
    const r = await runCli(["validate", `${base}/${c.dir}`], c.env);
    const n = c.problems.length;
    const lines = c.problems.map(([file, line, col, , message]) => `${base}/${c.dir}/${file}:${line}:${col}: ${message}`);
    expect(r.stdout).toBe(`${lines.join("\n")}\n`);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`${n} problem${n === 1 ? "" : "s"}: nothing would be deployed\n`);
  });

  it.each(cases.flatMap((c) => c.problems.map((p) => [`${c.dir}/${p[0]}:${p[1]}:${p[2]}`, p[3]] as const)))(
    "%s points at %j",
    (where, at) => {
      const [file, line, col] = where.split(":") as [string, string, string];
      const text = readFileSync(join(ROOT, base, file), "utf8").split("\n")[Number(line) - 1] ?? "";
      expect(text.slice(Number(col) - 1).startsWith(at), `line ${line}: ${JSON.stringify(text)}`).toBe(true);
    },
  );
});

describe("waymark validate on valid folders", () => {
  it("accepts the contract's example with a summary and exit 0", async () => {
    const r = await runCli(["validate", `${EXAMPLE}/journeys`]);
    expect(r).toEqual({ code: 0, stdout: "ok: 1 journey (webinar-follow-up), 1 trigger, 2 templates, 0 endpoints\n", stderr: "" });
  });

  it("accepts a folder using every reference kind; secrets come from the environment", async () => {
    const r = await runCli(["validate", "tests/fixtures/valid/full"], { CRM_SECRET: "whsec_c2VjcmV0LW9uZQ==", ADS_SECRET: "c2VjcmV0LXR3bw==" });
    expect(r).toEqual({ code: 0, stdout: "ok: 1 journey (trial-to-paid), 3 triggers, 1 template, 2 endpoints\n", stderr: "" });
  });

  it("refuses a whsec_ secret that is not base64, at the secret's position; a plain secret is taken as it is", async () => {
    const r = await runCli(["validate", "tests/fixtures/valid/full"], { CRM_SECRET: "whsec_not base64!", ADS_SECRET: "c2VjcmV0LXR3bw==" });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^tests\/fixtures\/valid\/full\/waymark\.yaml:9:13: the secret starts with whsec_ but is not padded base64/);
    const plain = await runCli(["validate", "tests/fixtures/valid/full"], { CRM_SECRET: "just a shared secret", ADS_SECRET: "c2VjcmV0LXR3bw==" });
    expect(plain.code).toBe(0);
  });

  it("counts a secret set to the empty string as unset", async () => {
    const r = await runCli(["validate", "tests/fixtures/valid/full"], { CRM_SECRET: "", ADS_SECRET: "c2VjcmV0LXR3bw==" });
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("warning: tests/fixtures/valid/full/waymark.yaml:9:13: environment variable CRM_SECRET is empty\n");
  });

  it("warns on stderr (with positions) about unset secrets, without failing", async () => {
    const r = await runCli(["validate", "tests/fixtures/valid/full"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^ok: 1 journey /);
    expect(r.stderr).toBe([
      "warning: tests/fixtures/valid/full/waymark.yaml:9:13: environment variable CRM_SECRET is not set",
      "warning: tests/fixtures/valid/full/waymark.yaml:12:13: environment variable ADS_SECRET is not set",
      "",
    ].join("\n"));
  });

  it("warns about an email step whose template and step give no subject (it goes out as the template's name), without failing", async () => {
    const r = await runCli(["validate", "tests/fixtures/valid/untitled"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('warning: tests/fixtures/valid/untitled/trial.yaml:7:28: template "trial-welcome" has no subject and this step gives none: it goes out as "Trial welcome" (add subject: to its front matter or to the step)\n');
  });

  it("names files as the folder was given: an absolute folder gives absolute paths", async () => {
    const dir = join(ROOT, base, "missing-key");
    const r = await runCli(["validate", dir]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(`${dir}/trial.yaml:1:1: missing required key "entry"\n`);
    const dotted = await runCli(["validate", `./${base}/missing-key/`]);
    expect(dotted.stdout).toBe(`${base}/missing-key/trial.yaml:1:1: missing required key "entry"\n`);
  });

  it("reports a missing folder as a problem, exit 1", async () => {
    const r = await runCli(["validate", "tests/fixtures/no-such-folder"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^tests\/fixtures\/no-such-folder:1:1: cannot read journeys folder: [^\n]*\n$/);
    expect(r.stderr).toBe("1 problem: nothing would be deployed\n");
  });
});
