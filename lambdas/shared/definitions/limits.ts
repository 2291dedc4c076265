/**
 * Limits and patterns that both the construct (at synth) and the config loader (at cold start)
 * enforce, defined once so the two can never disagree. The one deliberate difference lives in the
 * callers: the construct wants `https` everywhere, the loader also allows plain `http` to a
 * loopback host (the local stack).
 */
import { everyChar, isAlphanumeric } from './chars.js';

/** Inclusive ranges of the numeric settings, in the unit of their variable. */
export const RANGES = {
  loginTimeoutSeconds: { min: 30, max: 3600 },
  sessionDurationSeconds: { min: 60, max: 400 * 86_400 },
  refreshBeforeExpirySeconds: { min: 0, max: 86_400 },
  httpTimeoutMs: { min: 100, max: 60_000 },
  refreshConcurrency: { min: 1, max: 256 },
  refreshMaxPerTick: { min: 1, max: 1_000_000 },
} as const;

/**
 * RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E ), `/^[\x21\x23-\x5B\x5D-\x7E]+$/`
 * (a loop, not that regular expression: definitions/chars.ts says why).
 */
export const isScopeToken = (value: string): boolean =>
  everyChar(value, (c) => c === 0x21 || (c >= 0x23 && c <= 0x5b) || (c >= 0x5d && c <= 0x7e));

/**
 * What may follow `__Host-` in the cookie names (a valid cookie-name token, short):
 * `/^[A-Za-z0-9_-]{1,32}$/`.
 */
export const isCookiePrefix = (value: string): boolean =>
  everyChar(value, (c) => isAlphanumeric(c) || c === 0x5f || c === 0x2d, 1, 32);

/**
 * Every cookie name starts with this: the browser then insists on `Secure`, `Path=/` and no
 * `Domain`, so a sibling subdomain cannot plant or overwrite it (RFC 6265bis 4.1.3.2).
 */
export const COOKIE_NAME_PREFIX = '__Host-';

/**
 * Back-channel logout (OIDC Back-Channel Logout 1.0, checklist J31). A logout token is a small
 * signed JWT (under 2 KB from every provider seen); anything much larger is refused unread.
 */
export const BACKCHANNEL_LOGOUT = {
  /** Largest request body accepted, in bytes (after base64 decoding). */
  maxBodyBytes: 16 * 1024,
  /** A logout token whose `iat` is older than this is refused (section 2.6: "recent"). */
  maxTokenAgeSeconds: 300,
  /** Clock difference tolerated between the authorization server and us, both ways. */
  clockToleranceSeconds: 60,
  /** Longest `jti`, `sid` or `sub` accepted. */
  maxClaimLength: 512,
} as const;
