/**
 * The benchmarks' intervals (bench/lib/stats.ts): of a median, beside every cold-start ratio in
 * BENCHMARKS.md (ranks checked against the binomial tables, and its bounds against the data), and
 * the ends of every route's median and p99 ratio intervals (their coverage checked by drawing from
 * a known distribution).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  median,
  medianInterval,
  medianIntervalRanks,
  percentile,
  quantileInterval,
  quantileIntervalRanks,
  RATIO_END_LEVEL,
  ratioInterval,
  summarize,
} from '../../bench/lib/stats.js';

/** P(X <= k) for X ~ Binomial(n, 1/2), exactly, for small n. */
function binomialCdf(n: number, k: number): number {
  let c = 1;
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += c;
    c = (c * (n - i)) / (i + 1);
  }
  return sum / 2 ** n;
}

describe('medianIntervalRanks', () => {
  it.each([
    // n, the ranks of the 95 % interval of a median (the published sign-test tables)
    [6, 1, 6],
    [10, 2, 9],
    [20, 6, 15],
    [25, 8, 18],
  ])('n = %i: ranks %i and %i', (n, low, high) => {
    expect(medianIntervalRanks(n)).toEqual({ low, high });
  });

  it('gives none where no interval reaches 95 % (n <= 5)', () => {
    for (const n of [0, 1, 2, 5]) expect(medianIntervalRanks(n)).toBeUndefined();
  });

  it('is the widest rank at which the tail stays within 2.5 %, up to the bench sizes', () => {
    for (let n = 6; n <= 60; n++) {
      const ranks = medianIntervalRanks(n);
      expect(ranks).toBeDefined();
      const low = ranks?.low ?? 0;
      expect(binomialCdf(n, low - 1)).toBeLessThanOrEqual(0.025);
      expect(binomialCdf(n, low)).toBeGreaterThan(0.025);
      expect(ranks?.high).toBe(n + 1 - low);
    }
  });

  it('stays finite for thousands of values (no underflow of 0.5^n)', () => {
    const ranks = medianIntervalRanks(2000);
    // Normal approximation: 1000 - 1.96 * sqrt(2000) / 2, within a rank.
    expect(ranks?.low).toBeGreaterThanOrEqual(955);
    expect(ranks?.low).toBeLessThanOrEqual(958);
  });
});

describe('medianInterval', () => {
  it('holds the median between two of the values', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 6, maxLength: 300 }),
        (values) => {
          const interval = medianInterval(values);
          expect(interval).toBeDefined();
          if (!interval) return;
          expect(values).toContain(interval.low);
          expect(values).toContain(interval.high);
          expect(interval.low).toBeLessThanOrEqual(median(values));
          expect(median(values)).toBeLessThanOrEqual(interval.high);
        },
      ),
    );
  });

  it('reads the sorted values at its ranks, whatever their order', () => {
    const values = [9, 1, 8, 2, 7, 3, 6, 4, 5, 10];
    expect(medianInterval(values)).toEqual({ low: 2, high: 9 });
  });

  it('is in every summary of enough values, and in none of too few', () => {
    expect(summarize([5, 1, 4, 2, 3, 6]).medianInterval).toEqual({ low: 1, high: 6 });
    expect(summarize([1, 2, 3]).medianInterval).toBeUndefined();
  });
});

