/**
 * The HTTP rules of the API proxy (README "API proxy", checklist J33), as pure functions: which
 * configured route a request is for, the upstream URL it may go to (never out of the route's base,
 * never another host), and the request and response headers that may cross.
 */
import type { ApiRoute } from '../definitions/api-routes.js';
import { badRequest } from './errors.js';

/**
 * The most a proxied request or response body may hold. Lambda takes and returns at most 6 MB per
 * synchronous invocation (API Gateway's own limit, 10 MB, is higher), and a binary body travels
 * base64-encoded (4/3 larger) inside the event or the result, with headers beside it: 4 MiB fits.
 */
export const MAX_PROXY_BODY_BYTES = 4 * 1024 * 1024;

/** The header a proxied request must carry: a cross-site page cannot send it without a CORS preflight, which is never granted. */
export const CSRF_HEADER = 'x-csrf';

/**
 * Request headers forwarded to the upstream; everything else stays behind: the browser's `Cookie`
 * and `Authorization` (the backend sets its own bearer token), hop-by-hop headers, `Host`,
 * `Accept-Encoding` (the body is passed on as received), the CSRF header.
 */
export const FORWARDED_REQUEST_HEADERS: readonly string[] = [
  'accept',
  'accept-language',
  'content-type',
  'content-language',
  'if-match',
  'if-none-match',
  'if-modified-since',
  'if-unmodified-since',
  'x-request-id',
  'traceparent',
  'tracestate',
];

/**
 * Response headers passed back to the browser; never `Set-Cookie` (the app's origin is ours, not
 * the upstream's), never CORS headers, never the upstream's caching (responses are `no-store`),
 * never `WWW-Authenticate` (it would make a browser show its own login dialog).
 */
export const RETURNED_RESPONSE_HEADERS: readonly string[] = [
  'content-type',
  'content-language',
  'content-disposition',
  'etag',
  'last-modified',
  'retry-after',
  'x-request-id',
];

/** The configured route whose path is the request's path or a parent of it at a segment boundary. */
export function findApiRoute(routes: readonly ApiRoute[], rawPath: string): ApiRoute | undefined {
  return routes.find((route) => rawPath === route.path || rawPath.startsWith(`${route.path}/`));
}

/**
 * The upstream URL for a request: the route's upstream base, the rest of the request path after
 * the route's path, and the query as sent. Refused with 400, before any I/O: dot segments (also
 * encoded), empty segments (`//`, so no `//host` or `/https://host` either), encoded slashes or
 * backslashes, backslashes, control characters; and, checked again on the parsed result, anything
 * that would leave the upstream's origin or base path.
 */
export function upstreamUrl(route: ApiRoute, rawPath: string, rawQueryString: string | undefined): URL {
  const refuse = () => badRequest('proxy_bad_path', 'This API path is not allowed.');
  if (!(rawPath === route.path || rawPath.startsWith(`${route.path}/`))) throw refuse();
  const rest = rawPath.slice(route.path.length);
  if (!/^[\x21-\x7E]*$/.test(rest) || rest.includes('\\') || /%(?:2f|5c|00)/i.test(rest)) throw refuse();
  const segments = rest === '' ? [] : rest.slice(1).split('/');
  segments.forEach((segment, i) => {
    const dots = segment.replace(/%2e/gi, '.');
    // An empty segment only as a trailing slash (`/api/orders/`).
    if ((segment === '' && i !== segments.length - 1) || dots === '.' || dots === '..') throw refuse();
  });
  const base = route.upstream;
  // The base path without its trailing slash ('' for the upstream's root).
  const basePath = base.pathname.replace(/\/$/, '');
  const target = new URL(base.href);
  target.pathname = `${basePath}${rest}` || '/';
  target.search = rawQueryString ? `?${rawQueryString}` : '';
  const inBase = target.pathname === (basePath || '/') || target.pathname.startsWith(`${basePath}/`);
  if (target.origin !== base.origin || !inBase) throw refuse();
  return target;
}

/** The request headers that may go to the upstream (see FORWARDED_REQUEST_HEADERS). */
export function forwardedHeaders(headers: Readonly<Record<string, string | undefined>> | undefined): Headers {
  const out = new Headers();
  for (const name of FORWARDED_REQUEST_HEADERS) {
    const value = headers?.[name];
    if (value !== undefined) out.set(name, value);
  }
  return out;
}

/** The upstream response headers that may go back to the browser (see RETURNED_RESPONSE_HEADERS). */
export function returnedHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of RETURNED_RESPONSE_HEADERS) {
    const value = headers.get(name);
    if (value !== null) out[name] = value;
  }
  return out;
}

/** Bodies API Gateway can carry as text; everything else travels base64-encoded. */
export function isTextContentType(contentType: string | null | undefined): boolean {
  if (!contentType) return false;
  const type = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return (
    type.startsWith('text/') ||
    /^application\/(json|xml|javascript|x-www-form-urlencoded|[\w.+-]+\+(json|xml))$/.test(type)
  );
}
