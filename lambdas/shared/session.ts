/**
 * Looking up the session behind a request's cookie, in one place for every reader (the session
 * endpoint, the local stack's home page, the embedding app's own Lambdas).
 */
import { type Clock, nowSeconds } from './clock.js';
import type { CookieNames } from './cookies.js';
import { RANDOM_TOKEN_PATTERN, sha256 } from './crypto.js';
import { type CookieSource, readCookie } from './http.js';
import type { Session, Store } from './store.js';

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
  const id = readCookie(event, cookies.session);
  if (id === undefined || !RANDOM_TOKEN_PATTERN.test(id)) return undefined;
  const session = await store.getSession(sha256(id));
  if (!session || session.expiresAt <= nowSeconds(clock) || !session.sealedTokens) return undefined;
  return session;
}
