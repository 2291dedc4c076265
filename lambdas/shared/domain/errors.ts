/**
 * Domain errors with a stable `code`, free of any HTTP framing. The error boundary
 * (http/error-boundary.ts) and http/upstream-errors.ts decide what a caller sees of them.
 */

/** A conditional write lost: the item is gone or changed under us. */
export class ConflictError extends Error {
  readonly code = 'STORE_CONFLICT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConflictError';
  }
}

/** Names, codes and statuses along the cause chain; messages only of errors we know carry no input. */
export function describeError(error: unknown): Record<string, unknown> {
  const chain: Record<string, unknown>[] = [];
  let current: unknown = error;
  for (let depth = 0; current instanceof Error && depth < 4; depth++) {
    const e = current as Error & { code?: unknown; kind?: unknown; status?: unknown; $metadata?: unknown };
    chain.push({
      name: e.name,
      ...(typeof e.code === 'string' ? { code: e.code } : {}),
      ...(typeof e.kind === 'string' ? { kind: e.kind } : {}),
      ...(typeof e.status === 'number' ? { status: e.status } : {}),
      // AWS service errors say what failed (throttling, access denied) and echo no user input.
      ...(e.$metadata ? { message: e.message } : {}),
    });
    current = e.cause;
  }
  return { error: chain };
}

/**
 * Why a token request failed, reduced to what callers act on. The HTTP status decides where the
 * body cannot (an AS may answer a dead refresh token with an empty or HTML 400):
 * - `invalid_grant`: the error code says the code or refresh token is dead; never retry it;
 * - `invalid_client`: client authentication failed (error code `invalid_client`, or HTTP 401):
 *   a rotated secret, or the operator's configuration;
 * - `rejected`: any other 4xx except 408 and 429, whatever its body: the AS refused this request;
 * - `unavailable`: 5xx, 408, 429 or a network failure; worth a later retry;
 * - `timeout`: no answer within the outbound timeout;
 * - `invalid_response`: a success we cannot accept (not JSON, too large, missing fields, bad ID
 *   token) or an answer that is neither success nor error (3xx).
 * What the refresh does with each kind: domain/refresh-policy.ts.
 */
export type TokenErrorKind =
  | 'invalid_grant'
  | 'invalid_client'
  | 'rejected'
  | 'unavailable'
  | 'timeout'
  | 'invalid_response';

export class TokenEndpointError extends Error {
  readonly code = 'TOKEN_ENDPOINT_ERROR';
  constructor(
    readonly kind: TokenErrorKind,
    readonly status?: number,
    readonly retryAfterSeconds?: number,
    options?: { cause?: unknown },
  ) {
    // The message names the kind and status only: AS error descriptions and bodies may echo input.
    super(`token endpoint: ${kind}${status === undefined ? '' : ` (HTTP ${status})`}`, options);
    this.name = 'TokenEndpointError';
  }
}
