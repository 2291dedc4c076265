/**
 * `npm start` as a person runs it: a child process on its embedded defaults (but PORT=0), and
 * again against a separately run authorization server. Logs in over HTTP, then stops it with
 * SIGTERM and checks that no Java process is left behind; a busy PORT fails with a clear message.
 */
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { startDevAuthorizationServer } from '../../local/dev-authorization-server.js';
import { onFreePort, PortInUseError } from '../../local/free-port.js';
import { authorizeAtAs } from '../support/as-driver.js';
import { endSessionAtAs } from '../support/as-logout.js';
import { CookieJar, jarFetch } from '../support/cookie-jar.js';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-stack-process.js';
import { isAlive } from '../support/process-alive.js';

const SESSION_COOKIE = cookieNames().session;

const running: LocalStackProcess[] = [];
afterEach(async () => {
  for (const stack of running.splice(0)) await stack.stop('SIGKILL');
});

async function startLocal(env: Record<string, string>): Promise<LocalStackProcess> {
  const stack = await startLocalStackProcess(env);
  running.push(stack);
  return stack;
}

describe('npm start', () => {
  it('serves a login that completes against the built-in authorization server, and stops cleanly', async () => {
    // PORT=0: it listens on a port the system gives it and prints that one, so no other process
    // can take the port between a choice made here and its listen.
    const started = await startLocal({ PORT: '0' });
    expect(started.url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
    expect(started.output()).toContain(`Redirect:   ${started.url}/redirect`);
    expect(isAlive(started.javaPid)).toBe(true);

    const jar = new CookieJar();
    const home = await jarFetch(jar, `${started.url}/`);
    expect(await home.text()).toContain('not logged in');

    const { callbackUrl } = await authorizeAtAs(
      jar,
      `${started.url}/login?returnTo=/`,
      `${started.url}/redirect`,
    );
    const callback = await jarFetch(jar, callbackUrl);
    expect(callback.status).toBe(302);
    expect(jar.get(started.url, SESSION_COOKIE)).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const after = await (await jarFetch(jar, `${started.url}/`)).text();
    expect(after).toContain('logged in</strong> as <code id="sub">alice</code>');

    // A replayed callback is refused.
    expect((await jarFetch(jar.clone(), callbackUrl)).status).toBe(400);

    // Signing out at the built-in AS ends the local session too (back-channel logout).
    const issuer = /Issuer:\s+(http:\/\/127\.0\.0\.1:\d+)/.exec(started.output())?.[1] ?? '';
    expect(started.output()).toContain(`${started.url}/backchannel-logout`);
    await endSessionAtAs(jar, issuer);
    expect((await jarFetch(jar, `${started.url}/session`)).status).toBe(401);
    expect(await (await jarFetch(jar, `${started.url}/`)).text()).toContain('not logged in');

    expect(await started.stop('SIGTERM')).toBe(0);
    expect(isAlive(started.javaPid)).toBe(false);
  });

  it('fails on a PORT another process listens on, with a message naming it', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const { port } = holder.address() as AddressInfo;
    try {
      const failed = await startLocal({ PORT: String(port) }).catch((error: unknown) => error);
      expect(failed).toBeInstanceOf(PortInUseError);
      expect((failed as PortInUseError).port).toBe(port);
      expect((failed as PortInUseError).message).toBe(
        `PORT=${port}: port ${port} on 127.0.0.1 is in use by another process; set PORT to another port, or to 0 for any free one`,
      );
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'works against a separately run authorization server with %s and a secret full of reserved characters',
    async (authMethod) => {
      const clientSecret = 'a:b%c+d&e=f';
      // The AS must know the redirect URI, port included, before the local stack starts: so the
      // port is picked here, and when another process takes it first, both start again on another.
      const { as, started, url } = await onFreePort(async (port) => {
        const url = `http://127.0.0.1:${port}`;
        const as = await startDevAuthorizationServer({
          clients: [{ clientId: 'ext-client', clientSecret, redirectUris: [`${url}/redirect`], authMethod }],
          accessTokenTtlSeconds: 2,
        });
        try {
          const started = await startLocal({
            PORT: String(port),
            OAUTH_ISSUER: as.issuer,
            OAUTH_CLIENT_ID: 'ext-client',
            OAUTH_CLIENT_SECRET: clientSecret,
            OAUTH_CLIENT_AUTH_METHOD: authMethod,
            OAUTH_SCOPE: 'openid profile',
            OAUTH_REDIRECT_URI: `${url}/redirect`,
            REFRESH_INTERVAL_SECONDS: '1',
          });
          return { as, started, url };
        } catch (error) {
          await as.stop();
          throw error;
        }
      });
      try {
        expect(started.url).toBe(url);
        expect(started.output()).not.toContain('built-in dev authorization server');
        const jar = new CookieJar();
        const { callbackUrl } = await authorizeAtAs(jar, `${url}/login`, `${url}/redirect`, { user: 'bob' });
        expect((await jarFetch(jar, callbackUrl)).status).toBe(302);
        expect(as.stats.granted.authorization_code).toBe(1);
        // Access tokens live 2 s, so every 1 s tick finds this session due and refreshes it.
        const deadline = Date.now() + 15_000;
        while ((as.stats.granted.refresh_token ?? 0) < 2 && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(as.stats.granted.refresh_token ?? 0).toBeGreaterThanOrEqual(2);
        expect(as.stats.failed).toEqual({});
        expect(await started.stop('SIGINT')).toBe(0);
        expect(isAlive(started.javaPid)).toBe(false);
      } finally {
        await as.stop();
      }
    },
  );
});
