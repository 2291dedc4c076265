import { describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../lambdas/shared/definitions/metric-names.js';
import { logStreams } from '../../lambdas/shared/platform/log-output.js';
import { flushMetrics, powertoolsMeter } from '../../lambdas/shared/platform/metrics.js';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

/**
 * The EMF documents `invocation` writes to stdout (Powertools writes them there, through the log
 * console's descriptor 1: platform/log-output.ts), in order.
 */
function emfOf(invocation: () => void): Emf[] {
  const lines: string[] = [];
  const write = vi.spyOn(logStreams.stdout, 'write').mockImplementation((chunk) => {
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
  it('emits each count under the OAuthBackend namespace, by service, failures also by reason', () => {
    const emf = emfOf(() => {
      powertoolsMeter.count(METRIC.loginStarted);
      powertoolsMeter.count(METRIC.refreshFailed, 'invalid_grant');
      flushMetrics.after();
    });
    expect(emf.map((e) => e._aws.CloudWatchMetrics[0]?.Namespace)).toEqual(['OAuthBackend', 'OAuthBackend']);
    // The failure, at once: counted by service and by service and reason, in one document.
    expect(emf[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service'], ['service', 'reason']]);
    expect(emf[0]?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toEqual(['RefreshFailed']);
    expect(emf[0]?.reason).toBe('invalid_grant');
    // The count without a breakdown, in the invocation's totals line.
    expect(emf[1]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service']]);
    expect(emf[1]?._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toEqual(['LoginStarted']);
  });

  it('writes each breakdown on its own line, with only its own dimensions, once per count', () => {
    const emf = emfOf(() => {
      powertoolsMeter.count(METRIC.refreshFailed, 'invalid_grant');
      powertoolsMeter.count(METRIC.apiProxied, { route: '/api/a', status: '2xx' });
      powertoolsMeter.count(METRIC.apiProxied, { route: '/api/b', status: '5xx' });
      powertoolsMeter.count(METRIC.refreshSucceeded);
      flushMetrics.after();
    });
    const shape = (e: Emf) => ({
      dimensions: e._aws.CloudWatchMetrics[0]?.Dimensions,
      values: Object.fromEntries(Object.entries(e).filter(([k]) => k !== '_aws')),
    });
    expect(emf.map(shape)).toEqual([
      {
        dimensions: [['service'], ['service', 'reason']],
        values: { service: 'oauth-backend', reason: 'invalid_grant', RefreshFailed: 1 },
      },
      {
        dimensions: [['service'], ['service', 'route', 'status']],
        values: { service: 'oauth-backend', route: '/api/a', status: '2xx', ApiProxied: 1 },
      },
      {
        dimensions: [['service'], ['service', 'route', 'status']],
        values: { service: 'oauth-backend', route: '/api/b', status: '5xx', ApiProxied: 1 },
      },
      // What was counted without a breakdown, by service, at the end of the invocation.
      { dimensions: [['service']], values: { service: 'oauth-backend', RefreshSucceeded: 1 } },
    ]);
  });

  it('adds up to every count by service, each count in exactly one document (what the alarms sum)', () => {
    const emf = emfOf(() => {
      powertoolsMeter.count(METRIC.apiProxied, { route: '/api/a', status: '2xx' });
      powertoolsMeter.count(METRIC.refreshFailed, 'timeout');
      powertoolsMeter.count(METRIC.refreshFailed, 'timeout');
      powertoolsMeter.count(METRIC.refreshFailed);
      flushMetrics.after();
    });
    const byService = new Map<string, number>();
    for (const e of emf) {
      const directive = e._aws.CloudWatchMetrics[0];
      if (!directive?.Dimensions.some((set) => set.length === 1 && set[0] === 'service')) continue;
      for (const { Name } of directive.Metrics) {
        const value = e[Name] as number | number[];
        const sum = Array.isArray(value) ? value.reduce((a, b) => a + b, 0) : value;
        byService.set(Name, (byService.get(Name) ?? 0) + sum);
      }
    }
    expect(Object.fromEntries(byService)).toEqual({ ApiProxied: 1, RefreshFailed: 3 });
  });

  it('writes a proxied request as one line (no totals line when every count had a breakdown)', () => {
    const emf = emfOf(() => {
      powertoolsMeter.count(METRIC.apiProxied, { route: '/api/a', status: '2xx' });
      flushMetrics.after();
    });
    expect(emf).toHaveLength(1);
  });
});
