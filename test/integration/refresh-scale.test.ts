/**
 * A refresh tick reads only what is due (issue: scale): 10,000 sessions of which 100 are due.
 * What a tick reads is counted from DynamoDB's own `ScannedCount` on every Query and Scan.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TABLE_SCHEMA } from '../../lambdas/shared/definitions/table-schema.js';
import { nowSeconds } from '../../lambdas/shared/domain/clock.js';
import { randomToken, sha256 } from '../../lambdas/shared/domain/crypto.js';
import { makeRefreshHandler } from '../../lambdas/shared/flows/refresh.js';
import { createTestBackend, type TestBackend } from '../support/backend.js';
import {
  type FakeTokenEndpoint,
  fakeEndpointEnv,
  STANDALONE_CLIENT,
  sendJson,
  startFakeTokenEndpoint,
} from '../support/fake-token-endpoint.js';

const TOTAL = 10_000;
const DUE = 100;

describe('refresh at scale', () => {
  let as: FakeTokenEndpoint;
  let b: TestBackend;
  let scanned = 0;

  beforeAll(async () => {
    as = await startFakeTokenEndpoint();
    as.respond((body, _req, res) =>
      sendJson(res, 200, {
        access_token: `at-${body.get('refresh_token')}`,
        token_type: 'Bearer',
        expires_in: 3600,
      }),
    );
    b = await createTestBackend(fakeEndpointEnv(as, { ...STANDALONE_CLIENT, REFRESH_CONCURRENCY: '16' }));
    b.dynamo.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = result.output as { ScannedCount?: number } | undefined;
        scanned += output?.ScannedCount ?? 0;
        return result;
      },
      { step: 'initialize', name: 'countScanned' },
    );

    // 10,000 sessions: 100 due now, the rest due in an hour.
    const now = nowSeconds(b.deps.clock);
    const ids = Array.from({ length: TOTAL }, (_, i) => ({ id: randomToken(), due: i < DUE }));
    for (let i = 0; i < ids.length; i += 100) {
      await Promise.all(
        ids.slice(i, i + 100).map(({ id, due }) =>
          b.store.createSession(
            { idHash: sha256(id), claims: {}, createdAt: now, expiresAt: now + 8 * 3600, version: 1 },
            {
              accessToken: 'at',
              tokenType: 'bearer',
              accessTokenExpiresAt: now + 3600,
              refreshToken: `rt-${id}`,
            },
            due ? now - 1 : now + 3300,
          ),
        ),
      );
    }
  }, 180_000);
  afterAll(async () => {
    await as.stop();
    b.destroy();
  });

  it('reads at most the due sessions plus one empty page per shard, and refreshes each once', async () => {
    scanned = 0;
    const summary = await makeRefreshHandler(b.deps)();
    expect(summary).toMatchObject({ due: DUE, refreshed: DUE, failed: 0, deferred: 0, truncated: false });
    expect(as.requests).toHaveLength(DUE);
    // Queries on the index read only matching items; the constant is zero here, bounded by the shard count.
    expect(scanned).toBeGreaterThanOrEqual(DUE);
    expect(scanned).toBeLessThanOrEqual(DUE + TABLE_SCHEMA.refreshShards);

    // Nothing is due any more: the next tick reads nothing at all.
    scanned = 0;
    expect(await makeRefreshHandler(b.deps)()).toMatchObject({ due: 0 });
    expect(scanned).toBe(0);
  });

  it('bounds a tick by a session cap and leaves the rest to the next tick', async () => {
    b.advance(3300); // the other 9,900 are now due
    scanned = 0;
    const capped = makeRefreshHandler({ ...b.deps, config: { ...b.deps.config, refreshMaxPerTick: 50 } });
    expect(await capped()).toMatchObject({ due: 50, refreshed: 50, truncated: true });
    expect(scanned).toBeLessThanOrEqual(50 + TABLE_SCHEMA.refreshShards);
  });

  it('bounds a tick by the time the invocation has left', async () => {
    const requests = as.requests.length;
    let remaining = 60_000;
    const context = { getRemainingTimeInMillis: () => remaining };
    as.respond((body, _req, res) => {
      remaining -= 5_000; // each refresh "takes" 5 s of the invocation's time
      sendJson(res, 200, {
        access_token: `at-${body.get('refresh_token')}`,
        token_type: 'Bearer',
        expires_in: 3600,
      });
    });
    const summary = await makeRefreshHandler({
      ...b.deps,
      config: { ...b.deps.config, refreshConcurrency: 1 },
    })({}, context);
    expect(summary.truncated).toBe(true);
    // The margin is one lease (20 s): about (60 - 20) / 5 refreshes fit before it stops starting new ones.
    expect(summary.refreshed).toBeGreaterThan(0);
    expect(summary.refreshed).toBeLessThanOrEqual(9);
    expect(as.requests.length - requests).toBe(summary.refreshed);
  });
});
