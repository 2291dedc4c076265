/**
 * The whole flow through the real handlers, against DynamoDB Local and oidc-provider on 127.0.0.1.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';

const { session: SESSION_COOKIE, binding: bindingCookieName } = cookieNames();

import { sha256 } from '../../lambdas/shared/domain/crypto.js';
import { CookieJar, jarFetch } from '../support/cookie-jar.js';
import { type Harness, startHarness } from '../support/harness.js';

/** A secret with every character that breaks naive Basic or form encoding (checklist E12). */
const AWKWARD_SECRET = 'se:cr%et+with&odd=chars/and space';

describe.each(['client_secret_basic', 'client_secret_post'] as const)('whole flow with %s', (authMethod) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ authMethod, clientSecret: AWKWARD_SECRET });
  });
  afterAll(() => h.stop());

  it('logs in, stores the tokens server-side only, and refreshes them on schedule', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await h.authorize(jar, { returnTo: '/app/page?tab=1' });
    const callback = new URL(callbackUrl);
    expect(callback.searchParams.get('iss')).toBe(h.as.issuer);

    const response = await jarFetch(jar, callbackUrl);
    const body = await response.text();

    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/app/page?tab=1');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const setCookies = response.headers.getSetCookie();
    const sessionCookie = setCookies.find((c) => c.startsWith(`${SESSION_COOKIE}=`));
    expect(sessionCookie).toMatch(
      /^__Host-bff-session=[A-Za-z0-9_-]{43}; Path=\/; Max-Age=\d+; Secure; HttpOnly; SameSite=Lax$/,
    );
    expect(sessionCookie).not.toMatch(/Domain=/i);
    // The binding cookie of this login is cleared with the same attributes.
    const state = callback.searchParams.get('state') ?? '';
    expect(setCookies).toContain(
      `${bindingCookieName(state)}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`,
    );
    expect(h.as.stats.granted.authorization_code).toBe(1);

    // The session is stored under the hash of the cookie value, never the value itself.
    const sessionId = jar.get(h.url, SESSION_COOKIE) ?? '';
    const session = await h.store.getSession(sha256(sessionId));
    expect(session?.sub).toBe('alice');
    expect(session?.claims.name).toBe('Dev User alice');
    const tokens = await h.tokensOf(sessionId);
    expect(tokens?.accessToken).toBeTruthy();
    expect(tokens?.refreshToken).toBeTruthy();
    expect(tokens?.idToken).toBeTruthy();
    // At rest, the table holds neither the session id nor any token in the clear (checklist F19).
    const scan = JSON.stringify((await h.dynamo.send(new ScanCommand({ TableName: h.tableName }))).Items);
    for (const secret of [sessionId, tokens?.accessToken, tokens?.refreshToken, tokens?.idToken]) {
      expect(scan).not.toContain(secret);
    }

    // No token reaches the browser: not in the response, its headers or its cookies.
    const visible = [body, ...response.headers.values(), ...setCookies].join('\n');
    for (const token of [tokens?.accessToken, tokens?.refreshToken, tokens?.idToken]) {
      expect(visible).not.toContain(token);
    }

    // An hour later the access token is due: the scheduled refresh gets a new one.
    h.advance(3600 - 120);
    const summary = await h.refresh();
    expect(summary).toMatchObject({ due: 1, refreshed: 1, ended: 0, failed: 0, deferred: 0 });
    expect(h.as.stats.granted.refresh_token).toBe(1);
    const refreshed = await h.store.getSession(sha256(sessionId));
    const refreshedTokens = await h.tokensOf(sessionId);
    expect(refreshedTokens?.accessToken).toBeTruthy();
    expect(refreshedTokens?.accessToken).not.toBe(tokens?.accessToken);
    expect(refreshed?.accessTokenExpiresAt).toBeGreaterThan(session?.accessTokenExpiresAt ?? 0);
    // This AS does not rotate: the refresh token it did not send again is kept.
    expect(refreshedTokens?.refreshToken).toBe(tokens?.refreshToken);
    expect(refreshed?.version).toBe((session?.version ?? 0) + 1);

    // Refreshed tokens are not due again yet: the next tick reads nothing.
    expect(await h.refresh()).toMatchObject({ due: 0, refreshed: 0 });
  });
});

