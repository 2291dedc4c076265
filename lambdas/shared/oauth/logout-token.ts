/**
 * Logout token validation, OpenID Connect Back-Channel Logout 1.0 section 2.6 (checklist J31), on
 * `jose`. Plain protocol code: no AWS SDK, no storage, no HTTP framing. What the token *does* (the
 * `jti` seen once, the sessions it ends) is the flow's business (flows/backchannel-logout.ts).
 *
 * Checked, in this order, every failure a LogoutTokenInvalidError with a stable `reason`:
 * 1. the shape: a compact JWS (three base64url parts, so never an encrypted or unsecured JWT);
 * 2. the header: `alg` one of the asymmetric algorithms the AS advertises for ID tokens (never
 *    `none`, never HMAC: a shared-secret MAC would let anyone holding the client secret forge
 *    logouts, and an HMAC "signed" with a public key is the classic confusion attack), `typ`
 *    absent, `JWT` or `logout+jwt` (section 2.4; anything else is some other kind of token);
 * 3. the signature, by a key of the AS's `jwks_uri` (fetched once per container and cached;
 *    an unknown `kid` refetches at most every 30 s, so a key rotation at the AS just works);
 * 4. `iss` exactly the AS's issuer, `aud` containing our client id, `iat` present, not in the
 *    future and at most BACKCHANNEL_LOGOUT.maxTokenAgeSeconds old, `exp` (when present) not passed;
 * 5. `jti` present, `events` holding the back-channel logout event as a JSON object, `sid` or `sub`
 *    present as strings, and no `nonce` (section 2.4: so that a logout token can never pass as an ID
 *    token, nor an ID token as a logout token).
 * `exp` is checked but not required: the 2022 final text requires it, older providers do not send
 * it, and the `iat` window already bounds how long a token is accepted.
 */
import {
  createRemoteJWKSet,
  customFetch,
  decodeProtectedHeader,
  type JWTPayload,
  jwtVerify,
  type RemoteJWKSet,
} from 'jose';
import { BACKCHANNEL_LOGOUT } from '../definitions/limits.js';
import { isLoopbackHost } from '../definitions/urls.js';
import type { Clock } from '../domain/clock.js';
import { limitedFetch } from './limited-fetch.js';

/**
 * The codes of the jose errors this module tells apart. Every jose error carries its class's code
 * as `code` (documented as the stable identifier of the error), so they are compared by code, not
 * by `instanceof` against jose's `errors` namespace: importing the namespace bundles all 16 of its
 * classes, where jose's own functions bring only those they throw, and a class costs V8 about 50 K
 * instructions to create at init (0.3 M fewer at this function's cold start, callgrind, Node 24).
 * test/unit/logout-token.test.ts checks each against jose's own class, so an upgrade that renamed
 * one fails there.
 */
export const JOSE_ERROR_CODES = {
  noMatchingKey: 'ERR_JWKS_NO_MATCHING_KEY',
  multipleMatchingKeys: 'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  signatureVerificationFailed: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
  algNotAllowed: 'ERR_JOSE_ALG_NOT_ALLOWED',
  jwtExpired: 'ERR_JWT_EXPIRED',
  claimValidationFailed: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
} as const;

/** The member of `events` that makes a JWT a logout token (section 2.4). */
export const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/** JWS algorithms a logout token may use: asymmetric only. */
const ASYMMETRIC_ALGORITHMS = new Set([
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
  'Ed25519',
]);

/** OpenID Connect Discovery: RS256 when the AS does not say (`id_token_signing_alg_values_supported`). */
const DEFAULT_ALGORITHMS = ['RS256'];

const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
/** Longest logout token looked at: the body limit already bounds it; this keeps the parser honest. */
const MAX_TOKEN_LENGTH = BACKCHANNEL_LOGOUT.maxBodyBytes;

/** What a valid logout token says. At least one of `sid` and `sub` is present. */
export interface LogoutTokenClaims {
  readonly iss: string;
  readonly jti: string;
  /** Epoch seconds. */
  readonly iat: number;
  readonly exp?: number;
  readonly sub?: string;
  readonly sid?: string;
}

export type LogoutTokenInvalidReason =
  | 'malformed'
  | 'algorithm'
  | 'type'
  | 'signature'
  | 'key_unknown'
  | 'issuer'
  | 'audience'
  | 'issued_at'
  | 'expired'
  | 'jti'
  | 'events'
  | 'nonce'
  | 'subject'
  | 'not_configured';

