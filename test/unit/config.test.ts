import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../lambdas/shared/platform/config.js';

const valid = {
  OAUTH_ISSUER: 'https://login.example.com',
  OAUTH_CLIENT_ID: 'client',
  OAUTH_CLIENT_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:oauth-abc',
  OAUTH_REDIRECT_URI: 'https://api.example.com/redirect',
  TABLE_NAME: 'table',
  TOKEN_KMS_KEY_ID: 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};

function problems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('loadConfig', () => {
  it('reads a complete configuration with its defaults', () => {
    const config = loadConfig(valid);
    expect(config.authorizationServer).toEqual({ kind: 'discovery', issuer: new URL(valid.OAUTH_ISSUER) });
    expect(config.clientSecret).toEqual({ kind: 'secrets-manager', arn: valid.OAUTH_CLIENT_SECRET_ARN });
    expect(config.clientAuthMethod).toBe('client_secret_basic');
    expect(config.scope).toBe('openid');
    expect(config.refreshBeforeExpirySeconds).toBe(300);
    expect(config.loginTimeoutSeconds).toBe(600);
    expect(config.postLoginPath).toBe('/');
  });

  it('names every missing variable in one error', () => {
    expect(problems({})).toEqual([
      'OAUTH_ISSUER (or OAUTH_AUTHORIZATION_ENDPOINT and OAUTH_TOKEN_ENDPOINT) is required',
      'OAUTH_CLIENT_ID is required',
      'OAUTH_CLIENT_SECRET_ARN (deployed) or OAUTH_CLIENT_SECRET (local) is required',
      'OAUTH_REDIRECT_URI is required',
      'TABLE_NAME is required',
      'TOKEN_KMS_KEY_ID (deployed) or TOKEN_ENCRYPTION_KEY (local) is required',
    ]);
    expect(() => loadConfig({})).toThrow(/OAUTH_CLIENT_ID is required; .*TABLE_NAME is required/);
  });

  it.each([
    [{ OAUTH_ISSUER: 'http://login.example.com' }, 'OAUTH_ISSUER must use https'],
    [{ OAUTH_ISSUER: 'not a url' }, 'OAUTH_ISSUER is not a URL'],
    [{ OAUTH_CLIENT_AUTH_METHOD: 'private_key_jwt' }, 'OAUTH_CLIENT_AUTH_METHOD must be one of'],
    [{ OAUTH_CLIENT_SECRET: 'x' }, 'set only one of OAUTH_CLIENT_SECRET_ARN and OAUTH_CLIENT_SECRET'],
    [{ OAUTH_REDIRECT_URI: 'https://api.example.com/redirect?x=1' }, 'OAUTH_REDIRECT_URI must have no query'],
    [{ REFRESH_BEFORE_EXPIRY_SECONDS: '-5' }, 'REFRESH_BEFORE_EXPIRY_SECONDS must be an integer'],
    [{ LOGIN_TIMEOUT_SECONDS: '5' }, 'LOGIN_TIMEOUT_SECONDS must be an integer from 30'],
    [{ OAUTH_HTTP_TIMEOUT_MS: '1.5' }, 'OAUTH_HTTP_TIMEOUT_MS must be an integer'],
    [{ OAUTH_SCOPE: 'openid "quoted"' }, 'OAUTH_SCOPE must be space-separated scope tokens'],
    [{ POST_LOGIN_PATH: '//evil.example' }, 'POST_LOGIN_PATH must be a same-origin path'],
    [{ OAUTH_TOKEN_ENDPOINT: 'https://login.example.com/token' }, 'must be set together'],
    [
      { TOKEN_ENCRYPTION_KEY: Buffer.alloc(32).toString('base64') },
      'set only one of TOKEN_KMS_KEY_ID and TOKEN_ENCRYPTION_KEY',
    ],
    [{ ALLOWED_ORIGINS: 'https://app.example.com/path' }, 'ALLOWED_ORIGINS must list bare origins'],
    [{ COOKIE_PREFIX: 'bad prefix' }, 'COOKIE_PREFIX must be 1-32 characters'],
    [{ LOGOUT_ID_TOKEN_HINT: 'yes' }, 'LOGOUT_ID_TOKEN_HINT must be one of'],
  ])('rejects %o', (override, message) => {
    expect(problems({ ...valid, ...override }).join('\n')).toContain(message);
  });

  it.each([
    ['unset', {}, false],
    ['false', { LOGOUT_ID_TOKEN_HINT: 'false' }, false],
    ['true', { LOGOUT_ID_TOKEN_HINT: 'true' }, true],
  ])('reads LOGOUT_ID_TOKEN_HINT %s', (_name, override, expected) => {
    expect(loadConfig({ ...valid, ...override }).logoutIdTokenHint).toBe(expected);
  });

  it.each([
    'http://127.0.0.1:4000',
    'http://127.10.200.3:4000',
    'http://localhost:4000',
    'http://[::1]:4000',
  ])('allows plain http for the loopback issuer %s', (issuer) => {
    expect(problems({ ...valid, OAUTH_ISSUER: issuer })).toEqual([]);
  });

  it.each(['http://127.0.0.1.evil.example', 'http://127.0.0.1x', 'http://login.example.com'])(
    'refuses plain http for the issuer %s, which is not loopback',
    (issuer) => {
      expect(problems({ ...valid, OAUTH_ISSUER: issuer }).join('\n')).toContain(
        'OAUTH_ISSUER must use https',
      );
    },
  );

  it('takes explicit endpoints for a plain OAuth 2.0 server without discovery', () => {
    const { OAUTH_ISSUER: _, ...rest } = valid;
    const config = loadConfig({
      ...rest,
      OAUTH_AUTHORIZATION_ENDPOINT: 'https://as.example.com/authorize',
      OAUTH_TOKEN_ENDPOINT: 'https://as.example.com/token',
    });
    expect(config.authorizationServer.kind).toBe('explicit');
  });

  it('keeps a local client secret exactly as given', () => {
    const { OAUTH_CLIENT_SECRET_ARN: _, ...rest } = valid;
    expect(loadConfig({ ...rest, OAUTH_CLIENT_SECRET: ' a:b%c+d&e= ' }).clientSecret).toEqual({
      kind: 'env',
      value: ' a:b%c+d&e= ',
    });
  });
});
