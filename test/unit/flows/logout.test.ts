/**
 * POST /logout (flows/logout.ts) with object-literal fakes: refused cross-site; otherwise the session
 * deleted first, its refresh token revoked (best effort), the cookie cleared, and the browser handed
 * to the end-session endpoint, with `id_token_hint` only when LOGOUT_ID_TOKEN_HINT=true.
 */
import { describe, expect, it, vi } from 'vitest';
import { TokenEndpointError } from '../../../lambdas/shared/domain/errors.js';
import type { SessionTokens } from '../../../lambdas/shared/domain/tokens.js';
import { makeLogoutHandler } from '../../../lambdas/shared/flows/logout.js';
import { clearCookie, cookieNames } from '../../../lambdas/shared/http/cookies.js';
import { HttpError } from '../../../lambdas/shared/http/errors.js';
import { recordingMeter } from '../../../lambdas/shared/platform/metrics.js';
import type { Session } from '../../../lambdas/shared/store/port.js';
import {
  httpEvent,
  recordingLog,
  recordingSecrets,
  sessionCookie,
  sessionTokens,
  storedSession,
} from '../../support/fakes.js';
import { present } from '../../support/present.js';

const APP = 'https://app.example';
const CONFIG = {
  cookiePrefix: 'bff-',
  allowedOrigins: [APP, 'https://admin.example'],
  postLogoutPath: '/bye',
  redirectUri: new URL(`${APP}/auth/redirect`),
  logoutIdTokenHint: false,
};
const CLEARED = clearCookie(cookieNames('bff-').session);
const END_SESSION = 'https://as.example/session/end';

function logoutWith(
  options: {
    session?: Session;
    tokens?: SessionTokens;
    logoutIdTokenHint?: boolean;
    endSessionEndpoint?: boolean;
  } = {},
) {
  const store = {
    deleteSession: vi.fn(async (idHash: string) =>
      options.session?.idHash === idHash ? options.session : undefined,
    ),
    openTokens: vi.fn(async (_session: Session) => options.tokens ?? sessionTokens()),
  };
  const oauth = {
    revoke: vi.fn(async (_token: string, _hint: 'refresh_token' | 'access_token', _secret: string) => true),
    endSessionUrl: vi.fn(async (params: { postLogoutRedirectUri: string; idTokenHint?: string }) => {
      if (options.endSessionEndpoint === false) return undefined;
      const url = new URL(END_SESSION);
      url.searchParams.set('post_logout_redirect_uri', params.postLogoutRedirectUri);
      if (params.idTokenHint !== undefined) url.searchParams.set('id_token_hint', params.idTokenHint);
      return url;
    }),
  };
  const meter = recordingMeter();
  const log = recordingLog();
  const handler = makeLogoutHandler({
    config: { ...CONFIG, logoutIdTokenHint: options.logoutIdTokenHint ?? false },
    store,
    oauth,
    secrets: recordingSecrets(),
    meter,
    log,
  });
  return { handler, store, oauth, meter, log };
}

/** A POST from the app's own page, with the session cookie. */
function postFromApp(cookie: string, headers: Record<string, string> = { origin: APP }) {
  return httpEvent({ cookies: [cookie], headers });
}

