/**
 * Log hygiene (checklist I26): each flow runs with DEBUG logging while every write to stdout and
 * stderr is captured; then every secret value seen on the way is searched for in the logs. The
 * flows: login, callback, refresh, session and logout; the API proxy; silent login and
 * back-channel logout. Each also fails on the way, so the error logging is searched too.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { ROUTES } from '../../lambdas/shared/definitions/routes.js';
import { makeApiProxyHandler } from '../../lambdas/shared/flows/api-proxy.js';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { httpHandler } from '../../lambdas/shared/http/error-boundary.js';
import { logStreams } from '../../lambdas/shared/platform/log-output.js';
import { startDevUpstream } from '../../local/dev-upstream.js';
import { freePort } from '../../local/free-port.js';
import type { HttpLambda } from '../../local/http-adapter.js';
import { endSessionAtAs } from '../support/as-logout.js';
import { CookieJar, jarFetch } from '../support/cookie-jar.js';
import { type Harness, startHarness } from '../support/harness.js';
import { present } from '../support/present.js';

// Before any import creates the logger: Powertools resets the level to this one on every
// warm invocation, so it must be DEBUG from the start.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

const { session: SESSION_COOKIE, binding: bindingCookieName } = cookieNames();

/**
 * Runs `flow` with every write to stdout and stderr captured (and still written): Node's streams,
 * and the descriptors Powertools' Logger and Metrics write to (platform/log-output.ts). Returns the
 * writes.
 */
async function capturedLogs(flow: () => Promise<void>): Promise<string> {
  const captured: string[] = [];
  const streams: { write: (chunk: never, ...rest: never[]) => unknown }[] = [
    process.stdout,
    process.stderr,
    logStreams.stdout,
    logStreams.stderr,
  ];
  const writes = streams.map((stream) => stream.write);
  streams.forEach((stream, i) => {
    const original = writes[i] as (chunk: unknown, ...rest: unknown[]) => boolean;
    stream.write = ((chunk: unknown, ...rest: unknown[]): boolean => {
      captured.push(String(chunk));
      return original.call(stream, chunk, ...rest);
    }) as typeof stream.write;
  });
  try {
    await flow();
  } finally {
    streams.forEach((stream, i) => {
      stream.write = writes[i] as typeof stream.write;
    });
  }
  return captured.join('');
}

/** None of the markers in the logs; each long enough that finding it could not be chance. */
function expectNoneLogged(logs: string, markers: readonly string[]): void {
  expect(markers.filter((m) => m.length < 16)).toEqual([]);
  for (const marker of markers) expect(logs).not.toContain(marker);
}

/** Every transaction's PKCE verifier in the table (a scan: the test's own table). */
async function storedVerifiers(h: Harness): Promise<string[]> {
  const { Items } = await h.dynamo.send(new ScanCommand({ TableName: h.tableName }));
  return (Items ?? []).flatMap((item) => (item.codeVerifier?.S ? [item.codeVerifier.S] : []));
}

