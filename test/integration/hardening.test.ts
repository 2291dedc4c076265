/**
 * The security checklist's harder cases through the real handlers: concurrent callbacks (A4),
 * token endpoint faults (E13), secret rotation (E14) and floods (I28). Log hygiene (I26): logs.test.ts.
 */
import type { ServerResponse } from 'node:http';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import type { ClientSecretSource } from '../../lambdas/shared/platform/secrets.js';
import { CookieJar, jarFetch } from '../support/cookie-jar.js';
import {
  type FakeTokenEndpoint,
  fakeEndpointEnv,
  sendJson,
  startFakeTokenEndpoint,
} from '../support/fake-token-endpoint.js';
import { type Harness, startHarness } from '../support/harness.js';

const { binding: bindingCookieName } = cookieNames();

async function sessionItems(h: Harness): Promise<number> {
  const scan = await h.dynamo.send(new ScanCommand({ TableName: h.tableName }));
  return (scan.Items ?? []).filter((item) => item.pk?.S?.startsWith('session#')).length;
}

describe('20 identical callbacks at once (checklist A4)', () => {
  it('make exactly one token request and one session', async () => {
    const h = await startHarness();
    try {
      const jar = new CookieJar();
      const { callbackUrl } = await h.authorize(jar);
      const before = h.as.stats.requests;
      const responses = await Promise.all(
        Array.from({ length: 20 }, () => jarFetch(jar.clone(), callbackUrl)),
      );
      const statuses = responses.map((r) => r.status).sort();
      expect(statuses.filter((s) => s === 302)).toHaveLength(1);
      expect(statuses.filter((s) => s === 400)).toHaveLength(19);
      expect(h.as.stats.requests - before).toBe(1);
      expect(await sessionItems(h)).toBe(1);
      expect(
        responses.filter((r) => r.headers.getSetCookie().some((c) => /^__Host-bff-session=[^;]+;/.test(c))),
      ).toHaveLength(1);
    } finally {
      await h.stop();
    }
  });
});

