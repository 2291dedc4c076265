/**
 * GET /login (flows/login.ts) with object-literal fakes: one transaction written, bound to this
 * browser by a hashed secret in a `__Host-` cookie, PKCE S256, a nonce for OpenID Connect, and a 302
 * to the authorization endpoint. Nothing is written when the AS cannot be reached.
 */
import { describe, expect, it, vi } from 'vitest';
import { RANDOM_TOKEN_PATTERN, sha256 } from '../../../lambdas/shared/domain/crypto.js';
import { TokenEndpointError } from '../../../lambdas/shared/domain/errors.js';
import { makeLoginHandler } from '../../../lambdas/shared/flows/login.js';
import { cookieNames } from '../../../lambdas/shared/http/cookies.js';
import { HttpError } from '../../../lambdas/shared/http/errors.js';
import { s256Challenge } from '../../../lambdas/shared/oauth/client.js';
import { recordingMeter } from '../../../lambdas/shared/platform/metrics.js';
import type { LoginTransaction } from '../../../lambdas/shared/store/port.js';
import { httpEvent, NOW, recordingLog, testClock } from '../../support/fakes.js';
import { present } from '../../support/present.js';

const CONFIG = {
  loginTimeoutSeconds: 600,
  postLoginPath: '/home',
  cookiePrefix: 'bff-',
  authorizationParams: {},
};

function loginWith(options: { isOpenId?: boolean; authorizationUrl?: () => Promise<URL> } = {}) {
  const written: LoginTransaction[] = [];
  const store = { putTransaction: vi.fn(async (tx: LoginTransaction) => void written.push(tx)) };
  const oauth = {
    isOpenId: options.isOpenId ?? true,
    authorizationUrl: vi.fn(
      options.authorizationUrl ??
        (async (params: { state: string; codeChallenge: string; nonce?: string }) => {
          const url = new URL('https://as.example/authorize?client_id=c');
          url.searchParams.set('state', params.state);
          url.searchParams.set('code_challenge', params.codeChallenge);
          if (params.nonce !== undefined) url.searchParams.set('nonce', params.nonce);
          return url;
        }),
    ),
  };
  const meter = recordingMeter();
  const log = recordingLog();
  const handler = makeLoginHandler({ config: CONFIG, store, oauth, clock: testClock(), meter, log });
  return { handler, store, oauth, meter, log, written };
}

describe('GET /login', () => {
  it('writes one transaction bound to this browser and redirects to the authorization endpoint', async () => {
    const { handler, written, meter, log } = loginWith();

    const result = await handler(httpEvent({ rawQueryString: 'returnTo=%2Fapp%3Ftab%3D1' }));

    expect(result.statusCode).toBe(302);
    const location = new URL(present(result.headers.location, 'location'));
    expect(`${location.origin}${location.pathname}`).toBe('https://as.example/authorize');
    const state = present(location.searchParams.get('state'), 'state');
    expect(state).toMatch(RANDOM_TOKEN_PATTERN);

    expect(written).toHaveLength(1);
    const tx = present(written[0], 'transaction');
    const binding = cookieNames('bff-').binding(state);
    const [cookie, ...others] = result.cookies;
    expect(others).toEqual([]);
    const bindingValue = present(new RegExp(`^${binding}=([A-Za-z0-9_-]{43}); `).exec(present(cookie))?.[1]);
    expect(cookie).toBe(`${binding}=${bindingValue}; Path=/; Max-Age=600; Secure; HttpOnly; SameSite=Lax`);
    expect(tx).toEqual({
      stateHash: sha256(state),
      codeVerifier: expect.stringMatching(/^[A-Za-z0-9._~-]{43}$/),
      nonce: location.searchParams.get('nonce'),
      bindingHash: sha256(bindingValue),
      returnTo: '/app?tab=1',
      expiresAt: NOW + 600,
    });
    // PKCE S256: the challenge in the URL is the verifier's, and the verifier never leaves the server.
    expect(location.searchParams.get('code_challenge')).toBe(s256Challenge(tx.codeVerifier));
    expect(`${result.headers.location}${result.cookies.join()}${result.body}`).not.toContain(tx.codeVerifier);
    expect(meter.counts).toEqual(new Map([['LoginStarted', 1]]));
    expect(log.entries).toEqual([{ level: 'info', message: 'login started', extra: [{ silent: false }] }]);
  });

  it('gives every login its own state, binding and verifier', async () => {
    const { handler, written } = loginWith();

    await handler(httpEvent());
    await handler(httpEvent());

    const [a, b] = written;
    expect(a?.stateHash).not.toBe(b?.stateHash);
    expect(a?.bindingHash).not.toBe(b?.bindingHash);
    expect(a?.codeVerifier).not.toBe(b?.codeVerifier);
    expect(a?.nonce).not.toBe(b?.nonce);
  });

  it('sends and stores no nonce without openid', async () => {
    const { handler, written, oauth } = loginWith({ isOpenId: false });

    await handler(httpEvent());

    expect(present(written[0])).not.toHaveProperty('nonce');
    expect(present(oauth.authorizationUrl.mock.calls[0])[0]).not.toHaveProperty('nonce');
  });

  it.each([
    ['none', ''],
    ['an absolute URL', 'returnTo=https%3A%2F%2Fevil.example%2F'],
    ['a scheme-relative URL', 'returnTo=%2F%2Fevil.example'],
    ['an empty one', 'returnTo='],
  ])('stores the configured landing path when returnTo is %s', async (_name, rawQueryString) => {
    const { handler, written } = loginWith();

    await handler(httpEvent({ rawQueryString }));

    expect(written[0]?.returnTo).toBe('/home');
  });

  it.each([
    ['a repeated parameter', 'returnTo=/a&returnTo=/b', 'query_duplicate_param'],
    ['a malformed escape', 'returnTo=%zz', 'query_malformed'],
    [
      'too many parameters',
      Array.from({ length: 33 }, (_, i) => `p${i}=1`).join('&'),
      'query_too_many_params',
    ],
  ])('refuses %s with 400 before any I/O', async (_name, rawQueryString, code) => {
    const { handler, store, oauth } = loginWith();

    await expect(handler(httpEvent({ rawQueryString }))).rejects.toMatchObject({ status: 400, code });
    expect(oauth.authorizationUrl).not.toHaveBeenCalled();
    expect(store.putTransaction).not.toHaveBeenCalled();
  });

  it.each([
    ['unreachable (502)', new TokenEndpointError('unavailable'), 502, 'token_endpoint_unavailable'],
    ['too slow (504)', new TokenEndpointError('timeout'), 504, 'token_endpoint_timeout'],
    ['failing unexpectedly (500)', new Error('boom'), 500, 'internal_error'],
  ])('writes nothing when the AS is %s', async (_name, failure, status, code) => {
    const { handler, store, meter } = loginWith({ authorizationUrl: async () => Promise.reject(failure) });

    const error = await handler(httpEvent()).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status, code });
    expect(store.putTransaction).not.toHaveBeenCalled();
    expect(meter.counts.size).toBe(0);
  });
});