describe('the login transaction', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.stop());

  const tokenRequests = () => h.as.stats.requests;

  it('sends a fresh 256-bit state, an S256 challenge and a nonce, and keeps the verifier server-side', async () => {
    const states = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const response = await fetch(`${h.url}/login`, { redirect: 'manual' });
      expect(response.status).toBe(302);
      const location = new URL(response.headers.get('location') ?? '');
      const p = location.searchParams;
      expect(location.origin).toBe(h.as.issuer);
      expect(p.get('response_type')).toBe('code');
      expect(p.get('client_id')).toBe('test-client');
      expect(p.get('redirect_uri')).toBe(h.redirectUri);
      expect(p.get('code_challenge_method')).toBe('S256');
      expect(p.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(p.get('nonce')).toBeTruthy();
      expect(p.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
      states.add(p.get('state') ?? '');
      const [cookie] = response.headers.getSetCookie();
      expect(cookie).toMatch(
        new RegExp(
          `^${bindingCookieName(p.get('state') ?? '')}=[A-Za-z0-9_-]{43}; Path=/; Max-Age=600; Secure; HttpOnly; SameSite=Lax$`,
        ),
      );
      expect(response.headers.get('cache-control')).toBe('no-store');
      // The stored transaction holds the verifier; it is nowhere in what the browser got.
      const tx = await h.dynamo.send(new ScanCommand({ TableName: h.tableName }));
      const item = tx.Items?.find((i) => i.pk?.S === `tx#${sha256(p.get('state') ?? '')}`);
      const verifier = item?.codeVerifier?.S ?? '';
      expect(verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
      expect(`${location.href}${cookie}`).not.toContain(verifier);
      expect(JSON.stringify(item)).not.toContain(p.get('state'));
    }
    expect(states.size).toBe(5);
  });

  it('refuses a replayed callback with 400 and sends the code once', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await h.authorize(jar);
    const before = tokenRequests();
    const replayJar = jar.clone();
    const first = await jarFetch(jar, callbackUrl);
    expect(first.status).toBe(302);
    const replay = await jarFetch(replayJar, callbackUrl);
    expect(replay.status).toBe(400);
    expect(((await replay.json()) as { error: string }).error).toBe('login_unknown');
    expect(replay.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    expect(tokenRequests() - before).toBe(1);
  });

  it('refuses an expired transaction with 400 and no token request', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await h.authorize(jar);
    const before = tokenRequests();
    h.advance(601);
    try {
      const response = await jarFetch(jar, callbackUrl);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('login_expired');
      expect(tokenRequests()).toBe(before);
      expect(jar.get(h.url, SESSION_COOKIE)).toBeUndefined();
    } finally {
      h.advance(-601);
    }
  });

  it('ends an AS error response (access_denied) with no exchange and no session', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await h.authorize(jar, { abort: true });
    expect(new URL(callbackUrl).searchParams.get('error')).toBe('access_denied');
    const before = tokenRequests();
    const response = await jarFetch(jar, callbackUrl, { headers: { accept: 'text/html' } });
    const page = await response.text();
    expect(response.status).toBe(403);
    expect(page).toContain('Sign-in was not completed (access_denied)');
    expect(page).not.toContain('End-User aborted interaction'); // error_description is never shown
    expect(tokenRequests()).toBe(before);
    expect(jar.get(h.url, SESSION_COOKIE)).toBeUndefined();
    // The transaction was consumed: the same response cannot be replayed into anything else.
    expect((await jarFetch(jar.clone(), callbackUrl)).status).toBe(400);
  });

  it('refuses a callback opened in another browser, or with another binding cookie', async () => {
    const victim = new CookieJar();
    const { callbackUrl } = await h.authorize(victim);
    const state = new URL(callbackUrl).searchParams.get('state') ?? '';
    const before = tokenRequests();

    const otherBrowser = new CookieJar();
    const noCookie = await jarFetch(otherBrowser, callbackUrl);
    expect(noCookie.status).toBe(400);
    expect(((await noCookie.json()) as { error: string }).error).toBe('login_not_bound');

    const forged = new CookieJar();
    forged.set(h.url, bindingCookieName(state), 'A'.repeat(43));
    const wrongCookie = await jarFetch(forged, callbackUrl);
    expect(wrongCookie.status).toBe(400);
    expect(((await wrongCookie.json()) as { error: string }).error).toBe('login_not_bound');

    expect(tokenRequests()).toBe(before);
    expect(otherBrowser.get(h.url, SESSION_COOKIE)).toBeUndefined();
    expect(forged.get(h.url, SESSION_COOKIE)).toBeUndefined();
  });

  it("refuses an attacker's callback opened in a logged-in victim's browser, leaving the victim's session alone", async () => {
    const victim = (await h.login()).jar;
    const attacker = new CookieJar();
    const { callbackUrl: attackerCallback } = await h.authorize(attacker); // the attacker's own, valid login response
    const before = tokenRequests();
    const response = await jarFetch(victim, attackerCallback);
    expect(response.status).toBe(400);
    expect(response.headers.getSetCookie().some((c) => c.startsWith(`${SESSION_COOKIE}=`))).toBe(false);
    expect(tokenRequests()).toBe(before);
    const session = await jarFetch(victim, `${h.url}/session`);
    expect(await session.json()).toMatchObject({ authenticated: true, sub: 'alice' });
  });

  it('lets two logins in two tabs of one browser both complete', async () => {
    const jar = new CookieJar();
    const { callbackUrl: tab1 } = await h.authorize(jar, { returnTo: '/one' });
    const { callbackUrl: tab2 } = await h.authorize(jar, { returnTo: '/two' });
    const second = await jarFetch(jar, tab2);
    const first = await jarFetch(jar, tab1);
    expect([second.status, second.headers.get('location')]).toEqual([302, '/two']);
    expect([first.status, first.headers.get('location')]).toEqual([302, '/one']);
  });

  it('rejects a wrong or missing iss (RFC 9207) before any exchange, leaving the transaction usable', async () => {
    const jar = new CookieJar();
    const { callbackUrl } = await h.authorize(jar);
    const before = tokenRequests();
    const wrong = new URL(callbackUrl);
    wrong.searchParams.set('iss', 'https://attacker.example');
    const missing = new URL(callbackUrl);
    missing.searchParams.delete('iss');
    for (const url of [wrong.href, missing.href]) {
      const response = await jarFetch(jar.clone(), url);
      expect(response.status).toBe(400);
      expect(((await response.json()) as { error: string }).error).toBe('callback_invalid');
    }
    expect(tokenRequests()).toBe(before);
    expect((await jarFetch(jar, callbackUrl)).status).toBe(302);
  });

  it('gives every login a new session id, whatever cookie was planted before (no fixation)', async () => {
    const jar = new CookieJar();
    const planted = 'P'.repeat(43);
    jar.set(h.url, SESSION_COOKIE, planted);
    const { sessionId } = await h.login(jar);
    expect(sessionId).not.toBe(planted);
    expect(await h.store.getSession(sha256(planted))).toBeUndefined();
  });

  it('replaces the previous session of a browser that logs in again: the old one is deleted', async () => {
    const { jar, sessionId: first } = await h.login();
    const { sessionId: second } = await h.login(jar);
    expect(second).not.toBe(first);
    expect(await h.store.getSession(sha256(first))).toBeUndefined();
    expect(await h.tokensOf(second)).toBeTruthy();
  });

  it.each([
    '//evil.example/x',
    // Dot segments that the URL parser would normalise into a scheme-relative `//evil.example`.
    '/a/..//evil.example',
    '/.//evil.example',
    '/a/%2e%2e//evil.example',
  ])('lands on the default path, logged in, when returnTo is %s', async (returnTo) => {
    const jar = new CookieJar();
    const { callbackUrl } = await h.authorize(jar, { returnTo });
    const response = await jarFetch(jar, callbackUrl);
    expect(response.status).toBe(302);
    expect(response.headers.get('location')).toBe('/');
    expect(jar.get(h.url, SESSION_COOKIE)).toBeTruthy();
  });
});

