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
