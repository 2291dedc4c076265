/**
 * Token refresh (flows/refresh.ts) with object-literal fakes of its store, OAuth client, secrets,
 * clock, meter and log: the single-flight steps of `refreshSession`, the failure policy applied to
 * each kind of token-endpoint failure, the scheduled tick, and on-demand `freshTokens`.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  ConflictError,
  TokenEndpointError,
  type TokenErrorKind,
} from '../../../lambdas/shared/domain/errors.js';
import type { SessionTokens } from '../../../lambdas/shared/domain/tokens.js';
import {
  freshTokens,
  makeRefreshHandler,
  type RefreshDeps,
  refreshSession,
} from '../../../lambdas/shared/flows/refresh.js';
import type { TokenSet } from '../../../lambdas/shared/oauth/client.js';
import { recordingMeter } from '../../../lambdas/shared/platform/metrics.js';
import type { RefreshLease, Session } from '../../../lambdas/shared/store/port.js';
import {
  NOW,
  recordingLog,
  recordingSecrets,
  sessionTokens,
  storedSession,
  testClock,
} from '../../support/fakes.js';

const CONFIG = {
  refreshBeforeExpirySeconds: 300,
  httpTimeoutMs: 5000,
  refreshConcurrency: 4,
  refreshMaxPerTick: 100,
  sessionDurationSeconds: 8 * 3600,
};
/** leaseSeconds(5000): three 5 s calls and 5 s of margin. */
const LEASE_SECONDS = 20;

/**
 * A store over a few sessions. Each session's tokens are found by its sealed value, so a session
 * read again after another refresher's write opens to the new tokens. A session whose id hash is in
 * `busy` loses the lease claim.
 */
function fakeStore(entries: readonly { session: Session; tokens?: SessionTokens }[]) {
  const sessions = new Map(entries.map((e) => [e.session.idHash, e.session]));
  const tokensBySeal = new Map(
    entries.flatMap((e) =>
      e.session.sealedTokens && e.tokens ? [[e.session.sealedTokens.ciphertext, e.tokens]] : [],
    ),
  );
  const busy = new Set<string>();
  return {
    sessions,
    tokensBySeal,
    busy,
    findSessionsDue: vi.fn(async function* (_dueBy: number, _options?: { readonly limit?: number }) {
      yield* entries.map((e) => e.session);
    }),
    getSession: vi.fn(async (idHash: string) => sessions.get(idHash)),
    openTokens: vi.fn(async (session: Session) => {
      const tokens = session.sealedTokens && tokensBySeal.get(session.sealedTokens.ciphertext);
      if (!tokens) throw new Error('no tokens to open');
      return tokens;
    }),
    claimRefreshLease: vi.fn(
      async (
        idHash: string,
        version: number,
        _leaseUntil: number,
        _now: number,
      ): Promise<RefreshLease | undefined> =>
        busy.has(idHash) ? undefined : { version, owner: `owner-of-${idHash}` },
    ),
    claimRefreshLeases: vi.fn(
      async (
        candidates: readonly { readonly idHash: string; readonly version: number }[],
        _leaseUntil: number,
        _now: number,
      ): Promise<ReadonlyMap<string, RefreshLease>> =>
        new Map(
          candidates
            .filter((c) => !busy.has(c.idHash))
            .map((c) => [c.idHash, { version: c.version, owner: `owner-of-${c.idHash}` }] as const),
        ),
    ),
    updateSessionTokens: vi.fn(
      async (
        _idHash: string,
        _lease: RefreshLease,
        _tokens: SessionTokens,
        _at: { readonly now: number; readonly refreshAt?: number; readonly expiresAt?: number },
      ) => {},
    ),
    deferRefresh: vi.fn(
      async (_idHash: string, _lease: RefreshLease, _retryAt: number, _failures: number) => {},
    ),
    endSession: vi.fn(async (_idHash: string, _now: number) => {}),
  };
}

