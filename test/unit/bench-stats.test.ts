/**
 * The benchmarks' interval of a median (bench/lib/stats.ts), beside every cold-start ratio in
 * BENCHMARKS.md: ranks checked against the binomial tables, and its bounds against the data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, medianInterval, medianIntervalRanks, summarize } from '../../bench/lib/stats.js';

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
