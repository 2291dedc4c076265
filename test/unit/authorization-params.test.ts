/**
 * The rules of definitions/authorization-params.ts (checklist J32), the config loader's use of them
 * (OAUTH_AUTHORIZATION_PARAMS), the per-login allowlist of /login's query, and where a silent login
 * the AS could not complete sends the browser (still a same-origin path, checklist D11, J29).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BACKEND_OWNED_PARAMS,
  PER_LOGIN_PARAMS,
  perLoginParamProblem,
  SILENT_LOGIN_ERRORS,
  staticAuthorizationParamsProblems,
} from '../../lambdas/shared/definitions/authorization-params.js';
import { isSameOriginPath } from '../../lambdas/shared/definitions/urls.js';
import { HttpError } from '../../lambdas/shared/http/errors.js';
import { loginParamsFrom } from '../../lambdas/shared/http/login-params.js';
import { safeReturnTo, silentLoginReturnTo } from '../../lambdas/shared/http/return-to.js';
import { ConfigError, loadConfig } from '../../lambdas/shared/platform/config.js';

const BASE_ENV = {
  OAUTH_ISSUER: 'https://issuer.example.com',
  OAUTH_CLIENT_ID: 'client',
  OAUTH_CLIENT_SECRET: 'secret',
  OAUTH_REDIRECT_URI: 'https://app.example.com/redirect',
  TABLE_NAME: 'table',
  TOKEN_ENCRYPTION_KEY: Buffer.alloc(32, 1).toString('base64'),
};

describe('per-login parameters', () => {
  it.each([
    ['prompt', 'none'],
    ['prompt', 'login'],
    ['prompt', 'consent'],
    ['prompt', 'select_account'],
    ['prompt', 'login consent'],
    ['prompt', 'select_account consent login'],
    ['login_hint', 'alice@example.com'],
    ['login_hint', 'Zoë +41 79 000 00 00'],
    ['ui_locales', 'de-CH fr-CA en'],
    ['ui_locales', 'zh-Hant-TW'],
    ['acr_values', 'urn:mace:incommon:iap:silver'],
    ['acr_values', 'phr phrh'],
    ['max_age', '0'],
    ['max_age', '3600'],
    ['max_age', String(366 * 86_400)],
  ] as const)('accepts %s=%j', (name, value) => {
    expect(perLoginParamProblem(name, value)).toBeUndefined();
  });

  it.each([
    ['prompt', 'none login', /alone/],
    ['prompt', 'consent consent', /repeat/],
    ['prompt', 'create'],
    ['prompt', 'Login'],
    ['prompt', 'login  consent'],
    ['login_hint', ''],
    ['login_hint', 'a\nb'],
    ['login_hint', 'x'.repeat(257)],
    ['ui_locales', 'en-'],
    ['ui_locales', 'verylonglang'],
    ['acr_values', 'a b c d e f g h i j k'],
    ['acr_values', 'a\\b'],
    ['max_age', '-5'],
    ['max_age', '+5'],
    ['max_age', '5s'],
    ['max_age', '007'],
    ['max_age', String(366 * 86_400 + 1)],
  ] as const)('refuses %s=%j', (name, value, message?: RegExp) => {
    const problem = perLoginParamProblem(name, value);
    expect(problem).toBeDefined();
    if (message) expect(problem).toMatch(message);
  });

  it('takes only the allowlist from a query and ignores the rest, the backend-owned ones included', () => {
    const query = new Map<string, string>([
      ...BACKEND_OWNED_PARAMS.map((name) => [name, 'x'] as [string, string]),
      ['prompt', 'login'],
      ['max_age', '60'],
      ['returnTo', '/app'],
      ['audience', 'https://evil.example'],
    ]);
    expect(loginParamsFrom(query)).toEqual({ prompt: 'login', max_age: '60' });
  });

  it('refuses a bad allowlisted value with a 400 that names the parameter', () => {
    for (const name of PER_LOGIN_PARAMS) {
      let caught: unknown;
      try {
        loginParamsFrom(new Map([[name, '\u0000 bad \u0000 value with "quotes" 01']]));
      } catch (error) {
        caught = error;
      }
      expect(caught, name).toBeInstanceOf(HttpError);
      expect((caught as HttpError).status).toBe(400);
      expect((caught as HttpError).publicMessage).toContain(name);
    }
  });
});

describe('static parameters (authorizationParams, OAUTH_AUTHORIZATION_PARAMS)', () => {
  it('accepts an Auth0 audience, an RFC 8707 resource and allowlisted names with valid values', () => {
    expect(
      staticAuthorizationParamsProblems({
        audience: 'https://api.example.com',
        resource: 'https://api.example.com/orders',
        ui_locales: 'de',
        organization: 'org_123',
      }),
    ).toEqual([]);
  });

  it.each(BACKEND_OWNED_PARAMS)('refuses "%s", naming it', (name) => {
    const problems = staticAuthorizationParamsProblems({ [name]: 'x' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(`"${name}"`);
  });

  it.each([
    ['a non-string value', { audience: 42 }, /"audience" must be a string/],
    ['an empty value', { audience: '' }, /"audience" must be 1-1024/],
    ['a control character', { audience: 'a\r\nb' }, /"audience"/],
    ['a bad name', { 'a b': 'x' }, /not a parameter name/],
    ['a bad allowlisted value', { prompt: 'none login' }, /"prompt"/],
    ['too many', Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, 'x'])), /at most 20/],
  ])('refuses %s', (_name, params, message) => {
    expect(staticAuthorizationParamsProblems(params).join('; ')).toMatch(message);
  });

  it('is read by the config loader from a JSON object of strings', () => {
    const config = loadConfig({
      ...BASE_ENV,
      OAUTH_AUTHORIZATION_PARAMS: '{"audience":"https://api.example.com"}',
    });
    expect(config.authorizationParams).toEqual({ audience: 'https://api.example.com' });
    expect(loadConfig(BASE_ENV).authorizationParams).toEqual({});
  });

  it.each([
    ['not JSON', '{audience:1}', /OAUTH_AUTHORIZATION_PARAMS must be a JSON object of strings/],
    ['an array', '["audience"]', /JSON object of strings/],
    ['a backend-owned parameter', '{"state":"x","redirect_uri":"https://evil"}', /"state".*"redirect_uri"/],
    ['a number value', '{"audience":1}', /"audience" must be a string/],
  ])('makes the config loader refuse %s, naming it', (_name, value, message) => {
    let caught: unknown;
    try {
      loadConfig({ ...BASE_ENV, OAUTH_AUTHORIZATION_PARAMS: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).message).toMatch(message);
  });
});

describe('silentLoginReturnTo', () => {
  it.each([
    ['/', '/?silent_login=login_required'],
    ['/app', '/app?silent_login=login_required'],
    ['/app?tab=2', '/app?tab=2&silent_login=login_required'],
    ['/app?', '/app?silent_login=login_required'],
    ['/app?tab=2#top', '/app?tab=2&silent_login=login_required#top'],
    ['/app#/route?x', '/app?silent_login=login_required#/route?x'],
    ['/??', '/??&silent_login=login_required'],
    ['/a?b?', '/a?b?&silent_login=login_required'],
  ])('adds the parameter to %s', (returnTo, expected) => {
    expect(silentLoginReturnTo(returnTo, 'login_required', '/home')).toBe(expected);
  });

  it('returns a same-origin path for any returnTo that passed safeReturnTo, and any silent error (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.webPath(),
          fc.webUrl().map((u) => new URL(u).pathname + new URL(u).search + new URL(u).hash),
        ),
        fc.constantFrom(...SILENT_LOGIN_ERRORS),
        (candidate, error) => {
          const returnTo = safeReturnTo(candidate, '/');
          const location = silentLoginReturnTo(returnTo, error, '/');
          expect(isSameOriginPath(location), location).toBe(true);
          expect(new URL(location, 'https://app.example').searchParams.getAll('silent_login')).toContain(
            error,
          );
        },
      ),
      { numRuns: 2000 },
    );
  });
});
