/**
 * The runtime library's session access (flows/session-access.ts): `getSession` and `getAccessToken`
 * for the embedding app's own Lambdas, with object-literal fakes. A session past its end that TTL has
 * not deleted yet is no session for either of them.
 */
import { describe, expect, it, vi } from 'vitest';
import type { SessionTokens } from '../../../lambdas/shared/domain/tokens.js';
import { makeSessionAccess } from '../../../lambdas/shared/flows/session-access.js';
import type { TokenSet } from '../../../lambdas/shared/oauth/client.js';
import { recordingMeter } from '../../../lambdas/shared/platform/metrics.js';
import type { Session } from '../../../lambdas/shared/store/port.js';
import { DecryptionError } from '../../../lambdas/shared/store/token-cipher.js';
import {
  httpEvent,
  NOW,
  recordingLog,
  recordingSecrets,
  sessionCookie,
  sessionTokens,
  storedSession,
  testClock,
} from '../../support/fakes.js';

function accessTo(
  session: Session,
  tokens: SessionTokens = sessionTokens(),
  options: { skewSeconds?: number } = {},
) {
  const store = {
    findSessionsDue: vi.fn(async function* () {}),
    getSession: vi.fn(async (idHash: string) => (idHash === session.idHash ? session : undefined)),
    openTokens: vi.fn(async (_session: Session): Promise<SessionTokens> => tokens),
    // The scheduled tick's batch claim; getAccessToken never uses it.
    claimRefreshLeases: vi.fn(async () => new Map()),
    claimRefreshLease: vi.fn(async (_idHash: string, version: number) => ({ version, owner: 'me' })),
    updateSessionTokens: vi.fn(async () => {}),
    deferRefresh: vi.fn(async () => {}),
    endSession: vi.fn(async () => {}),
  };
  const oauth = {
    refresh: vi.fn(
      async (): Promise<TokenSet> => ({
        accessToken: 'at-refreshed',
        tokenType: 'Bearer',
        accessTokenExpiresAt: NOW + 3600,
      }),
    ),
  };
  const log = recordingLog();
  const access = makeSessionAccess(
    {
      config: {
        cookiePrefix: 'bff-',
        refreshBeforeExpirySeconds: 300,
        httpTimeoutMs: 5000,
        refreshConcurrency: 4,
        refreshMaxPerTick: 100,
        sessionDurationSeconds: 8 * 3600,
      },
      store,
      oauth,
      secrets: recordingSecrets(),
      clock: testClock(),
      meter: recordingMeter(),
      log,
    },
    options,
  );
  return { access, store, oauth, log };
}

describe('getSession', () => {
  it('returns exactly the subject, the claims and the end of a live session', async () => {
    const { event, idHash } = sessionCookie();
    const { access } = accessTo(storedSession({ idHash }));

    expect(await access.getSession(event)).toEqual({
      sub: 'alice',
      claims: { sub: 'alice', name: 'Alice' },
      expiresAt: NOW + 3600,
    });
  });

  it('leaves out `sub` when the session has none', async () => {
    const { event, idHash } = sessionCookie();
    const { access } = accessTo(storedSession({ idHash, sub: undefined, claims: {} }));

    expect(await access.getSession(event)).toStrictEqual({ claims: {}, expiresAt: NOW + 3600 });
  });

  it.each([
    ['past its end, not yet deleted by TTL', { expiresAt: NOW - 1 }],
    ['at its end', { expiresAt: NOW }],
    ['ended (no tokens)', { sealedTokens: undefined }],
  ] as const)('returns nothing for a session %s', async (_name, overrides) => {
    const { event, idHash } = sessionCookie();
    const { access } = accessTo(storedSession({ idHash, ...overrides }));

    expect(await access.getSession(event)).toBeUndefined();
  });

  it.each([
    ['no cookie', httpEvent()],
    ['an unknown session', sessionCookie().event],
  ])('returns nothing for %s', async (_name, event) => {
    const { access } = accessTo(storedSession());

    expect(await access.getSession(event)).toBeUndefined();
  });
});

describe('getAccessToken', () => {
  it('returns the access token of a live session', async () => {
    const { event, idHash } = sessionCookie();
    const { access, oauth } = accessTo(storedSession({ idHash }));

    expect(await access.getAccessToken(event)).toBe('at-1');
    expect(oauth.refresh).not.toHaveBeenCalled();
  });

  it.each([
    ['past its end, not yet deleted by TTL', { expiresAt: NOW - 1 }],
    ['ended (no tokens)', { sealedTokens: undefined }],
  ] as const)('returns nothing for a session %s, and opens nothing', async (_name, overrides) => {
    const { event, idHash } = sessionCookie();
    const { access, store } = accessTo(storedSession({ idHash, ...overrides }));

    expect(await access.getAccessToken(event)).toBeUndefined();
    expect(store.openTokens).not.toHaveBeenCalled();
  });

  it('returns nothing without a session cookie', async () => {
    const { access, store } = accessTo(storedSession());

    expect(await access.getAccessToken(httpEvent())).toBeUndefined();
    expect(store.getSession).not.toHaveBeenCalled();
  });

  it('refreshes on demand within its skew', async () => {
    const { event, idHash } = sessionCookie();
    const tokens = sessionTokens({ accessTokenExpiresAt: NOW + 100 });
    const { access, oauth } = accessTo(storedSession({ idHash }), tokens, { skewSeconds: 120 });

    expect(await access.getAccessToken(event)).toBe('at-refreshed');
    expect(oauth.refresh).toHaveBeenCalledTimes(1);
  });

  it('uses the 60 s default skew when none is given', async () => {
    const { event, idHash } = sessionCookie();
    const { access, oauth } = accessTo(
      storedSession({ idHash }),
      sessionTokens({ accessTokenExpiresAt: NOW + 100 }),
    );

    expect(await access.getAccessToken(event)).toBe('at-1');
    expect(oauth.refresh).not.toHaveBeenCalled();
  });

  it('treats tokens that do not open for this session as no session, and says so in the log', async () => {
    const { event, idHash } = sessionCookie();
    const { access, store, log } = accessTo(storedSession({ idHash }));
    store.openTokens.mockRejectedValue(new DecryptionError());

    expect(await access.getAccessToken(event)).toBeUndefined();
    expect(log.entries).toEqual([{ level: 'warn', message: 'session tokens failed to decrypt', extra: [] }]);
  });

  it('lets any other failure propagate', async () => {
    const { event, idHash } = sessionCookie();
    const { access, store } = accessTo(storedSession({ idHash }));
    store.openTokens.mockRejectedValue(new Error('KMS throttled'));

    await expect(access.getAccessToken(event)).rejects.toThrow('KMS throttled');
  });
});
