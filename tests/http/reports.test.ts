// Reports over time ranges: the contract's worked example through the live engine, then
// the funnel report and attribution (the journey's model from the counters, another model
// recomputed from the kept touchpoints), as JSON and CSV; a range without the events
// counts no flows but keeps the levels.
import { afterEach, describe, expect, it } from "vitest";
import { attribute, type JournalRecord } from "../../src/core/index.js";
import { exampleDeployable, exampleEvents } from "../example.js";
import { compileJourney, simulate } from "../helpers.js";
import { admin, basic, closeAll, get, journalUntil, post, startServer, WRITE_KEY } from "./server.js";

afterEach(closeAll);

describe("reports", () => {
  it("gives the funnel and attribution of a time range, as JSON and CSV", async () => {
    const d = await exampleDeployable();
    const events = exampleEvents();
    const expected = simulate(d.compiled, events).records;
    const s = await startServer(d);
    expect((await post(`${s.base}/v1/batch`, { batch: events }, { authorization: basic(WRITE_KEY) })).status).toBe(200);
    await journalUntil(s, "lea", (j) => j.length >= expected.length);
    const count = (t: string) => expected.filter((r) => r.type === t).length;
    const j = d.compiled.journeys[0]!;
    const from = events[0]!.timestamp.slice(0, 10) + "T00:00:00.000Z";
    const to = "2026-06-30T00:00:00.000Z";

    const rep = await get(`${s.base}/v1/journeys/${j.id}/report?from=${from}&to=${to}`);
    expect(rep.status).toBe(200);
    expect(rep.body).toMatchObject({ journey: j.id, from, to, granularity: "day", kpis: { entered: count("journey.entered"), goals: count("goal.reached") } });
    const stages = rep.body["stages"] as { stage: string; entered: number }[];
    expect(stages.map((x) => x.stage)).toEqual(j.stages.map((x) => x.id));
    expect(stages.reduce((n, x) => n + x.entered, 0)).toBe(count("stage.entered"));
    const csv = await fetch(`${s.base}/v1/journeys/${j.id}/report?from=${from}&to=${to}`, { headers: { ...admin, accept: "text/csv" } });
    const lines = (await csv.text()).trim().split("\r\n");
    expect(lines[0]).toBe("stage,now,entered,toNext,converted,dropped,left,avgMsInStage,medianMsInStage,stalled,stalledAfterMs");
    expect(lines).toHaveLength(1 + j.stages.length);

    // The journey's own model: credit summed from the counters, one per goal.
    const own = await get(`${s.base}/v1/journeys/${j.id}/attribution?from=${from}&to=${to}`);
    expect(own.body["model"]).toBe(j.attribution!.model);
    const conv = expected.find((r) => r.type === "conversion.attributed")! as JournalRecord & { credits: { at: string; event: string; channel: string; credit: number }[] };
    const byChannel = (cs: { channel: string; credit: number }[]) => {
      const m: Record<string, number> = {};
      for (const c of cs) m[c.channel] = (m[c.channel] ?? 0) + c.credit;
      return m;
    };
    const got = Object.fromEntries((own.body["channels"] as { channel: string; credit: number }[]).map((c) => [c.channel, c.credit]));
    for (const [ch, v] of Object.entries(byChannel(conv.credits))) expect(got[ch]).toBeCloseTo(v, 3);

    // Another model, recomputed from the touchpoints kept with the conversion.
    const lin = await get(`${s.base}/v1/journeys/${j.id}/attribution?model=linear&from=${from}&to=${to}`);
    const want = byChannel(attribute("linear", conv.credits.map((c) => ({ at: Date.parse(c.at), event: c.event, channel: c.channel })), Date.parse(conv.at), 7 * 86_400_000, {}));
    const gotLin = Object.fromEntries((lin.body["channels"] as { channel: string; credit: number }[]).map((c) => [c.channel, c.credit]));
    for (const [ch, v] of Object.entries(want)) expect(gotLin[ch]).toBeCloseTo(v, 3);
    const linCsv = await (await fetch(`${s.base}/v1/journeys/${j.id}/attribution?model=linear&from=${from}&to=${to}&format=csv`, { headers: admin })).text();
    expect(linCsv.split("\r\n")[0]).toBe("channel,credit,share");

    // A range without the events: no flows, levels unchanged.
    const empty = await get(`${s.base}/v1/journeys/${j.id}/report?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z`);
    // (Hour counters are kept 8 days: an older range is counted by day.)
    expect(empty.body).toMatchObject({ granularity: "day", kpis: { entered: 0, goals: 0 } });
    const recent = await get(`${s.base}/v1/journeys/${j.id}/report?from=${new Date(Date.now() - 3_600_000).toISOString()}`);
    expect(recent.body).toMatchObject({ granularity: "hour", kpis: { entered: 0 } });
    const nowAll = (rep.body["stages"] as { now: number }[]).map((x) => x.now);
    expect((empty.body["stages"] as { now: number }[]).map((x) => x.now)).toEqual(nowAll);

    expect((await get(`${s.base}/v1/journeys/${j.id}/report?from=yesterday`)).status).toBe(400);
    expect((await get(`${s.base}/v1/journeys/${j.id}/report?from=${to}&to=${from}`)).status).toBe(400);
    expect((await get(`${s.base}/v1/journeys/nope/report`)).status).toBe(404);
    expect((await get(`${s.base}/v1/journeys/${j.id}/attribution?model=best`)).status).toBe(400);
  });
});

describe("stalled contacts", () => {
  it("counts contacts in a stage past its stalled trigger's `for`, and forgets them when they move on", async () => {
    const compiled = compileJourney(`
id: slow
entry: { event: Start }
stages:
  - id: waiting
  - id: done
    when: { performed: { event: Finish } }
triggers:
  - { id: nudge, on: { stalled: { stage: waiting, for: 1s } }, do: [ { set: { nudged: true } } ] }
`);
    const s = await startServer({ compiled });
    const ingest = { authorization: basic(WRITE_KEY) };
    const ts = () => new Date().toISOString();
    await post(`${s.base}/v1/batch`, { batch: [{ type: "track", userId: "s1", event: "Start", timestamp: ts() }, { type: "track", userId: "s2", event: "Start", timestamp: ts() }] }, ingest);
    const stalled = async () => {
      const r = await fetch(`${s.base}/dashboard/data`, { headers: admin });
      const j = ((await r.json()) as { journeys: { stages: { stage: string; stalled: number; stalledAfterMs: number }[] }[] }).journeys[0]!;
      return j.stages[0]!;
    };
    await journalUntil(s, "s2", (j) => j.some((r) => r.type === "stage.entered"));
    expect(await stalled()).toMatchObject({ stage: "waiting", stalled: 0, stalledAfterMs: 1_000 });
    await journalUntil(s, "s1", (j) => j.some((r) => r.type === "trigger.fired"), 5_000);
    await post(`${s.base}/v1/track`, { userId: "s2", event: "Finish", timestamp: ts() }, ingest);
    await journalUntil(s, "s2", (j) => j.filter((r) => r.type === "stage.entered").length === 2);
    expect((await stalled()).stalled).toBe(1);
  });
});
