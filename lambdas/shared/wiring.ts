/**
 * The dependencies of the flows that touch tokens (redirect, refresh, logout, the runtime
 * library), built once per container from the configuration. The login and session functions wire
 * less on purpose: they never see a token, so they load neither KMS nor Secrets Manager.
 */
import { systemClock } from './clock.js';
import type { Config } from './config.js';
import { createDynamoStore } from './dynamo-store.js';
import { logger } from './logger.js';
import { powertoolsMeter } from './metrics.js';
import { OAuthClient } from './oauth.js';
import { createClientSecretSource } from './secrets.js';
import { createTokenCipher } from './token-keys.js';

export function createTokenFlowDeps(config: Config) {
  return {
    config,
    store: createDynamoStore(config.tableName, createTokenCipher(config)),
    oauth: new OAuthClient(config),
    secrets: createClientSecretSource(config.clientSecret),
    clock: systemClock,
    meter: powertoolsMeter,
    log: logger,
  };
}
