/**
 * Classifies token-endpoint failures (domain/errors.ts `TokenErrorKind` says what each kind means;
 * domain/refresh-policy.ts what the refresh does with it). Plain protocol code on oauth4webapi's
 * error classes: no AWS SDK, no HTTP framing.
 */
import * as oauth from 'oauth4webapi';
import { type Clock, systemClock } from '../domain/clock.js';
import { TokenEndpointError } from '../domain/errors.js';
import { ResponseTooLargeError } from './limited-fetch.js';

/** `Retry-After` in seconds: a number, or an HTTP date counted from the injected clock. */
export function retryAfterSeconds(headers: Headers | undefined, clock: Clock): number | undefined {
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value)) return Number(value);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - clock()) / 1000));
}

/** 5xx, 408 (request timeout) and 429 (rate limited): the AS may well answer later. */
const isTransientStatus = (status: number) => status >= 500 || status === 408 || status === 429;

/** Turns whatever a token request threw into a TokenEndpointError of the kind callers act on. */
export function classifyTokenError(error: unknown, clock: Clock = systemClock): TokenEndpointError {
  if (error instanceof TokenEndpointError) return error;
  const options = { cause: error };
  if (error instanceof oauth.ResponseBodyError) {
    const status = error.status;
    if (error.error === 'invalid_grant')
      return new TokenEndpointError('invalid_grant', status, undefined, options);
    if (error.error === 'invalid_client' || status === 401) {
      return new TokenEndpointError('invalid_client', status, undefined, options);
    }
    return byStatus(status, error.response.headers, clock, options);
  }
  if (error instanceof oauth.WWWAuthenticateChallengeError) {
    return new TokenEndpointError('invalid_client', error.status, undefined, options);
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new TokenEndpointError('timeout', undefined, undefined, options);
  }
  if (error instanceof ResponseTooLargeError)
    return new TokenEndpointError('invalid_response', undefined, undefined, options);
  if (error instanceof oauth.OperationProcessingError) {
    const cause = error.cause;
    // An error status whose body is empty, HTML or not an OAuth error: the status alone decides.
    if (cause instanceof Response && cause.status >= 400) {
      if (cause.status === 401) return new TokenEndpointError('invalid_client', 401, undefined, options);
      return byStatus(cause.status, cause.headers, clock, options);
    }
    return new TokenEndpointError(
      'invalid_response',
      cause instanceof Response ? cause.status : undefined,
      undefined,
      options,
    );
  }
  // fetch's TypeError: connection refused or reset, DNS, TLS.
  if (error instanceof TypeError) return new TokenEndpointError('unavailable', undefined, undefined, options);
  return new TokenEndpointError('invalid_response', undefined, undefined, options);
}

function byStatus(
  status: number,
  headers: Headers,
  clock: Clock,
  options: { cause: unknown },
): TokenEndpointError {
  if (isTransientStatus(status)) {
    return new TokenEndpointError('unavailable', status, retryAfterSeconds(headers, clock), options);
  }
  if (status >= 400) return new TokenEndpointError('rejected', status, undefined, options);
  return new TokenEndpointError('invalid_response', status, undefined, options);
}
