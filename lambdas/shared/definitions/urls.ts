/** URL rules shared by the construct, the config loader and the handlers. Side-effect free. */
import { everyChar, isVisibleAscii } from './chars.js';

/** Any origin serves: only a relative reference resolves onto it, and only those pass. */
const BASE = 'https://same-origin.invalid';

/**
 * A same-origin path, checked on the value itself (README "Security model", checklist D11 and
 * J29): printable ASCII, beginning with exactly one "/" followed by neither "/" nor "\" (`//host`
 * and `/\host` are scheme-relative), resolving onto the app's own origin, and left unchanged by
 * the WHATWG URL parser (no dot segment, nothing it would re-encode or drop). Dot segments are
 * refused rather than normalised: `/a/..//evil.example` normalises to `//evil.example`, so only a
 * value the parser leaves as it is can be checked once and then used as it is.
 */
export function isSameOriginPath(value: string): boolean {
  // `/^\/(?![/\\])[\x21-\x7E]*$/`, as a loop (definitions/chars.ts says why).
  const second = value.charCodeAt(1);
  if (value.charCodeAt(0) !== 0x2f || second === 0x2f || second === 0x5c || !everyChar(value, isVisibleAscii))
    return false;
  let parsed: URL;
  try {
    parsed = new URL(value, BASE);
  } catch {
    return false;
  }
  return parsed.origin === BASE && `${parsed.pathname}${parsed.search}${parsed.hash}` === value;
}

/** Loopback hosts: the only ones plain `http` is allowed to (local runs). */
export function isLoopbackHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    hostname === '::1' ||
    /^127(\.\d{1,3}){3}$/.test(hostname)
  );
}
