/**
 * The wiring of POST /backchannel-logout, apart from lambdas/wiring.ts because it alone loads
 * `jose` (the logout-token verifier): the runtime library imports wiring.ts, and an embedding app's
 * Lambda must not need `jose` to read a session.
 */
import { systemClock } from './shared/domain/clock.js';
import { OAuthClient } from './shared/oauth/client.js';
import { LogoutTokenVerifier } from './shared/oauth/logout-token.js';
import type { Config } from './shared/platform/config.js';
import { logger } from './shared/platform/logger.js';
import { powertoolsMeter } from './shared/platform/metrics.js';
import { createDynamoStore } from './shared/store/dynamo-store.js';
import type { WiringOptions } from './wiring.js';

/**
 * POST /backchannel-logout: verifies logout tokens (discovery and the AS's keys, no client secret)
 * and ends sessions without opening their tokens (no token cipher).
 */
export function createBackchannelLogoutDeps(
  config: Config,
  { clock = systemClock, dynamoDb }: WiringOptions = {},
) {
  const oauth = new OAuthClient(config, { clock });
  return {
    store: createDynamoStore(config.tableName, undefined, dynamoDb),
    // Only this function loads jose: the runtime library and the other flows never import it.
    logoutTokens: new LogoutTokenVerifier(() => oauth.authorizationServer(), {
      clientId: config.clientId,
      clock,
      httpTimeoutMs: config.httpTimeoutMs,
    }),
    clock,
    meter: powertoolsMeter,
    log: logger,
  };
}
