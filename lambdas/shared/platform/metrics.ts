/**
 * Business metrics, as CloudWatch Embedded Metric Format through Powertools Metrics: no API call,
 * the log line is the metric. Names are constants shared with the construct's alarms.
 *
 * Each failure metric is emitted twice: once with only the `service` dimension (the total the
 * alarms watch) and once with `service` + `reason` (for the dashboard and for diagnosis).
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type MetricName } from '../definitions/metric-names.js';

/** What the flows need of metrics; tests pass a recorder, Lambda the Powertools one. */
export interface Meter {
  count(name: MetricName, reason?: string): void;
}

export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'oauth-backend',
});

export const powertoolsMeter: Meter = {
  count(name, reason) {
    metrics.addMetric(name, MetricUnit.Count, 1);
    if (reason !== undefined) {
      metrics.singleMetric().addDimension('reason', reason).addMetric(name, MetricUnit.Count, 1);
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

/** A meter that remembers what was counted, for tests and the benchmarks. */
export function recordingMeter(): Meter & { readonly counts: Map<string, number> } {
  const counts = new Map<string, number>();
  return {
    counts,
    count(name, reason) {
      const key = reason === undefined ? name : `${name}:${reason}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    },
  };
}
