// Stored forms of state and journal entries (src/adapters/redis/codec.ts) and how a
// commit packs its journal lines into chunks (src/adapters/pipeline/journal-entries.ts).
import { describe, expect, it } from "vitest";
import { newContact, type ContactState } from "../../src/core/index.js";
import { decodeState, encodeChunk, encodeState, entryRecords, parseJournal } from "../../src/adapters/redis/codec.js";
import { journalWrite } from "../../src/adapters/pipeline/journal-entries.js";
import { mergeAround } from "../../src/adapters/redis/journal.js";

const T = Date.parse("2026-03-02T09:00:00.000Z");

function sampleState(): ContactState {
  const s = newContact("u7", T + 86_400_000);
  s.traits = { email: "u7@example.com", firstName: "User7", timezone: "Asia/Tokyo", plan: "free" };
  for (let i = 0; i < 12; i++) s.f[`f${i.toString(36)}x`] = [2, T + i * 3_600_123, T + i * 1_800_777];
  for (const j of ["trial-to-paid", "retention-advocacy", "newsletter-welcome", "cart-abandonment"]) {
    s.runs[j] = {
      on: 1, n: 1, at: T, st: 2, sAt: T + 5_000, sg: ["engaged"], sc: 25, scAt: T + 9_000, sr: [0, 10, 15], tr: { welcome: [T, 1], nudge: [T + 7, 1] },
      stl: [], th: [{ id: 1, tr: "nudge", pc: [[0, 1]], due: T + 3 * 86_400_000 }], hd: [], em: [T + 1_000], ev: null, seq: 2, wk: T + 3 * 86_400_000,
    };
  }
  s.wakeAt = T + 3 * 86_400_000;
  return s;
}

const rec = (i: number, type = "trigger.fired") => JSON.stringify({ at: new Date(T + i).toISOString(), contact: "u7", journey: "trial-to-paid", type, trigger: `t${i}` });

describe("state codec", () => {
  it("round-trips a state and stores it in well under half its JSON", () => {
    const s = sampleState();
    const stored = encodeState(s);
    expect(decodeState(stored)).toEqual(s);
    expect(stored.length).toBeLessThan(JSON.stringify(s).length / 2);
  });

  it("reads states stored as JSON before the codec, as a string or as bytes", () => {
    const s = sampleState();
    expect(decodeState(JSON.stringify(s))).toEqual(s);
    expect(decodeState(Buffer.from(JSON.stringify(s)))).toEqual(s);
  });

  it("gives the feature map no prototype (feature ids are data)", () => {
    const s = decodeState(encodeState(sampleState()));
    expect(Object.getPrototypeOf(s.f)).toBeNull();
  });
});

describe("journal entries", () => {
  it("packs consecutive records into one chunk and keeps placeholders apart, in order", () => {
    const lines = [rec(1), rec(2), "~fx_a", rec(3)];
    const w = journalWrite([], lines);
    expect(w.replace).toEqual([]);
    expect(w.added).toBe(4);
    expect(w.entries).toHaveLength(3);
    expect(w.entries[1]).toBe("~fx_a");
    expect(w.entries.flatMap((e) => entryRecords(e))).toEqual([rec(1), rec(2), rec(3)]);
    expect(parseJournal(w.entries)).toEqual([rec(1), rec(2), rec(3)].map((r) => JSON.parse(r)));
  });

  it("extends the newest chunk, and a confirmed send before it, until a placeholder or the chunk size", () => {
    const tail = [encodeChunk([rec(1)]), Buffer.from("~fx_open"), encodeChunk([rec(2)]), Buffer.from(rec(3, "email.sent"))];
    const w = journalWrite(tail, [rec(4), "~fx_b", rec(5)]);
    expect(w.replace).toEqual(tail.slice(2));
    expect(w.entries.map((e) => entryRecords(e))).toEqual([[rec(2), rec(3, "email.sent"), rec(4)], [], [rec(5)]]);
    // Full: a new chunk starts.
    const full = encodeChunk(Array.from({ length: 4 }, (_, i) => rec(i)));
    const w2 = journalWrite([full], [rec(9)], 4);
    expect(w2.replace).toEqual([]);
    expect(w2.entries.map((e) => entryRecords(e))).toEqual([[rec(9)]]);
  });

  it("never extends a placeholder or over one, and splits long groups at the chunk size", () => {
    expect(journalWrite([Buffer.from("~fx_open")], [rec(1)]).replace).toEqual([]);
    expect(journalWrite([encodeChunk([rec(0)])], ["~fx_c", rec(1)]).replace).toEqual([]);
    const many = Array.from({ length: 10 }, (_, i) => rec(i));
    const w = journalWrite([], many, 4);
    expect(w.entries.map((e) => entryRecords(e).length)).toEqual([4, 4, 2]);
    expect(w.entries[0]!.length).toBeLessThan(many.slice(0, 4).join("\n").length / 2);
  });
});

describe("journal entries over a longer tail", () => {
  it("extends only the newest entries that fit in one chunk with the new records", () => {
    const full = encodeChunk(Array.from({ length: 4 }, (_, i) => rec(i)));
    const tail = [full, encodeChunk([rec(4)]), Buffer.from(rec(5, "email.sent"))];
    const w = journalWrite(tail, [rec(6), rec(7)], 4);
    expect(w.replace).toEqual(tail.slice(1));
    expect(w.entries.map((e) => entryRecords(e))).toEqual([[rec(4), rec(5, "email.sent"), rec(6), rec(7)]]);
  });
});

describe("a send's record merged into its neighbours", () => {
  const rec = (i: number) => JSON.stringify({ type: "trait.set", at: new Date(i * 1000).toISOString(), i });
  const chunk = (from: number, n: number) => encodeChunk(Array.from({ length: n }, (_, k) => rec(from + k)));
  const ph = Buffer.from("~fx_abc");
  const sent = JSON.stringify({ type: "email.sent", effect: "fx_abc" });

  it("joins the chunks either side with the record, in order", () => {
    const m = mergeAround([chunk(0, 3), ph, chunk(3, 2)], "~fx_abc", sent)!;
    expect(entryRecords(m.chunk)).toEqual([rec(0), rec(1), rec(2), sent, rec(3), rec(4)]);
    expect(m.left).toEqual(chunk(0, 3));
    expect(m.right).toEqual(chunk(3, 2));
  });

  it("leaves out a neighbour that is a placeholder, or that would make the chunk too big", () => {
    const m = mergeAround([chunk(0, 3), ph, Buffer.from("~fx_other")], "~fx_abc", sent)!;
    expect(m.right).toBe("");
    expect(entryRecords(m.chunk)).toEqual([rec(0), rec(1), rec(2), sent]);
    const big = mergeAround([chunk(0, 60), ph, chunk(60, 10)], "~fx_abc", sent, 64)!;
    expect([big.left === "" ? 0 : entryRecords(big.left).length, big.right === "" ? 0 : entryRecords(big.right).length]).toEqual([60, 0]);
    expect(mergeAround([Buffer.from("~fx_x"), ph], "~fx_abc", sent)).toBeUndefined();
    expect(mergeAround([chunk(0, 2)], "~fx_abc", sent)).toBeUndefined();
  });
});
