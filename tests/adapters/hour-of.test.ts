// Hour buckets of the counters (src/adapters/redis/stats.ts): the remembered names are the
// ones the clock gives, for any instant, asked in any order and again.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hourOf } from "../../src/adapters/redis/stats.js";

describe("hour buckets", () => {
  it("names the UTC hour of any instant, as toISOString does, however often asked", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: -8.64e15, max: 8.64e15 }), { maxLength: 50 }), (ts) => {
      for (const t of [...ts, ...ts.reverse()]) expect(hourOf(t)).toBe(new Date(t).toISOString().slice(0, 13));
    }));
    expect(hourOf(Date.parse("2026-03-04T08:59:59.999Z"))).toBe("2026-03-04T08");
    expect(hourOf(Date.parse("2026-03-04T09:00:00.000Z"))).toBe("2026-03-04T09");
  });
});
