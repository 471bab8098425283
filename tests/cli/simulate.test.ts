/**
 * `waymark simulate`: the journal as NDJSON on stdout and nothing else; the virtual clock
 * (up to the last event or `--until`); bad input files named by `file:line`; hand-off acks.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXAMPLE, ensureBuilt, parseNdjson, ROOT, runCli } from "./run-cli.js";

beforeAll(ensureBuilt);

const FIX = "tests/fixtures/simulate";
const HANDOFF = `${FIX}/journeys`; // demo-handoff: hand-off with a 2h SLA, then wait 1d, then set a trait
const tmp = mkdtempSync(join(tmpdir(), "waymark-simulate-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

const simulate = (journeys: string, events: string, ...extra: string[]) =>
  runCli(["simulate", "--journeys", journeys, "--events", events, ...extra]);

/** Runs shared by several tests (each spawn costs a Node start-up). */
const once = <T>(f: () => Promise<T>) => { let p: Promise<T> | undefined; return () => (p ??= f()); };
const exampleRun = once(() => simulate(`${EXAMPLE}/journeys`, `${EXAMPLE}/events.ndjson`));
const demoRun = once(() => simulate(HANDOFF, `${FIX}/events/demo.ndjson`));

/** Records reduced to `at type` plus one distinguishing field, for compact assertions. */
const brief = (records: Record<string, unknown>[]) => records.map((r) => {
  const detail = String(r["type"]).startsWith("handoff.") ? r["team"] : r["trigger"] ?? r["stage"] ?? r["segment"] ?? r["template"] ?? r["endpoint"] ?? r["team"] ?? r["reason"] ?? r["goal"] ?? r["traits"];
  return `${String(r["at"])} ${String(r["type"])}${detail === undefined ? "" : ` ${JSON.stringify(detail)}`}`;
});

describe.concurrent("waymark simulate on the contract's example", () => {
  it("prints only NDJSON journal records, nothing on stderr, exit 0", async () => {
    const r = await exampleRun();
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout.endsWith("\n")).toBe(true);
    const records = parseNdjson(r.stdout);
    expect(records.length).toBeGreaterThanOrEqual(10);
    for (const rec of records) {
      expect(rec).toMatchObject({ at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), contact: "lea", type: expect.any(String) });
    }
    const expected = parseNdjson(readFileSync(join(ROOT, EXAMPLE, "expected.ndjson"), "utf8"));
    for (const want of expected) expect(records).toContainEqual(expect.objectContaining(want));
  });

  it("replays events in timestamp order whatever their order in the file", async () => {
    const lines = readFileSync(join(ROOT, EXAMPLE, "events.ndjson"), "utf8").split("\n").filter((l) => l.trim());
    const shuffled = join(tmp, "reversed.ndjson");
    writeFileSync(shuffled, `${[...lines].reverse().join("\n")}\n`);
    const [inOrder, reversed] = await Promise.all([
      exampleRun(),
      simulate(`${EXAMPLE}/journeys`, shuffled),
    ]);
    expect(reversed.code).toBe(0);
    expect(reversed.stdout).toBe(inOrder.stdout);
    const at = parseNdjson(reversed.stdout).map((x) => String(x["at"]));
    expect(at).toEqual([...at].sort());
  });

  it("skips a message that repeats an earlier one's messageId, as ingest does", async () => {
    const lines = readFileSync(join(ROOT, EXAMPLE, "events.ndjson"), "utf8").split("\n").filter((l) => l.trim());
    const tagged = lines.map((l, i) => JSON.stringify({ ...JSON.parse(l), messageId: `m-${i}` }));
    // Each message sent twice, the copy an hour later: a client retrying after a lost answer.
    const twice = tagged.flatMap((l) => [l, JSON.stringify({ ...JSON.parse(l), timestamp: new Date(Date.parse(JSON.parse(l).timestamp) + 3_600_000).toISOString() })]);
    const file = join(tmp, "twice.ndjson");
    writeFileSync(file, `${twice.join("\n")}\n`);
    const [once, dup] = await Promise.all([exampleRun(), simulate(`${EXAMPLE}/journeys`, file)]);
    expect(dup.code).toBe(0);
    expect(dup.stdout).toBe(once.stdout);
  });

  it("check.mjs (through npx --no-install waymark) finds every expected record", () => {
    const r = spawnSync(process.execPath, [`${EXAMPLE}/check.mjs`], { cwd: ROOT, encoding: "utf8", timeout: 60_000 });
    expect(r.stdout).toContain("example matches the contract");
    expect(r.status).toBe(0);
  });

  it("stays silent on stderr when not a TTY, even past the 10,000-event progress mark", async () => {
    const file = join(tmp, "many.ndjson");
    const start = Date.parse("2026-05-04T16:00:00.000Z");
    const lines = Array.from({ length: 10_500 }, (_, i) => JSON.stringify({
      type: "page", userId: `u${i % 50}`, properties: { category: i % 3 ? "blog" : "pricing" }, timestamp: new Date(start + i * 60_000).toISOString(),
    }));
    lines.unshift(JSON.stringify({ type: "track", userId: "u1", event: "Webinar Attended", timestamp: new Date(start - 1).toISOString() }));
    writeFileSync(file, `${lines.join("\n")}\n`);
    const r = await simulate(`${EXAMPLE}/journeys`, file);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(parseNdjson(r.stdout).length).toBeGreaterThan(0);
  });
});

