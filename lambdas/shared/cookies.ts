import { DEFAULTS } from './config.js';
import { sha256 } from './crypto.js';

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
    session: `__Host-${prefix}session`,
    binding: (state) => `__Host-${prefix}login-${sha256(`binding-cookie:${state}`).slice(0, 16)}`,
  };
}
