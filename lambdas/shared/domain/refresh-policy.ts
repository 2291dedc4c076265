/**
 * What a refresh does after each kind of failure, in one place (README "Tokens and refresh"):
 *
 * | the token endpoint answered                                  | kind             | the session          |
 * |--------------------------------------------------------------|------------------|----------------------|
 * | `invalid_grant`                                              | `invalid_grant`  | ends, after one try  |
 * | any other 4xx but 401, 408, 429, with or without a body      | `rejected`       | ends, after one try  |
 * | 401, or `invalid_client` (after one retry with a fresh secret) | `invalid_client` | kept, backs off      |
 * | 5xx, 408, 429, no answer in time, connection failure         | `unavailable`, `timeout` | kept, backs off |
 * | a success we cannot use (junk body, missing fields, 3xx)     | `invalid_response` | kept, backs off    |
 *
 * A refresh token the AS refuses on its face will not start working later, so retrying it only
 * keeps a dead session looking alive (`/session` 200) until `sessionDuration` runs out. A failed
 * client authentication is the operator's problem (a secret rotated at the AS but not in Secrets
 * Manager): ending every user's session for it would log everyone out, so it backs off and the
 * `RefreshFailed` metric's `reason` says `invalid_client`.
 */
import type { TokenErrorKind } from './errors.js';

export type RefreshFailureAction =
  /** The refresh token is dead: end the session now. */
  | { readonly action: 'end'; readonly reason: TokenErrorKind }
  /** Keep the tokens; try again after the back-off (at least `retryAfterSeconds`). */
  | { readonly action: 'back-off'; readonly reason: TokenErrorKind | 'error' };

export function refreshFailureAction(kind: TokenErrorKind | undefined): RefreshFailureAction {
  if (kind === 'invalid_grant' || kind === 'rejected') return { action: 'end', reason: kind };
  return { action: 'back-off', reason: kind ?? 'error' };
}

/** Lease length: longer than the worst case of the outbound calls one refresh makes (secret, token). */
export function leaseSeconds(httpTimeoutMs: number): number {
  return Math.ceil((3 * httpTimeoutMs) / 1000) + 5;
}

/** Back-off after `failures` transient failures in a row: 30 s doubling to 1 h, at least Retry-After. */
export function backoffSeconds(failures: number, retryAfterSeconds?: number): number {
  const exponential = Math.min(3600, 30 * 2 ** Math.max(0, failures - 1));
  return Math.max(exponential, Math.min(retryAfterSeconds ?? 0, 86_400));
}

/**
 * When a session ends after a token response: never later than its `sessionDuration` from login,
 * nor than the refresh token's own end when the AS said (`refresh_expires_in`). Without a new
 * refresh-token lifetime the current end stands.
 */
export function sessionEndAfter(
  current: { readonly createdAt: number; readonly expiresAt: number },
  sessionDurationSeconds: number,
  refreshTokenExpiresAt: number | undefined,
): number {
  if (refreshTokenExpiresAt === undefined) return current.expiresAt;
  return Math.min(current.createdAt + sessionDurationSeconds, refreshTokenExpiresAt);
}
