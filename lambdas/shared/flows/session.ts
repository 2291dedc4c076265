/**
 * GET /session: who is logged in, for the browser app. Claims and the session's end only, never
 * a token (checklist F18).
 */
import type { Clock } from '../domain/clock.js';
import { cookieNames } from '../http/cookies.js';
import { type HttpEvent, type HttpResult, json } from '../http/responses.js';
import type { Config } from '../platform/config.js';
import type { Store } from '../store/port.js';
import { findSession } from './find-session.js';

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
