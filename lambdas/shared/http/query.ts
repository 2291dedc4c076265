/** Strict parsing of the query string (checklist C10), before any I/O. */
import { badRequest } from './errors.js';

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
