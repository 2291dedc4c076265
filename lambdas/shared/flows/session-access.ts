/**
 * Session access for the embedding application's own Lambdas: read the session behind the
 * request's cookie, and get a usable access token, refreshed on demand through the same
 * single-flight path as the scheduled refresh (refresh-flow.ts). The construct's
 * `grantSessionAccess(fn)` gives such a Lambda the environment and permissions this needs.
 */

import type { CookieSource } from '../http/cookies.js';
import { cookieNames } from '../http/cookies.js';
import type { Config } from '../platform/config.js';
import { DecryptionError } from '../store/token-cipher.js';
import { findSession } from './find-session.js';
import { freshTokens, type RefreshDeps } from './refresh.js';

export interface SessionInfo {
  readonly sub?: string;
  /** Identity claims from the ID token. */
  readonly claims: Readonly<Record<string, unknown>>;
  /** When the session ends, epoch seconds. */
  readonly expiresAt: number;
}

export interface SessionAccess {
  /** The logged-in user, or undefined (no cookie, unknown, ended or expired session). */
  getSession(event: CookieSource): Promise<SessionInfo | undefined>;
  /**
   * An access token valid for at least `skewSeconds` more (refreshed on demand when needed), or
   * undefined when the session is gone or cannot get a usable token.
   */
  getAccessToken(event: CookieSource): Promise<string | undefined>;
}

export interface SessionAccessDeps extends RefreshDeps {
  readonly config: RefreshDeps['config'] & Pick<Config, 'cookiePrefix'>;
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
