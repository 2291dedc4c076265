import type { ClientAuthMethod } from '../../lambdas/shared/definitions/env.js';
import { sha256 } from '../../lambdas/shared/domain/crypto.js';
import { makeLoginHandler } from '../../lambdas/shared/flows/login.js';
import { makeLogoutHandler } from '../../lambdas/shared/flows/logout.js';
import { makeRedirectHandler } from '../../lambdas/shared/flows/redirect.js';
import { makeRefreshHandler } from '../../lambdas/shared/flows/refresh.js';
import { makeSessionHandler } from '../../lambdas/shared/flows/session.js';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { httpHandler } from '../../lambdas/shared/http/error-boundary.js';
import type { ClientSecretSource } from '../../lambdas/shared/platform/secrets.js';
import {
  type DevAuthorizationServer,
  startDevAuthorizationServer,
} from '../../local/dev-authorization-server.js';
import { type HttpLambda, startApiServer } from '../../local/http-adapter.js';
import { authorizeAtAs } from './as-driver.js';
import { createTestBackend, type TestBackend } from './backend.js';
import { CookieJar, jarFetch } from './cookie-jar.js';

const SESSION_COOKIE = cookieNames().session;

export interface HarnessOptions {
  readonly authMethod?: ClientAuthMethod;
  readonly clientSecret?: string;
  readonly scope?: string;
  readonly rotateRefreshToken?: boolean;
  readonly accessTokenTtlSeconds?: number;
  /** Replaces the client secret source built from the config (e.g. to simulate a rotation). */
  readonly secrets?: ClientSecretSource;
  readonly env?: Readonly<Record<string, string>>;
  /** More routes to serve, keyed like API Gateway route keys (`ANY /api/x/{proxy+}`), built from the deps. */
  readonly extraRoutes?: (deps: TestBackend['deps']) => ReadonlyMap<string, HttpLambda>;
}

export interface Harness extends Omit<TestBackend, 'destroy'> {
  readonly url: string;
  readonly redirectUri: string;
  readonly as: DevAuthorizationServer;
  /** Runs the scheduled refresh handler once. */
  refresh: ReturnType<typeof makeRefreshHandler>;
  /** GET /login then the AS's pages; returns the callback URL without requesting it. */
  authorize(jar: CookieJar, options?: { returnTo?: string; abort?: boolean }): Promise<string>;
  /** A whole login; returns the session cookie value. */
  login(jar?: CookieJar): Promise<{ jar: CookieJar; sessionId: string }>;
  stop(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const api = await startApiServer(0);
  const redirectUri = `${api.url}/redirect`;
  const clientSecret = options.clientSecret ?? 'test-secret';
  const authMethod = options.authMethod ?? 'client_secret_basic';
  const as = await startDevAuthorizationServer({
    clients: [{ clientId: 'test-client', clientSecret, redirectUris: [redirectUri], authMethod }],
    rotateRefreshToken: options.rotateRefreshToken ?? false,
    ...(options.accessTokenTtlSeconds ? { accessTokenTtlSeconds: options.accessTokenTtlSeconds } : {}),
  });
  const backend = await createTestBackend({
    OAUTH_ISSUER: as.issuer,
    OAUTH_CLIENT_ID: 'test-client',
    OAUTH_CLIENT_SECRET: clientSecret,
    OAUTH_CLIENT_AUTH_METHOD: authMethod,
    OAUTH_SCOPE: options.scope ?? 'openid profile',
    OAUTH_REDIRECT_URI: redirectUri,
    ...options.env,
  });
  const deps = options.secrets ? { ...backend.deps, secrets: options.secrets } : backend.deps;
  api.mount(
    new Map<string, HttpLambda>([
      ['GET /login', httpHandler(makeLoginHandler(deps)) as HttpLambda],
      ['GET /redirect', httpHandler(makeRedirectHandler(deps)) as HttpLambda],
      ['GET /session', httpHandler(makeSessionHandler(deps)) as HttpLambda],
      ['POST /logout', httpHandler(makeLogoutHandler(deps)) as HttpLambda],
      ...(options.extraRoutes?.(deps) ?? []),
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
    ...backend,
    deps,
    url: api.url,
    redirectUri,
    as,
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
      backend.destroy();
    },
  };
}

export const sessionKey = (sessionId: string) => sha256(sessionId);
