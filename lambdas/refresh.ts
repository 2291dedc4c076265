// Scheduled refresh. Wiring only: everything is built once per container, the flow lives in shared/.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { loadConfig } from './shared/config.js';
import { logger } from './shared/logger.js';
import { flushMetrics } from './shared/metrics.js';
import { makeRefreshHandler } from './shared/refresh-flow.js';
import { createTokenFlowDeps } from './shared/wiring.js';

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushMetrics)
  .handler(makeRefreshHandler(createTokenFlowDeps(loadConfig(process.env))));
