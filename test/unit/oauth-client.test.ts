/**
 * The OAuth client (oauth/client.ts) through its `fetch` seam, with the injected clock: what each
 * token-endpoint answer becomes (domain/errors.ts TokenErrorKind), Retry-After in seconds and as an
 * HTTP date, the body limit (oauth/limited-fetch.ts) declared and streamed, no redirects followed,
 * refresh_expires_in, discovery, the authorization response check (RFC 9207), revocation and
 * end-session URLs. No network.
 */
import { describe, expect, it } from 'vitest';
import { TokenEndpointError, type TokenErrorKind } from '../../lambdas/shared/domain/errors.js';
import { OAuthClient, type OAuthClientConfig } from '../../lambdas/shared/oauth/client.js';
import {
  AuthorizationDeniedError,
  AuthorizationResponseInvalidError,
} from '../../lambdas/shared/oauth/errors.js';
import {
  limitedFetch,
  MAX_RESPONSE_BYTES,
  ResponseTooLargeError,
} from '../../lambdas/shared/oauth/limited-fetch.js';
import { NOW, testClock } from '../support/fakes.js';
import { present } from '../support/present.js';

const AS = 'https://as.example';
const EXPLICIT: OAuthClientConfig = {
  authorizationServer: {
    kind: 'explicit',
    issuer: AS,
    authorizationEndpoint: new URL(`${AS}/authorize`),
    tokenEndpoint: new URL(`${AS}/token`),
  },
  clientId: 'client-1',
  clientAuthMethod: 'client_secret_basic',
  scope: 'api',
  redirectUri: new URL('https://app.example/redirect'),
  httpTimeoutMs: 1000,
};

interface Sent {
  readonly url: string;
  readonly init: RequestInit;
  readonly body: URLSearchParams;
}
type Answer = (sent: Sent) => Response | Promise<Response>;

/** A fetch that records what it was sent and answers from `answers` in order (the last one repeats). */
function fakeFetch(...answers: Answer[]) {
  const sent: Sent[] = [];
  const fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const body = new URLSearchParams(typeof init.body === 'string' ? init.body : String(init.body ?? ''));
    const request = { url: String(input), init, body };
    sent.push(request);
    const answer = answers.length > 1 ? answers.shift() : answers[0];
    return present(answer, 'an answer')(request);
  };
  return { fetch: fetch as typeof globalThis.fetch, sent };
}

const jsonAnswer =
  (status: number, value: unknown, headers: Record<string, string> = {}): Answer =>
  () =>
    new Response(JSON.stringify(value), {
      status,
      headers: { 'content-type': 'application/json', ...headers },
    });
const rawAnswer =
  (status: number, body: string | null, headers: Record<string, string> = {}): Answer =>
  () =>
    new Response(body, { status, headers });
const tokens = (extra: Record<string, unknown> = {}) =>
  jsonAnswer(200, { access_token: 'at-new', token_type: 'Bearer', expires_in: 3600, ...extra });

function clientWith(answers: Answer[], config: Partial<OAuthClientConfig> = {}, nowSeconds = NOW) {
  const { fetch, sent } = fakeFetch(...answers);
  const clock = testClock(nowSeconds);
  const client = new OAuthClient({ ...EXPLICIT, ...config }, { fetch, clock });
  return { client, sent, clock };
}

async function refreshFailure(
  answer: Answer,
  config: Partial<OAuthClientConfig> = {},
  nowSeconds = NOW,
): Promise<TokenEndpointError> {
  const { client } = clientWith([answer], config, nowSeconds);
  const error = await client.refresh('rt-1', 'secret').then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof TokenEndpointError))
    throw new Error(`expected a TokenEndpointError, got ${String(error)}`);
  return error;
}

