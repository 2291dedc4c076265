/**
 * The runtime library for the embedding application's own Lambdas (package export
 * `serverless-oauth-bff/runtime`). Give the function the environment and permissions with
 * `OAuthBackend.grantSessionAccess(fn)`, then:
 *
 *   import { getAccessToken, getSession } from 'serverless-oauth-bff/runtime';
 *   export const handler = async (event) => {
 *     const user = await getSession(event);
 *     if (!user) return { statusCode: 401 };
 *     const token = await getAccessToken(event); // fresh, refreshed on demand
 *     ...
 *   };
 */
import { makeSessionAccess, type SessionAccess, type SessionInfo } from './shared/flows/session-access.js';
import type { CookieSource } from './shared/http/cookies.js';
import { loadConfig } from './shared/platform/config.js';
import { createTokenFlowDeps } from './wiring.js';

export type { SessionAccess, SessionInfo } from './shared/flows/session-access.js';
export { makeSessionAccess } from './shared/flows/session-access.js';

let access: SessionAccess | undefined;

/** Built once per container from the environment `grantSessionAccess` sets, like a handler entry file. */
export function sessionAccess(): SessionAccess {
  access ??= makeSessionAccess(createTokenFlowDeps(loadConfig(process.env)));
  return access;
}

export const getSession = (event: CookieSource): Promise<SessionInfo | undefined> =>
  sessionAccess().getSession(event);
export const getAccessToken = (event: CookieSource): Promise<string | undefined> =>
  sessionAccess().getAccessToken(event);
