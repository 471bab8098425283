// The contract's worked example posted one message at a time (each request awaited), as a
// test harness or a replay would: its events are months old, so the wake-ups each one
// schedules are overdue at once. They wait the grace (WAYMARK_OVERDUE_WAKE_GRACE_MS) for
// the next messages, so the journal equals `simulate`'s as when the file goes in one batch.
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { exampleDeployable, exampleEvents } from "../example.js";
import { simulate } from "../helpers.js";
import { stopRedis, until } from "../integration/redis.js";
import { WRITE_KEY, basic, closeAll, journalUntil, post, startServer, type TestServer } from "./server.js";

afterEach(closeAll);
afterAll(stopRedis);

/**
 * Posts each message to its route and waits until it is evaluated (its own drain) before the
 * next, then `pauseMs` more.
 */
async function postOneByOne(s: TestServer, events: ReturnType<typeof exampleEvents>, contact: string, pauseMs = 0): Promise<void> {
  for (const e of events) {
    const res = await post(`${s.base}/v1/${e.type}`, { ...e, userId: contact }, { authorization: basic(WRITE_KEY) });
    expect(res.status).toBe(200);
    await until(async () => (await s.engine.inbox.backlog()) === 0);
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
  }
}

describe("messages for the past, posted one by one", () => {
  it("end in the same journal as simulate's, record for record (effect ids included)", async () => {
    const deployable = await exampleDeployable();
    const events = exampleEvents();
    const expected = simulate(deployable.compiled, events.map((e) => ({ ...e, userId: "one" }))).records;
    expect(expected.map((r) => r.type)).toContain("goal.reached");
    const s = await startServer(deployable);
    await postOneByOne(s, events, "one");
    const got = await journalUntil(s, "one", (j) => j.length >= expected.length);
    expect(got).toEqual(expected);
  });

  it("paced: each message within the grace of the one before, the whole file far beyond it", async () => {
    // The grace runs again from each drain that leaves an overdue wake-up waiting, not only
    // from the drain that scheduled it.
    const deployable = await exampleDeployable();
    const events = exampleEvents();
    const expected = simulate(deployable.compiled, events.map((e) => ({ ...e, userId: "paced" }))).records;
    const s = await startServer({ ...deployable, env: { WAYMARK_OVERDUE_WAKE_GRACE_MS: "600" } });
    const t0 = Date.now();
    await postOneByOne(s, events, "paced", 300);
    expect(Date.now() - t0).toBeGreaterThan(3 * 600);
    const got = await journalUntil(s, "paced", (j) => j.length >= expected.length);
    expect(got).toEqual(expected);
  });

  it("an overdue wake-up no later message catches up fires once the grace is over", async () => {
    const deployable = await exampleDeployable();
    const events = exampleEvents().slice(0, 2).map((e) => ({ ...e, userId: "three" }));
    // Live, every wake-up up to now falls due: simulate's clock runs to now too.
    const expected = simulate(deployable.compiled, events, new Date().toISOString()).records;
    expect(expected.map((r) => r.type)).toContain("email.sent");
    expect(expected.at(-1)!.at > events.at(-1)!.timestamp).toBe(true);
    const s = await startServer({ ...deployable, env: { WAYMARK_OVERDUE_WAKE_GRACE_MS: "300" } });
    await postOneByOne(s, events, "three");
    const got = await journalUntil(s, "three", (j) => j.length >= expected.length);
    expect(got).toEqual(expected);
  });

  it("without the grace, the overdue wake-ups fire between the messages and the journal differs", async () => {
    // The failure the grace prevents: the check above is not vacuous.
    const deployable = await exampleDeployable();
    const events = exampleEvents();
    const expected = simulate(deployable.compiled, events.map((e) => ({ ...e, userId: "two" }))).records;
    const s = await startServer({ ...deployable, env: { WAYMARK_OVERDUE_WAKE_GRACE_MS: "0" } });
    await postOneByOne(s, events, "two");
    const got = await journalUntil(s, "two", (j) => j.some((r) => r.type === "journey.exited"));
    expect(got.map((r) => `${r.at} ${r.type}`)).not.toEqual(expected.map((r) => `${r.at} ${r.type}`));
  });
});
