/**
 * Authorization parameters (checklist J32) through the real handlers: static ones from
 * OAUTH_AUTHORIZATION_PARAMS on every request, per-login ones from /login's allowlist only, the
 * backend's own never replaced; `max_age` and `acr_values` checked in the ID token; and silent
 * login (`prompt=none`) against oidc-provider.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKEND_OWNED_PARAMS } from '../../lambdas/shared/definitions/authorization-params.js';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { CookieJar, jarFetch } from '../support/cookie-jar.js';
import {
  type FakeTokenEndpoint,
  fakeEndpointEnv,
  sendJson,
  startFakeTokenEndpoint,
} from '../support/fake-token-endpoint.js';
import { type Harness, startHarness } from '../support/harness.js';

const SESSION_COOKIE = cookieNames().session;
// The dev AS refuses resource indicators it does not know (invalid_target), so no `resource` here.
const STATIC = { audience: 'https://api.example.test', organization: 'acme' };

describe('authorization parameters against oidc-provider', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { OAUTH_AUTHORIZATION_PARAMS: JSON.stringify(STATIC) } });
  });
  afterAll(() => h.stop());

  const login = async (query: string, jar = new CookieJar()) => {
    const response = await jarFetch(jar, `${h.url}/login${query ? `?${query}` : ''}`);
    return { response, jar, location: new URL(response.headers.get('location') ?? 'http://invalid/') };
  };

  it('adds the static parameters to every authorization request, and the login still completes', async () => {
    const { response, location } = await login('');
    expect(response.status).toBe(302);
    expect(location.searchParams.get('audience')).toBe(STATIC.audience);
    expect(location.searchParams.get('organization')).toBe(STATIC.organization);
    const { sessionId } = await h.login();
    expect(sessionId).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('passes the allowlisted per-login parameters and ignores everything else', async () => {
    const evil: Record<string, string> = {
      response_type: 'token',
      client_id: 'evil-client',
      redirect_uri: 'https://evil.example/cb',
      scope: 'openid admin',
      state: 'attacker-state',
      nonce: 'attacker-nonce',
      code_challenge: 'attacker-challenge',
      code_challenge_method: 'plain',
      response_mode: 'form_post',
      request_uri: 'https://evil.example/request',
      claims: '{"id_token":{"email":null}}',
      foo: 'bar',
    };
    const query = new URLSearchParams({
      prompt: 'login consent',
      login_hint: 'alice@example.test',
      ui_locales: 'de-CH en',
      acr_values: 'urn:example:acr:mfa silver',
      max_age: '300',
      returnTo: '/app',
      ...evil,
    });
    const { response, location } = await login(query.toString());
    expect(response.status).toBe(302);
    const sent = location.searchParams;
    expect(Object.fromEntries(sent)).toMatchObject({
      prompt: 'login consent',
      login_hint: 'alice@example.test',
      ui_locales: 'de-CH en',
      acr_values: 'urn:example:acr:mfa silver',
      max_age: '300',
      ...STATIC,
      response_type: 'code',
      client_id: 'test-client',
      redirect_uri: h.redirectUri,
      scope: 'openid profile',
      code_challenge_method: 'S256',
    });
    for (const name of BACKEND_OWNED_PARAMS) {
      if (sent.has(name)) expect(sent.get(name), name).not.toBe(evil[name]);
      expect(sent.getAll(name).length, name).toBeLessThanOrEqual(1);
    }
    for (const name of ['response_mode', 'request_uri', 'claims', 'foo', 'returnTo'])
      expect(sent.has(name)).toBe(false);
  });

  it('lets a per-login value replace a static one of the same name', async () => {
    const static2 = await startHarness({ env: { OAUTH_AUTHORIZATION_PARAMS: '{"ui_locales":"fr"}' } });
    try {
      const plain = await jarFetch(new CookieJar(), `${static2.url}/login`);
      expect(new URL(plain.headers.get('location') ?? '').searchParams.get('ui_locales')).toBe('fr');
      const chosen = await jarFetch(new CookieJar(), `${static2.url}/login?ui_locales=de`);
      expect(new URL(chosen.headers.get('location') ?? '').searchParams.get('ui_locales')).toBe('de');
    } finally {
      await static2.stop();
    }
  });

  it.each([
    ['prompt', 'none login'],
    ['prompt', 'login login'],
    ['prompt', 'bogus'],
    ['prompt', 'LOGIN'],
    ['prompt', ' login'],
    ['max_age', '-1'],
    ['max_age', '1.5'],
    ['max_age', '01'],
    ['max_age', 'abc'],
    ['max_age', '99999999999'],
    ['login_hint', 'alice\u0000'],
    ['login_hint', 'alice\u202e'],
    ['login_hint', 'a'.repeat(257)],
    ['ui_locales', 'en_US'],
    ['ui_locales', 'en  de'],
    ['acr_values', 'a"b'],
    ['acr_values', Array.from({ length: 11 }, (_, i) => `acr${i}`).join(' ')],
  ])('refuses %s=%j with a 400 naming it, writing nothing', async (name, value) => {
    const { response } = await login(new URLSearchParams({ [name]: value }).toString());
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toBe('login_param_invalid');
    expect(body.message).toContain(name);
    expect(response.headers.getSetCookie()).toEqual([]);
  });

  it('treats an empty allowlisted value as absent', async () => {
    const { response, location } = await login('prompt=&max_age=');
    expect(response.status).toBe(302);
    expect(location.searchParams.has('prompt')).toBe(false);
    expect(location.searchParams.has('max_age')).toBe(false);
  });

  it('completes a login with max_age and prompt=login at the real AS (auth_time checked and met)', async () => {
    const first = await h.login();
    const { sessionId } = await h.login(first.jar, { query: 'prompt=login&max_age=60' });
    const stored = await h.sessionOf(sessionId);
    expect(stored?.sealedTokens).toBeDefined();
  });

  describe('silent login (prompt=none)', () => {
    it('logs in again without any page of the AS while the AS session lasts', async () => {
      const { jar, sessionId } = await h.login(undefined, { user: 'silent-user' });
      // A backend logout that keeps the AS session: the JSON answer, not following end-session.
      const out = await jarFetch(jar, `${h.url}/logout`, {
        method: 'POST',
        headers: { origin: h.url, accept: 'application/json' },
      });
      expect(out.status).toBe(200);
      expect((await jarFetch(jar, `${h.url}/session`)).status).toBe(401);

      // Every hop is a redirect: a page of the AS would be a 200.
      let url = `${h.url}/login?prompt=none&returnTo=${encodeURIComponent('/app?tab=2#top')}`;
      const hops: number[] = [];
      for (let i = 0; i < 10 && !url.startsWith(`${h.url}/app`); i++) {
        const response = await jarFetch(jar, url);
        hops.push(response.status);
        expect(response.status, `${url} answered ${response.status}`).toBeGreaterThanOrEqual(300);
        expect(response.status).toBeLessThan(400);
        url = new URL(response.headers.get('location') ?? '', url).href;
      }
      expect(url).toBe(`${h.url}/app?tab=2#top`);
      const again = jar.get(h.url, SESSION_COOKIE);
      expect(again).toBeDefined();
      expect(again).not.toBe(sessionId);
      const session = await jarFetch(jar, `${h.url}/session`);
      expect(await session.json()).toMatchObject({ authenticated: true, sub: 'silent-user' });
    });

    it('comes back to returnTo with silent_login=login_required, logged out, when there is no AS session', async () => {
      const jar = new CookieJar();
      const before = h.deps.meter.counts.get('LoginFailed:login_required') ?? 0;
      const { callbackUrl: callback } = await h.authorize(jar, {
        query: `prompt=none&returnTo=${encodeURIComponent('/app?tab=2#top')}`,
      });
      expect(new URL(callback).searchParams.get('error')).toBe('login_required');
      const response = await jarFetch(jar, callback);
      expect(response.status).toBe(302);
      expect(response.headers.get('location')).toBe('/app?tab=2&silent_login=login_required#top');
      expect(jar.get(h.url, SESSION_COOKIE)).toBeUndefined();
      // The login cookie is cleared and the transaction spent: the same callback again is refused.
      expect(response.headers.getSetCookie().some((c) => /^__Host-bff-login-[^=]+=;/.test(c))).toBe(true);
      expect(h.deps.meter.counts.get('LoginFailed:login_required')).toBe(before + 1);
      expect((await jarFetch(jar, `${h.url}/session`)).status).toBe(401);
    });

    it('still refuses a silent-login error answer opened in another browser (binding checked first)', async () => {
      const jar = new CookieJar();
      const callback = (await h.authorize(jar, { query: 'prompt=none' })).callbackUrl;
      const response = await jarFetch(new CookieJar(), callback, { headers: { accept: 'text/html' } });
      expect(response.status).toBe(400);
    });

    it('shows the usual error for a login that was not silent, even with login_required', async () => {
      const jar = new CookieJar();
      const login = await jarFetch(jar, `${h.url}/login`);
      const state = new URL(login.headers.get('location') ?? '').searchParams.get('state') ?? '';
      const response = await jarFetch(
        jar,
        `${h.url}/redirect?error=login_required&state=${state}&iss=${encodeURIComponent(h.as.issuer)}`,
      );
      expect(response.status).toBe(403);
    });
  });
});

describe('max_age and acr_values in the ID token (OIDC Core 3.1.2.1, 3.1.3.7)', () => {
  const ISSUER = 'https://issuer.test';
  let as: FakeTokenEndpoint;
  let h: Harness;
  beforeAll(async () => {
    as = await startFakeTokenEndpoint();
    h = await startHarness({ env: fakeEndpointEnv(as, { OAUTH_ISSUER: ISSUER, OAUTH_SCOPE: 'openid' }) });
  });
  afterAll(async () => {
    await h.stop();
    await as.stop();
  });

  const now = () => Math.floor(Date.now() / 1000);
  const idToken = (claims: Record<string, unknown>) => {
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${Buffer.from('sig').toString('base64url')}`;
  };

  async function callback(query: string, claims: (nonce: string) => Record<string, unknown>) {
    const jar = new CookieJar();
    const login = await jarFetch(jar, `${h.url}/login?${query}`);
    const authorize = new URL(login.headers.get('location') ?? '');
    const nonce = authorize.searchParams.get('nonce') ?? '';
    const state = authorize.searchParams.get('state') ?? '';
    as.respond((_b, _q, res) =>
      sendJson(res, 200, {
        access_token: 'at',
        token_type: 'Bearer',
        expires_in: 60,
        id_token: idToken({
          iss: ISSUER,
          aud: 'test-client',
          sub: 'alice',
          iat: now(),
          exp: now() + 300,
          nonce,
          ...claims(nonce),
        }),
      }),
    );
    return jarFetch(jar, `${h.url}/redirect?code=the-code&state=${state}`);
  }

  it.each([
    ['auth_time older than max_age', 'max_age=60', { auth_time: now() - 3600 }],
    ['no auth_time with max_age', 'max_age=60', {}],
    ['no acr with acr_values', 'acr_values=urn:mfa', {}],
    ['another acr than requested', 'acr_values=urn:mfa%20urn:hwk', { acr: 'urn:password' }],
  ])('refuses %s: 403, no session', async (_name, query, claims) => {
    const response = await callback(query, () => claims);
    expect(response.status).toBe(403);
    expect(((await response.json()) as { error: string }).error).toBe('login_requirements_not_met');
    expect(response.headers.getSetCookie().some((c) => /^__Host-bff-session=[^;]/.test(c))).toBe(false);
  });

  it.each([
    ['a recent auth_time', 'max_age=60', { auth_time: now() - 10 }],
    ['max_age=0 right after signing in', 'max_age=0', { auth_time: now() }],
    ['an acr among the requested', 'acr_values=urn:mfa%20urn:hwk', { acr: 'urn:hwk' }],
    ['no max_age or acr_values asked: neither checked', '', {}],
  ])('accepts %s', async (_name, query, claims) => {
    const response = await callback(query, () => claims);
    expect(response.status).toBe(302);
    expect(response.headers.getSetCookie().some((c) => /^__Host-bff-session=[^;]/.test(c))).toBe(true);
  });
});
