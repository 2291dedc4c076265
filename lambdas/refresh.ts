// Scheduled refresh. Wiring only: everything is built once per container, the flow lives in shared/.
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { systemClock } from './shared/clock.js';
import { loadConfig } from './shared/config.js';
import { createDynamoStore } from './shared/dynamo-store.js';
import { logger } from './shared/logger.js';
import { flushMetrics, powertoolsMeter } from './shared/metrics.js';
import { OAuthClient } from './shared/oauth.js';
import { makeRefreshHandler } from './shared/refresh-flow.js';
import { createClientSecretSource } from './shared/secrets.js';
import { createTokenCipher } from './shared/token-keys.js';

const config = loadConfig(process.env);

export const handler = middy()
  .use(injectLambdaContext(logger, { resetKeys: true }))
  .use(flushMetrics)
  .handler(
    makeRefreshHandler({
      config,
      store: createDynamoStore(config.tableName, createTokenCipher(config)),
      oauth: new OAuthClient(config),
      secrets: createClientSecretSource(config.clientSecret),
      clock: systemClock,
      meter: powertoolsMeter,
      log: logger,
    }),
  );
