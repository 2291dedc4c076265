/**
 * POST /backchannel-logout (OpenID Connect Back-Channel Logout 1.0, checklist J31): the
 * authorization server says a user's session there has ended; every session of this backend that
 * came from it ends too.
 *
 * Order matters:
 * 1. the request and the logout token are checked completely (oauth/logout-token.ts) before
 *    anything is written: a bad one ends nothing and writes nothing;
 * 2. the token's `jti` is recorded with a conditional write, so a token is acted on at most once
 *    (a replay, even a concurrent one, finds it recorded and is refused);
 * 3. the sessions are found by the subject index (a Query) and ended: with `sid`, those whose ID
 *    token carried it; without, every session of that `sub` (section 2.7). Ended means what a
 *    dead refresh token means: no tokens, out of the refresh index, /session answers 401.
 *
 * Answers (section 2.8): 200 with `Cache-Control: no-store` for a valid token, also when no session
 * matched (the AS must not retry a logout that has nothing left to do); 400 with
 * `{"error":"invalid_request"}` for anything invalid, the reason only in the log (a forger learns
 * nothing); 5xx when the AS's keys or our table could not be reached, so the AS may retry.
 *
 * A token with `sid` but no `sub` is refused: the index is by subject (definitions/table-schema.ts
 * says why), and every provider that sends back-channel logout sends `sub` (docs/providers.md).
 */

import { BACKCHANNEL_LOGOUT } from '../definitions/limits.js';
import { METRIC } from '../definitions/metric-names.js';
import { type Clock, nowSeconds } from '../domain/clock.js';
import { sha256 } from '../domain/crypto.js';
import { HttpError } from '../http/errors.js';
import { parseFormBody } from '../http/form-body.js';
import { type HttpEvent, type HttpResult, json } from '../http/responses.js';
import { upstreamHttpError } from '../http/upstream-errors.js';
import {
  type LogoutTokenClaims,
  LogoutTokenInvalidError,
  LogoutTokenKeysUnavailableError,
  type LogoutTokenVerifier,
} from '../oauth/logout-token.js';
import type { Log } from '../platform/logger.js';
import type { Meter } from '../platform/metrics.js';
import type { Store } from '../store/port.js';

export interface BackchannelLogoutDeps {
  readonly store: Pick<Store, 'rememberLogoutToken' | 'findSessionsOfSubject' | 'endLiveSession'>;
  /** Validates logout tokens against the AS (oauth/logout-token.ts): its issuer, keys and algorithms. */
  readonly logoutTokens: Pick<LogoutTokenVerifier, 'verify'>;
  readonly clock: Clock;
  readonly meter: Meter;
  readonly log: Log;
}

/** Section 2.8: the body of every refusal, whatever the reason. */
const REFUSED = { error: 'invalid_request' } as const;

export function makeBackchannelLogoutHandler({
  store,
  logoutTokens,
  clock,
  meter,
  log,
}: BackchannelLogoutDeps) {
  const refuse = (reason: string): HttpResult => {
    log.warn('back-channel logout refused', { reason });
    return json(400, REFUSED);
  };

  return async (event: HttpEvent): Promise<HttpResult> => {
    // 1. The request and the token, no write.
    let token: string | undefined;
    try {
      token = parseFormBody(event, { maxBytes: BACKCHANNEL_LOGOUT.maxBodyBytes, maxParams: 4 }).get(
        'logout_token',
      );
    } catch (error) {
      if (error instanceof HttpError && error.status < 500) return refuse(error.code);
      throw error;
    }
    if (token === undefined || token === '') return refuse('no_logout_token');

    let claims: LogoutTokenClaims;
    try {
      claims = await logoutTokens.verify(token);
    } catch (error) {
      if (error instanceof LogoutTokenInvalidError) return refuse(error.reason);
      if (error instanceof LogoutTokenKeysUnavailableError) {
        throw new HttpError(502, 'jwks_unavailable', 'The authorization server keys could not be fetched.', {
          cause: error,
        });
      }
      throw upstreamHttpError(error); // discovery failed
    }
    const { sub, sid } = claims;
    if (sub === undefined) return refuse('sid_without_sub');

    // 2. Once per jti: kept as long as a token with this iat would still be accepted.
    const now = nowSeconds(clock);
    const keepUntil =
      Math.max(claims.iat, now) +
      BACKCHANNEL_LOGOUT.maxTokenAgeSeconds +
      2 * BACKCHANNEL_LOGOUT.clockToleranceSeconds;
    if (!(await store.rememberLogoutToken(sha256(claims.jti), keepUntil))) return refuse('replayed');

    // 3. End the matching sessions; one failure does not keep the others alive.
    const ids = await store.findSessionsOfSubject(sub, sid === undefined ? {} : { sid });
    const results = await Promise.allSettled(ids.map((id) => store.endLiveSession(id, now, { sub })));
    let ended = 0;
    for (const result of results) {
      if (result.status === 'fulfilled' && result.value) {
        ended++;
        meter.count(METRIC.sessionEnded, 'backchannel');
      }
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    log.info('back-channel logout', { matched: ids.length, ended, bySid: sid !== undefined });
    // The sessions that did end stay ended; the AS learns that the rest did not.
    if (failed) throw failed.reason;
    return { statusCode: 200, headers: {}, cookies: [], body: '' };
  };
}
