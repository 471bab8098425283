// RecentRecords (src/adapters/actions/recent-records.ts): the newer record by version, and a
// bound that lets the least recently written go first.
import { describe, expect, it } from "vitest";
import { RecentRecords } from "../../src/adapters/actions/recent-records.js";

const rec = (version: number) => ({ stored: null, version: String(version), open: null });

describe("RecentRecords", () => {
  it("hands back the newer of a read and the last write, by version", () => {
    const r = new RecentRecords();
    expect(r.newest("c", undefined)).toBeUndefined();
    expect(r.newest("c", rec(4))).toEqual(rec(4));
    r.set("c", rec(9));
    expect(r.newest("c", undefined)).toEqual(rec(9));
    expect(r.newest("c", rec(4))).toEqual(rec(9)); // the read is older than this process's write
    expect(r.newest("c", rec(12))).toEqual(rec(12)); // a commit wrote since (versions 10 to 12 are not 9)
    expect(r.newest("d", rec(1))).toEqual(rec(1));
  });

  it("keeps at most its bound, dropping the least recently written", () => {
    const r = new RecentRecords(2);
    r.set("a", rec(1));
    r.set("b", rec(1));
    r.set("a", rec(2)); // a is the newest write now
    r.set("c", rec(1));
    expect(r.size).toBe(2);
    expect(r.newest("b", undefined)).toBeUndefined();
    expect(r.newest("a", undefined)).toEqual(rec(2));
    expect(r.newest("c", undefined)).toEqual(rec(1));
  });
});
