// GET /login. Wiring only: everything is built once per container, the flow lives in shared/.
import { systemClock } from './shared/domain/clock.js';
import { makeLoginHandler } from './shared/flows/login.js';
import { httpHandler } from './shared/http/error-boundary.js';
import { OAuthClient } from './shared/oauth/client.js';
import { loadConfig } from './shared/platform/config.js';
import { logger } from './shared/platform/logger.js';
import { powertoolsMeter } from './shared/platform/metrics.js';
import { createDynamoStore } from './shared/store/dynamo-store.js';

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
