/**
 * GET /session: who is logged in, for the browser app. Claims and the session's end only, never
 * a token (checklist F18).
 */
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import { cookieNames } from './cookies.js';
import { type HttpEvent, type HttpResult, json } from './http.js';
import { findSession } from './session.js';
import type { Store } from './store.js';

export interface SessionDeps {
  readonly config: Pick<Config, 'cookiePrefix'>;
  readonly store: Pick<Store, 'getSession'>;
  readonly clock: Clock;
}

export function makeSessionHandler({ config, store, clock }: SessionDeps) {
  const cookies = cookieNames(config.cookiePrefix);
  return async (event: HttpEvent): Promise<HttpResult> => {
    const session = await findSession(event, store, clock, cookies);
    if (!session) return json(401, { authenticated: false });
    return json(200, {
      authenticated: true,
      ...(session.sub === undefined ? {} : { sub: session.sub }),
      claims: session.claims,
      expiresAt: session.expiresAt,
    });
  };
}
