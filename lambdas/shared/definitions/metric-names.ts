/**
 * Metric names and namespace, free of side effects: the construct's alarms import these without
 * loading Powertools.
 */
export const METRICS_NAMESPACE = 'OAuthBackend';

/** The `service` of logs and metrics when POWERTOOLS_SERVICE_NAME is not set (the construct sets it). */
export const DEFAULT_SERVICE_NAME = 'oauth-backend';

export const METRIC = {
  loginStarted: 'LoginStarted',
  loginCompleted: 'LoginCompleted',
  loginFailed: 'LoginFailed',
  refreshSucceeded: 'RefreshSucceeded',
  refreshFailed: 'RefreshFailed',
  sessionEnded: 'SessionEnded',
  /** A request through the API proxy, by `route` and `status` class (2xx, 4xx, ...). */
  apiProxied: 'ApiProxied',
  /**
   * A cold start that compiled its bundle: V8 refused the code cache, or there was none for the
   * runtime's V8 (a runtime update). Written by the loader (lambdas/bundle-loader.ts).
   */
  codeCacheMissed: 'CodeCacheMissed',
} as const;

export type MetricName = (typeof METRIC)[keyof typeof METRIC];
