/**
 * Walks a login through the dev authorization server's own pages over HTTP, like a browser with
 * redirects off: every request is one step, timed from sending it to having read its whole body.
 * Forms are filled the way a person would (any login and password, then consent).
 */
import { type CookieJar, jarFetch } from '../../test/support/cookie-jar.js';

export interface Step {
  readonly label: string;
  readonly ms: number;
  readonly status: number;
}

export interface FlowOutcome {
  readonly steps: Step[];
  /** The redirect target the walk stopped at (not requested). */
  readonly stoppedAt: string;
}

/** `GET AS /interaction/:id`: method, whose server, and the path with random ids folded. */
export function stepLabel(method: string, url: string, origins: Readonly<Record<string, string>>): string {
  const u = new URL(url);
  const path = u.pathname
    .split('/')
    .map((s) => (/^[A-Za-z0-9_-]{16,}$/.test(s) ? ':id' : s))
    .join('/');
  return `${method} ${origins[u.origin] ?? u.origin} ${path}`;
}

/**
 * Starts with GET `start`, follows redirects and fills the AS forms, and stops before requesting
 * the first redirect target for which `stopBefore` is true.
 */
export async function walkFlow(
  jar: CookieJar,
  start: string,
  stopBefore: (url: string) => boolean,
  origins: Readonly<Record<string, string>>,
): Promise<FlowOutcome> {
  const steps: Step[] = [];
  let url = start;
  let init: RequestInit = {};
  for (let n = 0; n < 25; n++) {
    const method = init.method ?? 'GET';
    const t0 = performance.now();
    const response = await jarFetch(jar, url, init);
    const body = await response.text();
    steps.push({
      label: stepLabel(method, url, origins),
      ms: performance.now() - t0,
      status: response.status,
    });
    init = {};
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location) {
      const next = new URL(location, url).href;
      if (stopBefore(next)) return { steps, stoppedAt: next };
      url = next;
      continue;
    }
    if (response.status !== 200)
      throw new Error(`unexpected ${response.status} at ${url}: ${body.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(body)?.[1];
    const prompt = /name="prompt" value="([a-z]+)"/.exec(body)?.[1];
    if (!action || !prompt) throw new Error(`no interaction form at ${url}`);
    const form =
      prompt === 'login'
        ? new URLSearchParams({ prompt, login: 'bench-user', password: 'any' })
        : new URLSearchParams({ prompt });
    url = new URL(action.replaceAll('&amp;', '&'), url).href;
    init = { method: 'POST', body: form, headers: { 'content-type': 'application/x-www-form-urlencoded' } };
  }
  throw new Error(`too many steps from ${start}`);
}

/** The bare token request of a code exchange (the floor of /redirect, and the AS-only login). */
export function rawCodeExchange(
  tokenEndpoint: string,
  basicAuthorization: string,
  params: { readonly code: string; readonly redirectUri: string; readonly verifier: string },
): Promise<Response> {
  return fetch(tokenEndpoint, {
    method: 'POST',
    headers: {
      authorization: basicAuthorization,
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/json',
    },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      code: params.code,
      redirect_uri: params.redirectUri,
      code_verifier: params.verifier,
    }),
  });
}
