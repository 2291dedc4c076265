/**
 * Errors with a stable `code`. One boundary (error-boundary.ts) maps them to an HTTP response:
 * the message of a status below 500 is safe to show, anything else becomes a generic 5xx.
 */
export class HttpError extends Error {
  /** Set-Cookie values the error response must still carry (e.g. clearing a spent login cookie). */
  cookies: string[] = [];

  constructor(
    readonly status: number,
    readonly code: string,
    /** Safe to show to the user: never contains input echoed back or any secret. */
    readonly publicMessage: string,
    options?: { cause?: unknown },
  ) {
    super(`${code}: ${publicMessage}`, options);
    this.name = 'HttpError';
  }
}

/** A request we reject on its face. */
export const badRequest = (code: string, message: string, cause?: unknown) =>
  new HttpError(400, code, message, cause === undefined ? undefined : { cause });

/** The authorization server failed or answered something we cannot accept. */
export const badGateway = (code: string, message: string, cause?: unknown) =>
  new HttpError(502, code, message, cause === undefined ? undefined : { cause });

/** A conditional write lost: the item is gone or changed under us. */
export class ConflictError extends Error {
  readonly code = 'STORE_CONFLICT';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConflictError';
  }
}
