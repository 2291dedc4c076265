import { sha256 } from './crypto.js';

/** All cookie names share this prefix; `__Host-` makes the browser enforce Secure, Path=/ and no Domain. */
export const COOKIE_PREFIX = '__Host-bff-';

/** The opaque session cookie: the only credential the browser ever holds. */
export const SESSION_COOKIE = `${COOKIE_PREFIX}session`;

/**
 * The browser-binding cookie of one login transaction. Its name is derived from that
 * transaction's `state`, so two logins started in two tabs of one browser each keep their own
 * binding instead of overwriting each other's (checklist A3), and the callback knows which
 * cookie to read without any lookup.
 */
export function bindingCookieName(state: string): string {
  return `${COOKIE_PREFIX}login-${sha256(`binding-cookie:${state}`).slice(0, 16)}`;
}
