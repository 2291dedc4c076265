/**
 * A real browser against `npm start` on its embedded defaults: headless Debian Chromium, driven
 * by playwright-core, logs in through the dev authorization server's own login and consent pages,
 * checks the session cookie exactly as the browser stored it, calls the built-in dev API through the
 * API proxy from the home page's script, and logs out through the AS's
 * end-session confirmation page. No response from the API origin may carry a token.
 *
 * Under CI=true this test fails when no browser can start; elsewhere it skips and says how to
 * install Chromium.
 */

import { existsSync } from 'node:fs';
import { type Browser, type BrowserContext, chromium, type Page, type Response } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStackProcess, startLocalStackProcess } from '../support/local-stack-process.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const INSTALL_HINT = 'install Chromium: apt-get install -y chromium';
const SESSION_COOKIE = '__Host-bff-session';
const SESSION_MAX_SECONDS = 8 * 3600;
const USER = 'e2e-user';
/** What a token in a response would look like: the OAuth parameter names, or a JWT. */
const TOKEN_PATTERNS = [/access_token/i, /refresh_token/i, /id_token/i, /eyJ[\w-]+\.[\w-]+\.[\w-]*/];

let browser: Browser | undefined;
let browserProblem: string | undefined;
let stack: LocalStackProcess | undefined;
let url = '';

async function launchBrowser(): Promise<void> {
  if (!existsSync(CHROMIUM)) {
    browserProblem = `${CHROMIUM} not found`;
    return;
  }
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  } catch (error) {
    browserProblem = `Chromium at ${CHROMIUM} did not start: ${(error as Error).message}`;
  }
}

async function startStack(): Promise<void> {
  // PORT=0 and the URL it prints: a port picked here could be taken before the child listens.
  stack = await startLocalStackProcess({ PORT: '0' }, 60_000);
  url = stack.url;
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:[1-9]\d*$/);
}

/** SIGTERM by PID, wait for the exit, SIGKILL if it does not come within 15 s. */
async function stopStack(): Promise<void> {
  await stack?.stop('SIGTERM', 15_000);
  stack = undefined;
}

beforeAll(async () => {
  await launchBrowser();
  // Without a browser there is nothing to drive; the test reports why.
  if (browser) await startStack();
}, 90_000);

afterAll(async () => {
  await browser?.close().catch(() => {});
  await stopStack();
}, 30_000);

/**
 * Opens /session in the page, as a person following the home page's link would, with the
 * browser's own cookies. (The API's CSP, `default-src 'none'`, forbids fetch() from its pages.)
 */
async function sessionInBrowser(page: Page): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await page.goto(`${url}/session`);
  if (!response) throw new Error('no response for /session');
  return { status: response.status(), body: (await response.json()) as Record<string, unknown> };
}

