/**
 * Business metrics, as CloudWatch Embedded Metric Format through Powertools Metrics: no API call,
 * the log line is the metric. Names are constants shared with the construct's alarms.
 *
 * A count with a breakdown (a failure's `reason`, a proxied request's `route` and `status` class) is
 * one EMF document with two dimension sets, `service` alone (the total the alarms watch) and
 * `service` plus the breakdown (for the dashboard and for diagnosis): CloudWatch counts the metric
 * under each set of a document, so one line serves both. A count without one waits for the
 * invocation's totals line (`service`), written by `flushMetrics`. A proxied request so writes one
 * line, where a totals line and a breakdown line cost a second serialization and write per request.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { DEFAULT_SERVICE_NAME, METRICS_NAMESPACE, type MetricName } from '../definitions/metric-names.js';
import { installLogConsole, logConsole } from './log-output.js';

/** What the flows need of metrics; tests pass a recorder, Lambda the Powertools one. */
export interface Meter {
  /** `breakdown`: a `reason`, or named dimensions. */
  count(name: MetricName, breakdown?: string | Readonly<Record<string, string>>): void;
}

/** The dimensions of a breakdown: a bare string is a `reason`. */
const dimensionsOf = (breakdown: string | Readonly<Record<string, string>>) =>
  typeof breakdown === 'string' ? { reason: breakdown } : breakdown;

/** Powertools' Metrics, writing through the process's log console (platform/log-output.ts says why). */
class LambdaMetrics extends Metrics {}
installLogConsole(LambdaMetrics, (instance) => {
  instance.console = logConsole();
});

const metricsOptions = {
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
};

export const metrics: Metrics = new LambdaMetrics(metricsOptions);

/**
 * The instance that writes the breakdown lines, made at the first one (not at init) and reused:
 * building a whole Metrics instance takes about 90 us a call on Node 24 here (a proxied request
 * counts one breakdown each), while a single-metric instance writes its line and clears its
 * dimension sets at every `addMetric`, so reusing it writes the same lines (test/unit/metrics.test.ts).
 * Built as `singleMetric()` builds it (the namespace, `service` as the default dimension), but of
 * the subclass: Powertools' `singleMetric()` makes a plain Metrics, on `process.stdout`.
 */
let breakdowns: Metrics | undefined;

/** The dimension set of `service` alone: an empty set is the default dimensions (`service`) only. */
const TOTAL_SET = {};

export const powertoolsMeter: Meter = {
  count(name, breakdown) {
    if (breakdown === undefined) {
      metrics.addMetric(name, MetricUnit.Count, 1);
      return;
    }
    breakdowns ??= new LambdaMetrics({ ...metricsOptions, singleMetric: true });
    breakdowns
      .addDimensions(TOTAL_SET)
      .addDimensions(dimensionsOf(breakdown))
      .addMetric(name, MetricUnit.Count, 1);
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