describe('token endpoint failures, classified (TokenErrorKind)', () => {
  it.each<[string, Answer, TokenErrorKind, number | undefined]>([
    ['400 invalid_grant', jsonAnswer(400, { error: 'invalid_grant' }), 'invalid_grant', 400],
    ['400 invalid_client', jsonAnswer(400, { error: 'invalid_client' }), 'invalid_client', 400],
    ['401 invalid_client', jsonAnswer(401, { error: 'invalid_client' }), 'invalid_client', 401],
    ['401 with an empty body', rawAnswer(401, null), 'invalid_client', 401],
    ['401 with another error code', jsonAnswer(401, { error: 'unauthorized_client' }), 'invalid_client', 401],
    [
      '401 with an HTML page',
      rawAnswer(401, '<h1>no</h1>', { 'content-type': 'text/html' }),
      'invalid_client',
      401,
    ],
    [
      '401 with a WWW-Authenticate challenge',
      rawAnswer(401, null, { 'www-authenticate': 'Basic realm="as"' }),
      'invalid_client',
      401,
    ],
    ['400 with an empty body', rawAnswer(400, null), 'rejected', 400],
    [
      '400 with an HTML page',
      rawAnswer(400, '<h1>Bad Request</h1>', { 'content-type': 'text/html' }),
      'rejected',
      400,
    ],
    ['400 invalid_request', jsonAnswer(400, { error: 'invalid_request' }), 'rejected', 400],
    ['403 access_denied (JSON)', jsonAnswer(403, { error: 'access_denied' }), 'rejected', 403],
    ['404 with an empty body', rawAnswer(404, null), 'rejected', 404],
    ['500 server_error', jsonAnswer(500, { error: 'server_error' }), 'unavailable', 500],
    [
      '502 with an HTML page',
      rawAnswer(502, '<h1>Bad gateway</h1>', { 'content-type': 'text/html' }),
      'unavailable',
      502,
    ],
    ['503 with an empty body', rawAnswer(503, null), 'unavailable', 503],
    ['408 with an empty body', rawAnswer(408, null), 'unavailable', 408],
    ['429 slow_down', jsonAnswer(429, { error: 'slow_down' }), 'unavailable', 429],
    [
      '200 that is not JSON',
      rawAnswer(200, '<h1>hi</h1>', { 'content-type': 'text/html' }),
      'invalid_response',
      200,
    ],
    [
      '200 with truncated JSON',
      rawAnswer(200, '{"access_tok', { 'content-type': 'application/json' }),
      'invalid_response',
      undefined,
    ],
    ['200 without access_token', jsonAnswer(200, { token_type: 'Bearer' }), 'invalid_response', undefined],
    ['200 without token_type', jsonAnswer(200, { access_token: 'at' }), 'invalid_response', undefined],
    [
      'a redirect (never followed)',
      rawAnswer(302, null, { location: 'https://elsewhere.example/' }),
      'invalid_response',
      302,
    ],
  ])('classifies %s', async (_name, answer, kind, status) => {
    const error = await refreshFailure(answer);

    expect(error.kind).toBe(kind);
    expect(error.status).toBe(status);
    expect(error.message).not.toContain('Bad');
  });

  it('a refused connection (fetch TypeError): unavailable', async () => {
    const error = await refreshFailure(() => Promise.reject(new TypeError('fetch failed')));

    expect([error.kind, error.status]).toEqual(['unavailable', undefined]);
  });

  it('no answer within httpTimeoutMs: timeout, with a fresh timeout signal per request', async () => {
    const hang: Answer = ({ init }) =>
      new Promise((_resolve, reject) => {
        const signal = present(init.signal, 'an abort signal');
        signal.addEventListener('abort', () => reject(signal.reason));
      });
    const started = Date.now();

    const error = await refreshFailure(hang, { httpTimeoutMs: 50 });

    expect(error.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  it('an aborted request: timeout', async () => {
    const error = await refreshFailure(() => Promise.reject(new DOMException('aborted', 'AbortError')));

    expect(error.kind).toBe('timeout');
  });

  it('an unknown failure: invalid_response', async () => {
    const error = await refreshFailure(() => Promise.reject(new RangeError('odd')));

    expect(error.kind).toBe('invalid_response');
  });

  it('never follows a redirect: every request goes out with redirect "manual"', async () => {
    const { client, sent } = clientWith([tokens()]);

    await client.refresh('rt-1', 'secret');

    expect(present(sent[0]).init.redirect).toBe('manual');
  });
});

describe('Retry-After', () => {
  it.each([
    ['seconds on a 429 JSON error', jsonAnswer(429, { error: 'slow_down' }, { 'retry-after': '120' }), 120],
    ['seconds on an empty 503', rawAnswer(503, null, { 'retry-after': '7' }), 7],
    ['zero seconds', rawAnswer(503, null, { 'retry-after': '0' }), 0],
    [
      'an HTTP date 90 s after the injected clock',
      rawAnswer(503, null, { 'retry-after': new Date((NOW + 90) * 1000).toUTCString() }),
      90,
    ],
    [
      'an HTTP date in the past',
      rawAnswer(503, null, { 'retry-after': new Date((NOW - 60) * 1000).toUTCString() }),
      0,
    ],
    ['a value that is neither', rawAnswer(503, null, { 'retry-after': 'soon' }), undefined],
    ['digits with a unit', rawAnswer(503, null, { 'retry-after': '120s' }), undefined],
    ['digits after junk', rawAnswer(503, null, { 'retry-after': 'x120' }), undefined],
    ['none', rawAnswer(503, null), undefined],
  ])('is read from %s', async (_name, answer, seconds) => {
    const error = await refreshFailure(answer);

    expect(error.kind).toBe('unavailable');
    expect(error.retryAfterSeconds).toBe(seconds);
  });

  it('counts an HTTP date from the injected clock, rounding a part second up', async () => {
    const date = new Date((NOW + 90) * 1000).toUTCString();

    const error = await refreshFailure(rawAnswer(503, null, { 'retry-after': date }), {}, NOW + 0.5);

    expect(error.retryAfterSeconds).toBe(90);
  });

  it('is not taken from a final refusal', async () => {
    const error = await refreshFailure(jsonAnswer(400, { error: 'invalid_grant' }, { 'retry-after': '60' }));

    expect(error.retryAfterSeconds).toBeUndefined();
  });
});

describe('the response body limit (MAX_RESPONSE_BYTES)', () => {
  /** A JSON token response of exactly `bytes` bytes. */
  function tokenBodyOf(bytes: number): string {
    const shell = JSON.stringify({ access_token: 'at', token_type: 'Bearer', pad: '' });
    return JSON.stringify({
      access_token: 'at',
      token_type: 'Bearer',
      pad: 'x'.repeat(bytes - shell.length),
    });
  }

  /** A body streamed in 16 KB chunks without a declared length, counting what was pulled. */
  function streamed(body: string) {
    const bytes = new TextEncoder().encode(body);
    const progress = { pulled: 0, cancelled: false };
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (progress.pulled >= bytes.length) return controller.close();
        const chunk = bytes.subarray(progress.pulled, progress.pulled + 16 * 1024);
        progress.pulled += chunk.length;
        controller.enqueue(chunk);
      },
      cancel() {
        progress.cancelled = true;
      },
    });
    const answer: Answer = () =>
      new Response(stream, { status: 200, headers: { 'content-type': 'application/json' } });
    return { answer, progress };
  }

  it('is 256 KB', () => {
    expect(MAX_RESPONSE_BYTES).toBe(256 * 1024);
  });

  it('accepts a body of exactly the limit', async () => {
    const { answer } = streamed(tokenBodyOf(MAX_RESPONSE_BYTES));
    const { client } = clientWith([answer]);

    expect((await client.refresh('rt', 's')).accessToken).toBe('at');
  });

  it('refuses a streamed body one byte over the limit', async () => {
    const { answer } = streamed(tokenBodyOf(MAX_RESPONSE_BYTES + 1));

    const error = await refreshFailure(answer);

    expect(error.kind).toBe('invalid_response');
    expect(error.cause).toBeInstanceOf(ResponseTooLargeError);
  });

  it('refuses a streamed 10 MB body, cancelling it after little more than the limit', async () => {
    const { answer, progress } = streamed(tokenBodyOf(10 * 1024 * 1024));

    expect((await refreshFailure(answer)).kind).toBe('invalid_response');
    expect(progress.cancelled).toBe(true);
    expect(progress.pulled).toBeLessThanOrEqual(MAX_RESPONSE_BYTES + 2 * 16 * 1024);
  });

  it.each([
    ['one byte over the limit', MAX_RESPONSE_BYTES + 1],
    ['10 MB', 10 * 1024 * 1024],
  ])('refuses a body whose declared length is %s, unread', async (_name, declared) => {
    const { answer, progress } = streamed(tokenBodyOf(1024));
    const declaring: Answer = (sent) => {
      const response = answer(sent) as Response;
      return new Response(response.body, {
        status: 200,
        headers: { 'content-type': 'application/json', 'content-length': String(declared) },
      });
    };

    const error = await refreshFailure(declaring);

    expect(error.kind).toBe('invalid_response');
    expect(error.cause).toBeInstanceOf(ResponseTooLargeError);
    expect(progress.pulled).toBeLessThanOrEqual(16 * 1024);
  });

  it.each([204, 304])('passes a %i through with no body', async (status) => {
    const response = await limitedFetch(async () => new Response(null, { status }), `${AS}/x`, {});

    expect(response.status).toBe(status);
    expect(response.body).toBeNull();
  });

  it('reads a body whose declared length is exactly the limit', async () => {
    const body = tokenBodyOf(MAX_RESPONSE_BYTES);
    const { client } = clientWith([
      rawAnswer(200, body, {
        'content-type': 'application/json',
        'content-length': String(MAX_RESPONSE_BYTES),
      }),
    ]);

    expect((await client.refresh('rt', 's')).accessToken).toBe('at');
  });
});

