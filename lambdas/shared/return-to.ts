/**
 * Validates where to send the browser after login (checklist D11, J29). Only a same-origin
 * relative path passes; anything else falls back to the default. The value is kept in the login
 * transaction, never in `state`, so it cannot be tampered with on the way through the AS.
 *
 * Dot segments are refused, not normalised. The WHATWG URL parser removes `.` and `..` segments
 * (also written `%2e`), and what is left can begin with `//`: `/a/..//evil.example` normalises to
 * `//evil.example`, a scheme-relative URL to another host. Rather than check a normalised value
 * that differs from what came in, only a value the parser leaves exactly as it is passes: what
 * was validated is then byte for byte what the `Location` header carries and what the browser
 * requests next. No legitimate app link needs dot segments or unencoded special characters.
 */
const MAX_LENGTH = 2048;
/** Any origin serves: only a relative reference resolves onto it, and only those pass. */
const BASE = 'https://same-origin.invalid';

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
 * The property itself, checked on the value that will be returned: it begins with exactly one "/"
 * followed by neither "/" nor "\" (`//host` and `/\host` are scheme-relative), it resolves onto the
 * app's own origin, and the URL parser leaves it unchanged (no dot segment, nothing it would
 * re-encode or drop).
 */
export function isSameOriginPath(value: string): boolean {
  if (!/^\/(?![/\\])/.test(value)) return false;
  let parsed: URL;
  try {
    parsed = new URL(value, BASE);
  } catch {
    return false;
  }
  return parsed.origin === BASE && `${parsed.pathname}${parsed.search}${parsed.hash}` === value;
}
