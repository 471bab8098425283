// readForEmail (src/adapters/actions/email-read.ts) on a real Redis: the outcome, the
// unsubscribe mark and the record in one read; a merged contact read under the user it
// lives in now, its mark under either id.
import { describe, expect, it } from "vitest";
import { newContact } from "../../src/core/index.js";
import { readForEmail } from "../../src/adapters/actions/email-read.js";
import { decodeState, encodeChunk, encodeState, entryLines } from "../../src/adapters/redis/codec.js";
import { packRecord } from "./records.js";
import { engineFixture } from "./engine-fixture.js";

const f = engineFixture();
const T = Date.parse("2026-03-02T09:00:00.000Z");

/** A contact stored as a hash of the state and version (the older form, read as such). */
async function store(id: string, traits: Record<string, unknown>): Promise<void> {
  await f.redis.hset(f.engine.keys.contact(id), "s", encodeState({ ...newContact(id, T), traits }), "v", "2");
}

describe("what an email reads before it is sent", () => {
  it("one contact: its outcome, its mark and its record", async () => {
    const k = f.engine.keys;
    await store("solo", { email: "solo@example.com" });
    let r = await readForEmail(f.redis, k, "fx_1", "solo");
    expect([r.prev, r.current, r.unsubscribed, (await r.record()).version]).toEqual([null, "solo", false, "2"]);
    expect(decodeState((await r.record()).stored!).traits).toEqual({ email: "solo@example.com" });
    await f.redis.set(k.effect("fx_1"), "sent");
    await f.redis.set(k.unsubscribed("solo"), "1");
    r = await readForEmail(f.redis, k, "fx_1", "solo");
    expect([r.prev, r.unsubscribed]).toEqual(["sent", true]);
    // No record at all: nothing stored, nothing thrown.
    r = await readForEmail(f.redis, k, "fx_2", "nobody");
    expect([r.current, (await r.record()).stored, r.unsubscribed]).toEqual(["nobody", null, false]);
  });

  it("a record in its string form; an unreadable one fails only when decoded, so a sent email's job still returns", async () => {
    const k = f.engine.keys;
    await f.redis.set(k.contact("str"), packRecord(6, 0, encodeState({ ...newContact("str", T), traits: { plan: "team" } }), encodeChunk(["~fx_s"])));
    const r = await readForEmail(f.redis, k, "fx_s", "str");
    const c = await r.record();
    expect(c.version).toBe("6");
    expect(decodeState(c.stored!).traits).toEqual({ plan: "team" });
    expect(entryLines(c.open!)).toEqual(["~fx_s"]);
    await f.redis.set(k.contact("bad"), "not a record");
    await f.redis.set(k.effect("fx_b"), "sent");
    const bad = await readForEmail(f.redis, k, "fx_b", "bad");
    expect(bad.prev).toBe("sent");
    await expect(bad.record()).rejects.toThrow("unknown format");
  });

  it("a merged contact: the user's record along the chain of merges; a mark under either id counts", async () => {
    const k = f.engine.keys;
    await store("user2", { plan: "pro" });
    await f.redis.set(k.alias("anon"), "user1");
    await f.redis.set(k.alias("user1"), "user2");
    let r = await readForEmail(f.redis, k, "fx_3", "anon");
    expect([r.current, r.unsubscribed]).toEqual(["user2", false]);
    expect(decodeState((await r.record()).stored!).traits).toEqual({ plan: "pro" });
    await f.redis.set(k.unsubscribed("user2"), "1");
    expect((await readForEmail(f.redis, k, "fx_3", "anon")).unsubscribed).toBe(true);
    await f.redis.del(k.unsubscribed("user2"));
    await f.redis.set(k.unsubscribed("anon"), "1");
    r = await readForEmail(f.redis, k, "fx_3", "anon");
    expect([r.current, r.unsubscribed]).toEqual(["user2", true]);
  });
});
