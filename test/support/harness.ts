/**
 * Integration harness: the real handlers (the same factories the Lambda entry files wire) on an
 * HTTP server that plays API Gateway, a fresh table in the run's DynamoDB Local, and the dev
 * authorization server (oidc-provider) on 127.0.0.1. Time is injectable.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import type { Clock } from '../../lambdas/shared/clock.js';
import { type ClientAuthMethod, loadConfig } from '../../lambdas/shared/config.js';
import { cookieNames } from '../../lambdas/shared/cookies.js';

const SESSION_COOKIE = cookieNames().session;

import { sha256 } from '../../lambdas/shared/crypto.js';
import { createDocumentClient, createTable, DynamoStore } from '../../lambdas/shared/dynamo-store.js';
import { httpHandler } from '../../lambdas/shared/error-boundary.js';
import { logger } from '../../lambdas/shared/logger.js';
import { makeLoginHandler } from '../../lambdas/shared/login-flow.js';
import { makeLogoutHandler } from '../../lambdas/shared/logout-flow.js';
import { recordingMeter } from '../../lambdas/shared/metrics.js';
import { OAuthClient } from '../../lambdas/shared/oauth.js';
import { makeRedirectHandler } from '../../lambdas/shared/redirect-flow.js';
import { makeRefreshHandler } from '../../lambdas/shared/refresh-flow.js';
import { createClientSecretSource } from '../../lambdas/shared/secrets.js';
import { makeSessionHandler } from '../../lambdas/shared/session-flow.js';
import type { SessionTokens } from '../../lambdas/shared/store.js';
import { createTokenCipher } from '../../lambdas/shared/token-keys.js';
import {
  type DevAuthorizationServer,
  startDevAuthorizationServer,
} from '../../local/dev-authorization-server.js';
import { type HttpLambda, startApiServer } from '../../local/http-adapter.js';
import { authorizeAtAs } from './as-driver.js';
import { CookieJar, jarFetch } from './cookie-jar.js';

export interface HarnessOptions {
  readonly authMethod?: ClientAuthMethod;
  readonly clientSecret?: string;
  readonly scope?: string;
  readonly rotateRefreshToken?: boolean;
  readonly env?: Readonly<Record<string, string>>;
}

export interface Harness {
  readonly url: string;
  readonly redirectUri: string;
  readonly as: DevAuthorizationServer;
  readonly store: DynamoStore;
  readonly tableName: string;
  readonly dynamo: DynamoDBClient;
  /** Moves the handlers' clock forward. */
  advance(seconds: number): void;
  /** The decrypted tokens of a session, by its cookie value; undefined when gone or ended. */
  tokensOf(sessionId: string): Promise<SessionTokens | undefined>;
  /** Runs the scheduled refresh handler once. */
  refresh: ReturnType<typeof makeRefreshHandler>;
  /** GET /login then the AS's pages; returns the callback URL without requesting it. */
  authorize(jar: CookieJar, options?: { returnTo?: string; abort?: boolean }): Promise<string>;
  /** A whole login; returns the session cookie value. */
  login(jar?: CookieJar): Promise<{ jar: CookieJar; sessionId: string }>;
  stop(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamoEndpoint');
  const dynamo = new DynamoDBClient({});
  const tableName = `test-${randomUUID()}`;
  await createTable(dynamo, tableName);

  const api = await startApiServer(0);
  const redirectUri = `${api.url}/redirect`;
  const clientSecret = options.clientSecret ?? 'test-secret';
  const authMethod = options.authMethod ?? 'client_secret_basic';
  const as = await startDevAuthorizationServer({
    clients: [{ clientId: 'test-client', clientSecret, redirectUris: [redirectUri], authMethod }],
    rotateRefreshToken: options.rotateRefreshToken ?? false,
  });

  const config = loadConfig({
    OAUTH_ISSUER: as.issuer,
    OAUTH_CLIENT_ID: 'test-client',
    OAUTH_CLIENT_SECRET: clientSecret,
    OAUTH_CLIENT_AUTH_METHOD: authMethod,
    OAUTH_SCOPE: options.scope ?? 'openid profile',
    OAUTH_REDIRECT_URI: redirectUri,
    TABLE_NAME: tableName,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...options.env,
  });
  let offsetMs = 0;
  const clock: Clock = () => Date.now() + offsetMs;
  const store = new DynamoStore(createDocumentClient(dynamo), tableName, createTokenCipher(config));
  const oauth = new OAuthClient(config, { clock });
  const secrets = createClientSecretSource(config.clientSecret);
  const meter = recordingMeter();
  const deps = { config, store, oauth, secrets, clock, meter, log: logger };
  api.mount(
    new Map<string, HttpLambda>([
      ['GET /login', httpHandler(makeLoginHandler(deps)) as HttpLambda],
      ['GET /redirect', httpHandler(makeRedirectHandler(deps)) as HttpLambda],
      ['GET /session', httpHandler(makeSessionHandler(deps)) as HttpLambda],
      ['POST /logout', httpHandler(makeLogoutHandler(deps)) as HttpLambda],
    ]),
  );

  const authorize: Harness['authorize'] = async (jar, o = {}) => {
    const query = o.returnTo === undefined ? '' : `?returnTo=${encodeURIComponent(o.returnTo)}`;
    const { callbackUrl } = await authorizeAtAs(jar, `${api.url}/login${query}`, redirectUri, {
      abort: o.abort ?? false,
    });
    return callbackUrl;
  };

  return {
    url: api.url,
    redirectUri,
    as,
    store,
    tableName,
    dynamo,
    advance: (seconds) => {
      offsetMs += seconds * 1000;
    },
    async tokensOf(sessionId) {
      const session = await store.getSession(sha256(sessionId));
      return session?.sealedTokens ? store.openTokens(session) : undefined;
    },
    refresh: makeRefreshHandler(deps),
    authorize,
    async login(jar = new CookieJar()) {
      const response = await jarFetch(jar, await authorize(jar));
      if (response.status !== 302)
        throw new Error(`login failed: ${response.status} ${await response.text()}`);
      const sessionId = jar.get(api.url, SESSION_COOKIE);
      if (!sessionId) throw new Error('no session cookie');
      return { jar, sessionId };
    },
    async stop() {
      await api.close();
      await as.stop();
      dynamo.destroy();
    },
  };
}

export const sessionKey = (sessionId: string) => sha256(sessionId);