describe.concurrent("the virtual clock", () => {
  const demo = `${FIX}/events/demo.ndjson`; // identify at 09:00, Demo Requested at 10:00 on 2026-05-04
  const opened = [
    '2026-05-04T10:00:00.000Z journey.entered',
    '2026-05-04T10:00:00.000Z stage.entered "new"',
    '2026-05-04T10:00:00.000Z trigger.fired "route"',
    '2026-05-04T10:00:00.000Z handoff.opened "sales"',
  ];
  const breached = [
    '2026-05-04T12:00:00.000Z handoff.breached "sales"',
    '2026-05-04T12:00:00.000Z trigger.fired "escalate"',
    '2026-05-04T12:00:00.000Z webhook.sent "sales-crm"',
  ];
  const followUp = '2026-05-05T10:00:00.000Z trait.set {"followedUp":true}';

  it("stops at the last event: nothing falls due after it", async () => {
    const r = await demoRun();
    expect(r.code).toBe(0);
    expect(brief(parseNdjson(r.stdout))).toEqual(opened);
  });

  it("--until runs the clock on: the SLA breach fires at exactly entry + 2h", async () => {
    const r = await simulate(HANDOFF, demo, "--until", "2026-05-04T12:00:00.000Z");
    expect(brief(parseNdjson(r.stdout))).toEqual([...opened, ...breached]);
  });

  it("a wait of 1d resumes at exactly entry + 1d, not a millisecond before", async () => {
    const [before, at] = await Promise.all([
      simulate(HANDOFF, demo, "--until", "2026-05-05T09:59:59.999Z"),
      simulate(HANDOFF, demo, "--until", "2026-05-05T10:00:00.000Z"),
    ]);
    expect(brief(parseNdjson(before.stdout))).toEqual([...opened, ...breached]);
    expect(brief(parseNdjson(at.stdout))).toEqual([...opened, ...breached, followUp]);
  });

  it("rejects an --until that is not an instant (exit 2)", async () => {
    const r = await simulate(HANDOFF, demo, "--until", "next tuesday");
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("expected an ISO 8601 instant");
  });
});