describe('token endpoint faults on the code exchange (checklist E13)', () => {
  let as: FakeTokenEndpoint;
  let h: Harness;
  beforeAll(async () => {
    as = await startFakeTokenEndpoint();
    // Discovery from the dev AS is replaced by explicit endpoints: the token endpoint is the fake.
    h = await startHarness({
      env: fakeEndpointEnv(as, { OAUTH_HTTP_TIMEOUT_MS: '500' }),
    });
  });
  afterAll(async () => {
    await h.stop();
    await as.stop();
  });

  const bigBody = `{"access_token":"${'x'.repeat(10 * 1024 * 1024)}","token_type":"Bearer"}`;
  it.each([
    ['a 500', (res: ServerResponse) => sendJson(res, 500, { error: 'server_error' }), 502],
    [
      'an HTML error page',
      (res: ServerResponse) => res.writeHead(503, { 'content-type': 'text/html' }).end('<h1>down</h1>'),
      502,
    ],
    [
      'HTML with 200',
      (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>hi</h1>'),
      502,
    ],
    [
      'truncated JSON',
      (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"access_'),
      502,
    ],
    [
      'no access_token',
      (res: ServerResponse) => sendJson(res, 200, { token_type: 'Bearer', expires_in: 60 }),
      502,
    ],
    [
      'a 10 MB body',
      (res: ServerResponse) => res.writeHead(200, { 'content-type': 'application/json' }).end(bigBody),
      502,
    ],
    [
      'an answer slower than the outbound timeout',
      (res: ServerResponse) => void setTimeout(() => sendJson(res, 200, {}), 2000),
      504,
    ],
    ['a reset connection', (res: ServerResponse) => res.destroy(), 502],
    ['invalid_grant', (res: ServerResponse) => sendJson(res, 400, { error: 'invalid_grant' }), 400],
  ])('%s gives a controlled error, no session, and the code is sent once', async (_name, respond, status) => {
    as.respond((_body, _req, res) => respond(res));
    const jar = new CookieJar();
    const code = `code-${Math.random()}`;
    const { callbackUrl } = await h.authorize(jar, { code });
    const started = Date.now();
    const response = await jarFetch(jar, callbackUrl);
    expect(response.status).toBe(status);
    expect(Date.now() - started).toBeLessThan(5000); // well inside the 10 s function timeout
    const body = (await response.json()) as { error: string; message: string };
    expect(body.error).toMatch(/^(token_endpoint_|login_code_rejected)/);
    expect(JSON.stringify(body)).not.toContain('x'.repeat(100));
    expect(response.headers.getSetCookie().some((c) => /^__Host-bff-session=[^;]/.test(c))).toBe(false);
    expect(await sessionItems(h)).toBe(0);
    // Replaying the callback cannot make the code go out a second time.
    expect((await jarFetch(jar, callbackUrl)).status).toBe(400);
    expect(as.requests.filter((r) => r.get('code') === code)).toHaveLength(1);
  });
});

describe('client secret rotation (checklist E14)', () => {
  let as: FakeTokenEndpoint;
  let fetched: string[];
  beforeEach(async () => {
    as = await startFakeTokenEndpoint();
    fetched = [];
  });
  afterEach(() => as.stop());

  /** The cache still holds the old secret; a forced fetch returns what Secrets Manager now holds. */
  const rotatedSecrets = (current: string): ClientSecretSource => ({
    async get(options) {
      const value = options?.forceFetch ? current : 'old-secret';
      fetched.push(options?.forceFetch ? `fresh:${value}` : `cached:${value}`);
      return value;
    },
  });
  const acceptOnly = (secret: string) =>
    as.respond((body, _req, res) =>
      body.get('client_secret') === secret
        ? sendJson(res, 200, { access_token: 'at', token_type: 'Bearer', expires_in: 3600 })
        : sendJson(res, 401, { error: 'invalid_client' }),
    );
  const harness = (current: string) =>
    startHarness({
      authMethod: 'client_secret_post',
      secrets: rotatedSecrets(current),
      env: fakeEndpointEnv(as, { OAUTH_CLIENT_AUTH_METHOD: 'client_secret_post' }),
    });

  it('fetches the secret again, bypassing the cache, and retries once after invalid_client', async () => {
    acceptOnly('new-secret');
    const h = await harness('new-secret');
    try {
      const jar = new CookieJar();
      const response = await jarFetch(jar, (await h.authorize(jar, { code: 'the-code' })).callbackUrl);
      expect(response.status).toBe(302);
      expect(fetched).toEqual(['cached:old-secret', 'fresh:new-secret']);
      expect(as.requests.map((r) => r.get('client_secret'))).toEqual(['old-secret', 'new-secret']);
      expect(await sessionItems(h)).toBe(1);
    } finally {
      await h.stop();
    }
  });

  it('fails closed when the fresh secret is refused too', async () => {
    acceptOnly('something-else');
    const h = await harness('still-wrong');
    try {
      const jar = new CookieJar();
      const response = await jarFetch(jar, (await h.authorize(jar, { code: 'the-code' })).callbackUrl);
      expect(response.status).toBe(502);
      expect(((await response.json()) as { error: string }).error).toBe('token_endpoint_invalid_client');
      expect(as.requests).toHaveLength(2);
      expect(await sessionItems(h)).toBe(0);
    } finally {
      await h.stop();
    }
  });
});

describe('an unreachable authorization server', () => {
  it('makes /login answer 502 and write nothing', async () => {
    const h = await startHarness();
    try {
      await h.as.stop(); // before the first discovery
      const response = await fetch(`${h.url}/login`, { redirect: 'manual' });
      expect(response.status).toBe(502);
      expect(((await response.json()) as { error: string }).error).toBe('token_endpoint_unavailable');
      expect(response.headers.getSetCookie()).toEqual([]);
      const scan = await h.dynamo.send(new ScanCommand({ TableName: h.tableName }));
      expect(scan.Items).toEqual([]);
    } finally {
      await h.stop();
    }
  });
});

describe('floods of garbage callbacks (checklist I28)', () => {
  it('get 4xx quickly with no AS call, and the stack still serves logins after', async () => {
    const h = await startHarness();
    try {
      // Warm up: metadata cached, one real login.
      await h.login();
      const asRequests = h.as.stats.requests;
      let dynamoCalls = 0;
      h.dynamo.middlewareStack.add(
        (next) => async (args) => {
          dynamoCalls++;
          return next(args);
        },
        { step: 'initialize', name: 'countCalls' },
      );
      const state = () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url');
      const garbage = [
        () => `code=x&state=${state()}`, // no binding cookie
        () => `code=x&code=y&state=${state()}`,
        () => `code=%E0%A4&state=${state()}`,
        () => `state=${state()}`,
        () => `code=x&error=access_denied&state=${state()}`,
        () => `code=x&state=short`,
        () => `code=${'a'.repeat(5000)}&state=${state()}`,
        () => `${'p=1&'.repeat(40)}code=x&state=${state()}`,
      ];
      const started = Date.now();
      const responses = await Promise.all(
        Array.from({ length: 400 }, (_, i) =>
          fetch(`${h.url}/redirect?${garbage[i % garbage.length]?.()}`, { redirect: 'manual' }).then(
            (r) => r.status,
          ),
        ),
      );
      const elapsed = Date.now() - started;
      expect(responses.every((s) => s >= 400 && s < 500)).toBe(true);
      expect(h.as.stats.requests).toBe(asRequests);
      expect(dynamoCalls).toBe(0); // all of these are refused before any I/O
      expect(elapsed).toBeLessThan(20_000);

      // With a well-formed binding cookie, the right iss and a random state the store must be asked
      // (one delete each, which also shows the counter sees the handlers' calls), but the AS still never is.
      const iss = encodeURIComponent(h.as.issuer);
      const withCookie = await Promise.all(
        Array.from({ length: 100 }, () => {
          const s = state();
          return fetch(`${h.route('redirect')}?code=x&state=${s}&iss=${iss}`, {
            redirect: 'manual',
            headers: { cookie: `${bindingCookieName(s)}=${state()}` },
          }).then((r) => r.status);
        }),
      );
      expect(withCookie.every((s) => s === 400)).toBe(true);
      expect(dynamoCalls).toBe(100);
      expect(h.as.stats.requests).toBe(asRequests);

      // Still serving.
      const { sessionId } = await h.login();
      expect(await h.tokensOf(sessionId)).toBeTruthy();
    } finally {
      await h.stop();
    }
  });
});
