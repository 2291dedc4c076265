/**
 * The composition root: the dependencies of every flow, built once per container from the
 * configuration. Entry files call one of these and hand the result to their flow; the tests build
 * through the very same functions (test/support/backend.ts), passing the clock they move and the
 * DynamoDB client they watch.
 *
 * Each function wires only what it uses: login and session never see a token, so they load
 * neither KMS nor Secrets Manager (smaller bundles, faster cold starts, narrower permissions).
 */
import { type Clock, systemClock } from './shared/domain/clock.js';
import { OAuthClient } from './shared/oauth/client.js';
import type { Config } from './shared/platform/config.js';
import { logger } from './shared/platform/logger.js';
import { powertoolsMeter } from './shared/platform/metrics.js';
import { createClientSecretSource } from './shared/platform/secrets.js';
import { createDynamoStore } from './shared/store/dynamo-store.js';
import { createTokenCipher } from './shared/store/token-keys.js';

/** What a caller may put in place of the defaults; the Lambda entry files pass nothing. */
export interface WiringOptions {
  /** The clock of the flows and of the OAuth client (token expiry, Retry-After). Default: the system clock. */
  readonly clock?: Clock;
  /** The DynamoDB client under the store. Default: one configured from the SDK's environment. */
  readonly dynamoDb?: Parameters<typeof createDynamoStore>[2];
}

/** GET /login: writes transactions only (no token cipher, no secret). */
export function createLoginDeps(config: Config, { clock = systemClock, dynamoDb }: WiringOptions = {}) {
  return {
    config,
    store: createDynamoStore(config.tableName, undefined, dynamoDb),
    oauth: new OAuthClient(config, { clock }),
    clock,
    meter: powertoolsMeter,
    log: logger,
  };
}

/** GET /session: reads the clear-text part of a session only. */
export function createSessionDeps(config: Config, { clock = systemClock, dynamoDb }: WiringOptions = {}) {
  return { config, store: createDynamoStore(config.tableName, undefined, dynamoDb), clock };
}

/** The flows that touch tokens: redirect, logout, refresh, and the runtime library. */
export function createTokenFlowDeps(config: Config, { clock = systemClock, dynamoDb }: WiringOptions = {}) {
  return {
    config,
    store: createDynamoStore(config.tableName, createTokenCipher(config), dynamoDb),
    oauth: new OAuthClient(config, { clock }),
    secrets: createClientSecretSource(config.clientSecret),
    clock,
    meter: powertoolsMeter,
    log: logger,
  };
}

/** The API proxy: the token flows' dependencies and the outbound fetch to the upstreams. */
export function createApiProxyDeps(config: Config) {
  return { ...createTokenFlowDeps(config), fetch: globalThis.fetch };
}
