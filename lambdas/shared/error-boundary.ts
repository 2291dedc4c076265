/**
 * The one error boundary and response finisher, as middy middleware around every HTTP handler:
 * - every response gets the security headers (no-store, no-referrer, ...);
 * - an HttpError below 500 shows its public message; anything else becomes a generic 5xx
 *   (the middy convention: expose messages only for status < 500);
 * - errors are logged by name, code and status: never a message that could echo input or a secret.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describeError, HttpError } from './errors.js';
import { errorPage, type HttpEvent, type HttpResult, json, SECURITY_HEADERS } from './http.js';
import type { Log } from './logger.js';
import { logger as defaultLogger } from './logger.js';
import { flushMetrics } from './metrics.js';

type Handler = (event: HttpEvent, context: Context) => Promise<HttpResult>;

export function httpHandler(handler: Handler, log: Log = defaultLogger) {
  return middy<HttpEvent, HttpResult>()
    .use(injectLambdaContext(defaultLogger, { resetKeys: true }))
    .use(flushMetrics)
    .use({
      after: (request) => {
        if (request.response) request.response = withSecurityHeaders(request.response);
      },
      onError: (request) => {
        const error = request.error;
        const response = errorResponse(error, request.event, log);
        request.response = withSecurityHeaders(response);
      },
    })
    .handler(handler);
}

function errorResponse(error: unknown, event: HttpEvent, log: Log): HttpResult {
  if (error instanceof HttpError && error.status < 500) {
    log.warn('request rejected', { code: error.code, status: error.status });
    return present(event, error.status, error.code, error.publicMessage, error.cookies);
  }
  const status = error instanceof HttpError ? error.status : 500;
  log.error('request failed', describeError(error));
  const message =
    status === 502 || status === 504
      ? 'The sign-in service did not answer as expected. Please try again.'
      : 'Something went wrong. Please try again.';
  return present(
    event,
    status,
    error instanceof HttpError ? error.code : 'internal_error',
    message,
    errorCookies(error),
  );
}

function errorCookies(error: unknown): string[] {
  return error instanceof HttpError ? error.cookies : [];
}

/** JSON for API clients, a small escaped HTML page for browsers. */
function present(
  event: HttpEvent,
  status: number,
  code: string,
  message: string,
  cookies: string[],
): HttpResult {
  const accept = event.headers?.accept ?? '';
  return accept.includes('text/html')
    ? errorPage(status, status < 500 ? 'Request not accepted' : 'Service error', message, cookies)
    : json(status, { error: code, message }, cookies);
}

function withSecurityHeaders(response: HttpResult): HttpResult {
  return { ...response, headers: { ...response.headers, ...SECURITY_HEADERS } };
}
