/**
 * The error a request is answered with: a status, a stable `code`, and a message written to be
 * shown. One boundary (http/error-boundary.ts) turns it into the response; anything that is not an
 * HttpError becomes a generic 500 whose message says nothing about the cause.
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
