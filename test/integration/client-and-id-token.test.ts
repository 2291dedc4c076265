/**
 * What the token request carries (checklist C8, E12) and what an ID token must satisfy (E15),
 * against a token endpoint the test controls.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CookieJar, jarFetch } from '../support/cookie-jar.js';
import {
  type FakeTokenEndpoint,
  fakeEndpointEnv,
  sendJson,
  startFakeTokenEndpoint,
} from '../support/fake-token-endpoint.js';
import { type Harness, startHarness } from '../support/harness.js';

const ISSUER = 'https://issuer.test';
const SECRET = 'p:a%s+s&w=rd';

/** An ID token as the AS would send it. The signature is not checked: it came over TLS from the token endpoint (OIDC Core 3.1.3.7). */
function idToken(claims: Record<string, unknown>): string {
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${Buffer.from('signature').toString('base64url')}`;
}

describe.each(['client_secret_basic', 'client_secret_post'] as const)(
  'the token request with %s',
  (method) => {
    let as: FakeTokenEndpoint;
    let h: Harness;
    beforeAll(async () => {
      as = await startFakeTokenEndpoint();
      as.respond((_b, _q, res) =>
        sendJson(res, 200, { access_token: 'at', token_type: 'Bearer', expires_in: 60 }),
      );
      h = await startHarness({
        authMethod: method,
        clientSecret: SECRET,
        env: fakeEndpointEnv(as),
      });
    });
    afterAll(async () => {
      await h.stop();
      await as.stop();
    });

    it('authenticates the client one way only, never in the URL, with the configured redirect_uri and the verifier', async () => {
      const jar = new CookieJar();
      const { authorizationUrl: authorize, callbackUrl } = await h.authorize(jar, { code: 'the-code' });
      expect((await jarFetch(jar, callbackUrl)).status).toBe(302);
      const body = as.requests.at(-1);
      const headers = as.headers.at(-1);
      expect(body?.get('grant_type')).toBe('authorization_code');
      expect(body?.get('code')).toBe('the-code');
      expect(body?.get('redirect_uri')).toBe(h.redirectUri);
      expect(body?.get('redirect_uri')).toBe(authorize.searchParams.get('redirect_uri'));
      expect(body?.get('code_verifier')).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
      if (method === 'client_secret_basic') {
        // RFC 6749 2.3.1: id and secret form-urlencoded, then base64: the secret's ':' cannot split it.
        const decoded = Buffer.from(
          headers?.authorization?.replace(/^Basic /, '') ?? '',
          'base64',
        ).toString();
        const [id = '', password = ''] = decoded.split(':');
        expect(decoded.split(':')).toHaveLength(2);
        expect(password).not.toMatch(/[:+&=]/);
        expect(decodeURIComponent(id)).toBe('test-client');
        expect(decodeURIComponent(password)).toBe(SECRET);
        expect(body?.has('client_secret')).toBe(false);
      } else {
        expect(headers?.authorization).toBeUndefined();
        expect(body?.get('client_id')).toBe('test-client');
        expect(body?.get('client_secret')).toBe(SECRET);
      }
    });

    it('never derives redirect_uri from request headers', async () => {
      const location = await new Promise<string>((resolve, reject) => {
        const req = request(`${h.url}/login`, {
          headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'http' },
        });
        req.on('response', (res) => {
          res.resume();
          resolve(res.headers.location ?? '');
        });
        req.on('error', reject);
        req.end();
      });
      expect(new URL(location).searchParams.get('redirect_uri')).toBe(h.redirectUri);
    });
  },
);

describe('ID token validation (checklist E15)', () => {
  let as: FakeTokenEndpoint;
  let h: Harness;
  beforeAll(async () => {
    as = await startFakeTokenEndpoint();
    h = await startHarness({
      env: fakeEndpointEnv(as, { OAUTH_ISSUER: ISSUER, OAUTH_SCOPE: 'openid' }),
    });
  });
  afterAll(async () => {
    await h.stop();
    await as.stop();
  });

  const now = () => Math.floor(Date.now() / 1000);
  /** The token endpoint's next answers: an access token, with an ID token of these claims if any. */
  const answerWithIdToken = (claims?: Record<string, unknown>) =>
    as.respond((_b, _q, res) =>
      sendJson(res, 200, {
        access_token: 'at',
        token_type: 'Bearer',
        expires_in: 60,
        ...(claims ? { id_token: idToken(claims) } : {}),
      }),
    );
  const good = (nonce: string) => ({
    iss: ISSUER,
    aud: 'test-client',
    sub: 'alice',
    iat: now(),
    exp: now() + 300,
    nonce,
  });

  it.each([
    ['a wrong issuer', (n: string) => ({ ...good(n), iss: 'https://other.test' })],
    ['a wrong audience', (n: string) => ({ ...good(n), aud: 'someone-else' })],
    ['an expired token', (n: string) => ({ ...good(n), iat: now() - 7200, exp: now() - 3600 })],
    ['a wrong nonce', (n: string) => ({ ...good(n), nonce: `${n}x` })],
    ['no nonce', (n: string) => ({ ...good(n), nonce: undefined })],
    ['no ID token at all', undefined],
  ])('refuses %s: no session', async (_name, claims) => {
    const jar = new CookieJar();
    const { authorizationUrl: authorize, callbackUrl } = await h.authorize(jar, { code: 'the-code' });
    const nonce = authorize.searchParams.get('nonce') ?? '';
    answerWithIdToken(claims?.(nonce));
    const response = await jarFetch(jar, callbackUrl);
    expect(response.status).toBe(502);
    expect(((await response.json()) as { error: string }).error).toBe('token_endpoint_invalid_response');
    expect(response.headers.getSetCookie().some((c) => /^__Host-bff-session=[^;]/.test(c))).toBe(false);
  });

  it('accepts a valid one and keeps its identity claims', async () => {
    const jar = new CookieJar();
    const { authorizationUrl: authorize, callbackUrl } = await h.authorize(jar, { code: 'the-code' });
    const nonce = authorize.searchParams.get('nonce') ?? '';
    answerWithIdToken({ ...good(nonce), email: 'alice@example.test' });
    expect((await jarFetch(jar, callbackUrl)).status).toBe(302);
    const session = await jarFetch(jar, `${h.url}/session`);
    // Exactly the identity claims: aud, iat, exp and nonce are protocol plumbing, not kept.
    expect(await session.json()).toEqual({
      authenticated: true,
      sub: 'alice',
      claims: { iss: ISSUER, sub: 'alice', email: 'alice@example.test' },
      expiresAt: expect.any(Number),
    });
  });
});
