/**
 * GET /redirect (flows/redirect.ts) with object-literal fakes: the order of the checks (shape, binding
 * cookie, `iss`, one consume, expiry, binding hash, AS error), one code exchange (retried only after
 * `invalid_client`), and the session it creates: a fresh id, identity claims only, an end bounded by
 * the refresh token's, the previous session of this browser deleted.
 */
import { describe, expect, it, vi } from 'vitest';
import { randomToken, sha256 } from '../../../lambdas/shared/domain/crypto.js';
import { TokenEndpointError } from '../../../lambdas/shared/domain/errors.js';
import type { SessionTokens } from '../../../lambdas/shared/domain/tokens.js';
import { makeRedirectHandler } from '../../../lambdas/shared/flows/redirect.js';
import { clearCookie, cookieNames } from '../../../lambdas/shared/http/cookies.js';
import { HttpError } from '../../../lambdas/shared/http/errors.js';
import type { TokenSet } from '../../../lambdas/shared/oauth/client.js';
import {
  AuthorizationDeniedError,
  AuthorizationResponseInvalidError,
} from '../../../lambdas/shared/oauth/errors.js';
import { recordingMeter } from '../../../lambdas/shared/platform/metrics.js';
import type { LoginTransaction, Session } from '../../../lambdas/shared/store/port.js';
import {
  httpEvent,
  NOW,
  recordingLog,
  recordingSecrets,
  sessionCookie,
  testClock,
} from '../../support/fakes.js';
import { present } from '../../support/present.js';

const CONFIG = {
  sessionDurationSeconds: 8 * 3600,
  cookiePrefix: 'bff-',
  refreshBeforeExpirySeconds: 300,
  postLoginPath: '/',
};
const cookies = cookieNames('bff-');

/** ID token claims as oauth4webapi returns them validated: identity plus protocol plumbing. */
const ID_TOKEN_CLAIMS = {
  iss: 'https://as.example',
  sub: 'alice',
  name: 'Alice',
  email: 'alice@example.test',
  auth_time: NOW - 5,
  aud: 'client-1',
  azp: 'client-1',
  exp: NOW + 300,
  iat: NOW,
  nbf: NOW,
  nonce: 'the-nonce',
  at_hash: 'at-hash',
  c_hash: 'c-hash',
  s_hash: 's-hash',
  sid: 'as-session-id',
  jti: 'token-id',
};

const TOKENS: TokenSet = {
  accessToken: 'at-1',
  tokenType: 'Bearer',
  accessTokenExpiresAt: NOW + 3600,
  refreshToken: 'rt-1',
  idToken: 'id-token-1',
  idTokenClaims: ID_TOKEN_CLAIMS,
};

/** A login in progress: its state, the browser's binding cookie, and the stored transaction. */
function pendingLogin(overrides: Partial<LoginTransaction> = {}) {
  const state = randomToken();
  const binding = randomToken();
  const tx: LoginTransaction = {
    stateHash: sha256(state),
    codeVerifier: 'v'.repeat(43),
    nonce: 'the-nonce',
    bindingHash: sha256(binding),
    returnTo: '/app',
    expiresAt: NOW + 300,
    ...overrides,
  };
  const bindingCookie = `${cookies.binding(state)}=${binding}`;
  const callback = (
    query = `code=the-code&state=${state}&iss=https%3A%2F%2Fas.example`,
    extraCookies: string[] = [],
  ) => httpEvent({ rawQueryString: query, cookies: [bindingCookie, ...extraCookies] });
  return { state, binding, tx, callback, clearBinding: clearCookie(cookies.binding(state)) };
}

type Exchange = () => Promise<TokenSet>;

