/**
 * Parses the authorization response on `GET /redirect` (RFC 6749 4.1.2) and rejects anything
 * that cannot be ours before any I/O (checklist C10): no database read, no AS call.
 */
import { RANDOM_TOKEN_PATTERN } from '../domain/crypto.js';
import { badRequest } from './errors.js';
import { parseQuery, type QueryLimits } from './query.js';

export const CALLBACK_LIMITS: QueryLimits = { maxLength: 8192, maxParams: 16, maxValueLength: 4096 };

/** RFC 6749 Appendix A: code = 1*VSCHAR; error = 1*( %x20-21 / %x23-5B / %x5D-7E ). */
const VSCHAR = /^[\x20-\x7E]+$/;
const ERROR_CHARS = /^[\x20\x21\x23-\x5B\x5D-\x7E]+$/;

export interface ParsedCallback {
  /** Our `state`: exactly the shape `randomToken()` produces. */
  readonly state: string;
  /** All parameters, for the RFC 9207 `iss` check and the code exchange. */
  readonly params: URLSearchParams;
  readonly outcome: 'code' | 'error';
}

export function parseCallback(rawQueryString: string | undefined): ParsedCallback {
  const query = parseQuery(rawQueryString, CALLBACK_LIMITS);
  const state = query.get('state');
  if (state === undefined || !RANDOM_TOKEN_PATTERN.test(state)) {
    throw badRequest('callback_bad_state', 'This sign-in response is not valid.');
  }
  const code = query.get('code');
  const error = query.get('error');
  if ((code === undefined) === (error === undefined)) {
    throw badRequest('callback_bad_shape', 'This sign-in response is not valid.');
  }
  if (code !== undefined && !VSCHAR.test(code))
    throw badRequest('callback_bad_code', 'This sign-in response is not valid.');
  if (error !== undefined && !ERROR_CHARS.test(error)) {
    throw badRequest('callback_bad_error', 'This sign-in response is not valid.');
  }
  const iss = query.get('iss');
  if (iss !== undefined && !VSCHAR.test(iss))
    throw badRequest('callback_bad_iss', 'This sign-in response is not valid.');
  return { state, params: new URLSearchParams([...query]), outcome: code === undefined ? 'error' : 'code' };
}
