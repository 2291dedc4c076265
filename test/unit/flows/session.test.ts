/**
 * GET /session (flows/session.ts): who is logged in, claims and the session's end only, and 401 for
 * anything that is not a live session, including one past its end that TTL has not deleted yet.
 */
import { describe, expect, it } from 'vitest';
import { makeSessionHandler } from '../../../lambdas/shared/flows/session.js';
import type { Session } from '../../../lambdas/shared/store/port.js';
import { httpEvent, NOW, sessionCookie, storedSession, testClock } from '../../support/fakes.js';

function handlerWith(session: Session | undefined, clock = testClock()) {
  return makeSessionHandler({
    config: { cookiePrefix: 'bff-' },
    store: { getSession: async (idHash) => (session?.idHash === idHash ? session : undefined) },
    clock,
  });
}

const bodyOf = (result: { body?: string }) => JSON.parse(result.body ?? 'null') as unknown;

describe('GET /session', () => {
  it('answers 200 with exactly the subject, the identity claims and the end: never a token', async () => {
    const { event, idHash } = sessionCookie();
    const handler = handlerWith(storedSession({ idHash, claims: { sub: 'alice', name: 'Alice' } }));

    const result = await handler(event);

    expect(result.statusCode).toBe(200);
    expect(result.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(bodyOf(result)).toEqual({
      authenticated: true,
      sub: 'alice',
      claims: { sub: 'alice', name: 'Alice' },
      expiresAt: NOW + 3600,
    });
  });

  it('leaves out `sub` when the session has none (plain OAuth 2.0, no ID token)', async () => {
    const { event, idHash } = sessionCookie();
    const handler = handlerWith(storedSession({ idHash, sub: undefined, claims: {} }));

    expect(bodyOf(await handler(event))).toEqual({ authenticated: true, claims: {}, expiresAt: NOW + 3600 });
  });

  it.each([
    ['past its end, not yet deleted by TTL', { expiresAt: NOW - 1 }],
    ['at its end', { expiresAt: NOW }],
    ['ended (no tokens)', { sealedTokens: undefined, refreshable: false }],
  ] as const)('answers 401 for a session %s', async (_name, overrides) => {
    const { event, idHash } = sessionCookie();
    const handler = handlerWith(storedSession({ idHash, ...overrides }));

    const result = await handler(event);

    expect(result.statusCode).toBe(401);
    expect(bodyOf(result)).toEqual({ authenticated: false });
  });

  it('answers 401 once the clock passes the end', async () => {
    const { event, idHash } = sessionCookie();
    const clock = testClock();
    const handler = handlerWith(storedSession({ idHash, expiresAt: NOW + 10 }), clock);

    expect((await handler(event)).statusCode).toBe(200);
    clock.advance(10);
    expect((await handler(event)).statusCode).toBe(401);
  });

  it.each([
    ['no cookie', httpEvent()],
    ['an unknown cookie', sessionCookie().event],
  ])('answers 401 for %s', async (_name, event) => {
    const result = await handlerWith(storedSession())(event);

    expect(result.statusCode).toBe(401);
    expect(bodyOf(result)).toEqual({ authenticated: false });
  });
});