function redirectWith(
  tx: LoginTransaction | undefined,
  options: { validate?: (params: URLSearchParams) => Promise<URLSearchParams>; exchange?: Exchange[] } = {},
) {
  const created: {
    session: Parameters<RedirectStore['createSession']>[0];
    tokens: SessionTokens;
    refreshAt?: number;
  }[] = [];
  let pending = tx;
  const store = {
    consumeTransaction: vi.fn(async (stateHash: string) => {
      const found = pending?.stateHash === stateHash ? pending : undefined;
      pending = undefined;
      return found;
    }),
    createSession: vi.fn(
      async (
        session: Omit<Session, 'refreshable' | 'sealedTokens' | 'refreshFailures'>,
        tokens: SessionTokens,
        refreshAt?: number,
      ) => {
        created.push({ session, tokens, ...(refreshAt === undefined ? {} : { refreshAt }) });
      },
    ),
    deleteSession: vi.fn(async (_idHash: string): Promise<Session | undefined> => undefined),
  };
  const exchanges = [...(options.exchange ?? [async () => TOKENS])];
  const oauth = {
    validateCallback: vi.fn(options.validate ?? (async (params: URLSearchParams) => params)),
    exchangeCode: vi.fn(
      async (_params: {
        callbackParams: URLSearchParams;
        codeVerifier: string;
        nonce?: string;
        clientSecret: string;
      }) => {
        const next = exchanges.shift();
        if (!next) throw new Error('the code was sent more often than the test expected');
        return next();
      },
    ),
  };
  const secrets = recordingSecrets('cached-secret', 'fresh-secret');
  const meter = recordingMeter();
  const log = recordingLog();
  const handler = makeRedirectHandler({
    config: CONFIG,
    store,
    oauth,
    secrets,
    clock: testClock(),
    meter,
    log,
  });
  return { handler, store, oauth, secrets, meter, log, created };
}
type RedirectStore = ReturnType<typeof redirectWith>['store'];

/** The HttpError a request was answered with. */
async function refusal(result: Promise<unknown>): Promise<HttpError> {
  const error = await result.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return error;
}

