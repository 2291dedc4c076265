/**
 * Drives the dev authorization server's own login and consent pages over HTTP, the way a person
 * with a browser would, until the AS redirects back to the client.
 */
import { type CookieJar, jarFetch } from './cookie-jar.js';

export interface AuthorizeOutcome {
  /** The URL the AS redirected the browser to: our /redirect with code (or error), state and iss. */
  readonly callbackUrl: string;
}

/**
 * Starts at `loginUrl` (our GET /login), follows redirects, signs in as `user` and consents,
 * and stops at the first redirect to `redirectUri` without requesting it.
 */
export async function authorizeAtAs(
  jar: CookieJar,
  loginUrl: string,
  redirectUri: string,
  options: { user?: string; abort?: boolean } = {},
): Promise<AuthorizeOutcome> {
  let url = loginUrl;
  let init: RequestInit = {};
  for (let step = 0; step < 20; step++) {
    const response = await jarFetch(jar, url, init);
    init = {};
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url).href;
      if (next.startsWith(`${redirectUri}?`)) return { callbackUrl: next };
      url = next;
      continue;
    }
    if (response.status !== 200)
      throw new Error(`unexpected ${response.status} at ${url}: ${await response.text()}`);
    const page = await response.text();
    const action = /<form[^>]*action="([^"]+)"/.exec(page)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(page)?.[1];
    if (!action || !prompt) throw new Error(`no interaction form at ${url}`);
    if (options.abort) {
      const abort = /href="([^"]*\/abort)"/.exec(page)?.[1];
      if (!abort) throw new Error('no abort link');
      url = new URL(abort.replaceAll('&amp;', '&'), url).href;
      continue;
    }
    const form =
      prompt === 'login'
        ? new URLSearchParams({ prompt, login: options.user ?? 'alice', password: 'any' })
        : new URLSearchParams({ prompt });
    url = new URL(action.replaceAll('&amp;', '&'), url).href;
    init = { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error('too many steps at the authorization server');
}
