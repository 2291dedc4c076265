/**
 * What the runtime library (lambdas/runtime.ts, `serverless-oauth-bff/runtime`) hands to the
 * embedding application's Lambdas. Kept apart from session-access.ts, whose dependency types
 * reach the store, the OAuth client and the platform: the package's published declarations reach
 * only this file and http/cookies.ts, so a consumer type-checks them without any of our
 * dependencies' types.
 */
import type { CookieSource } from '../http/cookies.js';

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
