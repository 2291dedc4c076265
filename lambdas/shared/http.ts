/**
 * API Gateway HTTP API (payload format 2.0) helpers: strict query parsing, cookies, responses.
 * The local stack builds the very same event shape, so these run unchanged there.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { badRequest } from './errors.js';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
};

export interface QueryLimits {
  /** Longest raw query string accepted. */
  readonly maxLength: number;
  /** Most parameters accepted. */
  readonly maxParams: number;
  /** Longest decoded value accepted. */
  readonly maxValueLength: number;
}

/**
 * Parses `rawQueryString` strictly. API Gateway v2 joins repeated parameters with commas in
 * `queryStringParameters`, which would hide a duplicated `state` or `code`; the raw string keeps
 * them apart, so it is the only input read (checklist C10).
 * Rejects, with 400 and before any I/O: oversize input, too many parameters, a repeated name,
 * malformed percent-encoding or invalid UTF-8, and oversize values.
 */
export function parseQuery(raw: string | undefined, limits: QueryLimits): Map<string, string> {
  const query = raw ?? '';
  if (query.length > limits.maxLength) throw badRequest('query_too_long', 'The request is too large.');
  const params = new Map<string, string>();
  if (query === '') return params;
  const parts = query.split('&');
  if (parts.length > limits.maxParams)
    throw badRequest('query_too_many_params', 'The request has too many parameters.');
  for (const part of parts) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = decodeComponent(eq === -1 ? part : part.slice(0, eq));
    const value = eq === -1 ? '' : decodeComponent(part.slice(eq + 1));
    if (params.has(name)) throw badRequest('query_duplicate_param', 'A parameter is repeated.');
    if (value.length > limits.maxValueLength)
      throw badRequest('query_value_too_long', 'A parameter is too long.');
    params.set(name, value);
  }
  return params;
}

function decodeComponent(value: string): string {
  try {
    // application/x-www-form-urlencoded: '+' is a space. decodeURIComponent throws on a bad
    // escape and on escapes that are not valid UTF-8.
    return decodeURIComponent(value.replaceAll('+', ' '));
  } catch (cause) {
    throw badRequest('query_malformed', 'The request has a malformed parameter.', cause);
  }
}

/** Where cookies are read from: API Gateway v2 moves them to `cookies`; the header is the fallback. */
export interface CookieSource {
  readonly cookies?: readonly string[];
  readonly headers?: Readonly<Record<string, string | undefined>>;
}

/**
 * Cookies sent by the browser. A name that appears twice is treated as absent: a second cookie
 * of the same name can only come from another path or a planted value, and picking one of
 * them would be a guess.
 */
export function readCookie(event: CookieSource, name: string): string | undefined {
  const pairs = event.cookies ?? event.headers?.cookie?.split(';') ?? [];
  let found: string | undefined;
  let count = 0;
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    count += 1;
    found = pair.slice(eq + 1).trim();
  }
  return count === 1 ? found : undefined;
}

/**
 * Every cookie we set has the `__Host-` prefix, so the browser insists on `Secure`, `Path=/` and
 * no `Domain`: a sibling subdomain cannot plant or overwrite it (RFC 6265bis 4.1.3.2).
 * `SameSite=Lax` keeps it on the top-level redirect back from the authorization server.
 */
export function setCookie(name: string, value: string, maxAgeSeconds: number): string {
  if (!name.startsWith('__Host-')) throw new Error('cookie names must carry the __Host- prefix');
  return `${name}=${value}; Path=/; Max-Age=${maxAgeSeconds}; Secure; HttpOnly; SameSite=Lax`;
}

/** Deletes a cookie: same name and attributes, empty value, `Max-Age=0`. */
export function clearCookie(name: string): string {
  return setCookie(name, '', 0);
}

/** Headers every response of the flow carries (checklist F20). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

export function redirect(location: string, cookies: string[] = []): HttpResult {
  return { statusCode: 302, headers: { location }, cookies, body: '' };
}

export function json(statusCode: number, value: unknown, cookies: string[] = []): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    cookies,
    body: JSON.stringify(value),
  };
}

export function html(statusCode: number, body: string, cookies: string[] = []): HttpResult {
  return { statusCode, headers: { 'content-type': 'text/html; charset=utf-8' }, cookies, body };
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** A minimal page for errors shown to a person; the message is escaped, never raw input. */
export function errorPage(
  statusCode: number,
  title: string,
  message: string,
  cookies: string[] = [],
): HttpResult {
  return html(
    statusCode,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="/">Back</a></p></body></html>`,
    cookies,
  );
}
