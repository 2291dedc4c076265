import { describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../lambdas/shared/definitions/metric-names.js';
import { flushMetrics, powertoolsMeter } from '../../lambdas/shared/platform/metrics.js';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

/** The EMF documents `invocation` writes to stdout (Powertools writes them there), in order. */
function emfOf(invocation: () => void): Emf[] {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  try {
    invocation();
  } finally {
    write.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes('CloudWatchMetrics'))
    .map((l) => JSON.parse(l) as Emf);
}

describe('business metrics (EMF through Powertools)', () => {
  it('emits each count under the OAuthBackend namespace, failures also by reason', () => {
    const emf = emfOf(() => {
      powertoolsMeter.count(METRIC.loginStarted);
      powertoolsMeter.count(METRIC.refreshFailed, 'invalid_grant');
      flushMetrics.after();
    });
    const byReason = emf.find((e) => e.reason === 'invalid_grant');
    const total = emf.find((e) => e.reason === undefined);
    expect(total?._aws.CloudWatchMetrics[0]?.Namespace).toBe('OAuthBackend');
    expect(total?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name).sort()).toEqual([
      'LoginStarted',
      'RefreshFailed',
    ]);
    expect(total?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(byReason?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toEqual(['RefreshFailed']);
    expect(byReason?._aws.CloudWatchMetrics[0]?.Dimensions[0]).toEqual(
      expect.arrayContaining(['service', 'reason']),
    );
  });

  it('writes each breakdown on its own line, with only its own dimensions', () => {
    const emf = emfOf(() => {
      powertoolsMeter.count(METRIC.refreshFailed, 'invalid_grant');
      powertoolsMeter.count(METRIC.apiProxied, { route: '/api/a', status: '2xx' });
      powertoolsMeter.count(METRIC.apiProxied, { route: '/api/b', status: '5xx' });
      flushMetrics.after();
    });
    const shape = (e: Emf) => ({
      dimensions: e._aws.CloudWatchMetrics[0]?.Dimensions,
      values: Object.fromEntries(Object.entries(e).filter(([k]) => k !== '_aws')),
    });
    expect(emf.map(shape)).toEqual([
      {
        dimensions: [['service', 'reason']],
        values: { service: 'oauth-backend', reason: 'invalid_grant', RefreshFailed: 1 },
      },
      {
        dimensions: [['service', 'route', 'status']],
        values: { service: 'oauth-backend', route: '/api/a', status: '2xx', ApiProxied: 1 },
      },
      {
        dimensions: [['service', 'route', 'status']],
        values: { service: 'oauth-backend', route: '/api/b', status: '5xx', ApiProxied: 1 },
      },
      // The totals, by service only, at the end of the invocation.
      {
        dimensions: [['service']],
        values: { service: 'oauth-backend', RefreshFailed: 1, ApiProxied: [1, 1] },
      },
    ]);
  });
});
