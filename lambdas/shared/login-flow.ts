/**
 * GET /login (design.md step 1): a fresh login transaction, bound to this browser, then a 302 to
 * the authorization endpoint. Exactly one DynamoDB write.
 */
import { type Clock, nowSeconds } from './clock.js';
import type { Config } from './config.js';
import { cookieNames } from './cookies.js';
import { randomToken, sha256 } from './crypto.js';
import { type HttpEvent, type HttpResult, parseQuery, redirect, setCookie } from './http.js';
import type { Log } from './logger.js';
import { METRIC, type Meter } from './metrics.js';
import { createPkce, type OAuthClient, randomNonce, upstreamHttpError } from './oauth.js';
import { safeReturnTo } from './return-to.js';
import type { Store } from './store.js';

export interface LoginDeps {
  readonly config: Pick<Config, 'loginTimeoutSeconds' | 'postLoginPath' | 'cookiePrefix'>;
  readonly store: Pick<Store, 'putTransaction'>;
  readonly oauth: Pick<OAuthClient, 'authorizationUrl' | 'isOpenId'>;
  readonly clock: Clock;
  readonly meter: Meter;
  readonly log: Log;
}

const LOGIN_QUERY_LIMITS = { maxLength: 4096, maxParams: 8, maxValueLength: 2048 };

export function makeLoginHandler({ config, store, oauth, clock, meter, log }: LoginDeps) {
  const cookies = cookieNames(config.cookiePrefix);
  return async (event: HttpEvent): Promise<HttpResult> => {
    const query = parseQuery(event.rawQueryString, LOGIN_QUERY_LIMITS);
    const returnTo = safeReturnTo(query.get('returnTo'), config.postLoginPath);

    const state = randomToken();
    const binding = randomToken();
    const pkce = await createPkce();
    const nonce = oauth.isOpenId ? randomNonce() : undefined;

    // Build the URL first: if discovery fails, nothing is written.
    const authorizationUrl = await oauth
      .authorizationUrl({ state, codeChallenge: pkce.challenge, ...(nonce ? { nonce } : {}) })
      .catch((error: unknown) => {
        throw upstreamHttpError(error);
      });
    await store.putTransaction({
      stateHash: sha256(state),
      codeVerifier: pkce.verifier,
      ...(nonce ? { nonce } : {}),
      bindingHash: sha256(binding),
      returnTo,
      expiresAt: nowSeconds(clock) + config.loginTimeoutSeconds,
    });
    meter.count(METRIC.loginStarted);
    log.info('login started');
    return redirect(authorizationUrl.href, [
      setCookie(cookies.binding(state), binding, config.loginTimeoutSeconds),
    ]);
  };
}
