/**
 * GET /redirect (README "How it works", steps 6-13): validate the authorization response, consume the login
 * transaction exactly once, exchange the code, and start a session.
 *
 * Order matters:
 * 1. everything that can be rejected from the request alone is rejected before any I/O;
 * 2. the `iss` check (RFC 9207) runs before the transaction is touched, so a mix-up attempt
 *    costs no write;
 * 3. the transaction is consumed with one conditional delete before anything else is decided,
 *    so a replayed or concurrent callback can never reach the token endpoint twice;
 * 4. the code is sent at most once: no retry after an unclear failure (only after an explicit
 *    `invalid_client`, which means the AS refused us before looking at the code).
 */

import { isSilentLoginError } from '../definitions/authorization-params.js';
import { METRIC } from '../definitions/metric-names.js';
import { type Clock, nowSeconds } from '../domain/clock.js';
import { constantTimeEqual, RANDOM_TOKEN_PATTERN, randomToken, sha256 } from '../domain/crypto.js';
import { describeError } from '../domain/errors.js';
import { sessionEndAfter } from '../domain/refresh-policy.js';
import { refreshAtFor, sessionTokensFrom } from '../domain/tokens.js';
import { parseCallback } from '../http/callback.js';
import { clearCookie, cookieNames, readCookie, sessionIdHash, setCookie } from '../http/cookies.js';
import { badRequest, HttpError } from '../http/errors.js';
import { type HttpEvent, type HttpResult, redirect } from '../http/responses.js';
import { silentLoginReturnTo } from '../http/return-to.js';
import { codeExchangeHttpError, upstreamHttpError } from '../http/upstream-errors.js';
import type { OAuthClient } from '../oauth/client.js';
import {
  AuthorizationDeniedError,
  AuthorizationResponseInvalidError,
  LoginRequirementError,
} from '../oauth/errors.js';
import type { Config } from '../platform/config.js';
import type { Log } from '../platform/logger.js';
import type { Meter } from '../platform/metrics.js';
import type { ClientSecretSource } from '../platform/secrets.js';
import type { Store } from '../store/port.js';
import { withFreshSecretOnce } from './with-fresh-secret.js';

export interface RedirectDeps {
  readonly config: Pick<
    Config,
    'sessionDurationSeconds' | 'cookiePrefix' | 'refreshBeforeExpirySeconds' | 'postLoginPath'
  >;
  readonly store: Pick<Store, 'consumeTransaction' | 'createSession' | 'deleteSession'>;
  readonly oauth: Pick<OAuthClient, 'validateCallback' | 'exchangeCode'>;
  readonly secrets: ClientSecretSource;
  readonly clock: Clock;
  readonly meter: Meter;
  readonly log: Log;
}

const RESTART = 'Please start the sign-in again.';

/** ID token claims kept in the session for the app: identity, not protocol plumbing. */
const PROTOCOL_CLAIMS = new Set([
  'aud',
  'azp',
  'exp',
  'iat',
  'nbf',
  'nonce',
  'at_hash',
  'c_hash',
  's_hash',
  'sid',
  'jti',
]);

