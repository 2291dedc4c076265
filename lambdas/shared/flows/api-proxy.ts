/**
 * `ANY <path>[/{proxy+}]` of each configured API route (README "API proxy", checklist J33): the
 * browser app calls its APIs through the backend, which attaches the session's access token.
 *
 * Order matters, and nothing reaches the upstream unless every step passes:
 * 1. the CSRF header (`x-csrf: 1`): a cross-site page cannot send it without a CORS preflight,
 *    which this backend never grants (no CORS header is ever sent): 403;
 * 2. the path: the upstream URL may not leave the route's base path or host: 400;
 * 3. the body: at most MAX_PROXY_BODY_BYTES: 413;
 * 4. the session behind the cookie (live, not expired): 401;
 * 5. an access token that has not expired, refreshed on demand through the single-flight refresh
 *    (flows/refresh.ts) when it is within the skew; none to be had: 401;
 * 6. the call: allowlisted headers only plus `Authorization: Bearer`, an outbound timeout below
 *    the function's (504), an unreachable upstream 502; the answer's status and body as sent,
 *    allowlisted headers only, never `Set-Cookie`, and the backend's `no-store` security headers.
 */

import { METRIC } from '../definitions/metric-names.js';
import type { Clock } from '../domain/clock.js';
import { describeError } from '../domain/errors.js';
import { cookieNames } from '../http/cookies.js';
import { HttpError } from '../http/errors.js';
import {
  CSRF_HEADER,
  findApiRoute,
  forwardedHeaders,
  isTextContentType,
  MAX_PROXY_BODY_BYTES,
  returnedHeaders,
  upstreamUrl,
} from '../http/proxy.js';
import { type HttpEvent, type HttpResult, json } from '../http/responses.js';
import { ResponseTooLargeError, readBodyLimited } from '../oauth/limited-fetch.js';
import type { Config } from '../platform/config.js';
import { findSession } from './find-session.js';
import { freshTokens, type OnDemandRefreshDeps } from './refresh.js';

export interface ApiProxyDeps extends OnDemandRefreshDeps {
  readonly config: OnDemandRefreshDeps['config'] &
    Pick<Config, 'cookiePrefix' | 'apiRoutes' | 'httpTimeoutMs'>;
  /** The outbound fetch (the platform's; tests count or fake the upstream behind it). */
  readonly fetch: typeof fetch;
  readonly clock: Clock;
}

/**
 * Refresh when the access token expires within this many seconds: the same skew as the runtime
 * library's `getAccessToken` (flows/session-access.ts), so a token is never sent that expires in flight.
 */
export const PROXY_TOKEN_SKEW_SECONDS = 60;

const NO_BODY_METHODS = new Set(['GET', 'HEAD']);

export function makeApiProxyHandler(deps: ApiProxyDeps) {
  const { config, store, clock, meter, log } = deps;
  const cookies = cookieNames(config.cookiePrefix);

  return async (event: HttpEvent): Promise<HttpResult> => {
    const route = findApiRoute(config.apiRoutes, event.rawPath);
    // API Gateway only routes the configured paths here; anything else is not ours to forward.
    if (!route) return json(404, { error: 'not_found' });
    const count = (status: number) =>
      meter.count(METRIC.apiProxied, { route: route.path, status: `${Math.floor(status / 100)}xx` });
    const method = event.requestContext.http.method.toUpperCase();

    try {
      if (event.headers?.[CSRF_HEADER] !== '1') {
        throw new HttpError(
          403,
          'proxy_csrf_header_missing',
          `API calls must carry the header ${CSRF_HEADER}: 1.`,
        );
      }
      const target = upstreamUrl(route, event.rawPath, event.rawQueryString);
      const body = requestBody(event, method);

      const session = await findSession(event, store, clock, cookies);
      if (!session) throw new HttpError(401, 'unauthenticated', 'You are not logged in.');
      const tokens = await freshTokens(deps, session, { skewSeconds: PROXY_TOKEN_SKEW_SECONDS });
      if (!tokens) throw new HttpError(401, 'unauthenticated', 'Your session has no usable access token.');

      const headers = forwardedHeaders(event.headers);
      headers.set('authorization', `Bearer ${tokens.accessToken}`);
      const upstream = await callUpstream(deps.fetch, target, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(config.httpTimeoutMs),
        redirect: 'manual',
      });
      const result = upstreamResult(upstream.response, upstream.body, method);
      count(result.statusCode);
      return result;
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      if (status >= 500) log.warn('proxied request failed', { route: route.path, ...describeError(error) });
      count(status);
      throw error;
    }
  };
}

/** The request body as bytes (API Gateway base64-encodes binary ones), refused over the limit. */
function requestBody(event: HttpEvent, method: string): Buffer | undefined {
  if (event.body === undefined || event.body === '' || NO_BODY_METHODS.has(method)) return undefined;
  const body = Buffer.from(event.body, event.isBase64Encoded ? 'base64' : 'utf8');
  if (body.byteLength > MAX_PROXY_BODY_BYTES) {
    throw new HttpError(413, 'proxy_body_too_large', 'The request body is too large.');
  }
  return body;
}

async function callUpstream(
  fetchImpl: typeof fetch,
  target: URL,
  init: RequestInit,
): Promise<{ response: Response; body: Buffer }> {
  try {
    const response = await fetchImpl(target, init);
    return { response, body: await readBodyLimited(response, MAX_PROXY_BODY_BYTES) };
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new HttpError(504, 'upstream_timeout', 'The API did not answer in time. Please try again.', {
        cause: error,
      });
    }
    if (error instanceof ResponseTooLargeError) {
      throw new HttpError(502, 'upstream_response_too_large', 'The API answered with too large a body.', {
        cause: error,
      });
    }
    throw new HttpError(502, 'upstream_unavailable', 'The API could not be reached. Please try again.', {
      cause: error,
    });
  }
}

/** The upstream's status and body as sent, with the allowlisted headers only. */
function upstreamResult(response: Response, body: Buffer, method: string): HttpResult {
  const headers = returnedHeaders(response.headers);
  const empty =
    method === 'HEAD' || response.status === 204 || response.status === 304 || body.byteLength === 0;
  if (empty) return { statusCode: response.status, headers, cookies: [], body: '' };
  const text = isTextContentType(response.headers.get('content-type'));
  return {
    statusCode: response.status,
    headers,
    cookies: [],
    body: body.toString(text ? 'utf8' : 'base64'),
    ...(text ? {} : { isBase64Encoded: true }),
  };
}