/** What the AS answers to a refresh: a token set, or a failure to throw. */
type Answer = TokenSet | Error;

function depsWith(
  entries: readonly { session: Session; tokens?: SessionTokens }[],
  answers: Answer[] = [],
  overrides: { clock?: ReturnType<typeof testClock>; config?: Partial<typeof CONFIG> } = {},
) {
  const store = fakeStore(entries);
  const oauth = {
    refresh: vi.fn(async (_refreshToken: string, _clientSecret: string): Promise<TokenSet> => {
      const answer = answers.shift();
      if (answer === undefined) throw new Error('the AS was asked more often than the test expected');
      if (answer instanceof Error) throw answer;
      return answer;
    }),
  };
  const deps = {
    config: { ...CONFIG, ...overrides.config },
    store,
    oauth,
    secrets: recordingSecrets('cached-secret', 'fresh-secret'),
    clock: overrides.clock ?? testClock(),
    meter: recordingMeter(),
    log: recordingLog(),
  } satisfies RefreshDeps;
  return deps;
}

const one = (session: Session = storedSession(), tokens: SessionTokens = sessionTokens()) => [
  { session, tokens },
];
const newTokens = (overrides: Partial<TokenSet> = {}): TokenSet => ({
  accessToken: 'at-2',
  tokenType: 'Bearer',
  accessTokenExpiresAt: NOW + 3600,
  ...overrides,
});

