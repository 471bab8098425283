// Stored forms of state and journal entries (src/adapters/redis/codec.ts) and how a
// commit packs its journal lines into chunks (src/adapters/redis/journal-write.ts), and where
// an effect's outcome goes (src/adapters/redis/journal.ts).
import { describe, expect, it } from "vitest";
import { newContact, type ContactState } from "../../src/core/index.js";
import { decodeState, encodeChunk, encodeState, entryCount, entryLines, entryRecords, parseJournal } from "../../src/adapters/redis/codec.js";
import type { StoredContact } from "../../src/adapters/redis/contact-record.js";
import { placeOutcome } from "../../src/adapters/redis/journal.js";
import { journalWrite } from "../../src/adapters/redis/journal-write.js";

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

describe("journal writes", () => {
  it("keeps records and placeholders together in the open chunk, in order", () => {
    const lines = [rec(1), rec(2), "~fx_a", rec(3)];
    const w = journalWrite(null, lines);
    expect(w.sealed).toEqual([]);
    expect(w.openLines).toBe(4);
    expect(entryCount(w.open)).toBe(4);
    expect(entryLines(w.open)).toEqual(lines);
    // Placeholders are left out of what is read.
    expect(entryRecords(w.open)).toEqual([rec(1), rec(2), rec(3)]);
    expect(parseJournal([w.open])).toEqual([rec(1), rec(2), rec(3)].map((r) => JSON.parse(r)));
  });

  it("extends the open chunk, and seals full chunks of the oldest lines", () => {
    const open = encodeChunk([rec(1), "~fx_open", rec(2)]);
    const w = journalWrite(open, [rec(3), "~fx_b", rec(4)], 4);
    expect(w.sealed.map((e) => entryLines(e))).toEqual([[rec(1), "~fx_open", rec(2), rec(3)]]);
    expect(w.sealedLines).toBe(4);
    expect(entryLines(w.open)).toEqual(["~fx_b", rec(4)]);
    expect(w.openLines).toBe(2);
    const many = Array.from({ length: 10 }, (_, i) => rec(i));
    const w2 = journalWrite(Buffer.alloc(0), many, 4);
    expect(w2.sealed.map((e) => entryCount(e))).toEqual([4, 4]);
    expect(entryLines(w2.open)).toEqual(many.slice(8));
    expect(w2.sealed[0]!.length).toBeLessThan(many.slice(0, 4).join("\n").length / 2);
  });

  it("keeps a full open chunk open until a line more comes, and leaves it byte for byte when none does", () => {
    const full = encodeChunk(Array.from({ length: 4 }, (_, i) => rec(i)));
    expect(journalWrite(full, [], 4)).toEqual({ sealed: [], sealedLines: 0, open: full, openLines: 4 });
    const w = journalWrite(full, [rec(9)], 4);
    expect(w.sealed).toEqual([full].map((c) => encodeChunk(entryLines(c))));
    expect(entryLines(w.open)).toEqual([rec(9)]);
  });
});

describe("where an outcome goes", () => {
  const sent = JSON.stringify({ type: "email.sent", effect: "fx_abc" });
  const contact = (open: Buffer | null): StoredContact => ({ stored: Buffer.from("s"), version: "7", open });

  it("takes its placeholder's place in the open chunk, under the record's version", () => {
    const p = placeOutcome({ list: [], contact: contact(encodeChunk([rec(1), "~fx_abc", rec(2)])) }, "~fx_abc", sent);
    expect(p).toMatchObject({ mode: "open", expected: "7", openLines: 3, sealedLines: 0 });
    expect(entryLines(p.entries[0]!)).toEqual([rec(1), sent, rec(2)]);
  });

  it("takes its placeholder's place in the newest list entry holding it: a chunk, or an entry of its own", () => {
    const sealed = encodeChunk([rec(1), "~fx_abc", rec(2)]);
    const p = placeOutcome({ list: [encodeChunk([rec(0)]), sealed], contact: contact(encodeChunk([rec(3)])) }, "~fx_abc", sent);
    expect(p).toMatchObject({ mode: "list", expected: "1" });
    expect(p.entries[0]).toBe(sealed);
    expect(entryLines(p.entries[1]!)).toEqual([rec(1), sent, rec(2)]);
    // A journal written before placeholders went inside chunks (and a contact of that time).
    const old = placeOutcome({ list: [encodeChunk([rec(0)]), Buffer.from("~fx_abc"), encodeChunk([rec(1)])], contact: contact(null) }, "~fx_abc", sent);
    expect(old).toMatchObject({ mode: "list", expected: "1" });
    expect(entryLines(old.entries[1]!)).toEqual([sent]);
  });

  it("goes after the newest records when its placeholder is gone", () => {
    const p = placeOutcome({ list: [], contact: contact(encodeChunk([rec(1), rec(2)])) }, "~fx_abc", sent, 2);
    expect(p).toMatchObject({ mode: "open", expected: "7", openLines: 1, sealedLines: 2 });
    expect(p.entries.map((e) => entryLines(e))).toEqual([[sent], [rec(1), rec(2)]]);
    // No open chunk to extend (no contact, or one of an earlier form): appended to the list.
    for (const c of [null, contact(null)]) expect(placeOutcome({ list: [encodeChunk([rec(0)])], contact: c }, "~fx_abc", sent)).toMatchObject({ mode: "push" });
  });
});
