/**
 * assets/<entry>/index.mjs of every Lambda (`index.handler`): loads the bundle beside it,
 * handler.cjs, with its V8 code cache when the runtime's V8 and architecture are the ones the
 * cache was made for (shared/platform/bundle-script.ts), and hands Lambda its handler. The same
 * file in every folder.
 *
 * When the cache is not used, one log line says so (with the runtime's V8), since the init then
 * compiles the bundle, which takes longer (BENCHMARKS.md): after a Lambda runtime update, for
 * instance, until a build of this package made with that V8 is deployed, or pin the runtime
 * version (README "The V8 code cache"). The line is also an Embedded Metric Format document, so
 * CloudWatch counts these cold starts as the metric CodeCacheMissed (the construct's dashboard
 * shows it; an alarm on it tells when a runtime update made cold starts slower). It goes straight
 * to stdout, as Powertools writes its metrics: Lambda's console prefixes each line, and CloudWatch
 * takes a metric only from a line that is JSON.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SERVICE_NAME, METRIC, METRICS_NAMESPACE } from './shared/definitions/metric-names.js';
import { compileBundle } from './shared/platform/bundle-script.js';

const bundle = compileBundle(dirname(fileURLToPath(import.meta.url)));
const exported = bundle.run();

if (bundle.codeCache !== 'accepted') {
  const env = process.env;
  process.stdout.write(
    `${JSON.stringify({
      level: bundle.codeCache === 'rejected' ? 'WARN' : 'INFO',
      message:
        bundle.codeCache === 'rejected'
          ? 'V8 refused the code cache of this bundle: it was compiled at init'
          : 'no code cache for this V8 and architecture: the bundle was compiled at init',
      codeCache: bundle.codeCache,
      v8: process.versions.v8,
      arch: process.arch,
      function: env.AWS_LAMBDA_FUNCTION_NAME,
      _aws: {
        Timestamp: Date.now(),
        CloudWatchMetrics: [
          {
            Namespace: env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS_NAMESPACE,
            Dimensions: [['service']],
            Metrics: [{ Name: METRIC.codeCacheMissed, Unit: 'Count' }],
          },
        ],
      },
      service: env.POWERTOOLS_SERVICE_NAME ?? DEFAULT_SERVICE_NAME,
      [METRIC.codeCacheMissed]: 1,
    })}\n`,
  );
}

export const handler = exported.handler;
/** Whether V8 used the code cache ('accepted'), refused it ('rejected'), or had none for its version. */
export const codeCache = bundle.codeCache;
