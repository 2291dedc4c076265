// Scheduled refresh. Wiring only: everything is built once per container, the flow lives in shared/flows/.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { makeRefreshHandler } from './shared/flows/refresh.js';
import { loadConfig } from './shared/platform/config.js';
import { logger } from './shared/platform/logger.js';
import { flushMetrics } from './shared/platform/metrics.js';
import { createRefreshDeps } from './wiring.js';

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushMetrics)
  .handler(makeRefreshHandler(createRefreshDeps(loadConfig(process.env))));
