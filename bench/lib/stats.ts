/** Small statistics helpers for the benchmarks: nearest-rank percentiles, no interpolation. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

/**
 * The ranks (1-based, in the sorted values) of a distribution-free interval for the median of `n`
 * independent values, at confidence `level` at least: the largest `low` with P(X < low) <= (1 -
 * level) / 2 for X ~ Binomial(n, 1/2), and `n + 1 - low`. No assumption about the distribution
 * (the pairs' ratios are skewed by the host's slow phases), and no resampling, so the same values
 * give the same interval. Undefined when `n` is too small for any (n <= 5 at 95 %).
 */
export function medianIntervalRanks(n: number, level = 0.95): { low: number; high: number } | undefined {
  const tail = (1 - level) / 2;
  // P(X = k) in logs, so that 0.5^n does not underflow for n in the thousands.
  let logPmf = -n * Math.LN2;
  let cdf = 0;
  let low = 0;
  for (let k = 0; k < n; k++) {
    cdf += Math.exp(logPmf);
    if (cdf > tail) break;
    low = k + 1;
    logPmf += Math.log(n - k) - Math.log(k + 1);
  }
  return low === 0 ? undefined : { low, high: n + 1 - low };
}

/** The interval of medianIntervalRanks over `values`: the two values at those ranks. */
export function medianInterval(
  values: readonly number[],
  level = 0.95,
): { low: number; high: number } | undefined {
  const ranks = medianIntervalRanks(values.length, level);
  if (!ranks) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { low: sorted[ranks.low - 1] as number, high: sorted[ranks.high - 1] as number };
}

export interface Summary {
  readonly n: number;
  readonly median: number;
  /** The 95 % interval of the median (medianInterval); absent for too few values, and in results made before it. */
  readonly medianInterval?: { readonly low: number; readonly high: number };
  readonly p90: number;
  readonly p99: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(values: readonly number[]): Summary {
  const interval = medianInterval(values);
  return {
    n: values.length,
    median: median(values),
    ...(interval ? { medianInterval: interval } : {}),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/** Fisher-Yates, in place; the benchmarks shuffle run order so drift and noise spread evenly. */
export function shuffle<T>(items: T[]): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j] as T, items[i] as T];
  }
  return items;
}

/** Runs both, in an order that alternates with `round`, so neither always runs on a warmer machine. */
export async function alternate(
  round: number,
  first: () => Promise<void>,
  second: () => Promise<void>,
): Promise<void> {
  if (round % 2 === 0) {
    await first();
    await second();
  } else {
    await second();
    await first();
  }
}
