// Reused zlib contexts (src/adapters/redis/zlib-reuse.ts) give byte for byte what Node's own
// deflateRawSync/inflateRawSync give, for any input, window and dictionary, in any order,
// and a corrupt input fails as Node's function fails without spoiling the calls after it.
import { deflateRawSync, inflateRawSync } from "node:zlib";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deflateRaw, inflateRaw, reusing, type RawOptions } from "../../src/adapters/redis/zlib-reuse.js";

const text = fc.array(fc.constantFrom("journey", "stage.entered", '{"at":"2026-', "trial", "\n", "x", "é", "0"), { maxLength: 400 }).map((a) => a.join(""));
const dicts = [Buffer.from('{"type":"stage.entered","journey":"trial"}'), Buffer.from("trial journey segment ".repeat(300)), Buffer.alloc(0)];
const opts = fc.record({
  windowBits: fc.constantFrom(13, 14, 15), memLevel: fc.constantFrom(5, 6, 7),
  dictionary: fc.integer({ min: 0, max: 11 }).map((i) => (i < 3 ? dicts[i]! : Buffer.from(`dictionary ${i} `.repeat(i * 40)))),
});

describe("reused zlib contexts", () => {
  it("deflate and inflate as Node's functions do, over many windows and dictionaries (more than are kept)", () => {
    fc.assert(fc.property(fc.array(fc.tuple(text, opts), { minLength: 1, maxLength: 30 }), (calls) => {
      for (const [t, o] of calls as [string, RawOptions][]) {
        const z = deflateRaw(t, o);
        expect(z.equals(deflateRawSync(t, o))).toBe(true);
        expect(inflateRaw(z, o).toString()).toBe(t);
        expect(inflateRawSync(z, o).toString()).toBe(t);
      }
    }), { numRuns: 60 });
    // Not Node's function in disguise: the contexts are reused on this Node.
    expect(reusing()).toEqual({ deflate: true, inflate: true });
  });

  it("takes inputs whose output is larger than one output buffer", () => {
    const big = Buffer.from(Array.from({ length: 60_000 }, (_, i) => `${(i * 2654435761) % 1_000_003},`).join(""));
    const o = { windowBits: 15, memLevel: 7, dictionary: dicts[1]! };
    const z = deflateRaw(big, o);
    expect(z.equals(deflateRawSync(big, o))).toBe(true);
    expect(z.length).toBeGreaterThan(64 * 1024);
    expect(inflateRaw(z, o).equals(big)).toBe(true);
  });

  it("fails on a corrupt or truncated input as inflateRawSync does, and the next call still works", () => {
    const o = { windowBits: 14, memLevel: 6, dictionary: dicts[0]! };
    const good = deflateRaw("stage.entered trial ".repeat(50), o);
    for (const bad of [Buffer.from([0xff, 0xff, 0xff, 0x00]), good.subarray(0, good.length - 3), Buffer.alloc(0)]) {
      let expected = "";
      try { inflateRawSync(bad, o); } catch (e) { expected = (e as Error).message; }
      expect(expected).not.toBe("");
      expect(() => inflateRaw(bad, o)).toThrow(expected);
      expect(inflateRaw(good, o).toString()).toBe("stage.entered trial ".repeat(50));
    }
  });
});