interface Seen {
  readonly url: string;
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/** Records every response from the API origin: URL, status, all headers, and the body. */
function recordApiResponses(page: Page, origin: string): Promise<Seen>[] {
  const seen: Promise<Seen>[] = [];
  page.on('response', (response: Response) => {
    if (new URL(response.url()).origin !== origin) return;
    seen.push(
      (async () => {
        const headers = await response.headersArray();
        const status = response.status();
        // Redirects have no body the browser can read; their Location is among the headers.
        const body =
          status >= 300 && status < 400
            ? ''
            : (await response.body().catch(() => Buffer.alloc(0))).toString();
        return {
          url: response.url(),
          status,
          headers: headers.map((h) => `${h.name}: ${h.value}`).join('\n'),
          body,
        };
      })(),
    );
  });
  return seen;
}

describe('a real browser (headless Chromium)', () => {
  it('logs in through the dev AS, holds only an HttpOnly __Host- session cookie, and logs out', async (ctx) => {
    const launched = browser;
    if (!launched) {
      const problem = browserProblem ?? 'no browser';
      if (process.env.CI === 'true')
        throw new Error(`CI=true and no browser could start (${INSTALL_HINT}): ${problem}`);
      return ctx.skip(`${INSTALL_HINT} (${problem.split('\n')[0]})`);
    }
    let context: BrowserContext | undefined;
    let current: Page | undefined;
    try {
      context = await launched.newContext();
      const page = await context.newPage();
      current = page;
      page.setDefaultTimeout(15_000);
      const seen = recordApiResponses(page, url);

      // Not logged in yet.
      expect(await sessionInBrowser(page)).toEqual({ status: 401, body: { authenticated: false } });
      await page.goto(`${url}/`);
      await expect.poll(() => page.textContent('body')).toContain('not logged in');

      // Login: our /login sends the browser to the AS's login page.
      await page.click('#login');
      await page.waitForSelector('input[name=login]');
      expect(new URL(page.url()).origin).not.toBe(url);
      await page.fill('input[name=login]', USER);
      await page.fill('input[name=password]', 'any password');
      await page.click('button[type=submit]');

      // Consent, then back to us: /redirect and on to the home page.
      await page.waitForSelector('input[name=prompt][value=consent]', { state: 'attached' });
      await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
      await expect.poll(() => page.textContent('#sub')).toBe(USER);
      await page.screenshot({ path: '/tmp/e2e-logged-in.png' });

      const session = await sessionInBrowser(page);
      expect(session.status).toBe(200);
      expect(session.body).toMatchObject({ authenticated: true, sub: USER });
      expect(session.body.expiresAt).toEqual(expect.any(Number));

      // The session cookie as the browser stored it.
      const cookies = await context.cookies(url);
      const cookie = cookies.find((c) => c.name === SESSION_COOKIE);
      expect(cookie, `cookies: ${cookies.map((c) => c.name).join(', ')}`).toBeDefined();
      if (!cookie) throw new Error(`no ${SESSION_COOKIE} cookie`);
      expect(cookie.name.startsWith('__Host-')).toBe(true);
      expect(cookie).toMatchObject({
        httpOnly: true,
        secure: true,
        sameSite: 'Lax',
        path: '/',
        domain: '127.0.0.1',
      });
      expect(cookie.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
      const now = Date.now() / 1000;
      expect(cookie.expires).toBeGreaterThan(now);
      expect(cookie.expires).toBeLessThanOrEqual(now + SESSION_MAX_SECONDS + 60);
      // No login-binding cookie is left over once the login completed.
      expect(cookies.filter((c) => c.name.startsWith('__Host-bff-login-'))).toEqual([]);

      // Back on the home page, still logged in; HttpOnly: the page's scripts cannot see the cookie.
      await page.goto(`${url}/`);
      await expect.poll(() => page.textContent('#sub')).toBe(USER);
      const documentCookie = await page.evaluate<string>('document.cookie');
      expect(documentCookie).not.toContain(SESSION_COOKIE);
      expect(documentCookie).not.toContain(cookie.value);

      // The home page calls the built-in dev API through the API proxy (fetch with x-csrf: 1): the
      // dev API accepted the access token the backend attached, and answers who called.
      await page.click('#call-api');
      await expect.poll(() => page.textContent('#api-result')).toMatch(/^200 /);
      const answer = JSON.parse((await page.textContent('#api-result'))?.replace(/^200 /, '') ?? '{}');
      expect(answer).toMatchObject({ sub: USER, method: 'GET', url: '/me' });

      // Logout: our POST /logout sends the browser to the AS's end-session confirmation page.
      // The home page's form post is what a browser really sends: its Origin and Sec-Fetch-Site.
      const [logout] = await Promise.all([
        page.waitForResponse((r) => r.url() === `${url}/logout` && r.request().method() === 'POST'),
        page.click('#logout'),
      ]);
      const logoutHeaders = await logout.request().allHeaders();
      expect(
        logout.status(),
        `POST /logout answered ${logout.status()} to the home page's own Logout button ` +
          `(Origin: ${logoutHeaders.origin}, Sec-Fetch-Site: ${logoutHeaders['sec-fetch-site']})`,
      ).toBe(303);
      await page.waitForURL((u) => u.origin !== url);
      await page.waitForSelector('button[name=logout]');
      await Promise.all([page.waitForURL(`${url}/`), page.click('button[name=logout]')]);
      await expect.poll(() => page.textContent('body')).toContain('not logged in');
      const after = await sessionInBrowser(page);
      expect(after).toEqual({ status: 401, body: { authenticated: false } });
      expect((await context.cookies(url)).map((c) => c.name)).not.toContain(SESSION_COOKIE);

      // Nothing the browser received from the API origin carried a token.
      const responses = await Promise.all(seen);
      expect(responses.length).toBeGreaterThanOrEqual(6);
      for (const r of responses) {
        for (const pattern of TOKEN_PATTERNS) {
          expect(r.url, `${r.url} URL`).not.toMatch(pattern);
          expect(r.headers, `${r.url} (${r.status}) headers`).not.toMatch(pattern);
          expect(r.body, `${r.url} (${r.status}) body`).not.toMatch(pattern);
        }
      }
      const paths = responses.map((r) => `${r.status} ${new URL(r.url).pathname}`);
      expect(paths).toEqual(
        expect.arrayContaining([
          '200 /',
          '302 /login',
          '302 /redirect',
          '200 /session',
          '200 /api/demo/me',
          '303 /logout',
        ]),
      );
    } catch (error) {
      // The stack's own output helps more than anything else when a step times out.
      if (error instanceof Error) {
        const content = await current?.content().catch(() => '');
        error.message += `\n--- page ${current?.url()} ---\n${content}\n--- local stack output ---\n${stack?.output() ?? ''}`;
      }
      throw error;
    } finally {
      await context?.close().catch(() => {});
    }
  }, 60_000);

  it('logs in silently (prompt=none) while the provider session lasts, and comes back logged out without one', async (ctx) => {
    const launched = browser;
    if (!launched) {
      const problem = browserProblem ?? 'no browser';
      if (process.env.CI === 'true')
        throw new Error(`CI=true and no browser could start (${INSTALL_HINT}): ${problem}`);
      return ctx.skip(`${INSTALL_HINT} (${problem.split('\n')[0]})`);
    }
    let context: BrowserContext | undefined;
    let current: Page | undefined;
    try {
      context = await launched.newContext();
      const page = await context.newPage();
      current = page;
      page.setDefaultTimeout(15_000);
      /** Every page of the provider the browser was shown (a document answered 200 from its origin). */
      const providerPages: string[] = [];
      page.on('response', (response) => {
        const origin = new URL(response.url()).origin;
        if (
          origin !== url &&
          response.request().isNavigationRequest() &&
          response.request().frame() === page.mainFrame() &&
          response.status() === 200
        ) {
          providerPages.push(response.url());
        }
      });

      // A normal login: the provider shows its login and consent pages.
      await page.goto(`${url}/`);
      await page.click('#login');
      await page.waitForSelector('input[name=login]');
      await page.fill('input[name=login]', 'silent-user');
      await page.fill('input[name=password]', 'any password');
      await page.click('button[type=submit]');
      await page.waitForSelector('input[name=prompt][value=consent]', { state: 'attached' });
      await Promise.all([page.waitForURL(`${url}/`), page.click('button[type=submit]')]);
      await expect.poll(() => page.textContent('#sub')).toBe('silent-user');
      expect(providerPages.length).toBeGreaterThan(0);

      // A backend logout that keeps the provider's session: the user leaves the provider's
      // end-session confirmation without answering it.
      await Promise.all([page.waitForURL((u) => u.origin !== url), page.click('#logout')]);
      await page.waitForSelector('button[name=logout]');
      await page.goto(`${url}/`);
      await expect.poll(() => page.textContent('body')).toContain('not logged in');
      expect((await sessionInBrowser(page)).status).toBe(401);

      // Silent login: no page of the provider, back on the app, logged in.
      providerPages.length = 0;
      const silent = await page.goto(`${url}/login?prompt=none&returnTo=/`);
      expect(silent?.status()).toBe(200);
      expect(page.url()).toBe(`${url}/`);
      await expect.poll(() => page.textContent('#sub')).toBe('silent-user');
      expect(providerPages).toEqual([]);
      expect((await sessionInBrowser(page)).body).toMatchObject({ authenticated: true, sub: 'silent-user' });
      await context.close();

      // A browser with no provider session: back on the app, logged out, told why, no error page.
      context = await launched.newContext();
      const fresh = await context.newPage();
      current = fresh;
      fresh.setDefaultTimeout(15_000);
      const freshProviderPages: string[] = [];
      fresh.on('response', (response) => {
        if (
          new URL(response.url()).origin !== url &&
          response.request().isNavigationRequest() &&
          response.status() === 200
        ) {
          freshProviderPages.push(response.url());
        }
      });
      const back = await fresh.goto(`${url}/login?prompt=none&returnTo=/`);
      expect(back?.status()).toBe(200);
      expect(fresh.url()).toBe(`${url}/?silent_login=login_required`);
      await expect.poll(() => fresh.textContent('body')).toContain('not logged in');
      expect(freshProviderPages).toEqual([]);
      await fresh.screenshot({ path: '/tmp/e2e-silent-login-required.png' });
      expect((await sessionInBrowser(fresh)).status).toBe(401);
      expect((await context.cookies(url)).map((c) => c.name)).toEqual([]);
    } catch (error) {
      if (error instanceof Error) {
        const content = await current?.content().catch(() => '');
        error.message += `\n--- page ${current?.url()} ---\n${content}\n--- local stack output ---\n${stack?.output() ?? ''}`;
      }
      throw error;
    } finally {
      await context?.close().catch(() => {});
    }
  }, 60_000);
});