describe('a successful token response', () => {
  it('becomes exactly the token set, expiry counted from when the request was sent (injected clock)', async () => {
    const { client, clock } = clientWith([
      (sent) => {
        clock.advance(3); // the AS takes 3 s to answer
        return tokens({ refresh_token: 'rt-2', scope: 'api read' })(sent);
      },
    ]);

    expect(await client.refresh('rt-1', 's')).toEqual({
      accessToken: 'at-new',
      tokenType: 'bearer',
      accessTokenExpiresAt: NOW + 3600,
      refreshToken: 'rt-2',
      scope: 'api read',
    });
  });

  it('leaves out what the AS did not send', async () => {
    const { client } = clientWith([jsonAnswer(200, { access_token: 'at', token_type: 'Bearer' })]);

    expect(await client.refresh('rt-1', 's')).toEqual({ accessToken: 'at', tokenType: 'bearer' });
  });

  it.each([
    ['1800: the refresh token ends in 30 minutes', { refresh_expires_in: 1800 }, NOW + 1800],
    ['1800.9: whole seconds, never later', { refresh_expires_in: 1800.9 }, NOW + 1800],
    ['0 (Keycloak offline tokens): no limit', { refresh_expires_in: 0 }, undefined],
    ['negative: ignored', { refresh_expires_in: -5 }, undefined],
    ['a string: ignored', { refresh_expires_in: '1800' }, undefined],
    ['absent', {}, undefined],
  ])('reads refresh_expires_in %s', async (_name, extra, expected) => {
    const { client } = clientWith([tokens({ refresh_token: 'rt-2', ...extra })]);

    const set = await client.refresh('rt-1', 's');

    expect(set.refreshTokenExpiresAt).toBe(expected);
  });

  it('ignores refresh_expires_in without a refresh token', async () => {
    const { client } = clientWith([tokens({ refresh_expires_in: 1800 })]);

    expect(await client.refresh('rt-1', 's')).not.toHaveProperty('refreshTokenExpiresAt');
  });
});

