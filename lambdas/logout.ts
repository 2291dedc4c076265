// POST /logout. Wiring only: everything is built once per container, the flow lives in shared/.
import { loadConfig } from './shared/config.js';
import { createDynamoStore } from './shared/dynamo-store.js';
import { httpHandler } from './shared/error-boundary.js';
import { logger } from './shared/logger.js';
import { makeLogoutHandler } from './shared/logout-flow.js';
import { powertoolsMeter } from './shared/metrics.js';
import { OAuthClient } from './shared/oauth.js';
import { createClientSecretSource } from './shared/secrets.js';
import { createTokenCipher } from './shared/token-keys.js';

const config = loadConfig(process.env);

export const handler = httpHandler(
  makeLogoutHandler({
    config,
    store: createDynamoStore(config.tableName, createTokenCipher(config)),
    oauth: new OAuthClient(config),
    secrets: createClientSecretSource(config.clientSecret),
    meter: powertoolsMeter,
    log: logger,
  }),
);