describe('refreshSession', () => {
  it('claims the lease, spends the refresh token once, and stores the new tokens under the lease', async () => {
    const session = storedSession();
    const deps = depsWith(one(session), [newTokens()]);

    const outcome = await refreshSession(deps, session);

    const kept = {
      accessToken: 'at-2',
      tokenType: 'Bearer',
      accessTokenExpiresAt: NOW + 3600,
      refreshToken: 'rt-1',
      idToken: 'id-token-1',
    };
    expect(outcome).toEqual({ kind: 'refreshed', tokens: kept });
    expect(deps.store.claimRefreshLease).toHaveBeenCalledExactlyOnceWith(
      session.idHash,
      session.version,
      NOW + LEASE_SECONDS,
      NOW,
    );
    expect(deps.oauth.refresh).toHaveBeenCalledExactlyOnceWith('rt-1', 'cached-secret');
    expect(deps.store.updateSessionTokens).toHaveBeenCalledExactlyOnceWith(
      session.idHash,
      { version: session.version, owner: `owner-of-${session.idHash}` },
      kept,
      // The session's end is unchanged (no refresh_expires_in): it is not written again.
      { now: NOW, refreshAt: NOW + 3600 - 300 },
    );
    expect(deps.meter.counts).toEqual(new Map([['RefreshSucceeded', 1]]));
    expect(deps.store.endSession).not.toHaveBeenCalled();
    expect(deps.store.deferRefresh).not.toHaveBeenCalled();
  });

  it('stores a rotated refresh token, a new ID token and scope', async () => {
    const session = storedSession();
    const deps = depsWith(one(session), [
      newTokens({ refreshToken: 'rt-2', idToken: 'id-2', scope: 'openid api' }),
    ]);

    const outcome = await refreshSession(deps, session);

    expect(outcome).toEqual({
      kind: 'refreshed',
      tokens: {
        accessToken: 'at-2',
        tokenType: 'Bearer',
        accessTokenExpiresAt: NOW + 3600,
        refreshToken: 'rt-2',
        idToken: 'id-2',
        scope: 'openid api',
      },
    });
  });

  it.each([
    ['within sessionDuration: the refresh token end', NOW + 1800, NOW + 1800],
    ['past sessionDuration: capped at login + sessionDuration', NOW + 30 * 86_400, NOW - 600 + 8 * 3600],
  ])(
    'moves the session end to the refresh token end (%s)',
    async (_name, refreshTokenExpiresAt, expected) => {
      const session = storedSession();
      const deps = depsWith(one(session), [newTokens({ refreshToken: 'rt-2', refreshTokenExpiresAt })]);

      await refreshSession(deps, session);

      expect(deps.store.updateSessionTokens.mock.calls[0]?.[3]).toEqual({
        now: NOW,
        expiresAt: expected,
        refreshAt: NOW + 3300,
      });
    },
  );

  it('takes the session out of the refresh index when the new access token has no known expiry', async () => {
    const session = storedSession();
    const deps = depsWith(one(session), [newTokens({ accessTokenExpiresAt: undefined })]);

    await refreshSession(deps, session);

    expect(deps.store.updateSessionTokens.mock.calls[0]?.[3]).toStrictEqual({ now: NOW });
  });

  it.each([
    ['has no refresh token', { refreshable: false }],
    ['has ended (no tokens)', { sealedTokens: undefined }],
  ] as const)('skips a session that %s, spending nothing', async (_name, overrides) => {
    const session = storedSession(overrides);
    const deps = depsWith(one(session));

    expect(await refreshSession(deps, session)).toEqual({ kind: 'skipped' });
    expect(deps.store.claimRefreshLease).not.toHaveBeenCalled();
    expect(deps.oauth.refresh).not.toHaveBeenCalled();
  });

  it.each([
    ['that ended a second ago', NOW - 1],
    ['that ends this very second', NOW],
  ])('never refreshes a session %s: ends it instead (checklist G24)', async (_name, expiresAt) => {
    const session = storedSession({ expiresAt });
    const deps = depsWith(one(session));

    expect(await refreshSession(deps, session)).toEqual({ kind: 'ended', reason: 'expired' });
    expect(deps.store.endSession).toHaveBeenCalledExactlyOnceWith(session.idHash, NOW);
    expect(deps.store.claimRefreshLease).not.toHaveBeenCalled();
    expect(deps.oauth.refresh).not.toHaveBeenCalled();
    expect(deps.meter.counts).toEqual(new Map([['SessionEnded:expired', 1]]));
  });

  it('spends nothing when another refresher holds the lease', async () => {
    const session = storedSession();
    const deps = depsWith(one(session));
    deps.store.busy.add(session.idHash);

    expect(await refreshSession(deps, session)).toEqual({ kind: 'busy' });
    expect(deps.store.openTokens).not.toHaveBeenCalled();
    expect(deps.oauth.refresh).not.toHaveBeenCalled();
    expect(deps.meter.counts.size).toBe(0);
  });

  it.each<[TokenErrorKind]>([['invalid_grant'], ['rejected']])(
    'ends the session after one attempt on %s (checklist G23, J30)',
    async (kind) => {
      const session = storedSession();
      const deps = depsWith(one(session), [new TokenEndpointError(kind, 400)]);

      expect(await refreshSession(deps, session)).toEqual({ kind: 'ended', reason: kind });
      expect(deps.oauth.refresh).toHaveBeenCalledTimes(1);
      expect(deps.store.endSession).toHaveBeenCalledExactlyOnceWith(session.idHash, NOW);
      expect(deps.store.deferRefresh).not.toHaveBeenCalled();
      expect(deps.store.updateSessionTokens).not.toHaveBeenCalled();
      expect(deps.meter.counts).toEqual(
        new Map([
          [`RefreshFailed:${kind}`, 1],
          [`SessionEnded:${kind}`, 1],
        ]),
      );
      expect(deps.log.entries).toEqual([
        {
          level: 'info',
          message: 'session ended: refresh token refused',
          extra: [{ reason: kind, status: 400 }],
        },
      ]);
    },
  );

  it.each<[string, Error, string]>([
    ['unavailable', new TokenEndpointError('unavailable', 503), 'unavailable'],
    ['timeout', new TokenEndpointError('timeout'), 'timeout'],
    ['invalid_response', new TokenEndpointError('invalid_response', 200), 'invalid_response'],
    ['an error that is not the AS', new Error('socket hang up'), 'error'],
  ])('keeps the tokens and backs off on %s', async (_name, failure, reason) => {
    const session = storedSession({ refreshFailures: 0 });
    const deps = depsWith(one(session), [failure]);

    const outcome = await refreshSession(deps, session);

    expect(outcome).toEqual({ kind: 'deferred', reason, retryAt: NOW + 30 });
    const lease = { version: session.version, owner: `owner-of-${session.idHash}` };
    expect(deps.store.deferRefresh).toHaveBeenCalledExactlyOnceWith(session.idHash, lease, NOW + 30, 1);
    expect(deps.store.endSession).not.toHaveBeenCalled();
    expect(deps.store.updateSessionTokens).not.toHaveBeenCalled();
    expect(deps.meter.counts).toEqual(new Map([[`RefreshFailed:${reason}`, 1]]));
    expect(deps.log.entries).toEqual([
      {
        level: 'warn',
        message: 'refresh failed; backing off',
        extra: [expect.objectContaining({ reason, failures: 1, error: expect.any(Array) })],
      },
    ]);
  });

  it.each([
    ['the third failure in a row: 120 s', 2, undefined, 120],
    ['many failures: at most an hour', 20, undefined, 3600],
    ['Retry-After longer than the back-off', 0, 900, 900],
    ['Retry-After shorter than the back-off', 3, 10, 240],
  ])('backs off for %s', async (_name, failures, retryAfter, seconds) => {
    const session = storedSession({ refreshFailures: failures });
    const deps = depsWith(one(session), [new TokenEndpointError('unavailable', 429, retryAfter)]);

    expect(await refreshSession(deps, session)).toMatchObject({ kind: 'deferred', retryAt: NOW + seconds });
    expect(deps.store.deferRefresh.mock.calls[0]?.[3]).toBe(failures + 1);
  });

  it('on invalid_client fetches the secret again and retries once; a second refusal backs off, the session kept', async () => {
    const session = storedSession();
    const deps = depsWith(one(session), [
      new TokenEndpointError('invalid_client', 401),
      new TokenEndpointError('invalid_client', 401),
    ]);

    const outcome = await refreshSession(deps, session);

    expect(outcome).toEqual({ kind: 'deferred', reason: 'invalid_client', retryAt: NOW + 30 });
    expect(deps.secrets.calls).toEqual(['cached', 'fresh']);
    expect(deps.oauth.refresh.mock.calls).toEqual([
      ['rt-1', 'cached-secret'],
      ['rt-1', 'fresh-secret'],
    ]);
    expect(deps.store.endSession).not.toHaveBeenCalled();
  });

  it('succeeds with the freshly fetched secret after a rotation', async () => {
    const session = storedSession();
    const deps = depsWith(one(session), [new TokenEndpointError('invalid_client', 401), newTokens()]);

    expect(await refreshSession(deps, session)).toMatchObject({ kind: 'refreshed' });
    expect(deps.secrets.calls).toEqual(['cached', 'fresh']);
  });

  it('ends a session whose stored tokens hold no refresh token, without asking the AS', async () => {
    const session = storedSession();
    const deps = depsWith(one(session, sessionTokens({ refreshToken: undefined })));

    expect(await refreshSession(deps, session)).toEqual({ kind: 'ended', reason: 'invalid_grant' });
    expect(deps.oauth.refresh).not.toHaveBeenCalled();
  });

  it('drops the new tokens when the lease was lost before the write', async () => {
    const session = storedSession();
    const deps = depsWith(one(session), [newTokens()]);
    deps.store.updateSessionTokens.mockRejectedValueOnce(new ConflictError('lease lost'));

    expect(await refreshSession(deps, session)).toEqual({ kind: 'busy' });
    expect(deps.meter.counts).toEqual(new Map([['RefreshFailed:lease_lost', 1]]));
    expect(deps.log.entries).toEqual([
      { level: 'error', message: 'refreshed tokens could not be stored: lease lost', extra: [] },
    ]);
  });

  it('lets a store failure on the write propagate', async () => {
    const session = storedSession();
    const deps = depsWith(one(session), [newTokens()]);
    deps.store.updateSessionTokens.mockRejectedValueOnce(new Error('ProvisionedThroughputExceeded'));

    await expect(refreshSession(deps, session)).rejects.toThrow('ProvisionedThroughputExceeded');
  });

  it('reads the clock again after the AS answered, for the write and the back-off', async () => {
    const session = storedSession();
    const clock = testClock();
    const deps = depsWith(one(session), [], { clock });
    deps.oauth.refresh.mockImplementationOnce(async () => {
      clock.advance(7);
      throw new TokenEndpointError('timeout');
    });

    expect(await refreshSession(deps, session)).toMatchObject({ retryAt: NOW + 7 + 30 });
  });
});