describe('the token requests', () => {
  /** RFC 6749 2.3.1: id and secret form-urlencoded, then joined by ':' and base64-encoded. */
  const basicCredentials = (header: string | null) => {
    const decoded = Buffer.from(
      present(header, 'an authorization header').replace(/^Basic /, ''),
      'base64',
    ).toString();
    return decoded.split(':');
  };

  it('sends the refresh grant to the token endpoint with client_secret_basic (form-encoded id and secret)', async () => {
    const { client, sent } = clientWith([tokens()]);

    await client.refresh('rt-1', 'se:cr%et+&');

    const request = present(sent[0]);
    expect(request.url).toBe(`${AS}/token`);
    expect(request.init.method).toBe('POST');
    expect(Object.fromEntries(request.body)).toEqual({ grant_type: 'refresh_token', refresh_token: 'rt-1' });
    const credentials = basicCredentials(new Headers(request.init.headers).get('authorization'));
    expect(credentials).toHaveLength(2); // the ':' of the secret cannot split it
    expect(credentials.map((part) => decodeURIComponent(part))).toEqual(['client-1', 'se:cr%et+&']);
    expect(request.body.has('client_secret')).toBe(false);
  });

  it('sends client_secret_post in the body, never in a header or the URL', async () => {
    const { client, sent } = clientWith([tokens()], { clientAuthMethod: 'client_secret_post' });

    await client.refresh('rt-1', 'the-secret');

    const request = present(sent[0]);
    expect(Object.fromEntries(request.body)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: 'rt-1',
      client_id: 'client-1',
      client_secret: 'the-secret',
    });
    expect(new Headers(request.init.headers).get('authorization')).toBeNull();
    expect(request.url).toBe(`${AS}/token`);
  });

  it('exchanges the code with the PKCE verifier and the configured redirect_uri', async () => {
    const { client, sent } = clientWith([tokens()]);
    const callbackParams = await client.validateCallback(
      new URLSearchParams({ code: 'the-code', state: 'S', iss: AS }),
      'S',
    );

    const set = await client.exchangeCode({
      callbackParams,
      codeVerifier: 'v'.repeat(43),
      clientSecret: 's',
    });

    expect(set.accessToken).toBe('at-new');
    expect(Object.fromEntries(present(sent[0]).body)).toEqual({
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'https://app.example/redirect',
      code_verifier: 'v'.repeat(43),
    });
  });

  describe('with openid: the ID token is checked (issuer, audience, expiry, nonce)', () => {
    const idToken = (claims: Record<string, unknown>) => {
      const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
      return `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.${Buffer.from('sig').toString('base64url')}`;
    };
    // oauth4webapi checks exp and iat against the system clock, not the injected one.
    const now = Math.floor(Date.now() / 1000);
    const claims = (nonce: string) => ({
      iss: AS,
      aud: 'client-1',
      sub: 'alice',
      iat: now,
      exp: now + 300,
      nonce,
    });
    const exchangeWith = async (answerClaims: Record<string, unknown>, nonce: string) => {
      const { client } = clientWith([tokens({ id_token: idToken(answerClaims) })], { scope: 'openid' });
      const callbackParams = await client.validateCallback(
        new URLSearchParams({ code: 'c', state: 'S' }),
        'S',
      );
      return client.exchangeCode({ callbackParams, codeVerifier: 'v'.repeat(43), nonce, clientSecret: 's' });
    };

    it("returns the claims of an ID token that carries the login's nonce", async () => {
      const set = await exchangeWith(claims('n-1'), 'n-1');

      expect(set.idToken).toBeDefined();
      expect(set.idTokenClaims).toMatchObject({ sub: 'alice', nonce: 'n-1', iss: AS });
    });

    it.each([
      ['another nonce', claims('n-2')],
      ['no nonce', { ...claims('n-1'), nonce: undefined }],
      ['another audience', { ...claims('n-1'), aud: 'someone-else' }],
    ])('refuses an ID token with %s', async (_name, answerClaims) => {
      await expect(exchangeWith(answerClaims, 'n-1')).rejects.toMatchObject({ kind: 'invalid_response' });
    });
  });

  it('classifies a failed code exchange the same way', async () => {
    const { client } = clientWith([jsonAnswer(400, { error: 'invalid_grant' })]);
    const callbackParams = await client.validateCallback(new URLSearchParams({ code: 'c', state: 'S' }), 'S');

    await expect(
      client.exchangeCode({ callbackParams, codeVerifier: 'v'.repeat(43), clientSecret: 's' }),
    ).rejects.toMatchObject({ kind: 'invalid_grant', status: 400 });
  });

  it('sends nothing over plain http to an AS that is not loopback', async () => {
    const { client, sent } = clientWith([tokens()], {
      authorizationServer: {
        kind: 'explicit',
        authorizationEndpoint: new URL('http://as.example/authorize'),
        tokenEndpoint: new URL('http://as.example/token'),
      },
    });

    await expect(client.refresh('rt', 's')).rejects.toBeInstanceOf(TokenEndpointError);
    expect(sent).toEqual([]);
  });

  it('allows plain http only to a loopback AS', async () => {
    const local = 'http://127.0.0.1:9999';
    const { client, sent } = clientWith([tokens()], {
      authorizationServer: {
        kind: 'explicit',
        authorizationEndpoint: new URL(`${local}/authorize`),
        tokenEndpoint: new URL(`${local}/token`),
      },
    });

    expect((await client.refresh('rt', 's')).accessToken).toBe('at-new');
    expect(present(sent[0]).url).toBe(`${local}/token`);
  });
});