/** A small seeded generator (mulberry32), so that the coverage figures are the same in every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('quantileIntervalRanks', () => {
  it('is the median interval at q = 1/2', () => {
    for (let n = 0; n <= 80; n++) expect(quantileIntervalRanks(n, 0.5)).toEqual(medianIntervalRanks(n));
  });

  it('gives a p99 interval from 437 values on at 97.5 %, around the p99 rank, and none below', () => {
    expect(quantileIntervalRanks(436, 0.99, RATIO_END_LEVEL)).toBeUndefined();
    expect(quantileIntervalRanks(437, 0.99, RATIO_END_LEVEL)).toEqual({ low: 427, high: 437 });
    for (const n of [437, 1000, 2000, 3000]) {
      const ranks = quantileIntervalRanks(n, 0.99, RATIO_END_LEVEL);
      const rank = Math.ceil(0.99 * n);
      expect(ranks?.low).toBeLessThanOrEqual(rank);
      expect(ranks?.high).toBeGreaterThanOrEqual(rank);
      expect(ranks?.high).toBeLessThanOrEqual(n);
    }
    // Normal approximation at 3,000: 2970 -+ 2.24 * sqrt(3000 * 0.99 * 0.01), within two ranks.
    const ranks = quantileIntervalRanks(3000, 0.99, RATIO_END_LEVEL);
    expect(Math.abs((ranks?.low ?? 0) - 2957.8)).toBeLessThanOrEqual(2);
    expect(Math.abs((ranks?.high ?? 0) - 2982.2)).toBeLessThanOrEqual(2);
  });

  it('refuses a quantile outside (0, 1)', () => {
    for (const q of [0, 1, -0.5, 2, Number.NaN]) expect(quantileIntervalRanks(1000, q)).toBeUndefined();
  });
});

describe('quantileInterval', () => {
  /** How often the RATIO_END_LEVEL interval of the q-quantile of 1,000 uniform values holds the true one, q. */
  function coverage(q: number, seed: number): number {
    const random = seeded(seed);
    const trials = 2000;
    let covered = 0;
    for (let t = 0; t < trials; t++) {
      const values = Array.from({ length: 1000 }, random);
      const interval = quantileInterval(values, q, RATIO_END_LEVEL);
      if (interval && interval.low <= q && q < interval.high) covered++;
    }
    return covered / trials;
  }
  // The ranks make it at least 0.975; three standard errors of 2,000 trials below that, at most.
  const floor = 0.975 - 3 * Math.sqrt((0.975 * 0.025) / 2000);

  it('holds the true p99 of the distribution at least as often as its level says, and not far more', () => {
    const c = coverage(0.99, 14);
    expect(c).toBeGreaterThanOrEqual(floor);
    expect(c).toBeLessThan(0.995);
  });

  it('holds the true median as often as its level says, and not far more', () => {
    const c = coverage(0.5, 15);
    expect(c).toBeGreaterThanOrEqual(floor);
    expect(c).toBeLessThan(0.995);
  });
});

describe('summarize', () => {
  it('keeps the end interval of the median at RATIO_END_LEVEL, wider than its 95 % one', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i + 1);
    const s = summarize(values);
    const ranks = quantileIntervalRanks(1000, 0.5, RATIO_END_LEVEL);
    expect(s.medianRatioEnd).toEqual({ low: ranks?.low, high: ranks?.high });
    expect(s.medianRatioEnd?.low).toBeLessThan(s.medianInterval?.low ?? 0);
    expect(s.medianRatioEnd?.high).toBeGreaterThan(s.medianInterval?.high ?? 0);
    expect(summarize([1, 2, 3, 4, 5]).medianRatioEnd).toBeUndefined();
  });
});

describe('ratioInterval', () => {
  const sample = (minLength: number) =>
    fc.array(fc.double({ noNaN: true, min: 0.1, max: 100 }), { minLength, maxLength: 1200 });

  it('holds the ratio of the two p99s, and is in no result without both intervals', () => {
    fc.assert(
      fc.property(sample(437), sample(437), (a, b) => {
        const interval = ratioInterval(summarize(a), summarize(b), 'p99');
        expect(interval).toBeDefined();
        const ratio = percentile(a, 99) / percentile(b, 99);
        expect(interval?.low).toBeLessThanOrEqual(ratio);
        expect(ratio).toBeLessThanOrEqual(interval?.high ?? Number.NaN);
      }),
      { numRuns: 50 },
    );
    expect(
      ratioInterval(summarize([1, 2, 3]), summarize(Array.from({ length: 500 }, (_, i) => i)), 'p99'),
    ).toBeUndefined();
  });

  it('holds the ratio of the two medians, and is in no result without both intervals', () => {
    fc.assert(
      fc.property(sample(7), sample(7), (a, b) => {
        const interval = ratioInterval(summarize(a), summarize(b), 'median');
        expect(interval).toBeDefined();
        const ratio = median(a) / median(b);
        expect(interval?.low).toBeLessThanOrEqual(ratio);
        expect(ratio).toBeLessThanOrEqual(interval?.high ?? Number.NaN);
      }),
      { numRuns: 100 },
    );
    expect(ratioInterval(summarize([1, 2, 3]), summarize([1, 2, 3, 4, 5, 6, 7]), 'median')).toBeUndefined();
  });

  it('is the ratios of the ends, each low end over the other high end', () => {
    const a = summarize(Array.from({ length: 1000 }, (_, i) => 2 * (i + 1)));
    const b = summarize(Array.from({ length: 1000 }, (_, i) => i + 1));
    const ranks = quantileIntervalRanks(1000, 0.5, RATIO_END_LEVEL);
    const interval = ratioInterval(a, b, 'median');
    expect(interval?.low).toBeCloseTo((2 * (ranks?.low ?? 0)) / (ranks?.high ?? 1), 12);
    expect(interval?.high).toBeCloseTo((2 * (ranks?.high ?? 0)) / (ranks?.low ?? 1), 12);
    // A result saved before the median's end interval existed has none.
    const { medianRatioEnd: _, ...old } = a;
    expect(ratioInterval(old, b, 'median')).toBeUndefined();
    expect(ratioInterval(old, b, 'p99')).toBeDefined();
  });
});
