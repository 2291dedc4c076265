/**
 * A small browser-like cookie jar for driving flows over HTTP with `redirect: 'manual'`.
 * Like a browser, cookies are keyed by host (not port) and path; `Max-Age=0` deletes.
 */
interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expires: number;
}

export class CookieJar {
  private readonly cookies = new Map<string, Map<string, StoredCookie>>();

  /** Records every Set-Cookie header of a response to `url`. */
  store(url: string, response: Response): void {
    const { hostname } = new URL(url);
    const host = this.cookies.get(hostname) ?? new Map<string, StoredCookie>();
    this.cookies.set(hostname, host);
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attrs] = header.split(';').map((s) => s.trim());
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = '/';
      let expires = Number.POSITIVE_INFINITY;
      for (const attr of attrs) {
        const [k = '', v = ''] = attr.split('=');
        if (k.toLowerCase() === 'path') path = v;
        if (k.toLowerCase() === 'max-age') expires = Date.now() + Number(v) * 1000;
        if (k.toLowerCase() === 'expires' && expires === Number.POSITIVE_INFINITY) expires = Date.parse(v);
      }
      const key = `${name};${path}`;
      if (expires <= Date.now()) host.delete(key);
      else host.set(key, { name, value, path, expires });
    }
  }

  /** The Cookie header a browser would send to `url`, or undefined. */
  header(url: string): string | undefined {
    const { hostname, pathname } = new URL(url);
    const now = Date.now();
    const pairs = [...(this.cookies.get(hostname)?.values() ?? [])]
      .filter(
        (c) =>
          c.expires > now &&
          (pathname === c.path || pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`)),
      )
      .map((c) => `${c.name}=${c.value}`);
    return pairs.length ? pairs.join('; ') : undefined;
  }

  get(url: string, name: string): string | undefined {
    const { hostname } = new URL(url);
    return [...(this.cookies.get(hostname)?.values() ?? [])].find((c) => c.name === name)?.value;
  }

  set(url: string, name: string, value: string): void {
    const { hostname } = new URL(url);
    const host = this.cookies.get(hostname) ?? new Map<string, StoredCookie>();
    this.cookies.set(hostname, host);
    host.set(`${name};/`, { name, value, path: '/', expires: Number.POSITIVE_INFINITY });
  }

  /** A copy: a second "browser" that starts with the same cookies. */
  clone(): CookieJar {
    const copy = new CookieJar();
    for (const [host, cookies] of this.cookies)
      copy.cookies.set(host, new Map([...cookies].map(([k, c]) => [k, { ...c }])));
    return copy;
  }
}

/** fetch with the jar's cookies, no redirect following, and the jar updated from the response. */
export async function jarFetch(jar: CookieJar, url: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  const cookie = jar.header(url);
  if (cookie) headers.set('cookie', cookie);
  const response = await fetch(url, { ...init, headers, redirect: 'manual' });
  jar.store(url, response);
  return response;
}
