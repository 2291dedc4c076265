/**
 * The runtime library for the embedding application's own Lambdas (package export
 * `serverless-oauth-bff/runtime`). Give the function the environment and permissions with
 * `OAuthBackend.grantSessionAccess(fn)`, then:
 *
 *   import { getAccessToken, getSession } from 'serverless-oauth-bff/runtime';
 *   export const handler = async (event) => {
 *     const user = await getSession(event);
 *     if (!user) return { statusCode: 401 };
 *     const token = await getAccessToken(event); // fresh, refreshed on demand
 *     ...
 *   };
 */

import { makeSessionAccess, type SessionAccess, type SessionInfo } from './shared/app-session.js';
import { systemClock } from './shared/clock.js';
import { loadConfig } from './shared/config.js';
import { createDynamoStore } from './shared/dynamo-store.js';
import type { CookieSource } from './shared/http.js';
import { logger } from './shared/logger.js';
import { powertoolsMeter } from './shared/metrics.js';
import { OAuthClient } from './shared/oauth.js';
import { createClientSecretSource } from './shared/secrets.js';
import { createTokenCipher } from './shared/token-keys.js';

export type { SessionAccess, SessionInfo } from './shared/app-session.js';
export { makeSessionAccess } from './shared/app-session.js';

let access: SessionAccess | undefined;

/** Built once per container from the environment `grantSessionAccess` sets, like a handler entry file. */
export function sessionAccess(): SessionAccess {
  if (!access) {
    const config = loadConfig(process.env);
    access = makeSessionAccess({
      config,
      store: createDynamoStore(config.tableName, createTokenCipher(config)),
      oauth: new OAuthClient(config),
      secrets: createClientSecretSource(config.clientSecret),
      clock: systemClock,
      meter: powertoolsMeter,
      log: logger,
    });
  }
  return access;
}

export const getSession = (event: CookieSource): Promise<SessionInfo | undefined> =>
  sessionAccess().getSession(event);
export const getAccessToken = (event: CookieSource): Promise<string | undefined> =>
  sessionAccess().getAccessToken(event);
