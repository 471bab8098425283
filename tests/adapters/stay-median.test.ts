// The median time in stage from bucketed stay counts: buckets grow by 2^(1/4), so the
// estimate stays within about 10% of the true median (the bucket's middle), or inside the
// median's bucket and exact for equal stays (the mean of that bucket, from its sum).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bucketMiddle, medianFromBuckets, stayBucket } from "../../src/adapters/redis/stats.js";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.ceil(xs.length / 2) - 1]!;

describe("median time in stage", () => {
  it("is null without stays and lands in the middle of the right bucket", () => {
    expect(medianFromBuckets(new Map())).toBeNull();
    expect(stayBucket(999)).toBe(0);
    expect(stayBucket(1_000)).toBe(1);
    expect(stayBucket(2_000)).toBe(5);
    expect(bucketMiddle(5)).toBe(2_181);
    expect(medianFromBuckets(new Map([[stayBucket(60_000), 3], [stayBucket(3_600_000), 2]]))).toBe(bucketMiddle(stayBucket(60_000)));
  });

  it("with the buckets' sums: the mean of the median's bucket, exact for equal stays and for a lone stay, always inside the bucket", () => {
    const tally = (stays: number[]) => {
      const counts = new Map<number, number>();
      const sums = new Map<number, number>();
      for (const ms of stays) {
        const b = stayBucket(ms);
        counts.set(b, (counts.get(b) ?? 0) + 1);
        sums.set(b, (sums.get(b) ?? 0) + ms);
      }
      return [counts, sums, counts] as const;
    };
    // Counters from before lengths were kept: the median's bucket holds 9 stays without and 1 with.
    expect(medianFromBuckets(new Map([[stayBucket(3_600_000), 10]]), new Map([[stayBucket(3_600_000), 3_600_000]]), new Map([[stayBucket(3_600_000), 1]]))).toBe(3_600_000);
    expect(medianFromBuckets(...tally(Array(9).fill(1_500)))).toBe(1_500);
    expect(medianFromBuckets(...tally([0, 0, 0]))).toBe(0);
    expect(medianFromBuckets(...tally([86_400_000, 2 * 86_400_000, 3 * 86_400_000]))).toBe(2 * 86_400_000);
    fc.assert(fc.property(fc.array(fc.integer({ min: 1_000, max: 365 * 86_400_000 }), { minLength: 1, maxLength: 200 }), (stays) => {
      const est = medianFromBuckets(...tally(stays))!;
      const truth = median(stays);
      expect(stayBucket(est)).toBe(stayBucket(truth));
      expect(Math.abs(est - truth) / truth).toBeLessThan(2 ** (1 / 4) - 1);
    }));
  });

  it("is within 10% of the true median for stays of a second to a year (counts alone)", () => {
    fc.assert(fc.property(fc.array(fc.integer({ min: 1_000, max: 365 * 86_400_000 }), { minLength: 1, maxLength: 200 }), (stays) => {
      const counts = new Map<number, number>();
      for (const ms of stays) counts.set(stayBucket(ms), (counts.get(stayBucket(ms)) ?? 0) + 1);
      const est = medianFromBuckets(counts)!;
      const truth = median(stays);
      expect(Math.abs(est - truth) / truth).toBeLessThanOrEqual(0.1);
    }));
  });
});
