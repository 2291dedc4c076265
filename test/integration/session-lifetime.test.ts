/**
 * Sessions never outlive what the provider allows, and an expired access token is never handed
 * out (checklist J30): `refresh_expires_in` bounds the session and a refresh moves the bound;
 * `getAccessToken` refreshes or returns nothing. Against DynamoDB Local and a token endpoint that
 * answers as Keycloak does, with the test's clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nowSeconds } from '../../lambdas/shared/domain/clock.js';
import { makeSessionAccess } from '../../lambdas/shared/flows/session-access.js';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { CookieJar, jarFetch } from '../support/cookie-jar.js';
import {
  type FakeTokenEndpoint,
  fakeEndpointEnv,
  sendJson,
  startFakeTokenEndpoint,
} from '../support/fake-token-endpoint.js';
import { type Harness, startHarness } from '../support/harness.js';
import { present } from '../support/present.js';

const SESSION_COOKIE = cookieNames().session;
const SESSION_DURATION = 8 * 3600;

describe('session lifetime and access tokens', () => {
  let as: FakeTokenEndpoint;
  let h: Harness;
  beforeAll(async () => {
    as = await startFakeTokenEndpoint();
    h = await startHarness({
      env: fakeEndpointEnv(as, {
        OAUTH_HTTP_TIMEOUT_MS: '500',
        SESSION_DURATION_SECONDS: String(SESSION_DURATION),
      }),
    });
  });
  afterAll(async () => {
    await h.stop();
    await as.stop();
  });

  /** A whole login against the fake token endpoint, answering the code exchange with `tokens`. */
  async function login(tokens: Record<string, unknown>) {
    as.respond((_body, _req, res) => sendJson(res, 200, { token_type: 'Bearer', ...tokens }));
    const { jar, sessionId } = await h.login(new CookieJar(), { code: `c-${Math.random()}` });
    const event = { cookies: [`${SESSION_COOKIE}=${sessionId}`] };
    return { jar, event, sessionId };
  }

  const sessionEnd = async (jar: CookieJar) => {
    const response = await jarFetch(jar, `${h.url}/session`);
    return response.status === 200 ? ((await response.json()) as { expiresAt: number }).expiresAt : undefined;
  };

  it('ends the session when the refresh token ends (refresh_expires_in), not after sessionDuration', async () => {
    const now = nowSeconds(h.deps.clock);
    const { jar, event } = await login({
      access_token: 'at-1',
      expires_in: 3600,
      refresh_token: 'rt-1',
      refresh_expires_in: 1800,
    });
    expect(await sessionEnd(jar)).toBeGreaterThanOrEqual(now + 1800);
    expect(await sessionEnd(jar)).toBeLessThanOrEqual(now + 1802);

    h.advance(1805);
    expect(await sessionEnd(jar)).toBeUndefined(); // /session 401
    const access = makeSessionAccess(h.deps);
    expect(await access.getSession(event)).toBeUndefined();
    expect(await access.getAccessToken(event)).toBeUndefined();
  });

  it('moves the end with every refresh that returns a new refresh_expires_in, never past sessionDuration', async () => {
    const createdAt = nowSeconds(h.deps.clock);
    const { jar, event } = await login({
      access_token: 'at-1',
      expires_in: 600,
      refresh_token: 'rt-1',
      refresh_expires_in: 1800,
    });
    const access = makeSessionAccess(h.deps, { skewSeconds: 60 });

    // The access token is due: an on-demand refresh gets a new refresh token lifetime.
    h.advance(590);
    as.respond((_b, _q, res) =>
      sendJson(res, 200, {
        access_token: 'at-2',
        token_type: 'Bearer',
        expires_in: 600,
        refresh_token: 'rt-2',
        refresh_expires_in: 1800,
      }),
    );
    const refreshedAt = nowSeconds(h.deps.clock);
    expect(await access.getAccessToken(event)).toBe('at-2');
    const moved = await sessionEnd(jar);
    expect(moved).toBeGreaterThanOrEqual(refreshedAt + 1800);
    expect(moved).toBeLessThanOrEqual(refreshedAt + 1802);

    // A lifetime beyond the session's own maximum is capped at login + sessionDuration.
    h.advance(600);
    as.respond((_b, _q, res) =>
      sendJson(res, 200, {
        access_token: 'at-3',
        token_type: 'Bearer',
        expires_in: 600,
        refresh_token: 'rt-3',
        refresh_expires_in: 30 * 86_400,
      }),
    );
    expect(await access.getAccessToken(event)).toBe('at-3');
    const capped = present(await sessionEnd(jar), 'the session end');
    expect(capped).toBeGreaterThanOrEqual(createdAt + SESSION_DURATION);
    expect(capped).toBeLessThanOrEqual(createdAt + SESSION_DURATION + 2);

    // A refresh without refresh_expires_in leaves the end where it is.
    h.advance(600);
    as.respond((_b, _q, res) =>
      sendJson(res, 200, { access_token: 'at-4', token_type: 'Bearer', expires_in: 600 }),
    );
    expect(await access.getAccessToken(event)).toBe('at-4');
    expect(await sessionEnd(jar)).toBe(capped);
  });

  it('takes refresh_expires_in 0 (Keycloak offline tokens) as no limit', async () => {
    const now = nowSeconds(h.deps.clock);
    const { jar } = await login({
      access_token: 'at-1',
      expires_in: 3600,
      refresh_token: 'rt-1',
      refresh_expires_in: 0,
    });
    expect(await sessionEnd(jar)).toBeGreaterThanOrEqual(now + SESSION_DURATION);
  });

  it('never hands out an expired access token when there is no refresh token', async () => {
    const { jar, event } = await login({ access_token: 'at-only', expires_in: 300 });
    const access = makeSessionAccess(h.deps, { skewSeconds: 60 });
    expect(await access.getAccessToken(event)).toBe('at-only');
    h.advance(270); // within the skew, not yet expired: still usable, nothing to refresh it with
    expect(await access.getAccessToken(event)).toBe('at-only');
    h.advance(31); // expired
    const requests = as.requests.length;
    expect(await access.getAccessToken(event)).toBeUndefined();
    expect(as.requests.length).toBe(requests);
    // The login session itself lives on until it ends: /session still answers 200.
    expect(await sessionEnd(jar)).toBeDefined();
  });

  it('never hands out an expired access token when the refresh fails for now', async () => {
    const { jar, event } = await login({ access_token: 'at-old', expires_in: 300, refresh_token: 'rt-x' });
    const access = makeSessionAccess(h.deps, { skewSeconds: 60 });
    as.respond((_b, _q, res) => sendJson(res, 503, { error: 'temporarily_unavailable' }));

    h.advance(270); // due, not expired: the refresh fails, the current token still serves
    expect(await access.getAccessToken(event)).toBe('at-old');
    h.advance(31); // expired, and the refresh is backing off
    expect(await access.getAccessToken(event)).toBeUndefined();
    // The refresh token may work again later, so the session is not ended: /session 200.
    expect(await sessionEnd(jar)).toBeDefined();
  });

  it('returns nothing, and ends the session, when the refresh token is refused', async () => {
    const { jar, event } = await login({ access_token: 'at-old', expires_in: 300, refresh_token: 'rt-dead' });
    const access = makeSessionAccess(h.deps, { skewSeconds: 60 });
    as.respond((_b, _q, res) => void res.writeHead(400).end());
    h.advance(301);
    expect(await access.getAccessToken(event)).toBeUndefined();
    expect(await sessionEnd(jar)).toBeUndefined();
  });
});
