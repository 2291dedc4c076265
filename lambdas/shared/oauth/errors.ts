/** Errors of the authorization response (RFC 6749 4.1.2), raised by the OAuth client. */

/** The authorization response carried an error (RFC 6749 4.1.2.1). */
export class AuthorizationDeniedError extends Error {
  readonly code = 'AUTHORIZATION_DENIED';
  constructor(readonly error: string) {
    super(`authorization response error: ${error}`);
    this.name = 'AuthorizationDeniedError';
  }
}

/** The authorization response failed validation, e.g. a missing or wrong `iss` (RFC 9207). */
export class AuthorizationResponseInvalidError extends Error {
  readonly code = 'AUTHORIZATION_RESPONSE_INVALID';
  constructor(options?: { cause?: unknown }) {
    super('authorization response failed validation', options);
    this.name = 'AuthorizationResponseInvalidError';
  }
}
