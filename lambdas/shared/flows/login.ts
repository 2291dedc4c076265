/**
 * GET /login (README "How it works", steps 1-2): a fresh login transaction, bound to this browser, then a 302 to
 * the authorization endpoint. Exactly one DynamoDB write.
 *
 * Authorization parameters (checklist J32): the static ones of the configuration, then the
 * allowlisted per-login ones of the query (http/login-params.ts), which replace static ones of the
 * same name; the backend's own parameters are set by the OAuth client and cannot be replaced.
 * What the ID token must then show (`max_age`, `acr_values`) and whether the login is silent
 * (`prompt=none`) is kept in the transaction for /redirect.
 */

import { METRIC } from '../definitions/metric-names.js';
import { type Clock, nowSeconds } from '../domain/clock.js';
import { randomToken, sha256 } from '../domain/crypto.js';
import { cookieNames, setCookie } from '../http/cookies.js';
import { loginParamsFrom } from '../http/login-params.js';
import { parseQuery } from '../http/query.js';
import { type HttpEvent, type HttpResult, redirect } from '../http/responses.js';
import { safeReturnTo } from '../http/return-to.js';
import { upstreamHttpError } from '../http/upstream-errors.js';
import { createPkce, type OAuthClient, randomNonce } from '../oauth/client.js';
import type { Config } from '../platform/config.js';
import type { Log } from '../platform/logger.js';
import type { Meter } from '../platform/metrics.js';
import type { Store } from '../store/port.js';

export interface LoginDeps {
  readonly config: Pick<
    Config,
    'loginTimeoutSeconds' | 'postLoginPath' | 'cookiePrefix' | 'authorizationParams'
  >;
  readonly store: Pick<Store, 'putTransaction'>;
  readonly oauth: Pick<OAuthClient, 'authorizationUrl' | 'isOpenId'>;
  readonly clock: Clock;
  readonly meter: Meter;
  readonly log: Log;
}

const LOGIN_QUERY_LIMITS = { maxLength: 4096, maxParams: 32, maxValueLength: 2048 };

export function makeLoginHandler({ config, store, oauth, clock, meter, log }: LoginDeps) {
  const cookies = cookieNames(config.cookiePrefix);
  return async (event: HttpEvent): Promise<HttpResult> => {
    const query = parseQuery(event.rawQueryString, LOGIN_QUERY_LIMITS);
    const returnTo = safeReturnTo(query.get('returnTo'), config.postLoginPath);
    const params: Record<string, string> = { ...config.authorizationParams, ...loginParamsFrom(query) };
    const maxAge = params.max_age === undefined ? undefined : Number(params.max_age);

    const state = randomToken();
    const binding = randomToken();
    const pkce = createPkce();
    const nonce = oauth.isOpenId ? randomNonce() : undefined;

    // Build the URL first: if discovery fails, nothing is written.
    const authorizationUrl = await oauth
      .authorizationUrl({
        state,
        codeChallenge: pkce.challenge,
        ...(nonce ? { nonce } : {}),
        extraParams: params,
      })
      .catch((error: unknown) => {
        throw upstreamHttpError(error);
      });
    await store.putTransaction({
      stateHash: sha256(state),
      codeVerifier: pkce.verifier,
      ...(nonce ? { nonce } : {}),
      bindingHash: sha256(binding),
      returnTo,
      ...(maxAge === undefined ? {} : { maxAge }),
      ...(params.acr_values === undefined ? {} : { acrValues: params.acr_values }),
      ...(params.prompt === 'none' ? { silent: true } : {}),
      expiresAt: nowSeconds(clock) + config.loginTimeoutSeconds,
    });
    meter.count(METRIC.loginStarted);
    log.info('login started', { silent: params.prompt === 'none' });
    return redirect(authorizationUrl.href, [
      setCookie(cookies.binding(state), binding, config.loginTimeoutSeconds),
    ]);
  };
}