describe('POST /logout', () => {
  it('deletes the session, revokes its refresh token, clears the cookie and hands over to end-session', async () => {
    const { cookie, idHash } = sessionCookie();
    const session = storedSession({ idHash });
    const l = logoutWith({ session });

    const result = await l.handler(postFromApp(cookie));

    expect(result.statusCode).toBe(303);
    const location = new URL(present(result.headers.location));
    expect(`${location.origin}${location.pathname}`).toBe(END_SESSION);
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${APP}/bye`);
    expect(result.cookies).toEqual([CLEARED]);
    expect(result.body).toBe('');
    expect(l.store.deleteSession).toHaveBeenCalledExactlyOnceWith(idHash);
    expect(l.store.openTokens).toHaveBeenCalledExactlyOnceWith(session);
    expect(l.oauth.revoke).toHaveBeenCalledExactlyOnceWith('rt-1', 'refresh_token', 'cached-secret');
    expect(l.meter.counts).toEqual(new Map([['SessionEnded:logout', 1]]));
    expect(l.log.entries).toEqual([{ level: 'info', message: 'logout', extra: [{ hadSession: true }] }]);
  });

  it('keeps the ID token out of the end-session URL by default (no token passes through the browser)', async () => {
    const { cookie, idHash } = sessionCookie();
    const l = logoutWith({ session: storedSession({ idHash }) });

    const result = await l.handler(postFromApp(cookie));

    expect(l.oauth.endSessionUrl).toHaveBeenCalledExactlyOnceWith({ postLogoutRedirectUri: `${APP}/bye` });
    expect(result.headers.location).not.toContain('id-token-1');
  });

  it('sends the ID token as id_token_hint with LOGOUT_ID_TOKEN_HINT=true', async () => {
    const { cookie, idHash } = sessionCookie();
    const l = logoutWith({ session: storedSession({ idHash }), logoutIdTokenHint: true });

    const result = await l.handler(postFromApp(cookie));

    expect(l.oauth.endSessionUrl).toHaveBeenCalledExactlyOnceWith({
      postLogoutRedirectUri: `${APP}/bye`,
      idTokenHint: 'id-token-1',
    });
    expect(new URL(present(result.headers.location)).searchParams.get('id_token_hint')).toBe('id-token-1');
  });

  it('sends no id_token_hint with LOGOUT_ID_TOKEN_HINT=true when the session holds no ID token', async () => {
    const { cookie, idHash } = sessionCookie();
    const l = logoutWith({
      session: storedSession({ idHash }),
      tokens: sessionTokens({ idToken: undefined }),
      logoutIdTokenHint: true,
    });

    await l.handler(postFromApp(cookie));

    expect(l.oauth.endSessionUrl).toHaveBeenCalledExactlyOnceWith({ postLogoutRedirectUri: `${APP}/bye` });
  });

  it.each([
    ['the redirect URI origin', { origin: APP }],
    ['another allowed origin', { origin: 'https://admin.example' }],
    [
      'Origin: null from a same-origin page (no-referrer)',
      { origin: 'null', 'sec-fetch-site': 'same-origin' },
    ],
    ['no Origin, Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin' }],
  ])('accepts a logout from %s', async (_name, headers) => {
    const { cookie, idHash } = sessionCookie();
    const l = logoutWith({ session: storedSession({ idHash }) });

    expect((await l.handler(postFromApp(cookie, headers))).statusCode).toBe(303);
    expect(l.store.deleteSession).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['another origin', { origin: 'https://evil.example' }],
    ['an allowed origin with another scheme', { origin: 'http://app.example' }],
    ['a null origin', { origin: 'null' }],
    ['a null origin and a cross-site fetch', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
    ['no origin and a same-site fetch', { 'sec-fetch-site': 'same-site' }],
    ['no origin at all', {}],
    [
      'another origin claiming same-origin',
      { origin: 'https://evil.example', 'sec-fetch-site': 'same-origin' },
    ],
  ])('refuses a logout from %s with 403, touching nothing', async (_name, headers) => {
    const { cookie, idHash } = sessionCookie();
    const l = logoutWith({ session: storedSession({ idHash }) });

    const error = await l.handler(postFromApp(cookie, headers)).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 403, code: 'logout_cross_site' });
    expect(l.store.deleteSession).not.toHaveBeenCalled();
    expect(l.oauth.revoke).not.toHaveBeenCalled();
  });

  it('still ends the session when the revocation fails, and logs only the kind', async () => {
    const { cookie, idHash } = sessionCookie();
    const l = logoutWith({ session: storedSession({ idHash }) });
    l.oauth.revoke.mockRejectedValueOnce(new TokenEndpointError('unavailable', 503));

    const result = await l.handler(postFromApp(cookie));

    expect(result.statusCode).toBe(303);
    expect(result.cookies).toEqual([CLEARED]);
    expect(l.log.entries.filter((e) => e.level === 'warn')).toEqual([
      { level: 'warn', message: 'token revocation failed', extra: [{ reason: 'unavailable' }] },
    ]);
  });

  it('logs "error" as the reason of a revocation failure that is not the AS', async () => {
    const { cookie, idHash } = sessionCookie();
    const l = logoutWith({ session: storedSession({ idHash }) });
    l.oauth.revoke.mockRejectedValueOnce(new Error('secret unavailable'));

    expect((await l.handler(postFromApp(cookie))).statusCode).toBe(303);
    expect(l.log.entries.find((e) => e.level === 'warn')?.extra).toEqual([{ reason: 'error' }]);
  });

  it('does not revoke when the tokens do not open, and still logs out', async () => {
    const { cookie, idHash } = sessionCookie();
    const l = logoutWith({ session: storedSession({ idHash }) });
    l.store.openTokens.mockRejectedValueOnce(new Error('does not decrypt'));

    expect((await l.handler(postFromApp(cookie))).statusCode).toBe(303);
    expect(l.oauth.revoke).not.toHaveBeenCalled();
  });

  it('opens and revokes nothing for an ended session (no tokens)', async () => {
    const { cookie, idHash } = sessionCookie();
    const l = logoutWith({ session: storedSession({ idHash, sealedTokens: undefined }) });

    expect((await l.handler(postFromApp(cookie))).statusCode).toBe(303);
    expect(l.store.openTokens).not.toHaveBeenCalled();
    expect(l.oauth.revoke).not.toHaveBeenCalled();
  });

  it('revokes nothing for a session without a refresh token', async () => {
    const { cookie, idHash } = sessionCookie();
    const l = logoutWith({
      session: storedSession({ idHash }),
      tokens: sessionTokens({ refreshToken: undefined }),
    });

    expect((await l.handler(postFromApp(cookie))).statusCode).toBe(303);
    expect(l.oauth.revoke).not.toHaveBeenCalled();
  });

  it('clears the cookie without a session, counting nothing', async () => {
    const l = logoutWith();

    const result = await l.handler(httpEvent({ headers: { origin: APP } }));

    expect(result.statusCode).toBe(303);
    expect(result.cookies).toEqual([CLEARED]);
    expect(l.store.deleteSession).not.toHaveBeenCalled();
    expect(l.meter.counts.size).toBe(0);
    expect(l.log.entries).toEqual([{ level: 'info', message: 'logout', extra: [{ hadSession: false }] }]);
  });

  it('lands on postLogoutPath when the AS has no end-session endpoint', async () => {
    const l = logoutWith({ endSessionEndpoint: false });

    expect((await l.handler(httpEvent({ headers: { origin: APP } }))).headers.location).toBe('/bye');
  });

  it('lands on postLogoutPath when the end-session URL cannot be built (discovery down)', async () => {
    const l = logoutWith();
    l.oauth.endSessionUrl.mockRejectedValueOnce(new TokenEndpointError('unavailable'));

    expect((await l.handler(httpEvent({ headers: { origin: APP } }))).headers.location).toBe('/bye');
  });

  it('answers a script (Accept: application/json) with 200 and where to go', async () => {
    const l = logoutWith({ endSessionEndpoint: false });

    const result = await l.handler(httpEvent({ headers: { origin: APP, accept: 'application/json' } }));

    expect(result.statusCode).toBe(200);
    expect(JSON.parse(present(result.body))).toEqual({ loggedOut: true, redirectTo: '/bye' });
    expect(result.cookies).toEqual([CLEARED]);
  });
});
