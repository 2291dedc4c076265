/**
 * The wiring of POST /backchannel-logout, apart from lambdas/wiring.ts because it alone loads
 * `jose` (the logout-token verifier): the runtime library imports wiring.ts, and an embedding app's
 * Lambda must not need `jose` to read a session.
 */
import { systemClock } from './shared/domain/clock.js';
import type { BackchannelLogoutDeps } from './shared/flows/backchannel-logout.js';
import { AuthorizationServerMetadata, asRequestOptions } from './shared/oauth/discovery.js';
import { LogoutTokenVerifier } from './shared/oauth/logout-token.js';
import type { Config } from './shared/platform/config.js';
import { logger } from './shared/platform/logger.js';
import { powertoolsMeter } from './shared/platform/metrics.js';
import { createDynamoStore } from './shared/store/dynamo-store.js';
import { PUT, QUERY, UPDATE } from './shared/store/store-commands.js';
import type { WiringOptions } from './wiring.js';

/**
 * POST /backchannel-logout: verifies logout tokens (discovery and the AS's keys, no client secret)
 * and ends sessions without opening their tokens (no token cipher).
 */
export function createBackchannelLogoutDeps(
  config: Config,
  { clock = systemClock, dynamoDb }: WiringOptions = {},
) {
  // The AS metadata alone, not the OAuth client: this function makes no token request, and so
  // bundles oauth4webapi's discovery only (oauth/discovery.ts).
  const source = config.authorizationServer;
  const metadata = new AuthorizationServerMetadata(
    source,
    asRequestOptions(source, { httpTimeoutMs: config.httpTimeoutMs }),
  );
  return {
    // Only the commands of its three operations (store/store-commands.ts).
    store: createDynamoStore<keyof BackchannelLogoutDeps['store']>(
      config.tableName,
      { ...PUT, ...QUERY, ...UPDATE },
      undefined,
      dynamoDb,
    ),
    // Only this function loads jose: the runtime library and the other flows never import it.
    logoutTokens: new LogoutTokenVerifier(() => metadata.get(), {
      clientId: config.clientId,
      clock,
      httpTimeoutMs: config.httpTimeoutMs,
    }),
    clock,
    meter: powertoolsMeter,
    log: logger,
  };
}
