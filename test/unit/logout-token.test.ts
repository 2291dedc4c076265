/**
 * The logout token verifier (oauth/logout-token.ts, checklist J31) on its own: which algorithms it
 * allows, its key set fetched once and cached per container, and a key set it cannot get told
 * apart from a bad token (the AS may retry the first, never the second). The whole table of forged
 * tokens runs against oidc-provider in test/integration/backchannel-logout.test.ts.
 */
import { type CryptoKey, errors, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  BACKCHANNEL_LOGOUT_EVENT,
  JOSE_ERROR_CODES,
  LogoutTokenInvalidError,
  LogoutTokenKeysUnavailableError,
  LogoutTokenVerifier,
  logoutTokenAlgorithms,
} from '../../lambdas/shared/oauth/logout-token.js';

const ISSUER = 'https://as.example.test';
const JWKS_URI = `${ISSUER}/jwks`;

describe('logoutTokenAlgorithms', () => {
  it.each([
    [
      ['RS256', 'ES256', 'HS256', 'none'],
      ['RS256', 'ES256'],
    ],
    [['HS256', 'HS512', 'none'], ['RS256']],
    [[], ['RS256']],
    [undefined, ['RS256']],
    [
      ['PS256', 'EdDSA'],
      ['PS256', 'EdDSA'],
    ],
  ])('allows only the asymmetric ones of %j: %j', (advertised, allowed) => {
    expect(logoutTokenAlgorithms(advertised)).toEqual(allowed);
  });
});

describe('JOSE_ERROR_CODES', () => {
  // The verifier tells jose's errors apart by code; these are jose's own classes' codes.
  it.each([
    ['noMatchingKey', errors.JWKSNoMatchingKey],
    ['multipleMatchingKeys', errors.JWKSMultipleMatchingKeys],
    ['signatureVerificationFailed', errors.JWSSignatureVerificationFailed],
    ['algNotAllowed', errors.JOSEAlgNotAllowed],
    ['jwtExpired', errors.JWTExpired],
    ['claimValidationFailed', errors.JWTClaimValidationFailed],
  ] as const)('%s is the code of jose %o', (name, joseClass) => {
    expect(JOSE_ERROR_CODES[name]).toBe(joseClass.code);
    expect(joseClass.code.startsWith('ERR_J')).toBe(true);
  });
});

