/**
 * Batch lease claims (store/dynamo-store.ts claimRefreshLeases) against DynamoDB Local: each
 * session is claimed under exactly the condition of a single claim, independently of the others.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nowSeconds } from '../../lambdas/shared/domain/clock.js';
import { randomToken, sha256 } from '../../lambdas/shared/domain/crypto.js';
import { REFRESH_LEASE_BATCH } from '../../lambdas/shared/store/port.js';
import { createTestBackend, type TestBackend } from '../support/backend.js';
import { fakeEndpointEnv, STANDALONE_CLIENT } from '../support/fake-token-endpoint.js';

describe('claimRefreshLeases', () => {
  let b: TestBackend;
  beforeEach(async () => {
    b = await createTestBackend(
      fakeEndpointEnv({ url: 'http://127.0.0.1:9' } as never, { ...STANDALONE_CLIENT }),
    );
  });
  afterEach(() => b.destroy());

  async function seed(expiresIn = 8 * 3600) {
    const idHash = sha256(randomToken());
    const now = nowSeconds(b.deps.clock);
    await b.store.createSession(
      { idHash, claims: {}, createdAt: now, expiresAt: now + expiresIn, version: 1 },
      { accessToken: 'at', tokenType: 'bearer', accessTokenExpiresAt: now + 60, refreshToken: randomToken() },
      now - 240,
    );
    return idHash;
  }

  it('claims each free session and none held elsewhere, changed, ended, expired or missing', async () => {
    const now = nowSeconds(b.deps.clock);
    const [free1, free2, held, changed, ended, expired] = await Promise.all([
      seed(),
      seed(),
      seed(),
      seed(),
      seed(),
      seed(30),
    ]);
    const missing = sha256(randomToken());
    expect(await b.store.claimRefreshLease(held as string, 1, now + 3600, now)).toBeDefined();
    await b.store.endSession(ended as string, now);
    b.advance(60); // `expired` is past its end now

    const later = nowSeconds(b.deps.clock);
    const candidates = [free1, free2, held, changed, ended, expired, missing].map((idHash) => ({
      idHash: idHash as string,
      version: idHash === changed ? 7 : 1,
    }));
    const leases = await b.store.claimRefreshLeases(candidates, later + 20, later);

    expect([...leases.keys()].sort()).toEqual([free1, free2].sort());
    // A lease won in a batch is a lease like any other: a second claim of it loses.
    expect(await b.store.claimRefreshLease(free1 as string, 1, later + 20, later)).toBeUndefined();
    const session = await b.store.getSession(free1 as string);
    expect(session?.leaseUntil).toBe(later + 20);
    // ...and its owner can write the refreshed tokens (compare-and-swap on the owner).
    const lease = leases.get(free1 as string);
    if (!lease) throw new Error('no lease');
    await b.store.updateSessionTokens(
      free1 as string,
      lease,
      { accessToken: 'new', tokenType: 'bearer' },
      { now: later },
    );
    const written = await b.store.getSession(free1 as string);
    expect(written).toMatchObject({ version: 2 });
    expect(written?.leaseUntil).toBeUndefined();
    expect(written ? (await b.store.openTokens(written)).accessToken : undefined).toBe('new');
  });

  it('claims nothing for an empty batch and refuses more than REFRESH_LEASE_BATCH', async () => {
    const now = nowSeconds(b.deps.clock);
    expect((await b.store.claimRefreshLeases([], now + 20, now)).size).toBe(0);
    const tooMany = Array.from({ length: REFRESH_LEASE_BATCH + 1 }, () => ({
      idHash: sha256(randomToken()),
      version: 1,
    }));
    await expect(b.store.claimRefreshLeases(tooMany, now + 20, now)).rejects.toThrow(/at most 25/);
  });

  it('two batches racing for the same sessions split them: each session goes to exactly one', async () => {
    const ids = await Promise.all(Array.from({ length: 20 }, () => seed()));
    const now = nowSeconds(b.deps.clock);
    const candidates = ids.map((idHash) => ({ idHash, version: 1 }));
    const [a, c] = await Promise.all([
      b.store.claimRefreshLeases(candidates, now + 20, now),
      b.store.claimRefreshLeases([...candidates].reverse(), now + 20, now),
    ]);
    for (const id of ids) expect(Number(a.has(id)) + Number(c.has(id))).toBe(1);
  });
});
