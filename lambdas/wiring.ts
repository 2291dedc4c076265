/**
 * The composition root: the dependencies of every flow, built once per container from the
 * configuration. Entry files call one of these and hand the result to their flow; tests and the
 * local stack build the same way (test/support/backend.ts swaps in a test clock and meter).
 *
 * Each function wires only what it uses: login and session never see a token, so they load
 * neither KMS nor Secrets Manager (smaller bundles, faster cold starts, narrower permissions).
 */
import { systemClock } from './shared/domain/clock.js';
import { OAuthClient } from './shared/oauth/client.js';
import type { Config } from './shared/platform/config.js';
import { logger } from './shared/platform/logger.js';
import { powertoolsMeter } from './shared/platform/metrics.js';
import { createClientSecretSource } from './shared/platform/secrets.js';
import { createDynamoStore } from './shared/store/dynamo-store.js';
import { createTokenCipher } from './shared/store/token-keys.js';

/** GET /login: writes transactions only (no token cipher, no secret). */
export function createLoginDeps(config: Config) {
  return {
    config,
    store: createDynamoStore(config.tableName),
    oauth: new OAuthClient(config),
    clock: systemClock,
    meter: powertoolsMeter,
    log: logger,
  };
}

/** GET /session: reads the clear-text part of a session only. */
export function createSessionDeps(config: Config) {
  return { config, store: createDynamoStore(config.tableName), clock: systemClock };
}

/**
 * POST /backchannel-logout: verifies logout tokens (discovery and the AS's keys, no client secret)
 * and ends sessions without opening their tokens (no token cipher).
 */
export function createBackchannelLogoutDeps(config: Config) {
  return {
    store: createDynamoStore(config.tableName),
    oauth: new OAuthClient(config),
    clock: systemClock,
    meter: powertoolsMeter,
    log: logger,
  };
}

/** The flows that touch tokens: redirect, logout, refresh, and the runtime library. */
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