export function makeRedirectHandler({ config, store, oauth, secrets, clock, meter, log }: RedirectDeps) {
  const cookies = cookieNames(config.cookiePrefix);
  const handle = async (event: HttpEvent): Promise<HttpResult> => {
    // 1. Shape checks, no I/O.
    const callback = parseCallback(event.rawQueryString);
    const bindingName = cookies.binding(callback.state);
    const binding = readCookie(event, bindingName);
    if (binding === undefined || !RANDOM_TOKEN_PATTERN.test(binding)) {
      throw badRequest(
        'login_not_bound',
        `This sign-in was not started in this browser, or it has expired. ${RESTART}`,
      );
    }
    const clearBinding = clearCookie(bindingName);
    const reject = (error: HttpError) => {
      error.cookies.push(clearBinding);
      return error;
    };

    // 2. iss (RFC 9207) and state presence, against cached AS metadata.
    let denied: AuthorizationDeniedError | undefined;
    let exchangeParams: URLSearchParams | undefined;
    try {
      exchangeParams = await oauth.validateCallback(callback.params, callback.state);
    } catch (error) {
      if (error instanceof AuthorizationDeniedError) denied = error;
      else if (error instanceof AuthorizationResponseInvalidError) {
        throw reject(badRequest('callback_invalid', `This sign-in response is not valid. ${RESTART}`, error));
      } else throw upstreamHttpError(error); // discovery failed: the transaction stays untouched
    }

    // 3. Consume exactly once, then check what the transaction says.
    const tx = await store.consumeTransaction(sha256(callback.state));
    if (!tx)
      throw reject(
        badRequest('login_unknown', `This sign-in link was already used or has expired. ${RESTART}`),
      );
    const now = nowSeconds(clock);
    if (tx.expiresAt <= now)
      throw reject(badRequest('login_expired', `This sign-in took too long. ${RESTART}`));
    if (!constantTimeEqual(sha256(binding), tx.bindingHash)) {
      throw reject(badRequest('login_not_bound', `This sign-in was not started in this browser. ${RESTART}`));
    }
    if (denied || !exchangeParams) {
      // A silent login (prompt=none) the AS cannot complete without the user: back to the app,
      // logged out, no error page (README "Silent login").
      if (tx.silent && denied && isSilentLoginError(denied.error)) {
        meter.count(METRIC.loginFailed, denied.error);
        log.info('silent login: the authorization server needs the user', { error: denied.error });
        return redirect(silentLoginReturnTo(tx.returnTo, denied.error, config.postLoginPath), [clearBinding]);
      }
      // The AS's error_description is never shown: only a known-safe error code.
      const reason = /^[a-z_]{1,64}$/.test(denied?.error ?? '') ? ` (${denied?.error})` : '';
      throw reject(new HttpError(403, 'login_denied', `Sign-in was not completed${reason}.`));
    }

    // 4. Exchange the code, once.
    const callbackParams = exchangeParams;
    const tokens = await withFreshSecretOnce(secrets, log, (clientSecret) =>
      oauth.exchangeCode({
        callbackParams,
        codeVerifier: tx.codeVerifier,
        ...(tx.nonce === undefined ? {} : { nonce: tx.nonce }),
        ...(tx.maxAge === undefined ? {} : { maxAge: tx.maxAge }),
        ...(tx.acrValues === undefined ? {} : { acrValues: tx.acrValues.split(' ') }),
        clientSecret,
      }),
    ).catch((error: unknown) => {
      if (error instanceof LoginRequirementError) {
        throw reject(
          new HttpError(
            403,
            'login_requirements_not_met',
            `The sign-in did not meet this application's requirements (${
              error.requirement === 'max_age' ? 'a recent sign-in' : 'the requested authentication level'
            }). ${RESTART}`,
            { cause: error },
          ),
        );
      }
      throw reject(codeExchangeHttpError(error));
    });

    // 5. A brand-new session id: whatever session cookie the browser had is not reused (no fixation).
    const sessionId = randomToken();
    const claims = Object.fromEntries(
      Object.entries(tokens.idTokenClaims ?? {}).filter(([name]) => !PROTOCOL_CLAIMS.has(name)),
    );
    const stored = sessionTokensFrom(tokens);
    await store.createSession(
      {
        idHash: sha256(sessionId),
        ...(tokens.idTokenClaims?.sub ? { sub: tokens.idTokenClaims.sub } : {}),
        // Kept server-side for back-channel logout (checklist J31), never shown: not among `claims`.
        ...(typeof tokens.idTokenClaims?.sid === 'string' ? { sid: tokens.idTokenClaims.sid } : {}),
        claims,
        createdAt: now,
        // Never longer than the refresh token lives, when the AS says (refresh_expires_in).
        expiresAt: sessionEndAfter(
          { createdAt: now, expiresAt: now + config.sessionDurationSeconds },
          config.sessionDurationSeconds,
          tokens.refreshTokenExpiresAt,
        ),
        version: 1,
      },
      stored,
      refreshAtFor(stored, config.refreshBeforeExpirySeconds),
    );
    // A browser logging in again leaves its previous session behind: delete it, or the scheduler
    // would keep refreshing tokens nobody can use until it expires. Best effort: a failure here
    // must not fail a login that succeeded.
    const previous = sessionIdHash(event, cookies);
    if (previous !== undefined) {
      await store.deleteSession(previous).catch((error: unknown) => {
        log.warn('previous session not deleted', describeError(error));
      });
    }
    meter.count(METRIC.loginCompleted);
    log.info('login completed', { refreshable: tokens.refreshToken !== undefined });
    return redirect(tx.returnTo, [
      setCookie(cookies.session, sessionId, config.sessionDurationSeconds),
      clearBinding,
    ]);
  };

  return async (event: HttpEvent): Promise<HttpResult> => {
    try {
      return await handle(event);
    } catch (error) {
      meter.count(METRIC.loginFailed, error instanceof HttpError ? error.code : 'internal_error');
      throw error;
    }
  };
}
