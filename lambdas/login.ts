// GET /login. Wiring only: everything is built once per container, the flow lives in shared/.
import { systemClock } from './shared/clock.js';
import { loadConfig } from './shared/config.js';
import { createDynamoStore } from './shared/dynamo-store.js';
import { httpHandler } from './shared/error-boundary.js';
import { logger } from './shared/logger.js';
import { makeLoginHandler } from './shared/login-flow.js';
import { powertoolsMeter } from './shared/metrics.js';
import { OAuthClient } from './shared/oauth.js';

const config = loadConfig(process.env);

export const handler = httpHandler(
  makeLoginHandler({
    config,
    store: createDynamoStore(config.tableName),
    oauth: new OAuthClient(config),
    clock: systemClock,
    meter: powertoolsMeter,
    log: logger,
  }),
);
