/**
 * findSession (flows/find-session.ts): the one lookup from a request's cookie to a live session, for
 * GET /session, the local home page and the runtime library. Expiry is checked in code: DynamoDB TTL
 * deletes late, so a store may still return a session whose end has passed.
 */
import { describe, expect, it } from 'vitest';
import { findSession } from '../../../lambdas/shared/flows/find-session.js';
import { cookieNames } from '../../../lambdas/shared/http/cookies.js';
import type { Session } from '../../../lambdas/shared/store/port.js';
import { httpEvent, NOW, sessionCookie, storedSession, testClock } from '../../support/fakes.js';

/** A store holding at most one session, recording every key it was asked for. */
function storeWith(session: Session | undefined) {
  const reads: string[] = [];
  return {
    reads,
    async getSession(idHash: string) {
      reads.push(idHash);
      return session?.idHash === idHash ? session : undefined;
    },
  };
}

const cookies = cookieNames();

describe('findSession', () => {
  it('returns the live session stored under the hash of the cookie value', async () => {
    const { event, idHash } = sessionCookie();
    const session = storedSession({ idHash });
    const store = storeWith(session);

    const found = await findSession(event, store, testClock(), cookies);

    expect(found).toBe(session);
    expect(store.reads).toEqual([idHash]);
  });

  it.each([
    ['ended a second ago', NOW - 1],
    ['ending this very second', NOW],
    ['ended a day ago (TTL has not run yet)', NOW - 86_400],
  ])('refuses a session %s, though the store still returns it', async (_name, expiresAt) => {
    const { event, idHash } = sessionCookie();
    const store = storeWith(storedSession({ idHash, expiresAt }));

    expect(await findSession(event, store, testClock(), cookies)).toBeUndefined();
  });

  it('serves a session until its last second', async () => {
    const { event, idHash } = sessionCookie();
    const store = storeWith(storedSession({ idHash, expiresAt: NOW + 1 }));

    expect(await findSession(event, store, testClock(), cookies)).toBeDefined();
  });

  it('reads the time from the injected clock on every call', async () => {
    const { event, idHash } = sessionCookie();
    const store = storeWith(storedSession({ idHash, expiresAt: NOW + 60 }));
    const clock = testClock();

    expect(await findSession(event, store, clock, cookies)).toBeDefined();
    clock.advance(60);
    expect(await findSession(event, store, clock, cookies)).toBeUndefined();
  });

  it('refuses an ended session (tokens removed after logout or a dead refresh token)', async () => {
    const { event, idHash } = sessionCookie();
    const store = storeWith(storedSession({ idHash, sealedTokens: undefined, refreshable: false }));

    expect(await findSession(event, store, testClock(), cookies)).toBeUndefined();
  });

  it('returns undefined for a cookie no session has', async () => {
    const store = storeWith(storedSession());

    expect(await findSession(sessionCookie().event, store, testClock(), cookies)).toBeUndefined();
    expect(store.reads).toHaveLength(1);
  });

  it.each([
    ['no cookie at all', httpEvent()],
    ['a value of the wrong shape', httpEvent({ cookies: [`${cookies.session}=short`] })],
    ['a value with a bad character', httpEvent({ cookies: [`${cookies.session}=${'a'.repeat(42)}!`] })],
    ['the cookie twice', httpEvent({ cookies: [sessionCookie().cookie, sessionCookie().cookie] })],
    ['another prefix', sessionCookie('other-').event],
  ])('does not read the store for %s', async (_name, event) => {
    const store = storeWith(storedSession());

    expect(await findSession(event, store, testClock(), cookies)).toBeUndefined();
    expect(store.reads).toEqual([]);
  });

  it('reads the cookie named by the configured prefix', async () => {
    const { event, idHash } = sessionCookie('app2-');
    const store = storeWith(storedSession({ idHash }));

    expect(await findSession(event, store, testClock(), cookieNames('app2-'))).toBeDefined();
  });
});
