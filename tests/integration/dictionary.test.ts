// Deployment dictionaries (src/adapters/redis/dictionary.ts) on a real Redis: states and
// journal chunks are written against the deployment's strings, the strings are kept in Redis,
// and a process that never compiled that deployment (a child process here) reads them back;
// contacts written under an earlier deployment stay readable after a redeploy.
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import type { Compiled } from "../../src/core/index.js";
import { drain } from "../../src/adapters/pipeline/drain.js";
import { decodeState, encodeState, registerDictionary } from "../../src/adapters/redis/codec.js";
import { unpackContact } from "../../src/adapters/redis/contact-record.js";
import { deploymentStrings, dictionaryOf } from "../../src/adapters/redis/dictionary.js";
import { readJournal } from "../../src/adapters/redis/journal.js";
import { readState } from "../../src/adapters/redis/state.js";
import { compileJourney, PINGS, simulate } from "../helpers.js";
import { engineFixture } from "./engine-fixture.js";
import { redisUrl } from "./redis.js";

const run = promisify(execFile);
const f = engineFixture();

async function evaluate(compiled: Compiled, messages: object[]): Promise<void> {
  for (const c of await f.push(messages)) await drain(f.deps(compiled), c);
}

/** Reads a contact's journal and state in a fresh Node process (which knows no dictionary). */
async function readElsewhere(contact: string): Promise<{ journal: unknown; state: unknown }> {
  const script = `
    import { Redis } from "ioredis";
    import { Keys } from "./dist/adapters/redis/keys.js";
    import { readJournal } from "./dist/adapters/redis/journal.js";
    import { readState } from "./dist/adapters/redis/state.js";
    const r = new Redis(process.argv[1]);
    const k = new Keys(process.argv[2]);
    try {
      console.log(JSON.stringify({ journal: await readJournal(r, k, process.argv[3]), state: await readState(r, k, process.argv[3]) }));
    } finally { r.disconnect(); }`;
  const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script, await redisUrl(), f.prefix, contact], { cwd: process.cwd() });
  return JSON.parse(stdout) as { journal: unknown; state: unknown };
}

const ts = Date.now() - 60_000;
const ping = (id: string, i: number) => ({ type: "track", userId: id, event: i === 0 ? "Go" : "Ping", timestamp: new Date(ts + i).toISOString() });
const RENAMED = compileJourney(`
id: pings-renamed
entry: { event: Go }
stages: [ { id: first-stage } ]
triggers: [ { id: on-ping, on: { event: Ping }, do: [ { set: { pinged: true } } ] } ]
`);

describe("deployment dictionaries", () => {
  it("compresses against the deployment's strings, keeps them in Redis, and another process reads them back", async () => {
    const msgs = [0, 1, 2].map((i) => ping("dz", i));
    await evaluate(PINGS, msgs);
    const d = dictionaryOf(PINGS);
    expect(d.strings.toString()).toContain("pings");
    const { stored, open } = unpackContact((await f.redis.getBuffer(f.engine.keys.contact("dz")))!);
    // State 0x05 and chunk 0x06, each naming the dictionary.
    expect([stored![0], stored!.readUInt32BE(1)]).toEqual([0x05, d.id]);
    expect([open![0], open!.readUInt32BE(3)]).toEqual([0x06, d.id]);
    expect(await f.redis.hgetBuffer(f.engine.keys.dictionaries, String(d.id))).toEqual(d.strings);
    const journal = await readJournal(f.redis, f.engine.keys, "dz");
    expect(journal).toEqual(simulate(PINGS, msgs).records);
    expect(await readElsewhere("dz")).toEqual(JSON.parse(JSON.stringify({ journal, state: await readState(f.redis, f.engine.keys, "dz") })));
  });

  it("saves bytes: a state stored against the deployment's strings is smaller than against the fixed dictionary alone", async () => {
    await evaluate(RENAMED, [0, 1].map((i) => ping("ds", i)));
    const state = (await readState(f.redis, f.engine.keys, "ds"))!;
    expect(encodeState(state, dictionaryOf(RENAMED)).length).toBeLessThan(encodeState(state).length);
  });

  it("reads contacts written under an earlier deployment after a redeploy, and writes new ones under the new", async () => {
    await evaluate(PINGS, [0, 1].map((i) => ping("dr", i)));
    await evaluate(RENAMED, [{ ...ping("dr", 0), timestamp: new Date(ts + 2).toISOString() }, ping("dr", 3)]);
    const ids = (await f.redis.hkeys(f.engine.keys.dictionaries)).map(Number).sort();
    expect(ids).toEqual([dictionaryOf(PINGS).id, dictionaryOf(RENAMED).id].sort());
    const { stored } = unpackContact((await f.redis.getBuffer(f.engine.keys.contact("dr")))!);
    expect(stored!.readUInt32BE(1)).toBe(dictionaryOf(RENAMED).id);
    const journal = await readJournal(f.redis, f.engine.keys, "dr");
    expect(journal.map((r) => r.journey)).toEqual(expect.arrayContaining(["pings", "pings-renamed"]));
    expect((await readElsewhere("dr")).journal).toEqual(JSON.parse(JSON.stringify(journal)));
  });

  it("names the dictionary when Redis lost it or holds other strings under its id, instead of reading garbage", async () => {
    await evaluate(PINGS, [0, 1].map((i) => ping("dl", i)));
    const id = String(dictionaryOf(PINGS).id);
    await f.redis.hset(f.engine.keys.dictionaries, id, "other strings");
    await expect(readElsewhere("dl")).rejects.toThrow(`dictionary ${id} in ${f.engine.keys.dictionaries} does not match its id`);
    await f.redis.del(f.engine.keys.dictionaries);
    await expect(readElsewhere("dl")).rejects.toThrow(`dictionary ${id} is named by a stored contact but missing`);
  });

  it("writes nothing with a dictionary when Redis holds other strings under its id", async () => {
    await f.redis.hset(f.engine.keys.dictionaries, String(dictionaryOf(PINGS).id), "other strings");
    await expect(evaluate(PINGS, [ping("dx", 0)])).rejects.toThrow("holds other strings under this id");
    expect(await f.redis.exists(f.engine.keys.contact("dx"))).toBe(0);
    expect(await f.redis.llen(f.engine.keys.inbox("dx"))).toBe(1);
  });

  it("derives the same strings from the same deployment, and registers a dictionary once", () => {
    expect(deploymentStrings(compileJourney(`
id: pings
entry: { event: Go }
stages: [ { id: a } ]
triggers: [ { id: t, on: { event: Ping }, do: [ { set: { pinged: true } } ] } ]
`))).toEqual(deploymentStrings(PINGS));
    const d = registerDictionary(Buffer.from("x-strings"));
    expect(registerDictionary(Buffer.from("x-strings"))).toBe(d);
    const s = decodeState(encodeState(simulate(PINGS, [ping("dq", 0)]).sim.contacts.get("dq")!, d));
    expect(s.id).toBe("dq");
  });
});
