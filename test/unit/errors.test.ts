/**
 * Errors carry a stable `code` and a name, say nothing of their input in the message, and are logged
 * through `describeError` (names, codes, kinds, statuses along the cause chain; messages only of AWS
 * service errors). One place maps upstream failures to HTTP errors (http/upstream-errors.ts).
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, describeError, TokenEndpointError } from '../../lambdas/shared/domain/errors.js';
import { badRequest, HttpError } from '../../lambdas/shared/http/errors.js';
import {
  codeExchangeHttpError,
  INTERNAL_ERROR_MESSAGE,
  upstreamHttpError,
} from '../../lambdas/shared/http/upstream-errors.js';
import {
  AuthorizationDeniedError,
  AuthorizationResponseInvalidError,
} from '../../lambdas/shared/oauth/errors.js';
import { ResponseTooLargeError } from '../../lambdas/shared/oauth/limited-fetch.js';
import { ConfigError } from '../../lambdas/shared/platform/config.js';
import { DecryptionError } from '../../lambdas/shared/store/token-cipher.js';

describe('error classes', () => {
  it.each<[string, Error & { code?: string }, string, string | undefined, string]>([
    ['ConflictError', new ConflictError('lost'), 'ConflictError', 'STORE_CONFLICT', 'lost'],
    [
      'TokenEndpointError with a status',
      new TokenEndpointError('unavailable', 503),
      'TokenEndpointError',
      'TOKEN_ENDPOINT_ERROR',
      'token endpoint: unavailable (HTTP 503)',
    ],
    [
      'TokenEndpointError without a status',
      new TokenEndpointError('timeout'),
      'TokenEndpointError',
      'TOKEN_ENDPOINT_ERROR',
      'token endpoint: timeout',
    ],
    [
      'AuthorizationDeniedError',
      new AuthorizationDeniedError('access_denied'),
      'AuthorizationDeniedError',
      'AUTHORIZATION_DENIED',
      'authorization response error: access_denied',
    ],
    [
      'AuthorizationResponseInvalidError',
      new AuthorizationResponseInvalidError(),
      'AuthorizationResponseInvalidError',
      'AUTHORIZATION_RESPONSE_INVALID',
      'authorization response failed validation',
    ],
    [
      'DecryptionError',
      new DecryptionError(),
      'DecryptionError',
      'TOKEN_DECRYPTION_FAILED',
      'stored tokens could not be decrypted',
    ],
    [
      'ConfigError',
      new ConfigError(['A is required', 'B is bad']),
      'ConfigError',
      'CONFIG_INVALID',
      'Invalid configuration: A is required; B is bad',
    ],
    [
      'ResponseTooLargeError',
      new ResponseTooLargeError(),
      'ResponseTooLargeError',
      undefined,
      'response body too large',
    ],
    [
      'HttpError',
      badRequest('login_expired', 'Too long.'),
      'HttpError',
      'login_expired',
      'login_expired: Too long.',
    ],
  ])('%s has its name, stable code and a message free of input', (_name, error, name, code, message) => {
    expect(error.name).toBe(name);
    expect(error.code).toBe(code);
    expect(error.message).toBe(message);
  });

  it('keeps the cause it is given', () => {
    const cause = new Error('underneath');

    expect(badRequest('c', 'm', cause).cause).toBe(cause);
    expect(badRequest('c', 'm')).not.toHaveProperty('cause');
    expect(new TokenEndpointError('unavailable', undefined, undefined, { cause }).cause).toBe(cause);
    expect(new AuthorizationResponseInvalidError({ cause }).cause).toBe(cause);
  });
});

describe('describeError', () => {
  it('lists name, code, kind and status along the cause chain, never a message of ours', () => {
    const root = new TypeError('connect ECONNREFUSED 10.0.0.1:443 with secret=abc');
    const token = new TokenEndpointError('unavailable', 503, undefined, { cause: root });
    const http = new HttpError(502, 'token_endpoint_unavailable', 'Try again.', { cause: token });

    expect(describeError(http)).toEqual({
      error: [
        { name: 'HttpError', code: 'token_endpoint_unavailable', status: 502 },
        { name: 'TokenEndpointError', code: 'TOKEN_ENDPOINT_ERROR', kind: 'unavailable', status: 503 },
        { name: 'TypeError' },
      ],
    });
  });

  it("keeps an AWS service error's message (it echoes no input)", () => {
    const aws = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });

    expect(describeError(aws)).toEqual({
      error: [{ name: 'ThrottlingException', message: 'Rate exceeded' }],
    });
  });

  it('ignores a code, kind or status of the wrong type', () => {
    const odd = Object.assign(new Error('x'), { code: 42, kind: {}, status: '500' });

    expect(describeError(odd)).toEqual({ error: [{ name: 'Error' }] });
  });

  it('follows at most four causes deep, and stops at a cause that is not an Error', () => {
    let chain: Error = new Error('0');
    for (let i = 1; i < 6; i++) chain = new ConflictError(String(i), { cause: chain });
    const withString = new ConflictError('top', { cause: 'a string' });

    expect(describeError(chain).error).toHaveLength(4);
    expect(describeError(withString).error).toEqual([{ name: 'ConflictError', code: 'STORE_CONFLICT' }]);
    expect(describeError('not an error')).toEqual({ error: [] });
  });
});

describe('upstream failures as HTTP errors (http/upstream-errors.ts)', () => {
  const AS_FAILED = 'The sign-in service did not answer as expected. Please try again.';
  it.each<[string, unknown, number, string, string]>([
    ['a timeout', new TokenEndpointError('timeout'), 504, 'token_endpoint_timeout', AS_FAILED],
    [
      'an unavailable AS',
      new TokenEndpointError('unavailable', 503),
      502,
      'token_endpoint_unavailable',
      AS_FAILED,
    ],
    [
      'a refused client',
      new TokenEndpointError('invalid_client', 401),
      502,
      'token_endpoint_invalid_client',
      AS_FAILED,
    ],
    [
      'a bad answer',
      new TokenEndpointError('invalid_response'),
      502,
      'token_endpoint_invalid_response',
      AS_FAILED,
    ],
    ['anything else', new Error('boom'), 500, 'internal_error', INTERNAL_ERROR_MESSAGE],
  ])('maps %s', (_name, error, status, code, message) => {
    const mapped = upstreamHttpError(error);

    expect([mapped.status, mapped.code, mapped.publicMessage]).toEqual([status, code, message]);
    expect(mapped.cause).toBe(error);
  });

  it('passes an HttpError through unchanged', () => {
    const error = new HttpError(403, 'login_denied', 'No.');

    expect(upstreamHttpError(error)).toBe(error);
  });

  it("makes a refused code (invalid_grant) the user's to retry: 400, start again", () => {
    const error = new TokenEndpointError('invalid_grant', 400);

    const mapped = codeExchangeHttpError(error);

    expect([mapped.status, mapped.code, mapped.publicMessage]).toEqual([
      400,
      'login_code_rejected',
      'The sign-in could not be completed. Please start the sign-in again.',
    ]);
    expect(mapped.cause).toBe(error);
    expect(codeExchangeHttpError(new TokenEndpointError('rejected', 403)).code).toBe(
      'token_endpoint_rejected',
    );
  });
});