/** The logout token is not one we accept. Its `reason` is safe to log; the token never is. */
export class LogoutTokenInvalidError extends Error {
  readonly code = 'LOGOUT_TOKEN_INVALID';
  constructor(
    readonly reason: LogoutTokenInvalidReason,
    options?: { cause?: unknown },
  ) {
    super(`logout token invalid: ${reason}`, options);
    this.name = 'LogoutTokenInvalidError';
  }
}

/** The AS's key set could not be fetched: the token may well be valid, so this is not a 400. */
export class LogoutTokenKeysUnavailableError extends Error {
  readonly code = 'LOGOUT_TOKEN_KEYS_UNAVAILABLE';
  constructor(options?: { cause?: unknown }) {
    super('the authorization server key set could not be fetched', options);
    this.name = 'LogoutTokenKeysUnavailableError';
  }
}

/** What the verifier needs from the AS's metadata (discovery). */
export interface LogoutTokenIssuer {
  readonly issuer: string;
  readonly jwks_uri?: string;
  readonly id_token_signing_alg_values_supported?: readonly string[];
}

export interface LogoutTokenVerifierOptions {
  readonly clientId: string;
  readonly clock: Clock;
  readonly httpTimeoutMs: number;
  readonly fetch?: typeof fetch;
}

/** The algorithms a logout token may be signed with: what the AS advertises, asymmetric only. */
export function logoutTokenAlgorithms(advertised: readonly string[] | undefined): string[] {
  const allowed = (advertised ?? []).filter((alg) => ASYMMETRIC_ALGORITHMS.has(alg));
  return allowed.length > 0 ? allowed : DEFAULT_ALGORITHMS;
}

/**
 * Verifies logout tokens against one authorization server. Build it once per container: it holds
 * the JWKS cache.
 */
export class LogoutTokenVerifier {
  private jwks?: { readonly uri: string; readonly keys: RemoteJWKSet };

  constructor(
    private readonly metadata: () => Promise<LogoutTokenIssuer>,
    private readonly options: LogoutTokenVerifierOptions,
  ) {}

  async verify(token: string): Promise<LogoutTokenClaims> {
    if (token.length > MAX_TOKEN_LENGTH || !COMPACT_JWS.test(token)) throw invalid('malformed');
    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch (cause) {
      throw invalid('malformed', cause);
    }

    const as = await this.metadata();
    const algorithms = logoutTokenAlgorithms(as.id_token_signing_alg_values_supported);
    // Checked here as well as by jose, so a token with a refused `alg` never causes a JWKS fetch.
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) throw invalid('algorithm');
    if (header.typ !== undefined && !isLogoutTokenType(header.typ)) throw invalid('type');
    if (header.crit !== undefined) throw invalid('malformed');

    const now = this.options.clock();
    let payload: JWTPayload;
    try {
      const keys = this.keys(as);
      // A failure to get the key set is the AS's (or the network's), not the token's: not a 400.
      const key = (...args: Parameters<RemoteJWKSet>) =>
        keys(...args).catch((error: unknown) => {
          if (isUnknownKey(joseErrorOf(error))) throw error;
          throw new LogoutTokenKeysUnavailableError({ cause: error });
        });
      ({ payload } = await jwtVerify(token, key, {
        algorithms,
        issuer: as.issuer,
        audience: this.options.clientId,
        maxTokenAge: BACKCHANNEL_LOGOUT.maxTokenAgeSeconds,
        clockTolerance: BACKCHANNEL_LOGOUT.clockToleranceSeconds,
        currentDate: new Date(now),
        requiredClaims: ['iss', 'aud', 'iat', 'jti', 'events'],
      }));
    } catch (error) {
      throw fromJoseError(error);
    }
    return checkClaims(payload, as.issuer);
  }

  /** The AS's key set, fetched on first use and cached (jose refetches for an unknown `kid`). */
  private keys(as: LogoutTokenIssuer): RemoteJWKSet {
    if (!as.jwks_uri) throw invalid('not_configured');
    if (this.jwks?.uri === as.jwks_uri) return this.jwks.keys;
    let url: URL;
    try {
      url = new URL(as.jwks_uri);
    } catch (cause) {
      throw invalid('not_configured', cause);
    }
    // The same rule as for every AS URL: https, or plain http to a loopback host (local runs).
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      throw invalid('not_configured');
    }
    const fetchImpl = this.options.fetch ?? fetch;
    const keys = createRemoteJWKSet(url, {
      timeoutDuration: this.options.httpTimeoutMs,
      // No redirects followed and a bounded body, like every other call to the AS.
      [customFetch]: (resource, init) => limitedFetch(fetchImpl, resource, init as RequestInit),
    });
    this.jwks = { uri: as.jwks_uri, keys };
    return keys;
  }
}