describe('GET /redirect: a good callback', () => {
  it('exchanges the code once with the verifier and nonce, and starts a session with a fresh id', async () => {
    const login = pendingLogin();
    const r = redirectWith(login.tx);

    const result = await r.handler(login.callback());

    expect(result.statusCode).toBe(302);
    expect(result.headers.location).toBe('/app');
    expect(r.store.consumeTransaction).toHaveBeenCalledExactlyOnceWith(sha256(login.state));
    expect(r.oauth.exchangeCode).toHaveBeenCalledTimes(1);
    const exchange = present(r.oauth.exchangeCode.mock.calls[0])[0];
    expect(exchange).toEqual({
      callbackParams: expect.any(URLSearchParams),
      codeVerifier: login.tx.codeVerifier,
      nonce: 'the-nonce',
      clientSecret: 'cached-secret',
    });
    expect(exchange.callbackParams.get('code')).toBe('the-code');

    const [sessionCookieHeader, clearBinding, ...more] = result.cookies;
    expect(more).toEqual([]);
    expect(clearBinding).toBe(login.clearBinding);
    const sessionId = present(
      /^__Host-bff-session=([A-Za-z0-9_-]{43}); /.exec(present(sessionCookieHeader))?.[1],
    );
    expect(sessionCookieHeader).toBe(
      `__Host-bff-session=${sessionId}; Path=/; Max-Age=${8 * 3600}; Secure; HttpOnly; SameSite=Lax`,
    );
    expect(sessionId).not.toBe(login.state);
    expect(r.created).toHaveLength(1);
    expect(present(r.created[0]).session.idHash).toBe(sha256(sessionId));
    expect(r.meter.counts).toEqual(new Map([['LoginCompleted', 1]]));
    expect(r.store.deleteSession).not.toHaveBeenCalled(); // no previous session in this browser
    expect(r.log.entries).toEqual([
      { level: 'info', message: 'login completed', extra: [{ refreshable: true }] },
    ]);
  });

  it('keeps exactly the identity claims of the ID token: no nonce, at_hash, sid or other protocol claims', async () => {
    const login = pendingLogin();
    const r = redirectWith(login.tx);

    await r.handler(login.callback());

    const { session } = present(r.created[0]);
    expect(session.claims).toEqual({
      iss: 'https://as.example',
      sub: 'alice',
      name: 'Alice',
      email: 'alice@example.test',
      auth_time: NOW - 5,
    });
    // `sid` is kept beside the claims, server-side, for back-channel logout; never in `claims`.
    expect(session).toEqual({
      idHash: expect.any(String),
      sub: 'alice',
      sid: 'as-session-id',
      claims: session.claims,
      createdAt: NOW,
      expiresAt: NOW + 8 * 3600,
      version: 1,
    });
  });

  it('stores the tokens (not the claims) and indexes the session for refresh before the access token expires', async () => {
    const login = pendingLogin();
    const r = redirectWith(login.tx);

    await r.handler(login.callback());

    expect(present(r.created[0]).tokens).toEqual({
      accessToken: 'at-1',
      tokenType: 'Bearer',
      accessTokenExpiresAt: NOW + 3600,
      refreshToken: 'rt-1',
      idToken: 'id-token-1',
    });
    expect(present(r.created[0]).refreshAt).toBe(NOW + 3600 - 300);
  });

  it('starts a session without claims or sub from a plain OAuth 2.0 answer, and does not index it without a refresh token', async () => {
    const login = pendingLogin({ nonce: undefined });
    const r = redirectWith(login.tx, {
      exchange: [async () => ({ accessToken: 'at', tokenType: 'Bearer', accessTokenExpiresAt: NOW + 60 })],
    });

    await r.handler(login.callback());

    const { session, refreshAt } = present(r.created[0]);
    expect(session.claims).toEqual({});
    expect(session).not.toHaveProperty('sub');
    expect(refreshAt).toBeUndefined();
    expect(present(r.oauth.exchangeCode.mock.calls[0])[0]).not.toHaveProperty('nonce');
    expect(r.log.entries.at(-1)?.extra).toEqual([{ refreshable: false }]);
  });

  it.each([
    ['sooner than sessionDuration: the refresh token end', NOW + 1800, NOW + 1800],
    ['later than sessionDuration: sessionDuration', NOW + 30 * 86_400, NOW + 8 * 3600],
    ['not said', undefined, NOW + 8 * 3600],
  ])('ends the session when the refresh token ends, %s', async (_name, refreshTokenExpiresAt, expected) => {
    const login = pendingLogin();
    const r = redirectWith(login.tx, {
      exchange: [
        async () => ({
          ...TOKENS,
          ...(refreshTokenExpiresAt === undefined ? {} : { refreshTokenExpiresAt }),
        }),
      ],
    });

    await r.handler(login.callback());

    expect(present(r.created[0]).session.expiresAt).toBe(expected);
  });

  it("deletes this browser's previous session, and logs in even when that delete fails", async () => {
    const login = pendingLogin();
    const previous = sessionCookie();
    const r = redirectWith(login.tx);
    r.store.deleteSession.mockRejectedValueOnce(new Error('throttled'));

    const result = await r.handler(login.callback(undefined, [previous.cookie]));

    expect(result.statusCode).toBe(302);
    expect(r.store.deleteSession).toHaveBeenCalledExactlyOnceWith(previous.idHash);
    expect(present(r.created[0]).session.idHash).not.toBe(previous.idHash);
    expect(r.log.entries.filter((e) => e.level === 'warn').map((e) => e.message)).toEqual([
      'previous session not deleted',
    ]);
  });

  it('retries the exchange once with a freshly fetched secret after invalid_client (a rotated secret)', async () => {
    const login = pendingLogin();
    const r = redirectWith(login.tx, {
      exchange: [
        async () => Promise.reject(new TokenEndpointError('invalid_client', 401)),
        async () => TOKENS,
      ],
    });

    expect((await r.handler(login.callback())).statusCode).toBe(302);
    expect(r.secrets.calls).toEqual(['cached', 'fresh']);
    expect(r.log.entries[0]).toEqual({
      level: 'warn',
      message: 'client authentication failed; retrying once with a freshly fetched secret',
      extra: [],
    });
    expect(r.oauth.exchangeCode.mock.calls.map(([p]) => p.clientSecret)).toEqual([
      'cached-secret',
      'fresh-secret',
    ]);
  });
});

