// Effect outcomes written into journals (writeOutcome, src/adapters/redis/journal.ts) on a
// real Redis: in the placeholder's place in the record's open chunk (moving the version), in
// the sealed chunk holding it, or after the newest records when it is gone; once per effect.
// Placement is read in storage order (the journal API sorts by `at`).
import { describe, expect, it } from "vitest";
import { newContact, type JournalRecord } from "../../src/core/index.js";
import { encodeChunk, encodeState, entryLines } from "../../src/adapters/redis/codec.js";
import { unpackContact, type StoredContact } from "../../src/adapters/redis/contact-record.js";
import { packRecord } from "./records.js";
import { readStoredJournal as readJournal, writeOutcome } from "../../src/adapters/redis/journal.js";
import { engineFixture } from "./engine-fixture.js";

const f = engineFixture();
const T = Date.parse("2026-03-02T09:00:00.000Z");
const rec = (i: number, contact = "oc"): JournalRecord => ({ at: new Date(T + i).toISOString(), contact, journey: "j", type: "trigger.fired", trigger: `t${i}` });
const line = (r: JournalRecord) => JSON.stringify(r);
const sent = (effect: string, contact = "oc"): JournalRecord => ({ at: new Date(T + 5).toISOString(), contact, journey: "j", type: "email.sent", template: "hi", effect });

/** Writes a contact record as a commit would: version, journal list count, state, open chunk. */
async function writeRecord(contact: string, version: number, listRecords: number, open: Buffer): Promise<void> {
  await f.redis.set(f.engine.keys.contact(contact), packRecord(version, listRecords, encodeState(newContact(contact, T)), open));
}

const outcome = async (effect: string, record: JournalRecord, journalMax = 1_000, read?: StoredContact) =>
  (await writeOutcome(f.redis, f.engine.keys, { effect, record, outcome: "sent", journalMax, streamMax: 1_000 }, read)).written;