/** `typ` of section 2.4 (`logout+jwt`, media type form allowed), or plain `JWT` of older providers. */
function isLogoutTokenType(typ: string): boolean {
  const normalized = typ.toLowerCase().replace(/^application\//, '');
  return normalized === 'logout+jwt' || normalized === 'jwt';
}

function checkClaims(payload: JWTPayload, issuer: string): LogoutTokenClaims {
  const events = payload.events;
  if (!isJsonObject(events) || !isJsonObject((events as Record<string, unknown>)[BACKCHANNEL_LOGOUT_EVENT])) {
    throw invalid('events');
  }
  if ('nonce' in payload) throw invalid('nonce');
  const { jti, sub, sid, iat, exp } = payload;
  if (!isBoundedString(jti)) throw invalid('jti');
  if (sub !== undefined && !isBoundedString(sub)) throw invalid('subject');
  if (sid !== undefined && !isBoundedString(sid)) throw invalid('subject');
  if (sub === undefined && sid === undefined) throw invalid('subject');
  if (typeof iat !== 'number') throw invalid('issued_at');
  return {
    iss: issuer,
    jti,
    iat,
    ...(typeof exp === 'number' ? { exp } : {}),
    ...(sub === undefined ? {} : { sub }),
    ...(typeof sid === 'string' ? { sid } : {}),
  };
}

function isJsonObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isBoundedString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= BACKCHANNEL_LOGOUT.maxClaimLength;
}

/** What this module reads of a jose error: its code, and the claim a claim error names. */
interface JoseError {
  readonly code: string;
  readonly claim?: unknown;
}

/** `error` when it is one of jose's (an Error with a string `code`; jose's codes start `ERR_J`). */
function joseErrorOf(error: unknown): JoseError | undefined {
  const code = error instanceof Error ? (error as { code?: unknown }).code : undefined;
  return typeof code === 'string' && code.startsWith('ERR_J') ? (error as Error & JoseError) : undefined;
}

const isUnknownKey = (error: JoseError | undefined): boolean =>
  error?.code === JOSE_ERROR_CODES.noMatchingKey || error?.code === JOSE_ERROR_CODES.multipleMatchingKeys;

/** jose's errors, by what they mean for the sender. Key-set fetch failures are not the token's fault. */
function fromJoseError(error: unknown): Error {
  if (error instanceof LogoutTokenInvalidError || error instanceof LogoutTokenKeysUnavailableError)
    return error;
  const jose = joseErrorOf(error);
  if (isUnknownKey(jose)) return invalid('key_unknown', error);
  if (jose?.code === JOSE_ERROR_CODES.signatureVerificationFailed) return invalid('signature', error);
  if (jose?.code === JOSE_ERROR_CODES.algNotAllowed) return invalid('algorithm', error);
  // jose reports an `iat` older than maxTokenAge as JWTExpired too.
  if (jose?.code === JOSE_ERROR_CODES.jwtExpired)
    return invalid(jose.claim === 'iat' ? 'issued_at' : 'expired', error);
  if (jose?.code === JOSE_ERROR_CODES.claimValidationFailed) {
    const claim = jose.claim;
    if (claim === 'iss') return invalid('issuer', error);
    if (claim === 'aud') return invalid('audience', error);
    if (claim === 'iat' || claim === 'nbf') return invalid('issued_at', error);
    if (claim === 'jti') return invalid('jti', error);
    if (claim === 'events') return invalid('events', error);
    return invalid('malformed', error);
  }
  return invalid('malformed', error);
}

const invalid = (reason: LogoutTokenInvalidReason, cause?: unknown) =>
  new LogoutTokenInvalidError(reason, cause === undefined ? undefined : { cause });
