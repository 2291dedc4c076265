/**
 * Metric names and namespace, free of side effects: the construct's alarms import these without
 * loading Powertools.
 */
export const METRICS_NAMESPACE = 'OAuthBackend';

export const METRIC = {
  loginStarted: 'LoginStarted',
  loginCompleted: 'LoginCompleted',
  loginFailed: 'LoginFailed',
  refreshSucceeded: 'RefreshSucceeded',
  refreshFailed: 'RefreshFailed',
  sessionEnded: 'SessionEnded',
  /** A request through the API proxy, by `route` and `status` class (2xx, 4xx, ...). */
  apiProxied: 'ApiProxied',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
