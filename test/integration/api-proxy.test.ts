/**
 * The API proxy (checklist J33) end to end: the real handlers on a local HTTP server that plays
 * API Gateway, DynamoDB Local, oidc-provider, and a real upstream on 127.0.0.1 that accepts a
 * bearer token only when the authorization server vouches for it (userinfo) and records every
 * request it received, which the tests then search.
 */
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeApiProxyHandler } from '../../lambdas/shared/flows/api-proxy.js';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { httpHandler } from '../../lambdas/shared/http/error-boundary.js';
import { type DevUpstream, startDevUpstream } from '../../local/dev-upstream.js';
import { freePort } from '../../local/free-port.js';
import type { HttpLambda } from '../../local/http-adapter.js';
import type { CookieJar } from '../support/cookie-jar.js';
import { type Harness, startHarness } from '../support/harness.js';

const SESSION_COOKIE = cookieNames().session;
const API = '/api/orders';

/** A raw HTTP request: the path goes out exactly as given (fetch would normalise `..`). */
function rawRequest(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer } = {},
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { hostname, port, path, method: options.method ?? 'GET', headers: options.headers ?? {} },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('API proxy', () => {
  let h: Harness;
  let upstream: DevUpstream;
  let jar: CookieJar;
  let sessionId: string;
  let closedPort: number;
  let userinfo = '';

  beforeAll(async () => {
    upstream = await startDevUpstream({ userinfoEndpoint: async () => userinfo });
    closedPort = await freePort();
    h = await startHarness({
      rotateRefreshToken: true,
      env: {
        OAUTH_HTTP_TIMEOUT_MS: '700',
        API_ROUTES: JSON.stringify([
          { path: API, upstream: `${upstream.url}/v1` },
          { path: '/api/down', upstream: `http://127.0.0.1:${closedPort}/base` },
        ]),
      },
      extraRoutes: (deps) => {
        const proxy = httpHandler(makeApiProxyHandler({ ...deps, fetch })) as HttpLambda;
        return new Map(
          [API, '/api/down'].flatMap((path) => [
            [`ANY ${path}`, proxy],
            [`ANY ${path}/{proxy+}`, proxy],
          ]),
        );
      },
    });
    userinfo = `${h.as.issuer}/me`;
    ({ jar, sessionId } = await h.login());
  });
  afterAll(async () => {
    await h.stop();
    await upstream.stop();
  });
  /** Everything the upstream received in this file, for the final search. */
  const everything: DevUpstream['received'] = [];
  beforeEach(() => {
    everything.push(...upstream.received);
    upstream.received.length = 0;
    upstream.intercept(undefined);
  });

  const cookie = () => `${SESSION_COOKIE}=${sessionId}`;
  const call = (path: string, init: RequestInit = {}) =>
    fetch(`${h.url}${path}`, {
      ...init,
      headers: { 'x-csrf': '1', cookie: cookie(), ...(init.headers as Record<string, string>) },
    });

  it('forwards a GET with its query to the upstream base, with a bearer token the AS accepts', async () => {
    const response = await call(`${API}/items/42?expand=lines&x=%2F`, {
      headers: { accept: 'application/json', authorization: 'Basic ZXZpbDpldmls', 'x-request-id': 'r-1' },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { sub: string; url: string; method: string };
    expect(body).toMatchObject({ sub: 'alice', method: 'GET', url: '/v1/items/42?expand=lines&x=%2F' });

    const [received, ...more] = upstream.received;
    expect(more).toEqual([]);
    expect(received?.sub).toBe('alice'); // the AS vouched for the token the backend attached
    expect(received?.headers.authorization).toMatch(/^Bearer /);
    expect(received?.headers.authorization).toBe(`Bearer ${(await h.tokensOf(sessionId))?.accessToken}`);
    expect(received?.headers.cookie).toBeUndefined();
    expect(received?.headers['x-csrf']).toBeUndefined();
    expect(received?.headers['x-request-id']).toBe('r-1');
    expect(received?.headers.host).toBe(new URL(upstream.url).host);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(h.deps.meter.counts.get(`ApiProxied:route=${API},status=2xx`)).toBeGreaterThan(0);
  });

  it('forwards a POST with a JSON body', async () => {
    const response = await call(`${API}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ item: 'book', count: 2 }),
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      method: 'POST',
      url: '/v1/orders',
      body: '{"item":"book","count":2}',
    });
    expect(upstream.received[0]?.headers['content-type']).toBe('application/json');
  });

  it('carries a binary body both ways, byte for byte', async () => {
    const bytes = randomBytes(64 * 1024);
    const response = await call(`${API}/blobs`, {
      method: 'PUT',
      headers: { 'content-type': 'application/octet-stream' },
      body: bytes,
    });
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    expect(upstream.received[0]?.body.equals(bytes)).toBe(true);
  });

  it('returns the upstream status and allowlisted headers only: never Set-Cookie, CORS or WWW-Authenticate', async () => {
    upstream.intercept((_req, res) => {
      res
        .writeHead(409, {
          'content-type': 'application/json',
          etag: '"v7"',
          'x-request-id': 'up-1',
          'set-cookie': 'upstream=planted; Path=/',
          'access-control-allow-origin': '*',
          'www-authenticate': 'Basic realm="x"',
          'cache-control': 'public, max-age=3600',
        })
        .end('{"error":"conflict"}');
      return true;
    });
    const response = await call(`${API}/orders/1`);
    expect(response.status).toBe(409);
    expect(await response.json()).toEqual({ error: 'conflict' });
    expect(response.headers.get('etag')).toBe('"v7"');
    expect(response.headers.get('x-request-id')).toBe('up-1');
    expect(response.headers.getSetCookie()).toEqual([]);
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
    expect(response.headers.get('www-authenticate')).toBeNull();
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses without the x-csrf header (403) and without a session (401), calling no upstream', async () => {
    const noCsrf = await fetch(`${h.url}${API}/x`, { headers: { cookie: cookie() } });
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { error: string }).error).toBe('proxy_csrf_header_missing');
    const preflight = await fetch(`${h.url}${API}/x`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const noSession = await fetch(`${h.url}${API}/x`, { headers: { 'x-csrf': '1' } });
    expect(noSession.status).toBe(401);
    expect(await noSession.json()).toMatchObject({ error: 'unauthenticated' });
    const forged = await fetch(`${h.url}${API}/x`, {
      headers: { 'x-csrf': '1', cookie: `${SESSION_COOKIE}=${'A'.repeat(43)}` },
    });
    expect(forged.status).toBe(401);
    expect(upstream.received).toEqual([]);
  });

  it.each([
    `${API}/../admin`,
    `${API}/a/../../admin`,
    `${API}/%2e%2e/admin`,
    `${API}/.%2E/admin`,
    `${API}/a%2fb`,
    `${API}/a%5Cb`,
    `${API}/a\\b`,
    `${API}//evil.example/x`,
    `${API}/https://evil.example/x`,
    `${API}/.`,
  ])('never lets %s reach another path or host', async (path) => {
    const response = await rawRequest(h.url, path, { headers: { 'x-csrf': '1', cookie: cookie() } });
    expect(response.status).toBe(400);
    expect(JSON.parse(response.body.toString()).error).toBe('proxy_bad_path');
    expect(upstream.received).toEqual([]);
  });

  it('refuses a body over 4 MiB with 413, before any upstream call', async () => {
    const response = await call(`${API}/big`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: randomBytes(4 * 1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expect(upstream.received).toEqual([]);
  });

  it('answers 502 when the upstream cannot be reached and 504 when it is too slow', async () => {
    const down = await call('/api/down/x');
    expect(down.status).toBe(502);
    expect(((await down.json()) as { error: string }).error).toBe('upstream_unavailable');

    upstream.intercept(async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      res.writeHead(200).end('late');
      return true;
    });
    const started = Date.now();
    const slow = await call(`${API}/slow`);
    expect(slow.status).toBe(504);
    expect(Date.now() - started).toBeLessThan(1400);
    expect(h.deps.meter.counts.get(`ApiProxied:route=${API},status=5xx`)).toBeGreaterThan(0);
  });

  it('refreshes an expired access token before the call, once for many concurrent calls', async () => {
    const before = await h.tokensOf(sessionId);
    const grants = h.as.stats.granted.refresh_token ?? 0;
    h.advance(3600); // our clock: the access token has expired
    const responses = await Promise.all(Array.from({ length: 8 }, (_, i) => call(`${API}/c/${i}`)));
    expect(responses.map((r) => r.status)).toEqual(Array(8).fill(200));
    expect(h.as.stats.granted.refresh_token).toBe(grants + 1);
    const after = await h.tokensOf(sessionId);
    expect(after?.accessToken).not.toBe(before?.accessToken);
    const sent = new Set(upstream.received.map((r) => r.headers.authorization));
    expect([...sent]).toEqual([`Bearer ${after?.accessToken}`]);
    expect(upstream.received.every((r) => r.sub === 'alice')).toBe(true);
  });

  it('never passed a cookie or the browser Authorization to the upstream, in any test', () => {
    everything.push(...upstream.received);
    expect(everything.length).toBeGreaterThan(10);
    for (const received of everything) {
      expect(received.headers.cookie).toBeUndefined();
      expect(JSON.stringify(received.headers)).not.toContain(sessionId);
      expect(received.headers.authorization).toMatch(/^Bearer [\w-]+$/);
      expect(received.headers.authorization).not.toContain('Basic');
      expect(received.url.startsWith('/v1/') || received.url === '/v1').toBe(true);
    }
  });

  it('never sends an expired access token: 401 when it cannot be refreshed', async () => {
    const tokens = await h.tokensOf(sessionId);
    // Revoke the grant at the AS: the next refresh gets invalid_grant and ends the session.
    const grantId = (await h.as.provider.RefreshToken.find(tokens?.refreshToken ?? ''))?.grantId;
    await (await h.as.provider.Grant.find(grantId ?? ''))?.destroy();
    h.advance(3600);
    const response = await call(`${API}/after-expiry`);
    expect(response.status).toBe(401);
    expect(upstream.received).toEqual([]);
    expect((await jarFetchSession(h, jar)).status).toBe(401);
  });
});

async function jarFetchSession(h: Harness, jar: CookieJar): Promise<Response> {
  return fetch(`${h.url}/session`, { headers: { cookie: jar.header(h.url) ?? '' } });
}