describe('logs (checklist I26)', () => {
  it('never contain a code, state, verifier, token, secret or cookie value', async () => {
    const secret = 'MARKER-client-secret-7f3a';
    const h = await startHarness({ clientSecret: secret, rotateRefreshToken: true });
    const markers: string[] = [secret];
    let logs: string;
    try {
      logs = await capturedLogs(async () => {
        const jar = new CookieJar();
        // A login up to the callback, capturing every secret value on the way.
        const { state, callbackUrl } = await h.authorize(jar);
        markers.push(state, present(jar.get(h.url, bindingCookieName(state)), 'the binding cookie'));
        const verifiers = await storedVerifiers(h);
        expect(verifiers).toHaveLength(1);
        markers.push(...verifiers, present(new URL(callbackUrl).searchParams.get('code'), 'the code'));
        // The callback (with an extra parameter, as some providers add), then a refused replay.
        const replayJar = jar.clone();
        expect((await jarFetch(jar, `${callbackUrl}&x=1`)).status).toBe(302);
        expect((await jarFetch(replayJar, callbackUrl)).status).toBe(400);
        const sessionId = present(jar.get(h.url, SESSION_COOKIE), 'the session cookie');
        markers.push(sessionId);
        const tokens = present(await h.tokensOf(sessionId), 'the tokens');
        markers.push(tokens.accessToken, present(tokens.refreshToken), present(tokens.idToken));
        // Refresh (rotating), session, logout.
        h.advance(3600);
        expect(await h.refresh()).toMatchObject({ refreshed: 1 });
        const rotated = present(await h.tokensOf(sessionId), 'the rotated tokens');
        markers.push(rotated.accessToken, present(rotated.refreshToken));
        expect((await jarFetch(jar, `${h.url}/session`)).status).toBe(200);
        expect(
          (await jarFetch(jar, `${h.url}/logout`, { method: 'POST', headers: { origin: h.url } })).status,
        ).toBe(303);
      });
    } finally {
      await h.stop();
    }
    // The flow did log (so the search means something)...
    expect(logs).toContain('login completed');
    expect(logs).toContain('request rejected');
    expect(logs).toContain('logout');
    // ...and none of it holds a secret value.
    expectNoneLogged(logs, markers);
  });

  it('never contain the cookie or the access token of a proxied API call, also when it fails', async () => {
    const API = '/api/orders';
    const DOWN = '/api/down';
    let userinfo = '';
    const upstream = await startDevUpstream({ userinfoEndpoint: async () => userinfo });
    const closedPort = await freePort();
    // The API proxy as api-proxy.test.ts mounts it: one upstream that checks the token, one unreachable.
    const h = await startHarness({
      rotateRefreshToken: true,
      env: {
        API_ROUTES: JSON.stringify([
          { path: API, upstream: `${upstream.url}/v1` },
          { path: DOWN, upstream: `http://127.0.0.1:${closedPort}/base` },
        ]),
      },
      extraRoutes: (deps) => {
        const proxy = httpHandler(makeApiProxyHandler({ ...deps, fetch })) as HttpLambda;
        return new Map([API, DOWN].map((path) => [`ANY ${path}/{proxy+}`, proxy] as const));
      },
    });
    userinfo = `${h.as.issuer}/me`;
    // Of the right shape, so it is looked up (and found to name no session).
    const forged = 'MARKER-forged-session-cookie-'.padEnd(43, 'x');
    const markers: string[] = [forged];
    let logs: string;
    try {
      logs = await capturedLogs(async () => {
        const { sessionId } = await h.login();
        const tokens = present(await h.tokensOf(sessionId), 'the tokens');
        markers.push(sessionId, tokens.accessToken, present(tokens.refreshToken), present(tokens.idToken));
        const call = (path: string, session = sessionId) =>
          fetch(`${h.url}${path}`, { headers: { 'x-csrf': '1', cookie: `${SESSION_COOKIE}=${session}` } });

        expect((await call(`${API}/items/1`)).status).toBe(200);
        // An upstream that fails is passed through; one that cannot be reached is our 502.
        upstream.intercept((_req, res) => {
          res.writeHead(500).end();
          return true;
        });
        expect((await call(`${API}/items/2`)).status).toBe(500);
        upstream.intercept(undefined);
        expect((await call(`${DOWN}/items/3`)).status).toBe(502);
        // An unknown session.
        expect((await call(`${API}/items/4`, forged)).status).toBe(401);
        // An expired access token, refreshed (rotating) on the way.
        h.advance(3600);
        expect((await call(`${API}/items/5`)).status).toBe(200);
        const rotated = present(await h.tokensOf(sessionId), 'the rotated tokens');
        markers.push(rotated.accessToken, present(rotated.refreshToken));
        // A refresh the AS refuses (its grant revoked there) ends the session: 401.
        const grantId = (await h.as.provider.RefreshToken.find(present(rotated.refreshToken)))?.grantId;
        await (await h.as.provider.Grant.find(present(grantId, 'the grant')))?.destroy();
        h.advance(3600);
        expect((await call(`${API}/items/6`)).status).toBe(401);

        // What the upstream was sent, as it received it: the bearer tokens are markers too.
        const bearers = upstream.received.map((r) => present(r.headers.authorization, 'a bearer token'));
        expect(bearers).toHaveLength(3);
        for (const bearer of bearers) expect(bearer).toMatch(/^Bearer [\w-]+$/);
        const sent = new Set(bearers.map((b) => b.slice('Bearer '.length)));
        expect(sent.size).toBe(2); // the first access token and the refreshed one
        markers.push(...sent);
      });
    } finally {
      await h.stop();
      await upstream.stop();
    }
    // The proxy did log: the unreachable upstream, the refused requests, the ended session...
    expect(logs).toContain('proxied request failed');
    expect(logs).toContain('"code":"upstream_unavailable"');
    expect(logs).toContain('"code":"unauthenticated"');
    expect(logs).toContain('session ended: refresh token refused');
    // ...and none of it holds a secret value.
    expectNoneLogged(logs, markers);
  });

  it('never contain a logout token, nor the session it ends, nor a silent login’s values', async () => {
    // What reaches POST /backchannel-logout, watched on the way into the harness's own handler.
    const posted: string[] = [];
    const h = await startHarness({
      extraRoutes: (_deps, routes) => {
        const watched: HttpLambda = async (event, context) => {
          posted.push(new URLSearchParams(event.body ?? '').get('logout_token') ?? '');
          return routes.backchannelLogout(event, context);
        };
        return new Map([[`${ROUTES.backchannelLogout.method} ${ROUTES.backchannelLogout.path}`, watched]]);
      },
    });
    const postLogoutToken = (token: string) =>
      fetch(h.backchannelLogoutUri, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ logout_token: token }),
      });
    const markers: string[] = [];
    let logs: string;
    try {
      logs = await capturedLogs(async () => {
        const jar = new CookieJar();
        const first = await h.login(jar);
        const firstTokens = present(await h.tokensOf(first.sessionId), 'the tokens');
        markers.push(first.sessionId, firstTokens.accessToken, present(firstTokens.refreshToken));
        // A backend logout that keeps the AS session (the JSON answer), then a silent login on it;
        // and one without an AS session, which comes back login_required.
        const out = await jarFetch(jar, `${h.url}/logout`, {
          method: 'POST',
          headers: { origin: h.url, accept: 'application/json' },
        });
        expect(out.status).toBe(200);
        const silent = await h.authorize(jar, { query: 'prompt=none' });
        const away = new CookieJar();
        const refused = await h.authorize(away, { query: 'prompt=none' });
        expect(new URL(refused.callbackUrl).searchParams.get('error')).toBe('login_required');
        for (const [j, { state }] of [
          [jar, silent],
          [away, refused],
        ] as const) {
          markers.push(state, present(j.get(h.url, bindingCookieName(state)), 'the binding cookie'));
        }
        const verifiers = await storedVerifiers(h);
        expect(verifiers).toHaveLength(2); // the first login's transaction is spent
        markers.push(
          ...verifiers,
          present(new URL(silent.callbackUrl).searchParams.get('code'), 'the silent code'),
        );
        expect((await jarFetch(jar, silent.callbackUrl)).status).toBe(302);
        expect((await jarFetch(away, refused.callbackUrl)).status).toBe(302);
        const sessionId = present(jar.get(h.url, SESSION_COOKIE), 'the silent session cookie');
        const tokens = present(await h.tokensOf(sessionId), 'the silent session tokens');
        const sid = present((await h.sessionOf(sessionId))?.sid, 'the AS session id');
        markers.push(
          sessionId,
          sid,
          tokens.accessToken,
          present(tokens.refreshToken),
          present(tokens.idToken),
        );

        // The AS ends its session: it posts a logout token, which ends ours.
        await endSessionAtAs(jar, h.as.issuer);
        expect(h.as.stats.backchannel).toEqual({ delivered: 1, failed: 0 });
        expect((await jarFetch(jar, `${h.url}/session`)).status).toBe(401);
        expect(posted).toHaveLength(1);
        const token = present(posted[0], 'the logout token the AS posted');
        const [header, payload = '', signature = ''] = token.split('.');
        // Refused: the token with a broken signature, then the token itself again (a replay).
        const broken = `${signature.slice(0, 20)}${signature[20] === 'A' ? 'B' : 'A'}${signature.slice(21)}`;
        const forged = `${header}.${payload}.${broken}`;
        expect((await postLogoutToken(forged)).status).toBe(400);
        expect((await postLogoutToken(token)).status).toBe(400);
        // The token, its claims and signature apart (a log of a part would leak as much), the forgery.
        markers.push(token, payload, signature, forged, broken);
      });
    } finally {
      await h.stop();
    }
    // The routes did log: both logins, the silent one refused, the logout, both refusals...
    expect(logs).toContain('"silent":true');
    expect(logs).toContain('silent login: the authorization server needs the user');
    expect(logs).toContain('"message":"back-channel logout"');
    expect(logs).toContain('"reason":"signature"');
    expect(logs).toContain('"reason":"replayed"');
    // ...and none of it holds a secret value.
    expectNoneLogged(logs, markers);
  });
});
