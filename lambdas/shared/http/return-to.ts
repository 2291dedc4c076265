/**
 * Validates where to send the browser after login (checklist D11, J29). Only a same-origin
 * relative path passes; anything else falls back to the default. The value is kept in the login
 * transaction, never in `state`, so it cannot be tampered with on the way through the AS.
 *
 * Dot segments are refused, not normalised (definitions/urls.ts says why): what passes is returned
 * byte for byte, so what was validated is what the `Location` header carries and what the browser
 * requests next. No legitimate app link needs dot segments or unencoded special characters.
 */
import { SILENT_LOGIN_PARAM, type SilentLoginError } from '../definitions/authorization-params.js';
import { isSameOriginPath } from '../definitions/urls.js';

const MAX_LENGTH = 2048;

export function safeReturnTo(candidate: string | undefined, fallback: string): string {
  if (candidate === undefined || candidate.length === 0 || candidate.length > MAX_LENGTH) return fallback;
  // Printable ASCII only: rules out control characters, CR/LF (header injection), spaces and
  // look-alike Unicode that a browser might normalise into something else.
  if (!/^[\x21-\x7E]+$/.test(candidate)) return fallback;
  // Backslashes are read as slashes by browsers; encoded slashes, backslashes and control
  // characters can become those after another round of decoding somewhere downstream.
  if (candidate.includes('\\') || /%(?:2f|5c|[01][0-9a-f]|7f)/i.test(candidate)) return fallback;
  return isSameOriginPath(candidate) ? candidate : fallback;
}

/**
 * Where a silent login that the AS could not complete sends the browser: the login's validated
 * `returnTo` with `silent_login=<error>` added to its query (before any fragment). A query
 * parameter, because it reaches the app's page on load, needs no cookie or storage the app would
 * have to clear, and a page that does not look for it ignores it; a fragment would not reach a
 * server-rendered app. The result is checked again as a same-origin path (checklist D11, J29), and
 * should the addition ever break that, the default path gets the parameter instead.
 */
export function silentLoginReturnTo(returnTo: string, error: SilentLoginError, fallback: string): string {
  const add = (path: string) => {
    const hashAt = path.indexOf('#');
    const base = hashAt === -1 ? path : path.slice(0, hashAt);
    const hash = hashAt === -1 ? '' : path.slice(hashAt);
    // Only the first `?` starts the query: after `/??` the parameter needs its own `&`, or it
    // would be read as `?silent_login` (fast-check found that one).
    const queryAt = base.indexOf('?');
    const separator = queryAt === -1 ? '?' : queryAt === base.length - 1 || base.endsWith('&') ? '' : '&';
    return `${base}${separator}${SILENT_LOGIN_PARAM}=${error}${hash}`;
  };
  const location = add(returnTo);
  if (isSameOriginPath(location)) return location;
  const fallbackLocation = add(fallback);
  return isSameOriginPath(fallbackLocation) ? fallbackLocation : '/';
}