describe('the authorization request and response', () => {
  it('builds the authorization URL: code flow, PKCE S256, configured redirect_uri and scope', async () => {
    const { client, sent } = clientWith([tokens()], { scope: 'openid profile' });

    const url = await client.authorizationUrl({
      state: 'the-state',
      codeChallenge: 'the-challenge',
      nonce: 'n',
    });

    expect(`${url.origin}${url.pathname}`).toBe(`${AS}/authorize`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'https://app.example/redirect',
      scope: 'openid profile',
      state: 'the-state',
      code_challenge: 'the-challenge',
      code_challenge_method: 'S256',
      nonce: 'n',
    });
    expect(sent).toEqual([]); // explicit endpoints: no discovery
    expect(client.isOpenId).toBe(true);
  });

  it('sends no nonce when none is given, and is not OpenID without the openid scope', async () => {
    const { client } = clientWith([tokens()]);

    const url = await client.authorizationUrl({ state: 's', codeChallenge: 'c' });

    expect(url.searchParams.has('nonce')).toBe(false);
    expect(client.isOpenId).toBe(false);
  });

  it.each([
    ['a different state', new URLSearchParams({ code: 'c', state: 'other', iss: AS })],
    ['a different iss', new URLSearchParams({ code: 'c', state: 'S', iss: 'https://attacker.example' })],
  ])('refuses an authorization response with %s', async (_name, params) => {
    const { client } = clientWith([tokens()]);

    await expect(client.validateCallback(params, 'S')).rejects.toBeInstanceOf(
      AuthorizationResponseInvalidError,
    );
  });

  it('turns an error response into AuthorizationDeniedError with its code', async () => {
    const { client } = clientWith([tokens()]);

    const error = await client
      .validateCallback(new URLSearchParams({ error: 'access_denied', state: 'S' }), 'S')
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(AuthorizationDeniedError);
    expect(error).toMatchObject({ error: 'access_denied' });
  });
});

