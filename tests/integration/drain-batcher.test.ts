// Drains of concurrent jobs coalesced (DrainBatcher) on a real Redis: fewer drains than jobs,
// journals equal simulate's, a contact never drained twice at once, one failure kept to its job.
import { describe, expect, it } from "vitest";
import type { Compiled } from "../../src/core/index.js";
import { DrainBatcher } from "../../src/adapters/pipeline/drain-batcher.js";
import { Metrics } from "../../src/adapters/metrics.js";
import { readJournal } from "../../src/adapters/redis/journal.js";
import { compileJourney, PINGS, simulate } from "../helpers.js";
import { engineFixture } from "./engine-fixture.js";

const f = engineFixture();
const deps = (c: Compiled) => f.deps(c);
const push = async (messages: object[]) => void (await f.push(messages));

const ts = Date.now() - 10_000;
const goPing = (id: string, dt = 0) => [
  { type: "track", userId: id, event: "Go", timestamp: new Date(ts + dt).toISOString() },
  { type: "track", userId: id, event: "Ping", timestamp: new Date(ts + dt + 1).toISOString() },
];

describe("coalesced drains", () => {
  it("drains the jobs that arrive while one drain is in flight together; journals equal simulate's", async () => {
    const messages = Array.from({ length: 40 }, (_, i) => goPing(`c${i}`, i)).flat();
    await push(messages);
    const flushed: string[][] = [];
    const b = new DrainBatcher(deps(PINGS), async (ids) => void flushed.push(ids), 64, 1);
    const done = await Promise.all(Array.from({ length: 40 }, (_, i) => b.drain([`c${i}`])));
    expect(done).toEqual(Array.from({ length: 40 }, () => 2));
    // The first job went alone; the 39 that arrived meanwhile went in one drain.
    expect(b.batches).toBe(2);
    const expected = simulate(PINGS, messages).records;
    for (const id of ["c0", "c1", "c39"]) expect(await readJournal(f.redis, f.engine.keys, id), id).toEqual(expected.filter((r) => r.contact === id));
    expect(await f.engine.inbox.backlog()).toBe(0);
  });

  it("caps a drain at `max` contacts and runs up to `parallel` at once", async () => {
    await push(Array.from({ length: 30 }, (_, i) => goPing(`m${i}`)).flat());
    const b = new DrainBatcher(deps(PINGS), async () => {}, 10, 2);
    const done = await Promise.all(Array.from({ length: 30 }, (_, i) => b.drain([`m${i}`])));
    expect(done.reduce((a, n) => a + n, 0)).toBe(60);
    // Two go alone at once; the 28 left take three drains of at most 10.
    expect(b.batches).toBe(5);
  });

  it("never drains a contact twice at once: a second job for it waits for the first", async () => {
    const messages = goPing("same");
    await push(messages);
    const metrics = new Metrics();
    const b = new DrainBatcher({ ...deps(PINGS), metrics }, async () => {}, 64, 2);
    const [first, second, other] = await Promise.all([b.drain(["same"]), b.drain(["same"]), b.drain(["else"])]);
    expect([first, second, other]).toEqual([2, 0, 0]);
    expect(await readJournal(f.redis, f.engine.keys, "same")).toEqual(simulate(PINGS, messages).records);
    // Not two evaluations of the same inputs, one of them refused at commit.
    expect((await metrics.conflicts.get()).values.reduce((n, v) => n + v.value, 0)).toBe(0);
  });

  it("fails only the job of a contact whose drain fails; the others are committed", async () => {
    const messages = [...goPing("ok1"), ...goPing("bad"), ...goPing("ok2")];
    await push(messages);
    // A stored state that does not decode (a tag byte, then garbage).
    await f.redis.hset(f.engine.keys.contact("bad"), "s", Buffer.from([1, 0xff, 0xfe, 0x00]), "v", "1");
    const b = new DrainBatcher(deps(PINGS), async () => {}, 64, 1);
    const out = await Promise.allSettled([b.drain(["ok1"]), b.drain(["bad"]), b.drain(["ok2"])]);
    expect(out.map((o) => o.status)).toEqual(["fulfilled", "rejected", "fulfilled"]);
    const expected = simulate(PINGS, messages).records;
    for (const id of ["ok1", "ok2"]) expect(await readJournal(f.redis, f.engine.keys, id)).toEqual(expected.filter((r) => r.contact === id));
    expect(await f.redis.llen(f.engine.keys.inbox("bad"))).toBe(2);
  });

  it("fails every job of a drain whose effects could not be queued (they wait in the outbox)", async () => {
    await push([...goPing("e1"), ...goPing("e2")]);
    const compiled = compileJourney(`
id: ho
entry: { event: Go }
stages: [ { id: a } ]
triggers: [ { id: h, on: journey.entered, do: [ { handoff: { to: crm, team: sales, sla: 1h } } ] } ]
`, { workspace: "endpoints:\n  crm: { url: 'http://127.0.0.1:9/hooks', secret: '${CRM_SECRET}' }\n", env: { CRM_SECRET: "whsec_ZGVtby1zZWNyZXQtbm90LWZvci1wcm9kdWN0aW9u" } });
    const b = new DrainBatcher(deps(compiled), async () => { throw new Error("queue down"); }, 64, 1);
    const out = await Promise.allSettled([b.drain(["e1"]), b.drain(["e2"])]);
    expect(out.map((o) => o.status)).toEqual(["rejected", "rejected"]);
    // Both hand-offs were committed; their webhooks wait in the outbox for the sweep.
    expect(await f.redis.zcard(f.engine.keys.outbox)).toBe(2);
    expect(await f.engine.inbox.backlog()).toBe(0);
  });
});