describe('refresh', () => {
  it('stores a rotated refresh token, and ends the session when the grant is dead', async () => {
    const h = await startHarness({ rotateRefreshToken: true });
    try {
      const { sessionId } = await h.login();
      const key = sha256(sessionId);
      const before = await h.tokensOf(sessionId);

      h.advance(3600 - 60);
      expect(await h.refresh()).toMatchObject({ refreshed: 1 });
      const rotated = await h.tokensOf(sessionId);
      expect(rotated?.refreshToken).toBeTruthy();
      expect(rotated?.refreshToken).not.toBe(before?.refreshToken);

      // Revoke the grant at the AS (as an admin or a reuse detection would): invalid_grant ends the session.
      h.advance(3600);
      const grantId = (await h.as.provider.RefreshToken.find(rotated?.refreshToken ?? ''))?.grantId;
      expect(grantId).toBeTruthy();
      await (await h.as.provider.Grant.find(grantId ?? ''))?.destroy();
      const failedBefore = h.as.stats.failed.invalid_grant ?? 0;
      expect(await h.refresh()).toMatchObject({ due: 1, ended: 1, refreshed: 0 });
      expect(h.as.stats.failed.invalid_grant).toBe(failedBefore + 1);
      const ended = await h.store.getSession(key);
      expect(ended?.sealedTokens).toBeUndefined();
      expect(ended?.refreshable).toBe(false);
      expect(await h.tokensOf(sessionId)).toBeUndefined();
      // Ended sessions leave the refresh index: no retry storm.
      expect(await h.refresh()).toMatchObject({ due: 0 });
      expect(h.as.stats.failed.invalid_grant).toBe(failedBefore + 1);
    } finally {
      await h.stop();
    }
  });

  it('never refreshes an expired session', async () => {
    const h = await startHarness({ env: { SESSION_DURATION_SECONDS: '600' } });
    try {
      await h.login();
      h.advance(3600);
      const granted = h.as.stats.granted.refresh_token ?? 0;
      // Read once, ended (taken out of the index) without a token request, never read again.
      expect(await h.refresh()).toMatchObject({ due: 1, ended: 1, refreshed: 0 });
      expect(await h.refresh()).toMatchObject({ due: 0 });
      expect(h.as.stats.granted.refresh_token ?? 0).toBe(granted);
      expect(h.as.stats.requests).toBe(1);
    } finally {
      await h.stop();
    }
  });
});