describe('LogoutTokenVerifier', () => {
  let privateKey: CryptoKey;
  let jwks: { keys: Record<string, unknown>[] };
  beforeAll(async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    privateKey = pair.privateKey;
    jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
  });

  const now = () => Math.floor(Date.now() / 1000);
  const token = (claims: Record<string, unknown> = {}) =>
    new SignJWT({
      jti: crypto.randomUUID(),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sub: 'alice',
      ...claims,
    })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'logout+jwt' })
      .setIssuer(ISSUER)
      .setAudience('client')
      .setIssuedAt()
      .sign(privateKey);

  function verifier(fetchImpl: typeof fetch, metadata: Record<string, unknown> = {}) {
    const calls: string[] = [];
    const counting: typeof fetch = async (input, init) => {
      calls.push(String(input));
      return fetchImpl(input, init);
    };
    const v = new LogoutTokenVerifier(
      async () => ({
        issuer: ISSUER,
        jwks_uri: JWKS_URI,
        id_token_signing_alg_values_supported: ['ES256', 'HS256'],
        ...metadata,
      }),
      { clientId: 'client', clock: Date.now, httpTimeoutMs: 1000, fetch: counting },
    );
    return { v, calls };
  }
  const serving =
    (body: unknown, status = 200): typeof fetch =>
    async () =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

  it('verifies a good token, fetching the key set once for many tokens', async () => {
    const { v, calls } = verifier(serving(jwks));
    for (let i = 0; i < 3; i++) {
      const claims = await v.verify(await token({ sid: `s${i}` }));
      expect(claims).toMatchObject({ iss: ISSUER, sub: 'alice', sid: `s${i}` });
      expect(claims.iat).toBeGreaterThan(now() - 5);
    }
    expect(calls).toEqual([JWKS_URI]);
  });

  it('refuses a token with an algorithm the AS does not advertise before fetching any key', async () => {
    const { v, calls } = verifier(serving(jwks), { id_token_signing_alg_values_supported: ['RS256'] });
    await expect(v.verify(await token())).rejects.toMatchObject({ reason: 'algorithm' });
    expect(calls).toEqual([]);
  });

  it.each([
    ['a key set answered 500', serving({ error: 'oops' }, 500)],
    ['a key set that is not JSON', (async () => new Response('<html>')) as typeof fetch],
    ['a connection failure', (async () => Promise.reject(new TypeError('fetch failed'))) as typeof fetch],
  ])('tells %s apart from a bad token: keys unavailable, not invalid', async (_name, fetchImpl) => {
    const { v } = verifier(fetchImpl);
    const error = await v.verify(await token()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogoutTokenKeysUnavailableError);
    expect(error).not.toBeInstanceOf(LogoutTokenInvalidError);
  });

  it('refuses a token whose kid the key set does not have, as invalid', async () => {
    const { v } = verifier(serving({ keys: [{ ...jwks.keys[0], kid: 'other' }] }));
    await expect(v.verify(await token())).rejects.toMatchObject({ reason: 'key_unknown' });
  });

  it('refuses a token whose kid two keys of the set share, as invalid', async () => {
    const { v } = verifier(serving({ keys: [jwks.keys[0], { ...jwks.keys[0] }] }));
    await expect(v.verify(await token())).rejects.toMatchObject({ reason: 'key_unknown' });
  });

  // Each of jose's refusals, told apart by its code (JOSE_ERROR_CODES), gets its own reason.
  /** A logout token with exactly these claims over the good ones (undefined drops one). */
  const signed = async (claims: Record<string, unknown>, key: CryptoKey = privateKey) => {
    const payload: Record<string, unknown> = {
      iss: ISSUER,
      aud: 'client',
      iat: now(),
      jti: crypto.randomUUID(),
      events: { [BACKCHANNEL_LOGOUT_EVENT]: {} },
      sub: 'alice',
      ...claims,
    };
    for (const name of Object.keys(payload)) if (payload[name] === undefined) delete payload[name];
    return new SignJWT(payload).setProtectedHeader({ alg: 'ES256', kid: 'k1', typ: 'logout+jwt' }).sign(key);
  };
  it.each([
    [
      'signed by another key under the same kid',
      'signature',
      async () => signed({}, (await generateKeyPair('ES256')).privateKey),
    ],
    ['an exp in the past', 'expired', () => signed({ exp: now() - 3600, iat: now() - 3700 })],
    ['an iat older than the accepted age', 'issued_at', () => signed({ iat: now() - 86_400 })],
    ['an iat in the future', 'issued_at', () => signed({ iat: now() + 3600 })],
    ['another issuer', 'issuer', () => signed({ iss: 'https://other.example.test' })],
    ['another audience', 'audience', () => signed({ aud: 'another-client' })],
    ['no jti', 'jti', () => signed({ jti: undefined })],
    ['no events', 'events', () => signed({ events: undefined })],
  ] as const)('refuses a token with %s: %s', async (_name, reason, make) => {
    const { v } = verifier(serving(jwks));
    const error = await v.verify(await make()).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LogoutTokenInvalidError);
    expect(error).toMatchObject({ reason });
  });

  it.each([
    ['no jwks_uri (explicit endpoints, no discovery)', { jwks_uri: undefined }],
    ['a plain http jwks_uri to another host', { jwks_uri: 'http://as.example.test/jwks' }],
  ])('refuses every token with %s', async (_name, metadata) => {
    const { v, calls } = verifier(serving(jwks), metadata);
    await expect(v.verify(await token())).rejects.toMatchObject({ reason: 'not_configured' });
    expect(calls).toEqual([]);
  });

  it.each([
    ['a JWE (five parts)', 'a.b.c.d.e'],
    ['an unsecured JWT (no signature part)', 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.'],
    ['a header that is not JSON', 'bm90anNvbg.eyJzdWIiOiJhIn0.c2ln'],
  ])('refuses %s as malformed, without fetching keys', async (_name, value) => {
    const { v, calls } = verifier(serving(jwks));
    await expect(v.verify(value)).rejects.toMatchObject({ reason: 'malformed' });
    expect(calls).toEqual([]);
  });
});