describe('GET /redirect: refused callbacks', () => {
  it.each([
    ['no state', 'code=x'],
    ['both code and error', 'code=x&error=access_denied&state=S'],
    ['a duplicated code', 'code=x&code=y&state=S'],
  ])('answers %s with 400 before any I/O', async (_name, query) => {
    const login = pendingLogin();
    const r = redirectWith(login.tx);

    const error = await refusal(r.handler(login.callback(query.replace('state=S', `state=${login.state}`))));

    expect(error.status).toBe(400);
    expect(r.oauth.validateCallback).not.toHaveBeenCalled();
    expect(r.store.consumeTransaction).not.toHaveBeenCalled();
  });

  it.each([
    ['no binding cookie', []],
    ['a binding cookie of the wrong shape', ['short']],
  ])('refuses a callback with %s before any I/O (login CSRF)', async (_name, values) => {
    const login = pendingLogin();
    const r = redirectWith(login.tx);
    const event = httpEvent({
      rawQueryString: `code=c&state=${login.state}`,
      cookies: values.map((v) => `${cookies.binding(login.state)}=${v}`),
    });

    const error = await refusal(r.handler(event));

    expect([error.status, error.code, error.publicMessage]).toEqual([
      400,
      'login_not_bound',
      'This sign-in was not started in this browser, or it has expired. Please start the sign-in again.',
    ]);
    expect(r.oauth.validateCallback).not.toHaveBeenCalled();
    expect(r.store.consumeTransaction).not.toHaveBeenCalled();
  });

  it('refuses a response that fails validation (a wrong or missing iss) without touching the transaction', async () => {
    const login = pendingLogin();
    const r = redirectWith(login.tx, {
      validate: async () => Promise.reject(new AuthorizationResponseInvalidError()),
    });

    const error = await refusal(r.handler(login.callback()));

    expect([error.status, error.code, error.publicMessage]).toEqual([
      400,
      'callback_invalid',
      'This sign-in response is not valid. Please start the sign-in again.',
    ]);
    expect(error.cookies).toEqual([login.clearBinding]);
    expect(r.store.consumeTransaction).not.toHaveBeenCalled();
    expect(r.meter.counts).toEqual(new Map([['LoginFailed:callback_invalid', 1]]));
  });

  it('answers 502 when the AS metadata cannot be had, leaving the transaction for a retry', async () => {
    const login = pendingLogin();
    const r = redirectWith(login.tx, {
      validate: async () => Promise.reject(new TokenEndpointError('unavailable')),
    });

    const error = await refusal(r.handler(login.callback()));

    expect([error.status, error.code]).toEqual([502, 'token_endpoint_unavailable']);
    expect(r.store.consumeTransaction).not.toHaveBeenCalled();
  });

  it.each([
    [
      'already used or never started',
      undefined,
      'login_unknown',
      'This sign-in link was already used or has expired.',
    ],
    ['expired a second ago', { expiresAt: NOW - 1 }, 'login_expired', 'This sign-in took too long.'],
    ['expiring this second', { expiresAt: NOW }, 'login_expired', 'This sign-in took too long.'],
    [
      'bound to another browser',
      { bindingHash: sha256(randomToken()) },
      'login_not_bound',
      'This sign-in was not started in this browser.',
    ],
  ] as const)(
    'refuses a transaction %s: no exchange, no session',
    async (_name, overrides, code, message) => {
      const login = pendingLogin(overrides ?? {});
      const r = redirectWith(overrides === undefined ? undefined : login.tx);

      const error = await refusal(r.handler(login.callback()));

      expect([error.status, error.code]).toEqual([400, code]);
      expect(error.publicMessage).toBe(`${message} Please start the sign-in again.`);
      expect(error.cookies).toEqual([login.clearBinding]);
      expect(r.store.consumeTransaction).toHaveBeenCalledTimes(1);
      expect(r.oauth.exchangeCode).not.toHaveBeenCalled();
      expect(r.store.createSession).not.toHaveBeenCalled();
    },
  );

  it('spends a transaction once: a replay of the same callback finds nothing', async () => {
    const login = pendingLogin();
    const r = redirectWith(login.tx);

    expect((await r.handler(login.callback())).statusCode).toBe(302);
    const replay = await refusal(r.handler(login.callback()));

    expect(replay.code).toBe('login_unknown');
    expect(r.oauth.exchangeCode).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['a known error code: named', 'access_denied', 'Sign-in was not completed (access_denied).'],
    ['markup after the code: not reflected', 'access_denied<script>', 'Sign-in was not completed.'],
    ['markup before the code: not reflected', '<b>access_denied', 'Sign-in was not completed.'],
    ['65 characters: not reflected', 'a'.repeat(65), 'Sign-in was not completed.'],
    ['64 characters: named', 'a'.repeat(64), `Sign-in was not completed (${'a'.repeat(64)}).`],
  ])(
    'ends an AS error response with 403, %s, after consuming the transaction',
    async (_name, code, message) => {
      const login = pendingLogin();
      const r = redirectWith(login.tx, {
        validate: async () => Promise.reject(new AuthorizationDeniedError(code)),
      });

      const error = await refusal(r.handler(login.callback(`error=access_denied&state=${login.state}`)));

      expect([error.status, error.code, error.publicMessage]).toEqual([403, 'login_denied', message]);
      expect(r.store.consumeTransaction).toHaveBeenCalledTimes(1);
      expect(r.oauth.exchangeCode).not.toHaveBeenCalled();
    },
  );

  it.each([
    [
      'invalid_grant: the user starts again',
      new TokenEndpointError('invalid_grant', 400),
      400,
      'login_code_rejected',
    ],
    ['rejected', new TokenEndpointError('rejected', 403), 502, 'token_endpoint_rejected'],
    ['unavailable', new TokenEndpointError('unavailable', 503), 502, 'token_endpoint_unavailable'],
    ['a timeout', new TokenEndpointError('timeout'), 504, 'token_endpoint_timeout'],
    ['a bad answer', new TokenEndpointError('invalid_response', 200), 502, 'token_endpoint_invalid_response'],
    ['something unexpected', new Error('boom'), 500, 'internal_error'],
  ])(
    'answers a failed exchange (%s) with a controlled error, no session, the code sent once',
    async (_n, failure, status, code) => {
      const login = pendingLogin();
      const r = redirectWith(login.tx, { exchange: [async () => Promise.reject(failure)] });

      const error = await refusal(r.handler(login.callback()));

      expect([error.status, error.code]).toEqual([status, code]);
      expect(error.cookies).toEqual([login.clearBinding]);
      expect(r.oauth.exchangeCode).toHaveBeenCalledTimes(1);
      expect(r.store.createSession).not.toHaveBeenCalled();
      expect(r.meter.counts.get(`LoginFailed:${code}`)).toBe(1);
    },
  );

  it('fails closed when the freshly fetched secret is refused too', async () => {
    const login = pendingLogin();
    const refused = async () => Promise.reject(new TokenEndpointError('invalid_client', 401));
    const r = redirectWith(login.tx, { exchange: [refused, refused] });

    const error = await refusal(r.handler(login.callback()));

    expect([error.status, error.code]).toEqual([502, 'token_endpoint_invalid_client']);
    expect(r.oauth.exchangeCode).toHaveBeenCalledTimes(2);
    expect(r.store.createSession).not.toHaveBeenCalled();
  });
});
