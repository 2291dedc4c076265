/**
 * Log hygiene (checklist I26): the whole flow runs with DEBUG logging while every write to stdout
 * and stderr is captured; then every secret value seen on the way is searched for in the logs.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { CookieJar, jarFetch } from '../support/cookie-jar.js';
import { startHarness } from '../support/harness.js';
import { present } from '../support/present.js';

// Before any import creates the logger: Powertools resets the level to this one on every
// warm invocation, so it must be DEBUG from the start.
vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'DEBUG';
});

const { session: SESSION_COOKIE, binding: bindingCookieName } = cookieNames();

describe('logs (checklist I26)', () => {
  it('never contain a code, state, verifier, token, secret or cookie value', async () => {
    const secret = 'MARKER-client-secret-7f3a';
    const h = await startHarness({ clientSecret: secret, rotateRefreshToken: true });
    const captured: string[] = [];
    const writes = { out: process.stdout.write, err: process.stderr.write };
    const capture =
      (original: typeof process.stdout.write) =>
      (chunk: unknown, ...rest: unknown[]): boolean => {
        captured.push(String(chunk));
        return (original as (c: unknown, ...r: unknown[]) => boolean).call(process.stdout, chunk, ...rest);
      };
    process.stdout.write = capture(writes.out) as typeof process.stdout.write;
    process.stderr.write = capture(writes.err) as typeof process.stderr.write;
    const markers: string[] = [secret];
    try {
      const jar = new CookieJar();
      // A login up to the callback, capturing every secret value on the way.
      const { state, callbackUrl } = await h.authorize(jar);
      markers.push(state, present(jar.get(h.url, bindingCookieName(state)), 'the binding cookie'));
      const tx = await h.dynamo.send(new ScanCommand({ TableName: h.tableName }));
      markers.push(present(tx.Items?.find((i) => i.codeVerifier)?.codeVerifier?.S, 'the stored verifier'));
      markers.push(present(new URL(callbackUrl).searchParams.get('code'), 'the code'));
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
    } finally {
      process.stdout.write = writes.out;
      process.stderr.write = writes.err;
      await h.stop();
    }
    const logs = captured.join('');
    // The flow did log (so the search means something)...
    expect(logs).toContain('login completed');
    expect(logs).toContain('request rejected');
    expect(logs).toContain('logout');
    // ...and none of it holds a secret value.
    expect(markers.filter((m) => m.length < 16)).toEqual([]);
    for (const marker of markers) expect(logs).not.toContain(marker);
  });
});
