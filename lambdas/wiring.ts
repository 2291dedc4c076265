/**
 * The dependencies of the flows that touch tokens (redirect, refresh, logout, the runtime
 * library), built once per container from the configuration. The login and session functions wire
 * less on purpose: they never see a token, so they load neither KMS nor Secrets Manager.
 */
import { systemClock } from './shared/domain/clock.js';
import { OAuthClient } from './shared/oauth/client.js';
import type { Config } from './shared/platform/config.js';
import { logger } from './shared/platform/logger.js';
import { powertoolsMeter } from './shared/platform/metrics.js';
import { createClientSecretSource } from './shared/platform/secrets.js';
import { createDynamoStore } from './shared/store/dynamo-store.js';
import { createTokenCipher } from './shared/store/token-keys.js';

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
