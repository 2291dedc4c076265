/**
 * Session access for the embedding application's own Lambdas: read the session behind the
 * request's cookie, and get a usable access token, refreshed on demand through the same
 * single-flight path as the scheduled refresh (refresh-flow.ts). The construct's
 * `grantSessionAccess(fn)` gives such a Lambda the environment and permissions this needs.
 */

import { cookieNames } from '../http/cookies.js';
import type { Config } from '../platform/config.js';
import { DecryptionError } from '../store/token-cipher.js';
import { findSession } from './find-session.js';
import { freshTokens, type OnDemandRefreshDeps } from './refresh.js';
import type { SessionAccess } from './session-info.js';

export type { SessionAccess, SessionInfo } from './session-info.js';

export interface SessionAccessDeps extends OnDemandRefreshDeps {
  readonly config: OnDemandRefreshDeps['config'] & Pick<Config, 'cookiePrefix'>;
}

export function makeSessionAccess(
  deps: SessionAccessDeps,
  options: { skewSeconds?: number } = {},
): SessionAccess {
  const cookies = cookieNames(deps.config.cookiePrefix);
  return {
    async getSession(event) {
      const session = await findSession(event, deps.store, deps.clock, cookies);
      if (!session) return undefined;
      return {
        ...(session.sub === undefined ? {} : { sub: session.sub }),
        claims: session.claims,
        expiresAt: session.expiresAt,
      };
    },
    async getAccessToken(event) {
      const session = await findSession(event, deps.store, deps.clock, cookies);
      if (!session) return undefined;
      try {
        const tokens = await freshTokens(deps, session, {
          ...(options.skewSeconds === undefined ? {} : { skewSeconds: options.skewSeconds }),
        });
        return tokens?.accessToken;
      } catch (error) {
        // A ciphertext that does not open for this session is treated as no session at all.
        if (error instanceof DecryptionError) {
          deps.log.warn('session tokens failed to decrypt');
          return undefined;
        }
        throw error;
      }
    },
  };
}
