/**
 * The cookies of the backend: their names, reading them from an event, setting and clearing them,
 * and the one way from the session cookie to the stored session's key.
 */
import { DEFAULTS } from '../definitions/env.js';
import { COOKIE_NAME_PREFIX } from '../definitions/limits.js';
import { RANDOM_TOKEN_PATTERN, sha256 } from '../domain/crypto.js';

export interface CookieNames {
  /** The opaque session cookie: the only credential the browser ever holds. */
  readonly session: string;
  /**
   * The browser-binding cookie of one login transaction. Its name is derived from that
   * transaction's `state`, so two logins started in two tabs of one browser each keep their own
   * binding instead of overwriting each other's (checklist A3), and the callback knows which
   * cookie to read without any lookup.
   */
  binding(state: string): string;
}

/**
 * Every name carries the `__Host-` prefix, so the browser enforces Secure, Path=/ and no Domain.
 * The configurable part (COOKIE_PREFIX) keeps two backends on one host apart.
 */
export function cookieNames(prefix: string = DEFAULTS.cookiePrefix): CookieNames {
  return {
    session: `${COOKIE_NAME_PREFIX}${prefix}session`,
    binding: (state) =>
      `${COOKIE_NAME_PREFIX}${prefix}login-${sha256(`binding-cookie:${state}`).slice(0, 16)}`,
  };
}

/** Where cookies are read from: API Gateway v2 moves them to `cookies`; the header is the fallback. */
export interface CookieSource {
  readonly cookies?: readonly string[];
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

/**
 * Cookies sent by the browser. A name that appears twice is treated as absent: a second cookie
 * of the same name can only come from another path or a planted value, and picking one of
 * them would be a guess.
 */
export function readCookie(event: CookieSource, name: string): string | undefined {
  const pairs = event.cookies ?? event.headers?.cookie?.split(';') ?? [];
  let found: string | undefined;
  let count = 0;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    count += 1;
    found = pair.slice(eq + 1).trim();
  }
  return count === 1 ? found : undefined;
}

/**
 * Every cookie we set has the `__Host-` prefix, so the browser insists on `Secure`, `Path=/` and
 * no `Domain`: a sibling subdomain cannot plant or overwrite it (RFC 6265bis 4.1.3.2).
 * `SameSite=Lax` keeps it on the top-level redirect back from the authorization server.
 */
export function setCookie(name: string, value: string, maxAgeSeconds: number): string {
  if (!name.startsWith(COOKIE_NAME_PREFIX)) throw new Error('cookie names must carry the __Host- prefix');
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; Secure; HttpOnly; SameSite=Lax`;
}

/** Deletes a cookie: same name and attributes, empty value, `Max-Age=0`. */
export function clearCookie(name: string): string {
  return setCookie(name, '', 0);
}

/**
 * The key of the session the request's session cookie names: the SHA-256 of the cookie value
 * (the id itself is never stored), or undefined when there is no cookie or it cannot be one of
 * ours (no read for a value of the wrong shape).
 */
export function sessionIdHash(event: CookieSource, cookies: CookieNames): string | undefined {
  const id = readCookie(event, cookies.session);
  return id !== undefined && RANDOM_TOKEN_PATTERN.test(id) ? sha256(id) : undefined;
}