describe('the scheduled tick (makeRefreshHandler)', () => {
  it('tallies every outcome and isolates a failure on our side', async () => {
    const ok = storedSession({ idHash: 'ok' });
    const expired = storedSession({ idHash: 'expired', expiresAt: NOW - 5 });
    const plain = storedSession({ idHash: 'plain', refreshable: false });
    const taken = storedSession({ idHash: 'taken' });
    const dead = storedSession({ idHash: 'dead', sealedTokens: { ciphertext: 'dead', encryptedKey: 'k' } });
    const down = storedSession({ idHash: 'down', sealedTokens: { ciphertext: 'down', encryptedKey: 'k' } });
    const broken = storedSession({
      idHash: 'broken',
      sealedTokens: { ciphertext: 'none', encryptedKey: 'k' },
    });
    const deps = depsWith(
      [ok, expired, plain, taken, dead, down, broken].map((session) => ({
        session,
        tokens: sessionTokens({ refreshToken: `rt-${session.idHash}` }),
      })),
      [],
      { config: { refreshConcurrency: 1 } },
    );
    deps.store.tokensBySeal.delete('none'); // openTokens throws: a failure on our side
    deps.store.busy.add('taken');
    deps.oauth.refresh.mockImplementation(async (refreshToken) => {
      if (refreshToken === 'rt-dead') throw new TokenEndpointError('invalid_grant', 400);
      if (refreshToken === 'rt-down') throw new TokenEndpointError('unavailable', 503);
      return newTokens();
    });

    const summary = await makeRefreshHandler(deps)();

    expect(summary).toEqual({
      due: 7,
      refreshed: 1,
      ended: 2,
      deferred: 1,
      busy: 1,
      failed: 1,
      skipped: 1,
      truncated: false,
    });
    expect(deps.store.findSessionsDue).toHaveBeenCalledExactlyOnceWith(NOW, { limit: 100 });
    expect(deps.log.entries.filter((e) => e.level === 'error').map((e) => e.message)).toEqual([
      'refresh failed on our side',
    ]);
    expect(deps.log.entries.at(-1)).toEqual({ level: 'info', message: 'refresh tick', extra: [summary] });
  });

  it('says it was truncated when it took as many sessions as it may', async () => {
    const sessions = [1, 2, 3].map((i) => storedSession({ idHash: `s${i}`, refreshable: false }));
    const deps = depsWith(
      sessions.map((session) => ({ session })),
      [],
      { config: { refreshMaxPerTick: 3 } },
    );

    expect(await makeRefreshHandler(deps)()).toMatchObject({ due: 3, skipped: 3, truncated: true });
    expect(deps.store.findSessionsDue).toHaveBeenCalledWith(NOW, { limit: 3 });
  });

  it('is not truncated below the cap', async () => {
    const deps = depsWith(
      [storedSession({ idHash: 'a', refreshable: false })].map((session) => ({ session })),
      [],
      { config: { refreshMaxPerTick: 2 } },
    );

    expect(await makeRefreshHandler(deps)()).toMatchObject({ due: 1, truncated: false });
  });

  it.each([
    ['less than one lease is left', LEASE_SECONDS * 1000, { due: 0, truncated: true }],
    ['just over one lease is left', LEASE_SECONDS * 1000 + 1, { due: 1, truncated: false }],
  ])('starts no refresh when %s of the invocation', async (_name, remainingMs, expected) => {
    const deps = depsWith([{ session: storedSession({ refreshable: false }) }]);

    const summary = await makeRefreshHandler(deps)(undefined, {
      getRemainingTimeInMillis: () => remainingMs,
    });

    expect(summary).toMatchObject(expected);
  });

  it(`never has more than refreshConcurrency refreshes in flight`, async () => {
    const sessions = Array.from({ length: 7 }, (_, i) =>
      storedSession({ idHash: `s${i}`, sealedTokens: { ciphertext: `s${i}`, encryptedKey: 'k' } }),
    );
    const deps = depsWith(
      sessions.map((session) => ({ session, tokens: sessionTokens() })),
      [],
      { config: { refreshConcurrency: 3 } },
    );
    let inFlight = 0;
    let most = 0;
    deps.oauth.refresh.mockImplementation(async () => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      return newTokens();
    });

    expect(await makeRefreshHandler(deps)()).toMatchObject({ due: 7, refreshed: 7 });
    expect(most).toBe(3);
  });
});

