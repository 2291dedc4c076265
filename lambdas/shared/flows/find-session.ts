/**
 * Looking up the session behind a request's cookie, in one place for every reader (the session
 * endpoint, the local stack's home page, the embedding app's own Lambdas).
 */
import { type Clock, nowSeconds } from '../domain/clock.js';
import { type CookieNames, type CookieSource, sessionIdHash } from '../http/cookies.js';
import type { Session, Store } from '../store/port.js';

/**
 * The live session named by the cookie, or undefined. A cookie of the wrong shape is rejected
 * without a read; expiry is checked here in code because TTL deletion runs late.
 */
export async function findSession(
  event: CookieSource,
  store: Pick<Store, 'getSession'>,
  clock: Clock,
  cookies: CookieNames,
): Promise<Session | undefined> {
  const idHash = sessionIdHash(event, cookies);
  if (idHash === undefined) return undefined;
  const session = await store.getSession(idHash);
  if (!session || session.expiresAt <= nowSeconds(clock) || !session.sealedTokens) return undefined;
  return session;
}
