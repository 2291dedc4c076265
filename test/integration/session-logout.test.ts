/**
 * GET /session and POST /logout through the real handlers, DynamoDB Local and oidc-provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../lambdas/shared/domain/crypto.js';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { CookieJar, jarFetch } from '../support/cookie-jar.js';
import { type Harness, startHarness } from '../support/harness.js';
import { present } from '../support/present.js';

const SESSION_COOKIE = cookieNames().session;

describe('GET /session and POST /logout', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  const session = (jar: CookieJar) => jarFetch(jar, `${h.url}/session`);
  const logout = (jar: CookieJar, headers: Record<string, string>) =>
    jarFetch(jar, `${h.url}/logout`, { method: 'POST', headers });

  it('answers 401 without a session, and the claims (never a token) with one', async () => {
    const anonymous = await session(new CookieJar());
    expect(anonymous.status).toBe(401);
    expect(await anonymous.json()).toEqual({ authenticated: false });
    expect(anonymous.headers.get('cache-control')).toBe('no-store');

    const { jar, sessionId } = await h.login();
    const response = await session(jar);
    const body = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const parsed = JSON.parse(body) as {
      authenticated: boolean;
      sub: string;
      claims: Record<string, unknown>;
      expiresAt: number;
    };
    // Exactly the identity claims: no nonce, at_hash, sid, aud, exp, iat or other protocol claims.
    expect(parsed).toEqual({
      authenticated: true,
      sub: 'alice',
      claims: { iss: h.as.issuer, sub: 'alice', name: 'Dev User alice' },
      expiresAt: expect.any(Number),
    });
    expect(parsed.expiresAt).toBeGreaterThan(Date.now() / 1000);
    const stored = await h.tokensOf(sessionId);
    for (const token of [stored?.accessToken, stored?.refreshToken, stored?.idToken]) {
      expect(token).toBeTruthy();
      expect(body).not.toContain(token);
    }
  });

  it.each([
    ['another origin', { origin: 'https://evil.example' }],
    ['a null origin', { origin: 'null' }],
    ['a null origin and a cross-site fetch', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
    ['no origin and a cross-site fetch', { 'sec-fetch-site': 'cross-site' }],
    ['no origin at all', {}],
  ])('refuses a logout from %s and keeps the session', async (_name, headers) => {
    const { jar } = await h.login();
    const response = await logout(jar, headers);
    expect(response.status).toBe(403);
    expect(response.headers.getSetCookie()).toEqual([]);
    expect((await session(jar)).status).toBe(200);
  });

  it('logs out: deletes the session, revokes the refresh token, clears the cookie, hands over to end-session', async () => {
    const { jar, sessionId } = await h.login();
    const stored = await h.tokensOf(sessionId);
    expect(await h.as.provider.RefreshToken.find(stored?.refreshToken ?? '')).toBeTruthy();
    const oldJar = jar.clone();

    const response = await logout(jar, { origin: h.url });
    expect(response.status).toBe(303);
    const location = new URL(response.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(`${h.as.issuer}/session/end`);
    expect(location.searchParams.get('client_id')).toBe('test-client');
    expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${h.url}/`);
    // No token in the URL the browser follows (checklist F18).
    expect(location.searchParams.has('id_token_hint')).toBe(false);
    expect(response.headers.getSetCookie()).toEqual([
      `${SESSION_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`,
    ]);

    expect(await h.store.getSession(sha256(sessionId))).toBeUndefined();
    expect(await h.as.provider.RefreshToken.find(stored?.refreshToken ?? '')).toBeUndefined();
    expect((await session(oldJar)).status).toBe(401);
    expect((await session(jar)).status).toBe(401);
  });

  it('accepts a same-origin form post whose Origin is null (a no-referrer page, as a real browser sends it)', async () => {
    const { jar } = await h.login();
    const response = await logout(jar, { origin: 'null', 'sec-fetch-site': 'same-origin' });
    expect(response.status).toBe(303);
    expect((await session(jar)).status).toBe(401);
  });

  it('answers a script with JSON, and a logout without a session still clears the cookie', async () => {
    const response = await logout(new CookieJar(), { origin: h.url, accept: 'application/json' });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ loggedOut: true });
    expect(response.headers.getSetCookie()).toHaveLength(1);
  });
});

describe('POST /logout with LOGOUT_ID_TOKEN_HINT=true', () => {
  it("hands the session's ID token to the AS's end-session endpoint as id_token_hint", async () => {
    const h = await startHarness({ env: { LOGOUT_ID_TOKEN_HINT: 'true' } });
    try {
      const { jar, sessionId } = await h.login();
      const idToken = present((await h.tokensOf(sessionId))?.idToken, 'the ID token');

      const response = await jarFetch(jar, h.route('logout'), { method: 'POST', headers: { origin: h.url } });

      expect(response.status).toBe(303);
      const location = new URL(present(response.headers.get('location'), 'a location'));
      expect(`${location.origin}${location.pathname}`).toBe(`${h.as.issuer}/session/end`);
      expect(location.searchParams.get('id_token_hint')).toBe(idToken);
      expect(location.searchParams.get('post_logout_redirect_uri')).toBe(`${h.url}/`);
      expect(await h.store.getSession(sha256(sessionId))).toBeUndefined();
    } finally {
      await h.stop();
    }
  });
});

describe('POST /logout when revocation fails', () => {
  it('still ends the local session', async () => {
    const h = await startHarness();
    try {
      const { jar, sessionId } = await h.login();
      await h.as.stop(); // the AS is gone: revocation fails with a refused connection
      const response = await jarFetch(jar, `${h.url}/logout`, { method: 'POST', headers: { origin: h.url } });
      expect(response.status).toBe(303);
      expect(await h.store.getSession(sha256(sessionId))).toBeUndefined();
      expect((await jarFetch(jar.clone(), `${h.url}/session`)).status).toBe(401);
    } finally {
      await h.stop();
    }
  });
});
