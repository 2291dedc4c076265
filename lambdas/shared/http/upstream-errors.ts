/**
 * The one place that turns failures at the authorization server into HTTP errors, with the
 * messages the user sees. The error boundary shows an HttpError's message whatever its status
 * (they are written here to be shown), and turns anything that is not an HttpError into a generic
 * 500 that says nothing about its cause.
 */
import { TokenEndpointError } from '../domain/errors.js';
import { badRequest, HttpError } from './errors.js';

/** What a person sees when the authorization server failed or was too slow. */
const SIGN_IN_SERVICE_FAILED = 'The sign-in service did not answer as expected. Please try again.';
/** What a person sees for anything unexpected on our side. */
export const INTERNAL_ERROR_MESSAGE = 'Something went wrong. Please try again.';

/**
 * A failure at the authorization server (discovery, token endpoint): 504 for a timeout, 502
 * otherwise, the kind in the code. An HttpError passes through; anything else is a 500.
 */
export function upstreamHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof TokenEndpointError) {
    return error.kind === 'timeout'
      ? new HttpError(504, 'token_endpoint_timeout', SIGN_IN_SERVICE_FAILED, { cause: error })
      : new HttpError(502, `token_endpoint_${error.kind}`, SIGN_IN_SERVICE_FAILED, { cause: error });
  }
  return new HttpError(500, 'internal_error', INTERNAL_ERROR_MESSAGE, { cause: error });
}

/**
 * A failed code exchange: a code the AS refuses (`invalid_grant`: used, expired, or not ours) is the
 * user's to retry from the start (400); everything else is an upstream failure.
 */
export function codeExchangeHttpError(error: unknown): HttpError {
  if (error instanceof TokenEndpointError && error.kind === 'invalid_grant') {
    return badRequest(
      'login_code_rejected',
      'The sign-in could not be completed. Please start the sign-in again.',
      error,
    );
  }
  return upstreamHttpError(error);
}
