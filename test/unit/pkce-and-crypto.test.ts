import fc from 'fast-check';
import * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import {
  constantTimeEqual,
  RANDOM_TOKEN_PATTERN,
  randomToken,
  sha256,
} from '../../lambdas/shared/domain/crypto.js';
import { createPkce, s256Challenge } from '../../lambdas/shared/oauth/client.js';

describe('PKCE (RFC 7636)', () => {
  it('computes the S256 challenge of the Appendix B test vector', () => {
    expect(s256Challenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it("computes the same S256 challenge as oauth4webapi's calculatePKCECodeChallenge, for any verifier", async () => {
    // RFC 7636 4.1: 43-128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~".
    const unreserved = fc.constantFrom(
      ...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~'.split(''),
    );
    const verifier = fc.string({ unit: unreserved, minLength: 43, maxLength: 128 });
    await fc.assert(
      fc.asyncProperty(verifier, async (v) => {
        expect(s256Challenge(v)).toBe(await oauth.calculatePKCECodeChallenge(v));
      }),
      { numRuns: 500 },
    );
    for (let i = 0; i < 50; i++) {
      const { verifier: made, challenge } = createPkce();
      expect(challenge).toBe(await oauth.calculatePKCECodeChallenge(made));
    }
  });

  it('creates a 43-128 character verifier of unreserved characters and its unpadded base64url challenge', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const { verifier, challenge } = createPkce();
      expect(verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
      expect(challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(challenge).toBe(s256Challenge(verifier));
      seen.add(verifier);
    }
    expect(seen.size).toBe(50);
  });
});

describe('random tokens (state, binding secret, session id)', () => {
  it('carry 256 bits as 43 base64url characters and never repeat', () => {
    const tokens = Array.from({ length: 1000 }, randomToken);
    for (const t of tokens) {
      expect(t).toMatch(RANDOM_TOKEN_PATTERN);
      expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    }
    expect(new Set(tokens).size).toBe(1000);
  });

  it('hashes with SHA-256 to base64url and compares digests exactly', () => {
    expect(sha256('abc')).toBe('ungWv48Bz-pBQUDeXa4iI7ADYaOWF3qctBD_YfIAFa0');
    expect(constantTimeEqual(sha256('a'), sha256('a'))).toBe(true);
    expect(constantTimeEqual(sha256('a'), sha256('b'))).toBe(false);
    expect(constantTimeEqual('short', 'longer')).toBe(false);
  });
});
