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

/**
 * The ID token does not meet what the login asked for (OIDC Core 3.1.2.1 and 3.1.3.7): an
 * `auth_time` missing or older than `max_age`, or an `acr` that is none of the requested
 * `acr_values`. No session may come of it.
 */
export class LoginRequirementError extends Error {
  readonly code = 'LOGIN_REQUIREMENT_NOT_MET';
  constructor(
    readonly requirement: 'max_age' | 'acr',
    options?: { cause?: unknown },
  ) {
    super(`ID token does not meet the login's ${requirement}`, options);
    this.name = 'LoginRequirementError';
  }
}
