/**
 * The one error boundary and response finisher, as middy middleware around every HTTP handler:
 * - every response gets the security headers (no-store, no-referrer, ...);
 * - an HttpError shows its public message, which is written to be shown (http/errors.ts,
 *   http/upstream-errors.ts); anything else becomes a generic 500 (the middy convention of
 *   exposing no message of an unexpected error);
 * - errors are logged by name, code and status: never a message that could echo input or a secret.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { describeError } from '../domain/errors.js';
import type { Log } from '../platform/logger.js';
import { logger as defaultLogger } from '../platform/logger.js';
import { flushMetrics } from '../platform/metrics.js';
import { HttpError } from './errors.js';
import { errorPage, type HttpEvent, type HttpResult, json, SECURITY_HEADERS } from './responses.js';
import { INTERNAL_ERROR_MESSAGE } from './upstream-errors.js';

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
  if (error instanceof HttpError) {
    if (error.status < 500) log.warn('request rejected', { code: error.code, status: error.status });
    else log.error('request failed', describeError(error));
    return present(event, error.status, error.code, error.publicMessage, error.cookies);
  }
  // Not ours: its message may carry anything (input, a path, an SDK detail), so none of it is shown.
  log.error('request failed', describeError(error));
  return present(event, 500, 'internal_error', INTERNAL_ERROR_MESSAGE, []);
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
