import { afterEach, describe, expect, it, vi } from 'vitest';
import { METRIC } from '../../lambdas/shared/definitions/metric-names.js';
import { flushMetrics, powertoolsMeter } from '../../lambdas/shared/platform/metrics.js';

interface Emf {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  [key: string]: unknown;
}

describe('business metrics (EMF through Powertools)', () => {
  const lines: string[] = [];
  const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    lines.push(String(chunk));
    return true;
  });
  afterEach(() => {
    lines.length = 0;
  });

  it('emits each count under the OAuthBackend namespace, failures also by reason', () => {
    powertoolsMeter.count(METRIC.loginStarted);
    powertoolsMeter.count(METRIC.refreshFailed, 'invalid_grant');
    flushMetrics.after();
    write.mockRestore();
    const emf = lines
      .flatMap((l) => l.split('\n'))
      .filter((l) => l.includes('CloudWatchMetrics'))
      .map((l) => JSON.parse(l) as Emf);
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
});
