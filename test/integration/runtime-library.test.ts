/**
 * The embedding app's side: a Lambda handler of "the app" uses `serverless-oauth-bff/runtime`
 * (lambdas/runtime.ts) with the environment `grantSessionAccess` sets, against DynamoDB Local and
 * the dev AS, and calls the AS's userinfo endpoint with the access token it gets.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { type Harness, startHarness } from '../support/harness.js';

describe('the runtime library in an app Lambda', () => {
  let h: Harness;
  let appHandler: (
    event: Pick<APIGatewayProxyEventV2, 'cookies'>,
  ) => Promise<{ statusCode: number; body?: string }>;

  beforeAll(async () => {
    // Access tokens live 30 s: within the library's 60 s skew, so every call refreshes on demand.
    h = await startHarness({ accessTokenTtlSeconds: 30, rotateRefreshToken: true });
    const key = h.config.tokenKey;
    Object.assign(process.env, {
      OAUTH_ISSUER: h.as.issuer,
      OAUTH_CLIENT_ID: 'test-client',
      OAUTH_CLIENT_SECRET: 'test-secret',
      OAUTH_SCOPE: 'openid profile',
      OAUTH_REDIRECT_URI: h.redirectUri,
      TABLE_NAME: h.tableName,
      TOKEN_ENCRYPTION_KEY: key.kind === 'local' ? key.key.toString('base64') : '',
    });
    const { getAccessToken, getSession } = await import('../../lambdas/runtime.js');
    // What an app's handler looks like.
    appHandler = async (event) => {
      const user = await getSession(event);
      if (!user) return { statusCode: 401 };
      const token = await getAccessToken(event);
      if (!token) return { statusCode: 401 };
      const userinfo = await fetch(`${h.as.issuer}/me`, { headers: { authorization: `Bearer ${token}` } });
      return {
        statusCode: userinfo.status,
        body: JSON.stringify({ sub: user.sub, userinfo: await userinfo.json() }),
      };
    };
  });
  afterAll(() => h.stop());

  it('reads the session and gets a working access token, refreshed on demand', async () => {
    const { sessionId } = await h.login();
    const event = { cookies: [`${cookieNames().session}=${sessionId}`] };
    const first = await appHandler(event);
    expect(first.statusCode).toBe(200);
    expect(JSON.parse(first.body ?? '{}')).toMatchObject({ sub: 'alice', userinfo: { sub: 'alice' } });
    expect(h.as.stats.granted.refresh_token).toBe(1);
    const second = await appHandler(event);
    expect(second.statusCode).toBe(200);
    expect(h.as.stats.granted.refresh_token).toBe(2);
    expect(h.as.stats.failed).toEqual({});
  });

  it('answers 401 without a session', async () => {
    expect((await appHandler({ cookies: [] })).statusCode).toBe(401);
    expect((await appHandler({ cookies: [`${cookieNames().session}=${'x'.repeat(43)}`] })).statusCode).toBe(
      401,
    );
  });
});