describe('discovery, revocation and end-session', () => {
  const METADATA = {
    issuer: AS,
    authorization_endpoint: `${AS}/auth`,
    token_endpoint: `${AS}/token`,
    revocation_endpoint: `${AS}/revoke`,
    end_session_endpoint: `${AS}/logout`,
    authorization_response_iss_parameter_supported: true,
  };
  const discovery = (answers: Answer[]) =>
    clientWith(answers, { authorizationServer: { kind: 'discovery', issuer: new URL(AS) } });

  it('discovers the endpoints once (OpenID Connect first) and caches them', async () => {
    const { client, sent } = discovery([jsonAnswer(200, METADATA)]);

    expect((await client.authorizationUrl({ state: 's', codeChallenge: 'c' })).pathname).toBe('/auth');
    await client.authorizationServer();

    expect(sent.map((r) => r.url)).toEqual([`${AS}/.well-known/openid-configuration`]);
  });

  it('falls back to RFC 8414 metadata', async () => {
    const { client, sent } = discovery([rawAnswer(404, null), jsonAnswer(200, METADATA)]);

    expect((await client.authorizationServer()).token_endpoint).toBe(`${AS}/token`);
    expect(sent.map((r) => r.url)).toEqual([
      `${AS}/.well-known/openid-configuration`,
      `${AS}/.well-known/oauth-authorization-server`,
    ]);
  });

  it('fails as unavailable when neither answers, and tries again next time (not cached)', async () => {
    const { client, sent } = discovery([
      rawAnswer(503, null),
      rawAnswer(503, null),
      jsonAnswer(200, METADATA),
    ]);

    await expect(client.authorizationServer()).rejects.toMatchObject({ kind: 'unavailable' });
    expect((await client.authorizationServer()).issuer).toBe(AS);
    expect(sent).toHaveLength(3);
  });

  it('cannot start a login at an AS whose metadata has no authorization endpoint', async () => {
    const { authorization_endpoint: _, ...withoutAuthorization } = METADATA;
    const { client } = discovery([jsonAnswer(200, withoutAuthorization)]);

    await expect(client.authorizationUrl({ state: 's', codeChallenge: 'c' })).rejects.toMatchObject({
      kind: 'invalid_response',
    });
  });

  it('requires iss on the callback when the AS advertises it (RFC 9207)', async () => {
    const { client } = discovery([jsonAnswer(200, METADATA)]);

    await expect(
      client.validateCallback(new URLSearchParams({ code: 'c', state: 'S' }), 'S'),
    ).rejects.toBeInstanceOf(AuthorizationResponseInvalidError);
    const ok = await client.validateCallback(new URLSearchParams({ code: 'c', state: 'S', iss: AS }), 'S');
    expect(ok.get('code')).toBe('c');
  });

  it('revokes a refresh token with its type hint (RFC 7009)', async () => {
    const { client, sent } = discovery([jsonAnswer(200, METADATA), rawAnswer(200, null)]);

    expect(await client.revoke('rt-1', 'refresh_token', 's')).toBe(true);

    const request = present(sent[1]);
    expect(request.url).toBe(`${AS}/revoke`);
    expect(Object.fromEntries(request.body)).toEqual({ token: 'rt-1', token_type_hint: 'refresh_token' });
  });

  it('classifies a failed revocation', async () => {
    const { client } = discovery([jsonAnswer(200, METADATA), rawAnswer(503, null, { 'retry-after': '30' })]);

    await expect(client.revoke('rt-1', 'refresh_token', 's')).rejects.toMatchObject({
      kind: 'unavailable',
      status: 503,
      retryAfterSeconds: 30,
    });
  });

  it('revokes nothing, and says so, when the AS has no revocation endpoint', async () => {
    const { client, sent } = clientWith([tokens()]);

    expect(await client.revoke('rt-1', 'refresh_token', 's')).toBe(false);
    expect(sent).toEqual([]);
  });

  it.each([
    ['without a hint', {}, { client_id: 'client-1', post_logout_redirect_uri: 'https://app.example/' }],
    [
      'with an id_token_hint',
      { idTokenHint: 'the-id-token' },
      {
        client_id: 'client-1',
        post_logout_redirect_uri: 'https://app.example/',
        id_token_hint: 'the-id-token',
      },
    ],
  ])('builds the end-session URL %s', async (_name, hint, expected) => {
    const { client } = discovery([jsonAnswer(200, METADATA)]);

    const url = present(
      await client.endSessionUrl({ postLogoutRedirectUri: 'https://app.example/', ...hint }),
    );

    expect(`${url.origin}${url.pathname}`).toBe(`${AS}/logout`);
    expect(Object.fromEntries(url.searchParams)).toEqual(expected);
  });

  it('has no end-session URL when the AS has no end-session endpoint', async () => {
    const { client } = clientWith([tokens()]);

    expect(await client.endSessionUrl({ postLogoutRedirectUri: 'https://app.example/' })).toBeUndefined();
  });
});
