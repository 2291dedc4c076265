/**
 * The one error boundary (http/error-boundary.ts): every response, success or error, carries the
 * security headers (checklist F20); an HttpError shows its public message; anything else is a generic
 * 500 that shows and logs nothing of its message; browsers get an escaped HTML page, API clients JSON.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { httpHandler } from '../../lambdas/shared/http/error-boundary.js';
import { badRequest, HttpError } from '../../lambdas/shared/http/errors.js';
import { type HttpResult, json, redirect, SECURITY_HEADERS } from '../../lambdas/shared/http/responses.js';
import { INTERNAL_ERROR_MESSAGE } from '../../lambdas/shared/http/upstream-errors.js';
import { httpEvent, recordingLog } from '../support/fakes.js';

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'unit',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:000000000000:function:unit',
  memoryLimitInMB: '256',
  awsRequestId: 'request-1',
  logGroupName: '/aws/lambda/unit',
  logStreamName: 'unit',
  getRemainingTimeInMillis: () => 10_000,
  done: () => {},
  fail: () => {},
  succeed: () => {},
};

/** What an unexpected failure might carry in its message: never shown, never logged. */
const RAW = 'ValidationException: token at-SECRET-123 for /var/task/index.mjs';

function run(outcome: () => Promise<HttpResult>, headers: Record<string, string> = {}) {
  const log = recordingLog();
  const handler = httpHandler(async () => outcome(), log);
  return { log, result: handler(httpEvent({ headers }), context) as Promise<HttpResult> };
}

const EXPECTED_HEADERS = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

describe('httpHandler: security headers (checklist F20)', () => {
  it('are the ones the README promises', () => {
    expect(SECURITY_HEADERS).toEqual(EXPECTED_HEADERS);
  });

  it.each<[string, () => Promise<HttpResult>]>([
    ['a 200', async () => json(200, { ok: true })],
    ['a 302', async () => redirect('/app', ['c=1'])],
  ])('are added to %s, keeping its own headers and cookies', async (_name, outcome) => {
    const result = await run(outcome).result;

    expect(result.headers).toMatchObject(EXPECTED_HEADERS);
    expect(Object.keys(result.headers)).toEqual(expect.arrayContaining(Object.keys(EXPECTED_HEADERS)));
  });

  it('keep the location of a redirect', async () => {
    const result = await run(async () => redirect('/app', ['c=1'])).result;

    expect(result).toEqual({
      statusCode: 302,
      headers: { location: '/app', ...EXPECTED_HEADERS },
      cookies: ['c=1'],
      body: '',
    });
  });

  const failures: [string, unknown, number][] = [
    ['400', badRequest('bad_input', 'That was not right.'), 400],
    ['401', new HttpError(401, 'unauthenticated', 'Log in first.'), 401],
    ['403', new HttpError(403, 'logout_cross_site', 'No.'), 403],
    ['502', new HttpError(502, 'token_endpoint_unavailable', 'Try again.'), 502],
    ['504', new HttpError(504, 'token_endpoint_timeout', 'Try again.'), 504],
    ['an unexpected error (500)', new Error(RAW), 500],
    ['a thrown string (500)', 'not even an Error', 500],
  ];
  it.each(
    failures.flatMap(([name, thrown, status]) =>
      ['application/json', 'text/html'].map((accept) => [name, accept, thrown, status] as const),
    ),
  )('are on error responses too: %s as %s', async (_name, accept, thrown, status) => {
    const result = await run(async () => Promise.reject(thrown), { accept }).result;

    expect(result.statusCode).toBe(status);
    expect(result.headers).toMatchObject(EXPECTED_HEADERS);
  });
});

describe('httpHandler: error bodies', () => {
  it('shows an HttpError as JSON: its code and public message, and the cookies it carries', async () => {
    const error = badRequest('login_expired', 'This sign-in took too long.');
    error.cookies.push('__Host-bff-login-x=; Max-Age=0');

    const { result, log } = run(async () => Promise.reject(error));

    expect(await result).toEqual({
      statusCode: 400,
      headers: { 'content-type': 'application/json; charset=utf-8', ...EXPECTED_HEADERS },
      cookies: ['__Host-bff-login-x=; Max-Age=0'],
      body: JSON.stringify({ error: 'login_expired', message: 'This sign-in took too long.' }),
    });
    expect(log.entries).toEqual([
      { level: 'warn', message: 'request rejected', extra: [{ code: 'login_expired', status: 400 }] },
    ]);
  });

  it('shows the public message of a 5xx HttpError (written to be shown) and logs it as an error', async () => {
    const { result, log } = run(async () =>
      Promise.reject(new HttpError(502, 'token_endpoint_unavailable', 'The sign-in service did not answer.')),
    );

    expect(JSON.parse((await result).body ?? '')).toEqual({
      error: 'token_endpoint_unavailable',
      message: 'The sign-in service did not answer.',
    });
    expect(log.entries.map((e) => [e.level, e.message])).toEqual([['error', 'request failed']]);
  });

  it.each([
    ['a 499: a warning', 499, 'warn'],
    ['a 500: an error', 500, 'error'],
  ])('logs an HttpError of %s', async (_name, status, level) => {
    const { result, log } = run(async () => Promise.reject(new HttpError(status, 'some_code', 'Shown.')));

    expect((await result).statusCode).toBe(status);
    expect(log.entries.map((e) => e.level)).toEqual([level]);
  });

  it.each([
    ['JSON', 'application/json'],
    ['JSON (no Accept)', undefined],
    ['HTML', 'text/html,application/xhtml+xml'],
  ])(
    'turns an unexpected error into the generic 500 (%s): its message is neither shown nor logged',
    async (_name, accept) => {
      const { result, log } = run(async () => Promise.reject(new Error(RAW)), accept ? { accept } : {});

      const response = await result;

      expect(response.statusCode).toBe(500);
      expect(response.body).toContain(INTERNAL_ERROR_MESSAGE);
      expect(response.body).not.toContain('ValidationException');
      expect(response.body).not.toContain('at-SECRET-123');
      expect(JSON.stringify(log.entries)).not.toContain('at-SECRET-123');
      expect(log.entries).toEqual([
        { level: 'error', message: 'request failed', extra: [{ error: [{ name: 'Error' }] }] },
      ]);
    },
  );

  it('answers an unexpected error to an API client with exactly the generic JSON body', async () => {
    const response = await run(async () => Promise.reject(new Error(RAW))).result;

    expect(response).toEqual({
      statusCode: 500,
      headers: { 'content-type': 'application/json; charset=utf-8', ...EXPECTED_HEADERS },
      cookies: [],
      body: JSON.stringify({ error: 'internal_error', message: INTERNAL_ERROR_MESSAGE }),
    });
  });

  it.each([
    [
      'a 4xx',
      badRequest('bad', 'Not <accepted> & "quoted".'),
      400,
      'Request not accepted',
      'Not &lt;accepted&gt; &amp; &quot;quoted&quot;.',
    ],
    ['a 5xx', new HttpError(504, 'slow', 'Too slow.'), 504, 'Service error', 'Too slow.'],
    ['an unexpected error', new Error(RAW), 500, 'Service error', INTERNAL_ERROR_MESSAGE],
  ])(
    'shows a browser (Accept: text/html) an escaped page for %s',
    async (_name, thrown, status, title, message) => {
      const response = await run(async () => Promise.reject(thrown), { accept: 'text/html' }).result;

      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(response.body).toContain(`<title>${title}</title>`);
      expect(response.body).toContain(`<p>${message}</p>`);
      expect(response.body).not.toContain('<accepted>');
    },
  );
});
