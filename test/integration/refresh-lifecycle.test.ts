/**
 * The token lifecycle under races and failures (checklist G21-G24, F19), against DynamoDB Local,
 * oidc-provider with rotating refresh tokens, and a token endpoint whose failures the test picks.
 */
import { UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { KEY_PREFIX } from '../../lambdas/shared/definitions/table-schema.js';
import { nowSeconds } from '../../lambdas/shared/domain/clock.js';
import { randomToken, sha256 } from '../../lambdas/shared/domain/crypto.js';
import { freshTokens, makeRefreshHandler } from '../../lambdas/shared/flows/refresh.js';
import { makeSessionAccess } from '../../lambdas/shared/flows/session-access.js';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { DecryptionError } from '../../lambdas/shared/store/token-cipher.js';
import { createTestBackend, type TestBackend } from '../support/backend.js';
import {
  type FakeTokenEndpoint,
  fakeEndpointEnv,
  STANDALONE_CLIENT,
  sendJson,
  startFakeTokenEndpoint,
} from '../support/fake-token-endpoint.js';
import { startHarness } from '../support/harness.js';
import { present } from '../support/present.js';

const SESSION_COOKIE = cookieNames().session;
const eventWith = (sessionId: string) => ({ cookies: [`${SESSION_COOKIE}=${sessionId}`] });

describe('single-flight refresh against a rotating authorization server', () => {
  it('spends each refresh token once with 10 concurrent refreshers, scheduled and on demand', async () => {
    const h = await startHarness({ rotateRefreshToken: true });
    try {
      const { jar, sessionId } = await h.login();
      const access = makeSessionAccess(h.deps, { skewSeconds: 300 });
      for (let generation = 1; generation <= 3; generation++) {
        h.advance(3600); // the access token is due
        const before = present(await h.tokensOf(sessionId), 'the tokens before');
        const refreshers = Array.from({ length: 10 }, (_, i) =>
          i % 2 === 0 ? h.refresh() : access.getAccessToken(eventWith(sessionId)),
        );
        const results = await Promise.all(refreshers);

        expect(h.as.stats.granted.refresh_token).toBe(generation);
        expect(h.as.stats.failed).toEqual({});
        const after = present(await h.tokensOf(sessionId), 'the tokens after');
        expect(after.accessToken).not.toBe(before.accessToken);
        expect(present(after.refreshToken)).not.toBe(before.refreshToken); // rotated, and stored
        // Every on-demand caller got the one new access token, whoever refreshed.
        const onDemand = results.filter((_, i) => i % 2 === 1);
        expect(onDemand).toEqual(Array.from({ length: 5 }, () => after.accessToken));
        const ticks = results.filter((_, i) => i % 2 === 0) as { refreshed: number }[];
        expect(ticks.reduce((n, t) => n + t.refreshed, 0)).toBeLessThanOrEqual(1);
      }
      // The session keeps working.
      const session = await fetch(h.route('session'), { headers: { cookie: present(jar.header(h.url)) } });
      expect(session.status).toBe(200);
    } finally {
      await h.stop();
    }
  });

  it('survives a crash between the AS answer and the write: the next attempt ends the session cleanly', async () => {
    const h = await startHarness({ rotateRefreshToken: true });
    try {
      const { sessionId } = await h.login();
      h.advance(3600);
      const store = h.deps.store;
      const write = store.updateSessionTokens.bind(store);
      store.updateSessionTokens = async () => {
        throw new Error('simulated crash after the AS answered');
      };
      expect(await h.refresh()).toMatchObject({ due: 1, failed: 1, refreshed: 0 });
      store.updateSessionTokens = write;
      expect(h.as.stats.granted.refresh_token).toBe(1);

      // The dead refresher's lease still runs: nobody spends the old refresh token meanwhile.
      expect(await h.refresh()).toMatchObject({ due: 1, busy: 1 });
      expect(h.as.stats.requests).toBe(2); // the code exchange and the one refresh

      h.advance(60); // the lease lapses
      expect(await h.refresh()).toMatchObject({ due: 1, ended: 1 });
      expect(h.as.stats.failed.invalid_grant).toBe(1); // the spent token was refused (and the grant revoked)
      expect(await h.tokensOf(sessionId)).toBeUndefined();
      h.advance(3600);
      expect(await h.refresh()).toMatchObject({ due: 0 }); // no storm of retries
      expect(h.as.stats.requests).toBe(3);
    } finally {
      await h.stop();
    }
  });
});

describe('failure classification', () => {
  let as: FakeTokenEndpoint;
  let b: TestBackend;
  beforeAll(async () => {
    as = await startFakeTokenEndpoint();
  });
  afterAll(() => as.stop());
  // A table and a clock of its own per test: sessions of one test never fall due in another.
  beforeEach(async () => {
    b = await createTestBackend(fakeEndpointEnv(as, { ...STANDALONE_CLIENT, OAUTH_HTTP_TIMEOUT_MS: '300' }));
  });
  afterEach(() => b.destroy());

  const tick = () => makeRefreshHandler(b.deps)();

  /** A session whose access token is due, holding refresh token `rt`. */
  async function seed(rt: string) {
    const sessionId = randomToken();
    const now = nowSeconds(b.deps.clock);
    await b.store.createSession(
      { idHash: sha256(sessionId), claims: {}, createdAt: now, expiresAt: now + 8 * 3600, version: 1 },
      { accessToken: `at-${rt}`, tokenType: 'bearer', accessTokenExpiresAt: now + 60, refreshToken: rt },
      now - 240,
    );
    return sessionId;
  }
  const readSession = (sessionId: string) => b.store.getSession(sha256(sessionId));

  it.each([
    [
      'a 500',
      (res: import('node:http').ServerResponse) => sendJson(res, 500, { error: 'server_error' }),
      'unavailable',
    ],
    [
      'an HTML 502',
      (res: import('node:http').ServerResponse) =>
        res.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>'),
      'unavailable',
    ],
    ['a reset connection', (res: import('node:http').ServerResponse) => res.destroy(), 'unavailable'],
    ['no answer within the timeout', () => {}, 'timeout'],
    [
      'truncated JSON',
      (res: import('node:http').ServerResponse) =>
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_tok'),
      'invalid_response',
    ],
  ])('keeps the tokens and backs off after %s', async (_name, respond, reason) => {
    const sessionId = await seed(`rt-${reason}-${Math.random()}`);
    as.respond((_body, _req, res) => respond(res));
    const before = await b.tokensOf(sessionId);

    const summary = await tick();
    expect(summary).toMatchObject({ due: 1, deferred: 1, refreshed: 0, ended: 0 });
    expect(await b.tokensOf(sessionId)).toEqual(before);
    const session = await readSession(sessionId);
    expect(session?.refreshFailures).toBe(1);
    expect(session?.leaseUntil).toBeUndefined();
    expect(b.deps.meter.counts.get(`RefreshFailed:${reason}`)).toBeGreaterThan(0);

    // Backed off: the next tick does not read it; 30 s later it is due again.
    const requests = as.requests.length;
    expect(await tick()).toMatchObject({ due: 0 });
    expect(as.requests.length).toBe(requests);
    b.advance(31);
    as.respond((body, _req, res) =>
      sendJson(res, 200, {
        access_token: `new-${body.get('refresh_token')}`,
        token_type: 'Bearer',
        expires_in: 3600,
      }),
    );
    expect(await tick()).toMatchObject({ due: 1, refreshed: 1 });
    const refreshed = await b.tokensOf(sessionId);
    expect(refreshed?.accessToken).toBe(`new-${before?.refreshToken}`);
    expect(refreshed?.refreshToken).toBe(before?.refreshToken); // none returned: the old one is kept
    expect((await readSession(sessionId))?.refreshFailures).toBe(0);
  });

  it.each([
    [
      '400 with an empty body',
      (res: import('node:http').ServerResponse) => res.writeHead(400).end(),
      'rejected',
    ],
    [
      '400 with an HTML page',
      (res: import('node:http').ServerResponse) =>
        res.writeHead(400, { 'content-type': 'text/html' }).end('<h1>Bad Request</h1>'),
      'rejected',
    ],
    [
      '403 with a JSON body',
      (res: import('node:http').ServerResponse) => sendJson(res, 403, { error: 'access_denied' }),
      'rejected',
    ],
    [
      '400 invalid_grant (RFC 6749 section 5.2)',
      (res: import('node:http').ServerResponse) => sendJson(res, 400, { error: 'invalid_grant' }),
      'invalid_grant',
    ],
  ])('ends the session after one attempt on %s', async (_name, respond, reason) => {
    const sessionId = await seed(`rt-final-${reason}-${Math.random()}`);
    as.respond((_body, _req, res) => respond(res));
    const requests = as.requests.length;

    expect(await tick()).toMatchObject({ due: 1, ended: 1, deferred: 0 });
    expect(as.requests.length).toBe(requests + 1);
    expect((await readSession(sessionId))?.sealedTokens).toBeUndefined();
    expect(await makeSessionAccess(b.deps).getSession(eventWith(sessionId))).toBeUndefined();
    expect(await makeSessionAccess(b.deps).getAccessToken(eventWith(sessionId))).toBeUndefined();
    expect(b.deps.meter.counts.get(`RefreshFailed:${reason}`)).toBe(1);
    expect(b.deps.meter.counts.get(`SessionEnded:${reason}`)).toBe(1);
    // Never tried again.
    b.advance(7200);
    expect(await tick()).toMatchObject({ due: 0 });
    expect(as.requests.length).toBe(requests + 1);
  });

  it.each([
    ['401 invalid_client', { error: 'invalid_client' }, 401],
    ['400 invalid_client', { error: 'invalid_client' }, 400],
  ])(
    'on %s fetches the secret again, retries once, then keeps the session and backs off',
    async (_n, body, status) => {
      const sessionId = await seed(`rt-client-${status}-${Math.random()}`);
      const fetched: string[] = [];
      const deps = {
        ...b.deps,
        secrets: {
          async get(options?: { forceFetch?: boolean }) {
            fetched.push(options?.forceFetch ? 'fresh' : 'cached');
            return 'secret';
          },
        },
      };
      as.respond((_b, _q, res) => sendJson(res, status, body));
      const before = await b.tokensOf(sessionId);
      const requests = as.requests.length;

      expect(await makeRefreshHandler(deps)()).toMatchObject({ due: 1, deferred: 1, ended: 0 });
      expect(as.requests.length).toBe(requests + 2);
      expect(fetched).toEqual(['cached', 'fresh']);
      expect(await b.tokensOf(sessionId)).toEqual(before);
      expect(await makeSessionAccess(b.deps).getSession(eventWith(sessionId))).toBeDefined();
      expect(b.deps.meter.counts.get('RefreshFailed:invalid_client')).toBe(1);
      expect(b.deps.meter.counts.get('SessionEnded:invalid_client')).toBeUndefined();
      expect((await readSession(sessionId))?.refreshFailures).toBe(1);
    },
  );

  it.each([
    ['503', 503],
    ['408', 408],
  ])('keeps the session and backs off on %s with an empty body', async (_name, status) => {
    const sessionId = await seed(`rt-transient-${status}-${Math.random()}`);
    as.respond((_b, _q, res) => void res.writeHead(status).end());
    const before = await b.tokensOf(sessionId);
    expect(await tick()).toMatchObject({ due: 1, deferred: 1, ended: 0 });
    expect(await b.tokensOf(sessionId)).toEqual(before);
    expect(b.deps.meter.counts.get('RefreshFailed:unavailable')).toBe(1);
    expect((await readSession(sessionId))?.refreshFailures).toBe(1);
  });

  it('honours Retry-After on 429', async () => {
    const sessionId = await seed(`rt-429-${Math.random()}`);
    as.respond((_b, _q, res) => sendJson(res, 429, { error: 'slow_down' }, { 'retry-after': '900' }));
    const now = nowSeconds(b.deps.clock);
    expect(await tick()).toMatchObject({ deferred: 1 });
    // Retry-After (900 s) wins over the first back-off step (30 s): nothing is due for 15 minutes.
    b.advance(600);
    expect(await tick()).toMatchObject({ due: 0 });
    b.advance(301);
    as.respond((_b, _q, res) =>
      sendJson(res, 200, { access_token: 'x', token_type: 'Bearer', expires_in: 3600 }),
    );
    expect(await tick()).toMatchObject({ due: 1, refreshed: 1 });
    expect(nowSeconds(b.deps.clock)).toBeGreaterThanOrEqual(now + 900);
    expect(await b.tokensOf(sessionId)).toMatchObject({ accessToken: 'x' });
  });

  it('refreshes from an on-demand caller and keeps a rotated refresh token', async () => {
    const sessionId = await seed('rt-on-demand');
    as.respond((_b, _q, res) =>
      sendJson(res, 200, {
        access_token: 'fresh',
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: 'rt-next',
      }),
    );
    const access = makeSessionAccess(b.deps);
    expect(await access.getAccessToken(eventWith(sessionId))).toBe('fresh');
    expect(await b.tokensOf(sessionId)).toMatchObject({ accessToken: 'fresh', refreshToken: 'rt-next' });
    // Still fresh: no second request.
    const requests = as.requests.length;
    expect(await access.getAccessToken(eventWith(sessionId))).toBe('fresh');
    expect(as.requests.length).toBe(requests);
    expect(await access.getSession(eventWith(sessionId))).toEqual({
      claims: {},
      expiresAt: expect.any(Number),
    });
  });

  it('never refreshes a logged-out session', async () => {
    const sessionId = await seed(`rt-logged-out-${Math.random()}`);
    const session = present(await readSession(sessionId), 'the seeded session');
    await b.store.deleteSession(sha256(sessionId));
    const requests = as.requests.length;
    expect(await tick()).toMatchObject({ due: 0 });
    // A caller still holding the session as read before the logout: its refresh finds nothing to claim.
    expect(await freshTokens(b.deps, session)).toBeUndefined();
    expect(as.requests.length).toBe(requests);
  });

  it('binds ciphertexts to their session: tokens moved to another session do not open', async () => {
    const victim = await seed('rt-victim');
    const attacker = await seed('rt-attacker');
    const raw = await b.dynamo.send(
      new UpdateItemCommand({
        TableName: b.tableName,
        Key: { pk: { S: KEY_PREFIX.session + sha256(victim) } },
        UpdateExpression: 'SET #x = #x',
        ExpressionAttributeNames: { '#x': 'version' },
        ReturnValues: 'ALL_NEW',
      }),
    );
    await b.dynamo.send(
      new UpdateItemCommand({
        TableName: b.tableName,
        Key: { pk: { S: KEY_PREFIX.session + sha256(attacker) } },
        UpdateExpression: 'SET tokens = :t, tokenKey = :k',
        ExpressionAttributeValues: {
          ':t': raw.Attributes?.tokens ?? { S: '' },
          ':k': raw.Attributes?.tokenKey ?? { S: '' },
        },
      }),
    );
    const moved = present(await readSession(attacker), "the attacker's session");
    await expect(b.store.openTokens(moved)).rejects.toBeInstanceOf(DecryptionError);
    expect(await makeSessionAccess(b.deps).getAccessToken(eventWith(attacker))).toBeUndefined();
    expect((await b.tokensOf(victim))?.refreshToken).toBe('rt-victim');
  });
});
