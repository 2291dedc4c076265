/**
 * The runtime library for the embedding application's own Lambdas (package export
 * `serverless-oauth-bff/runtime`). Give the function the environment and permissions with
 * `OAuthBackend.grantSessionAccess(fn)`, then:
 *
 *   import { getAccessToken, getSession, type SessionEvent } from 'serverless-oauth-bff/runtime';
 *   export const handler = async (event: SessionEvent) => {
 *     const user = await getSession(event);
 *     if (!user) return { statusCode: 401 };
 *     const token = await getAccessToken(event); // fresh, refreshed on demand
 *     ...
 *   };
 *
 * The declarations of this module are the package's published runtime types: they reference only
 * flows/session-info.ts and http/cookies.ts, never the store, the OAuth client or the AWS SDK, so
 * a consumer type-checks them with none of those packages' types (scripts/build.ts checks it).
 */

import { makeSessionAccess } from './shared/flows/session-access.js';
import type { SessionAccess, SessionInfo } from './shared/flows/session-info.js';
import type { CookieSource } from './shared/http/cookies.js';
import { loadConfig } from './shared/platform/config.js';
import { createSessionAccessDeps } from './wiring.js';

export type { SessionAccess, SessionInfo } from './shared/flows/session-info.js';
export type { CookieSource } from './shared/http/cookies.js';

/**
 * The request a session is read from: anything with the cookies of an API Gateway HTTP API
 * (payload 2.0) event or a `cookie` header (REST API, payload 1.0, ALB). An `APIGatewayProxyEventV2`
 * of @types/aws-lambda fits, and so does a plain `{ cookies: ['__Host-bff-session=...'] }`.
 */
export type SessionEvent = CookieSource;

let access: SessionAccess | undefined;

/** Built once per container from the environment `grantSessionAccess` sets, like a handler entry file. */
export function sessionAccess(): SessionAccess {
  access ??= makeSessionAccess(createSessionAccessDeps(loadConfig(process.env)));
  return access;
}

/** The logged-in user of the request's session cookie, or undefined. */
export const getSession = (event: SessionEvent): Promise<SessionInfo | undefined> =>
  sessionAccess().getSession(event);

/** A valid access token of the request's session (refreshed on demand, single-flight), or undefined. */
export const getAccessToken = (event: SessionEvent): Promise<string | undefined> =>
  sessionAccess().getAccessToken(event);
