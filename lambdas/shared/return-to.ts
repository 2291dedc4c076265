/**
 * Validates where to send the browser after login (checklist D11). Only a same-origin relative
 * path passes; anything else falls back to the default. The value is kept in the login
 * transaction, never in `state`, so it cannot be tampered with on the way through the AS.
 */
const MAX_LENGTH = 2048;

export function safeReturnTo(candidate: string | undefined, fallback: string): string {
  if (candidate === undefined || candidate.length === 0 || candidate.length > MAX_LENGTH) return fallback;
  // Printable ASCII only: rules out control characters, CR/LF (header injection), spaces and
  // look-alike Unicode that a browser might normalise into something else.
  if (!/^[\x21-\x7E]+$/.test(candidate)) return fallback;
  // A single leading slash: `//host` and `/\host` are scheme-relative URLs to browsers.
  if (!candidate.startsWith('/') || candidate.startsWith('//')) return fallback;
  // Backslashes are read as slashes by browsers; encoded slashes, backslashes and control
  // characters can become those after another round of decoding somewhere downstream.
  if (candidate.includes('\\') || /%(?:2f|5c|[01][0-9a-f]|7f)/i.test(candidate)) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(candidate, 'https://same-origin.invalid');
  } catch {
    return fallback;
  }
  if (parsed.origin !== 'https://same-origin.invalid') return fallback;
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}