describe('freshTokens (on demand, for getAccessToken)', () => {
  it('returns the stored tokens while the access token is not due, spending nothing', async () => {
    const session = storedSession();
    const deps = depsWith(one(session));

    expect(await freshTokens(deps, session)).toEqual(sessionTokens());
    expect(deps.store.claimRefreshLease).not.toHaveBeenCalled();
  });

  it.each([
    ['that ended a second ago', NOW - 1],
    ['that ends this very second', NOW],
  ])('returns nothing for a session %s, though its access token is still good', async (_name, expiresAt) => {
    const session = storedSession({ expiresAt });
    const deps = depsWith(one(session, sessionTokens({ accessTokenExpiresAt: NOW + 1800 })));

    expect(await freshTokens(deps, session)).toBeUndefined();
    expect(deps.store.openTokens).not.toHaveBeenCalled();
    expect(deps.oauth.refresh).not.toHaveBeenCalled();
  });

  it('returns nothing for an ended session (no tokens)', async () => {
    const session = storedSession({ sealedTokens: undefined });
    const deps = depsWith(one(session));

    expect(await freshTokens(deps, session)).toBeUndefined();
  });

  it('returns tokens whose access token has no known expiry as they are', async () => {
    const session = storedSession();
    const tokens = sessionTokens({ accessTokenExpiresAt: undefined });
    const deps = depsWith(one(session, tokens));

    expect(await freshTokens(deps, session)).toEqual(tokens);
    expect(deps.store.claimRefreshLease).not.toHaveBeenCalled();
  });

  it('hands out a refreshed access token whose expiry the AS did not say', async () => {
    const session = storedSession();
    const deps = depsWith(one(session, sessionTokens({ accessTokenExpiresAt: NOW + 30 })), [
      newTokens({ accessTokenExpiresAt: undefined }),
    ]);

    expect((await freshTokens(deps, session))?.accessToken).toBe('at-2');
  });

  it('refreshes an access token that expires within the skew, through refreshSession', async () => {
    const session = storedSession();
    const deps = depsWith(one(session, sessionTokens({ accessTokenExpiresAt: NOW + 60 })), [newTokens()]);

    expect(await freshTokens(deps, session)).toMatchObject({ accessToken: 'at-2', refreshToken: 'rt-1' });
    expect(deps.store.claimRefreshLease).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['the default 60 s skew: not due at 61 s', undefined, NOW + 61, 'at-1'],
    ['a 120 s skew: due at 61 s', 120, NOW + 61, 'at-2'],
  ])('honours %s', async (_name, skewSeconds, accessTokenExpiresAt, expected) => {
    const session = storedSession();
    const deps = depsWith(one(session, sessionTokens({ accessTokenExpiresAt })), [newTokens()]);

    const tokens = await freshTokens(deps, session, skewSeconds === undefined ? {} : { skewSeconds });

    expect(tokens?.accessToken).toBe(expected);
  });

  it.each([
    ['still valid: it serves', NOW + 30, 'at-1'],
    ['expired: nothing', NOW, undefined],
  ])(
    'without a refresh token, an access token within the skew is %s',
    async (_name, accessTokenExpiresAt, expected) => {
      const session = storedSession({ refreshable: false });
      const deps = depsWith(one(session, sessionTokens({ refreshToken: undefined, accessTokenExpiresAt })));

      expect((await freshTokens(deps, session))?.accessToken).toBe(expected);
      expect(deps.oauth.refresh).not.toHaveBeenCalled();
    },
  );

  it.each([
    ['still valid: it serves', NOW + 30, 'at-1'],
    ['expired: nothing', NOW - 1, undefined],
  ])(
    'when the refresh fails for now, the current access token %s',
    async (_name, accessTokenExpiresAt, expected) => {
      const session = storedSession();
      const deps = depsWith(one(session, sessionTokens({ accessTokenExpiresAt })), [
        new TokenEndpointError('unavailable', 503),
      ]);

      expect((await freshTokens(deps, session))?.accessToken).toBe(expected);
    },
  );

  it('returns nothing when the refresh ends the session', async () => {
    const session = storedSession();
    const deps = depsWith(one(session, sessionTokens({ accessTokenExpiresAt: NOW + 30 })), [
      new TokenEndpointError('invalid_grant', 400),
    ]);

    expect(await freshTokens(deps, session)).toBeUndefined();
  });

  it('never hands out a refreshed access token that has already expired (expires_in 0)', async () => {
    const session = storedSession();
    const deps = depsWith(one(session, sessionTokens({ accessTokenExpiresAt: NOW + 30 })), [
      newTokens({ accessTokenExpiresAt: NOW }),
    ]);

    expect(await freshTokens(deps, session)).toBeUndefined();
  });

  it('waits for the refresher that holds the lease and returns what it wrote', async () => {
    const session = storedSession();
    const deps = depsWith(one(session, sessionTokens({ accessTokenExpiresAt: NOW + 30 })));
    deps.store.busy.add(session.idHash);
    const written = {
      ...session,
      version: session.version + 1,
      sealedTokens: { ciphertext: 'v2', encryptedKey: 'k' },
    };
    deps.store.tokensBySeal.set(
      'v2',
      sessionTokens({ accessToken: 'at-winner', accessTokenExpiresAt: NOW + 3600 }),
    );
    deps.store.getSession.mockImplementation(async () => written);

    const started = Date.now();
    const tokens = await freshTokens(deps, session);

    expect(Date.now() - started).toBeLessThan(500); // a first short wait (50 ms), not a long one

    expect(tokens?.accessToken).toBe('at-winner');
    expect(deps.oauth.refresh).not.toHaveBeenCalled();
    expect(deps.store.getSession).toHaveBeenCalledExactlyOnceWith(session.idHash);
  });

  it('stops waiting at the deadline and serves the current token while it is valid', async () => {
    const session = storedSession();
    const deps = depsWith(one(session, sessionTokens({ accessTokenExpiresAt: NOW + 30 })));
    deps.store.busy.add(session.idHash);

    expect((await freshTokens(deps, session, { waitMs: 0 }))?.accessToken).toBe('at-1');
    expect(deps.store.getSession).not.toHaveBeenCalled();
  });

  it('returns nothing when the session is gone after the wait', async () => {
    const session = storedSession();
    const deps = depsWith(one(session, sessionTokens({ accessTokenExpiresAt: NOW + 30 })));
    deps.store.busy.add(session.idHash);
    deps.store.getSession.mockImplementation(async () => undefined);

    expect(await freshTokens(deps, session)).toBeUndefined();
  });
});