describe("effect outcomes in the journal", () => {
  it("take their placeholder's place in the open chunk, once, and move the record's version", async () => {
    await writeRecord("oc", 7, 0, encodeChunk([line(rec(1)), "~fx_a", line(rec(2))]));
    // Its script by hash, and by text when Redis does not hold it (after a restart).
    await f.redis.script("FLUSH");
    expect(await outcome("fx_a", sent("fx_a"))).toBe(true);
    expect(await outcome("fx_a", sent("fx_a"))).toBe(false);
    expect(await readJournal(f.redis, f.engine.keys, "oc")).toEqual([rec(1), sent("fx_a"), rec(2)]);
    const c = unpackContact((await f.redis.getBuffer(f.engine.keys.contact("oc")))!);
    expect(c.version).toBe("8");
    expect(entryLines(c.open!)).toHaveLength(3);
    expect(await f.redis.llen(f.engine.keys.journal("oc"))).toBe(0);
    expect(await f.redis.xlen(f.engine.keys.stream)).toBe(1);
  });

  it("are written over a record read before when it is unchanged, and over a fresh read when a write moved it", async () => {
    await writeRecord("oh", 3, 0, encodeChunk([line(rec(1)), "~fx_h", "~fx_i"]));
    const before = unpackContact((await f.redis.getBuffer(f.engine.keys.contact("oh")))!);
    expect(await outcome("fx_h", sent("fx_h", "oh"), 1_000, before)).toBe(true);
    expect(unpackContact((await f.redis.getBuffer(f.engine.keys.contact("oh")))!).version).toBe("4");
    // The same read is stale now (version 3, fx_h still a placeholder in it): refused, read again.
    expect(await outcome("fx_i", sent("fx_i", "oh"), 1_000, before)).toBe(true);
    expect(await readJournal(f.redis, f.engine.keys, "oh")).toEqual([rec(1), sent("fx_h", "oh"), sent("fx_i", "oh")]);
    expect(unpackContact((await f.redis.getBuffer(f.engine.keys.contact("oh")))!).version).toBe("5");
    // What a write returns is the record as it left it: the start of the contact's next outcome.
    await writeRecord("ow", 8, 0, encodeChunk(["~fx_k", "~fx_l"]));
    const first = await writeOutcome(f.redis, f.engine.keys, { effect: "fx_k", record: sent("fx_k", "ow"), outcome: "sent", journalMax: 1_000, streamMax: 1_000 });
    const stored = unpackContact((await f.redis.getBuffer(f.engine.keys.contact("ow")))!);
    expect(first.written).toBe(true);
    expect(first.record).toEqual({ ...stored, stored: null });
    expect((await writeOutcome(f.redis, f.engine.keys, { effect: "fx_l", record: sent("fx_l", "ow"), outcome: "sent", journalMax: 1_000, streamMax: 1_000 }, first.record!)).record!.version).toBe("10");
    expect(await readJournal(f.redis, f.engine.keys, "ow")).toEqual([sent("fx_k", "ow"), sent("fx_l", "ow")]);
    // The start is taken as read, not read again: a start naming the stored version is
    // written over (here one whose open chunk differs from Redis's, as no caller would pass).
    await writeRecord("ov", 2, 0, encodeChunk([line(rec(1)), "~fx_v"]));
    const claimed = { stored: null, version: "2", open: encodeChunk([line(rec(7)), "~fx_v"]) };
    expect(await outcome("fx_v", sent("fx_v", "ov"), 1_000, claimed)).toBe(true);
    expect(await readJournal(f.redis, f.engine.keys, "ov")).toEqual([rec(7), sent("fx_v", "ov")]);
    // A read whose open chunk lacks the placeholder is no start: the journal list is read too.
    await f.redis.rpush(f.engine.keys.journal("oh"), encodeChunk(["~fx_j"]));
    const now = unpackContact((await f.redis.getBuffer(f.engine.keys.contact("oh")))!);
    expect(await outcome("fx_j", sent("fx_j", "oh"), 1_000, now)).toBe(true);
    expect((await readJournal(f.redis, f.engine.keys, "oh")).map((r) => r.effect ?? null)).toEqual(["fx_j", null, "fx_h", "fx_i"]);
  });

  it("take their placeholder's place in the sealed chunk holding it, or in an entry of its own", async () => {
    await writeRecord("oc", 3, 3, encodeChunk([line(rec(9))]));
    await f.redis.rpush(f.engine.keys.journal("oc"), encodeChunk([line(rec(1)), "~fx_b"]), Buffer.from("~fx_c"));
    expect(await outcome("fx_b", sent("fx_b"))).toBe(true);
    expect(await outcome("fx_c", sent("fx_c"))).toBe(true);
    expect(await readJournal(f.redis, f.engine.keys, "oc")).toEqual([rec(1), sent("fx_b"), sent("fx_c"), rec(9)]);
    expect(unpackContact((await f.redis.getBuffer(f.engine.keys.contact("oc")))!).version).toBe("3");
  });

  it("go after the newest records when the placeholder is gone, sealing a full open chunk, within the journal's bound", async () => {
    await writeRecord("oc", 1, 2, encodeChunk([line(rec(3)), line(rec(4))]));
    await f.redis.rpush(f.engine.keys.journal("oc"), encodeChunk([line(rec(1)), line(rec(2))]));
    expect(await outcome("fx_d", sent("fx_d"), 2)).toBe(true);
    // The open chunk (2 records, the bound) is sealed; the list's oldest chunk goes: 3 records stay.
    expect(await readJournal(f.redis, f.engine.keys, "oc")).toEqual([rec(3), rec(4), sent("fx_d")]);
    const head = (await f.redis.getBuffer(f.engine.keys.contact("oc")))!;
    expect(head.readUInt32BE(5)).toBe(2);
    // No contact record (merged away): appended to the journal list.
    expect(await outcome("fx_e", sent("fx_e", "gone"))).toBe(true);
    expect(await readJournal(f.redis, f.engine.keys, "gone")).toEqual([sent("fx_e", "gone")]);
  });
});
