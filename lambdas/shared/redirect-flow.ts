/**
 * GET /redirect (design.md step 3): validate the authorization response, consume the login
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

import { parseCallback } from './callback.js';
import { type Clock, nowSeconds } from './clock.js';
import type { Config } from './config.js';
import { cookieNames } from './cookies.js';
import { constantTimeEqual, RANDOM_TOKEN_PATTERN, randomToken, sha256 } from './crypto.js';
import { badRequest, describeError, HttpError } from './errors.js';
import { clearCookie, type HttpEvent, type HttpResult, readCookie, redirect, setCookie } from './http.js';
import type { Log } from './logger.js';
import { METRIC, type Meter } from './metrics.js';
import {
  AuthorizationDeniedError,
  AuthorizationResponseInvalidError,
  type OAuthClient,
  TokenEndpointError,
  type TokenSet,
  upstreamHttpError,
} from './oauth.js';
import { sessionEndAfter } from './refresh-policy.js';
import type { ClientSecretSource } from './secrets.js';
import { refreshAtFor, type Store, sessionTokensFrom } from './store.js';

export interface RedirectDeps {
  readonly config: Pick<Config, 'sessionDurationSeconds' | 'cookiePrefix' | 'refreshBeforeExpirySeconds'>;
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
      // The AS's error_description is never shown: only a known-safe error code.
      const reason = /^[a-z_]{1,64}$/.test(denied?.error ?? '') ? ` (${denied?.error})` : '';
      throw reject(new HttpError(403, 'login_denied', `Sign-in was not completed${reason}.`));
    }

    // 4. Exchange the code, once.
    const tokens = await exchangeOnce(oauth, secrets, exchangeParams, tx.codeVerifier, tx.nonce, log).catch(
      (error: unknown) => {
        throw reject(toHttpError(error));
      },
    );

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
    const previous = readCookie(event, cookies.session);
    if (previous !== undefined && RANDOM_TOKEN_PATTERN.test(previous)) {
      await store.deleteSession(sha256(previous)).catch((error: unknown) => {
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

/**
 * One code exchange. The only retry is after `invalid_client` with a freshly fetched secret
 * (checklist E14: the secret may have been rotated since it was cached); the AS rejected client
 * authentication before looking at the code, so the code is still unspent. A second failure fails closed.
 */
async function exchangeOnce(
  oauth: RedirectDeps['oauth'],
  secrets: ClientSecretSource,
  params: URLSearchParams,
  verifier: string,
  nonce: string | undefined,
  log: Log,
): Promise<TokenSet> {
  try {
    return await oauth.exchangeCode(params, verifier, nonce, await secrets.get());
  } catch (error) {
    if (!(error instanceof TokenEndpointError) || error.kind !== 'invalid_client') throw error;
    log.warn('client authentication failed; retrying once with a freshly fetched secret');
    return oauth.exchangeCode(params, verifier, nonce, await secrets.get({ forceFetch: true }));
  }
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof TokenEndpointError && error.kind === 'invalid_grant') {
    return badRequest('login_code_rejected', `The sign-in could not be completed. ${RESTART}`, error);
  }
  return upstreamHttpError(error);
}
