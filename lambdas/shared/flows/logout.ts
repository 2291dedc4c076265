/**
 * POST /logout (checklist H25): end the local session, revoke its refresh token at the AS, clear
 * the cookie, and hand the browser to the AS's end-session endpoint.
 *
 * - Cross-site requests are refused: a POST must carry an allowed `Origin` (every current browser
 *   sends one on POST), or, when the Origin is absent or `null` (privacy settings, no-referrer
 *   pages), the browser-set `Sec-Fetch-Site: same-origin`.
 *   SameSite=Lax already keeps the cookie off cross-site POSTs; this check does not rely on it.
 * - The session is deleted first, in one call that returns what it held; a failed revocation is
 *   logged and does not keep the session alive.
 * - The ID token is not put into the end-session URL by default: that URL passes through the
 *   browser, and no token ever does (checklist F18). `client_id` identifies us instead, which
 *   RP-Initiated Logout 1.0 (section 2) allows with `post_logout_redirect_uri`. Set
 *   LOGOUT_ID_TOKEN_HINT=true for a provider that insists on `id_token_hint`.
 */

import { METRIC } from '../definitions/metric-names.js';
import { TokenEndpointError } from '../domain/errors.js';
import { clearCookie, cookieNames, sessionIdHash } from '../http/cookies.js';
import { HttpError } from '../http/errors.js';
import { type HttpEvent, type HttpResult, json } from '../http/responses.js';
import type { OAuthClient } from '../oauth/client.js';
import type { Config } from '../platform/config.js';
import type { Log } from '../platform/logger.js';
import type { Meter } from '../platform/metrics.js';
import type { ClientSecretSource } from '../platform/secrets.js';
import type { Store } from '../store/port.js';

export interface LogoutDeps {
  readonly config: Pick<
    Config,
    'cookiePrefix' | 'allowedOrigins' | 'postLogoutPath' | 'redirectUri' | 'logoutIdTokenHint'
  >;
  readonly store: Pick<Store, 'deleteSession' | 'openTokens'>;
  readonly oauth: Pick<OAuthClient, 'revoke' | 'endSessionUrl'>;
  readonly secrets: ClientSecretSource;
  readonly meter: Meter;
  readonly log: Log;
}

export function makeLogoutHandler({ config, store, oauth, secrets, meter, log }: LogoutDeps) {
  const cookies = cookieNames(config.cookiePrefix);
  const allowed = new Set(config.allowedOrigins);
  const postLogoutRedirectUri = new URL(config.postLogoutPath, config.redirectUri).href;

  return async (event: HttpEvent): Promise<HttpResult> => {
    const origin = event.headers?.origin;
    const fetchSite = event.headers?.['sec-fetch-site'];
    // `Origin: null` is what a browser sends for a same-origin form post from a page served with
    // `Referrer-Policy: no-referrer` (ours are); then the browser-set Sec-Fetch-Site decides.
    const trusted =
      origin === undefined || origin === 'null' ? fetchSite === 'same-origin' : allowed.has(origin);
    if (!trusted) {
      throw new HttpError(403, 'logout_cross_site', 'Logout must come from this application.');
    }

    const idHash = sessionIdHash(event, cookies);
    const deleted = idHash === undefined ? undefined : await store.deleteSession(idHash);
    // The session is gone either way; tokens that cannot be opened are simply not revoked.
    const tokens = deleted?.sealedTokens ? await store.openTokens(deleted).catch(() => undefined) : undefined;
    const refreshToken = tokens?.refreshToken;
    if (deleted) meter.count(METRIC.sessionEnded, 'logout');
    if (refreshToken) await revokeQuietly(oauth, secrets, refreshToken, log);

    const endSession = await oauth
      .endSessionUrl({
        postLogoutRedirectUri,
        ...(config.logoutIdTokenHint && tokens?.idToken ? { idTokenHint: tokens.idToken } : {}),
      })
      .catch(() => undefined);
    const location = endSession?.href ?? config.postLogoutPath;
    const cleared = [clearCookie(cookies.session)];
    log.info('logout', { hadSession: deleted !== undefined });

    // A fetch() from a script wants JSON; a form post wants a 303 to follow with a GET.
    if ((event.headers?.accept ?? '').includes('application/json')) {
      return json(200, { loggedOut: true, redirectTo: location }, cleared);
    }
    return { statusCode: 303, headers: { location }, cookies: cleared, body: '' };
  };
}

/** RFC 7009: best effort. A failure is logged, and the local session is gone regardless. */
async function revokeQuietly(
  oauth: LogoutDeps['oauth'],
  secrets: ClientSecretSource,
  refreshToken: string,
  log: Log,
): Promise<void> {
  try {
    await oauth.revoke(refreshToken, 'refresh_token', await secrets.get());
  } catch (error) {
    log.warn('token revocation failed', {
      reason: error instanceof TokenEndpointError ? error.kind : 'error',
    });
  }
}
