/**
 * Business metrics, as CloudWatch Embedded Metric Format through Powertools Metrics: no API call,
 * the log line is the metric. Names are constants shared with the construct's alarms.
 *
 * A metric with a breakdown is emitted twice: once with only the `service` dimension (the total
 * the alarms watch) and once with `service` plus the breakdown: a failure's `reason`, or a proxied
 * request's `route` and `status` class (for the dashboard and for diagnosis).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE, type MetricName } from '../definitions/metric-names.js';

/** What the flows need of metrics; tests pass a recorder, Lambda the Powertools one. */
export interface Meter {
  /** `breakdown`: a `reason`, or named dimensions. */
  count(name: MetricName, breakdown?: string | Readonly<Record<string, string>>): void;
}

/** The dimensions of a breakdown: a bare string is a `reason`. */
const dimensionsOf = (breakdown: string | Readonly<Record<string, string>>) =>
  typeof breakdown === 'string' ? { reason: breakdown } : breakdown;

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
});

/**
 * The instance that writes the breakdown lines, made at the first one (not at init) and reused:
 * `singleMetric()` builds a whole Metrics instance, about 90 us a call on Node 24 here (a proxied
 * request counts one breakdown each), while a single-metric instance writes its line and clears its
 * dimensions at every `addMetric`, so reusing it writes the same lines (test/unit/metrics.test.ts).
 */
let breakdowns: Metrics | undefined;

export const powertoolsMeter: Meter = {
  count(name, breakdown) {
    metrics.addMetric(name, MetricUnit.Count, 1);
    if (breakdown !== undefined) {
      breakdowns ??= metrics.singleMetric();
      breakdowns.addDimensions(dimensionsOf(breakdown)).addMetric(name, MetricUnit.Count, 1);
    }
  },
};

/**
 * Flushes what the invocation counted, as one EMF log line, at the end of every invocation
 * (middy middleware). Nothing counted, nothing written: no "no metrics" warnings on routes that
 * count nothing.
 */
export const flushMetrics = {
  after: () => flush(),
  onError: () => flush(),
};

function flush(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}

/**
 * A meter that remembers what was counted, for tests and the benchmarks: keys `Name`,
 * `Name:reason`, or `Name:dim=value,dim=value`.
 */
export function recordingMeter(): Meter & { readonly counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    count(name, breakdown) {
      const suffix =
        breakdown === undefined
          ? ''
          : typeof breakdown === 'string'
            ? `:${breakdown}`
            : `:${Object.entries(breakdown)
                .map(([k, v]) => `${k}=${v}`)
                .join(',')}`;
      const key = `${name}${suffix}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
  };
}
