/** Small statistics helpers for the benchmarks: nearest-rank percentiles, no interpolation. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

export const median = (values: readonly number[]): number => percentile(values, 50);

/**
 * The ranks (1-based, in the sorted values) of a distribution-free interval for the `q`-quantile
 * of `n` independent values, at confidence `level` at least. With X ~ Binomial(n, q), the number
 * of values below the quantile: `low` the largest rank with P(X < low) <= (1 - level) / 2, `high`
 * the smallest with P(X >= high) <= (1 - level) / 2, so that P(low <= X < high) >= level. No
 * assumption about the distribution (request times and the pairs' ratios are skewed by the host's
 * slow phases), and no resampling, so the same values give the same interval. Undefined when `n`
 * is too small for either end (for a median, n <= 5 at 95 %; for a p99 at 97.5 %, n < 437).
 */
export function quantileIntervalRanks(
  n: number,
  q: number,
  level = 0.95,
): { low: number; high: number } | undefined {
  if (!(q > 0 && q < 1) || !(n >= 1)) return undefined;
  const tail = (1 - level) / 2;
  // P(X = k) in logs, so that q^n and (1 - q)^n do not underflow for n in the thousands.
  let logPmf = n * Math.log1p(-q);
  const oddsStep = Math.log(q) - Math.log1p(-q);
  let below = 0; // P(X <= k - 1), at the top of each round
  let low = 0;
  let high: number | undefined;
  for (let k = 0; k <= n; k++) {
    if (below <= tail) low = k;
    if (high === undefined && 1 - below <= tail) high = k;
    below += Math.exp(logPmf);
    logPmf += Math.log(n - k) - Math.log(k + 1) + oddsStep;
  }
  return low === 0 || high === undefined ? undefined : { low, high };
}

/** The interval of quantileIntervalRanks over `values`: the two values at those ranks. */
export function quantileInterval(
  values: readonly number[],
  q: number,
  level = 0.95,
): { low: number; high: number } | undefined {
  const ranks = quantileIntervalRanks(values.length, q, level);
  if (!ranks) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return { low: sorted[ranks.low - 1] as number, high: sorted[ranks.high - 1] as number };
}

/** quantileIntervalRanks of the median: the sign test's interval (high is n + 1 - low). */
export const medianIntervalRanks = (n: number, level = 0.95) => quantileIntervalRanks(n, 0.5, level);

/** The interval of medianIntervalRanks over `values`: the two values at those ranks. */
export const medianInterval = (values: readonly number[], level = 0.95) =>
  quantileInterval(values, 0.5, level);

/**
 * The confidence of each end interval of a ratio of two independent samples' quantiles (a route's
 * median or p99 over its floor's): the Lambda's and its floor's intervals both hold with
 * probability 0.975^2 > 0.95, so the ratio of the two quantiles lies between the ratios of their
 * ends (ratioInterval) at 95 % at least. The cold starts' ratios need none: each is the median of
 * per-pair ratios, with its own 95 % interval (medianInterval).
 */
export const RATIO_END_LEVEL = 0.975;

/** A two-sided interval of a statistic. */
export interface Interval {
  readonly low: number;
  readonly high: number;
}

export interface Summary {
  readonly n: number;
  readonly median: number;
  /** The 95 % interval of the median (medianInterval); absent for too few values, and in results made before it. */
  readonly medianInterval?: Interval;
  /**
   * The RATIO_END_LEVEL interval of the median, one end of a median ratio's interval
   * (ratioInterval); absent for too few values, and in results made before it.
   */
  readonly medianRatioEnd?: Interval;
  readonly p90: number;
  readonly p99: number;
  /** The RATIO_END_LEVEL interval of the p99 (quantileInterval); absent for too few values, and in results made before it. */
  readonly p99Interval?: Interval;
  readonly min: number;
  readonly max: number;
}

export function summarize(values: readonly number[]): Summary {
  const interval = medianInterval(values);
  const medianRatioEnd = quantileInterval(values, 0.5, RATIO_END_LEVEL);
  const p99Interval = quantileInterval(values, 0.99, RATIO_END_LEVEL);
  return {
    n: values.length,
    median: median(values),
    ...(interval ? { medianInterval: interval } : {}),
    ...(medianRatioEnd ? { medianRatioEnd } : {}),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    ...(p99Interval ? { p99Interval } : {}),
    min: Math.min(...values),
    max: Math.max(...values),
  };
}

/**
 * The 95 % interval of `a.median / b.median` or `a.p99 / b.p99` (two independent samples: a route
 * and its floor) from the two quantiles' RATIO_END_LEVEL intervals: from the lowest ratio their
 * ends allow to the highest. Undefined if either has none (too few values, or a result made before
 * the intervals).
 */
export function ratioInterval(a: Summary, b: Summary, of: 'median' | 'p99'): Interval | undefined {
  const [x, y] = of === 'median' ? [a.medianRatioEnd, b.medianRatioEnd] : [a.p99Interval, b.p99Interval];
  if (!x || !y) return undefined;
  return { low: x.low / y.high, high: x.high / y.low };
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
