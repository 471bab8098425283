// The showcase: every example journey validates, and each demo stream produces what the
// journey's header comment promises (a few telling records per journey).
import { readdirSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { loadJourneyFolder } from "../../src/adapters/journey-files.js";
import { readEvents } from "../../src/cli/simulate.js";
import { compile, Simulator, type JournalRecord } from "../../src/core/index.js";

const load = await loadJourneyFolder("journeys", { env: {} });

async function journal(file: string): Promise<JournalRecord[]> {
  if (!load.ok) throw new Error("journeys/ does not validate");
  const records: JournalRecord[] = [];
  const sim = new Simulator(compile(load.definitions), { record: (r) => records.push(r) });
  const { events, rejected } = await readEvents(`journeys/events/${file}`);
  expect(rejected).toEqual([]);
  for (const e of events) sim.apply(e);
  sim.advance(events[events.length - 1]!.at);
  return records;
}

const promised: Record<string, Partial<JournalRecord>[]> = {
  "trial-to-paid.ndjson": [
    { contact: "maya", type: "score.crossed", threshold: "mql", score: 77.59 },
    { contact: "maya", type: "handoff.resolved", team: "sales", owner: "ana.lopez", by: "ack" },
    { contact: "maya", type: "score.crossed", threshold: "sql" },
    { contact: "maya", type: "goal.reached", goal: "Subscription Started" },
    { contact: "omar", type: "handoff.breached", at: "2026-06-05T21:00:00.000Z", owner: "ben.okafor" },
    { contact: "omar", type: "email.deferred", reason: "quiet-hours", until: "2026-06-06T06:00:00.000Z" },
    { contact: "omar", type: "handoff.resolved", by: "event", breached: true },
    { contact: "sam", type: "journey.exited", reason: "exit" },
    { contact: "tess", type: "journey.exited", reason: "exit" },
  ],
  "cart-abandonment.ndjson": [
    { contact: "dana", type: "goal.reached", goal: "Order Completed" },
    { contact: "dana", type: "conversion.attributed", model: "time-decay" },
    { contact: "hugo", type: "email.deferred", template: "cart-reminder", until: "2026-07-07T11:00:00.000Z" },
    { contact: "hugo", type: "journey.exited", reason: "step" },
    { contact: "fay", type: "audience.removed", audience: "cart-abandoners", reason: "ttl" },
    { contact: "kenta", type: "journey.entered", holdout: true },
  ],
  "webinar-nurture.ndjson": [
    { contact: "priya", type: "split.assigned", split: "case-study-subject", variant: "b" },
    { contact: "jonas", type: "split.assigned", split: "case-study-subject", variant: "a" },
    { contact: "priya", type: "conversion.attributed", model: "position-based" },
    { contact: "jonas", type: "audience.removed", audience: "webinar-stalled", reason: "ttl" },
  ],
  "retention-advocacy.ndjson": [
    { contact: "ivan", type: "handoff.breached", team: "customer-success" },
    { contact: "ivan", type: "handoff.resolved", by: "event", breached: true },
    { contact: "hana", type: "goal.reached", goal: "Referral Sent" },
    { contact: "hana", type: "audience.removed", audience: "promoters-lookalike", reason: "ttl" },
    { contact: "marco", type: "journey.exited", reason: "exit" },
  ],
  "roi-calculator.ndjson": [
    { contact: "noah", type: "handoff.resolved", by: "ack", owner: "dev.patel" },
    { contact: "noah", type: "goal.reached", goal: "Meeting Booked" },
    { contact: "zoe", type: "handoff.breached", owner: "erin.walsh" },
  ],
  "newsletter-welcome.ndjson": [
    { contact: "ola", type: "goal.reached", goal: "Order Completed" },
    { contact: "ola", type: "conversion.attributed", model: "first" },
    { contact: "ben", type: "journey.exited", reason: "step" },
  ],
};

describe("example journeys", () => {
  it("validate", () => {
    expect(load.ok ? [] : load.problems).toEqual([]);
  });

  it("each has a demo stream", () => {
    expect(readdirSync("journeys/events").sort()).toEqual(Object.keys(promised).sort());
  });

  for (const [file, records] of Object.entries(promised)) {
    it(`${file} shows what its journey promises`, async () => {
      const got = await journal(file);
      for (const want of records) expect(got).toContainEqual(expect.objectContaining(want));
    });
  }
});