describe.concurrent("hand-off acknowledgements in the events file", () => {
  it("an ack by userId and team resolves the contact's open hand-off: no breach", async () => {
    const r = await simulate(HANDOFF, `${FIX}/events/ack-by-team.ndjson`, "--until", "2026-05-06T00:00:00.000Z");
    expect(r.code).toBe(0);
    const records = parseNdjson(r.stdout);
    const id = records.find((x) => x["type"] === "handoff.opened")?.["handoff"];
    expect(id).toEqual(expect.any(String));
    expect(records).toContainEqual(expect.objectContaining({ type: "handoff.resolved", at: "2026-05-04T11:00:00.000Z", handoff: id, team: "sales" }));
    expect(records.filter((x) => x["type"] === "handoff.breached")).toEqual([]);
    expect(records.at(-1)).toMatchObject({ type: "trait.set", at: "2026-05-05T10:00:00.000Z" });
  });

  it("an ack by hand-off id (taken from a first run's handoff.opened) resolves it", async () => {
    const first = parseNdjson((await demoRun()).stdout);
    const id = first.find((x) => x["type"] === "handoff.opened")?.["handoff"];
    expect(id).toEqual(expect.any(String));
    const file = join(tmp, "ack-by-id.ndjson");
    writeFileSync(file, `${readFileSync(join(ROOT, FIX, "events/demo.ndjson"), "utf8")}`
      + `${JSON.stringify({ type: "ack", handoff: id, timestamp: "2026-05-04T11:30:00.000Z" })}\n`);
    const r = await simulate(HANDOFF, file, "--until", "2026-05-04T13:00:00.000Z");
    expect(r.code).toBe(0);
    const records = parseNdjson(r.stdout);
    expect(records).toContainEqual(expect.objectContaining({ type: "handoff.resolved", at: "2026-05-04T11:30:00.000Z", handoff: id, contact: "sam" }));
    expect(records.filter((x) => x["type"] === "handoff.breached")).toEqual([]);
  });
});

describe.concurrent("unusable input", () => {
  // As ingest takes the rest of a batch: the bad lines are named on stderr, the others are
  // replayed (the journal on stdout), and the exit code says something was left out.
  it("a line that is not JSON: named with file:line on stderr, the rest replayed, exit 2", async () => {
    const file = `${FIX}/events/bad-json.ndjson`; // line 2 is blank, line 3 is cut short
    const r = await simulate(HANDOFF, file);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe(""); // line 1, an identify, records nothing in these journeys (the next test replays more)
    expect(r.stderr).toMatch(new RegExp(`^${escape(file)}:3: invalid JSON: .+\\nsimulate: 1 line rejected; the journal covers the other 1 message\\n$`));
  });

  it("invalid Segment messages (track without event, alias without ids): each named, the valid ones replayed", async () => {
    const file = join(tmp, "invalid-messages.ndjson");
    const lines = readFileSync(join(ROOT, FIX, "events/demo.ndjson"), "utf8").trim().split("\n");
    writeFileSync(file, [lines[0], '{"type":"track","userId":"sam","timestamp":"2026-05-04T09:30:00.000Z"}', ...lines.slice(1), '{"type":"alias","userId":"sam"}', ""].join("\n"));
    const [bad, good] = await Promise.all([simulate(HANDOFF, file), demoRun()]);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toBe(good.stdout);
    const n = lines.length + 2;
    expect(bad.stderr).toBe([
      `${file}:2: invalid message at event: Invalid input: expected string, received undefined`,
      `${file}:${n}: invalid message at previousId: an alias needs a previousId (or an anonymousId) to link to its userId`,
      `simulate: 2 lines rejected; the journal covers the other ${lines.length} messages`, "",
    ].join("\n"));
  });

  it("an events file that cannot be read: exit 2, one line naming it", async () => {
    const r = await simulate(HANDOFF, join(tmp, "missing.ndjson"));
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(new RegExp(`^${escape(join(tmp, "missing.ndjson"))}: cannot read the events file: ENOENT.*\\n$`));
  });

  it("invalid journeys: exit 1, the problems on stderr, nothing on stdout", async () => {
    const r = await simulate("tests/fixtures/broken/month-duration", `${EXAMPLE}/events.ndjson`);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe([
      'tests/fixtures/broken/month-duration/trial.yaml:3:19: "P1M" is not a duration: months and years vary in length; use days or weeks (e.g. 30d, 4w)',
      'tests/fixtures/broken/month-duration/trial.yaml:6:11: "1mo" is not a duration: months and years vary in length; use days or weeks (e.g. 30d, 4w)',
      "",
    ].join("\n"));
  });
});
