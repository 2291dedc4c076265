/**
 * Every route of ROUTES (keyed, so a new route does not compile here until it is mounted) through
 * the real flows, on a local HTTP server that plays API Gateway, against DynamoDB Local and the dev
 * authorization server with back-channel logout to this backend. The login helpers drive the AS's
 * own pages; `signingKey` lets a test sign tokens the AS's published keys verify.
 */
import { generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import type { ClientAuthMethod } from '../../lambdas/shared/definitions/env.js';
import { ROUTE_NAMES, ROUTES, type RouteName } from '../../lambdas/shared/definitions/routes.js';
import { sha256 } from '../../lambdas/shared/domain/crypto.js';
import { makeBackchannelLogoutHandler } from '../../lambdas/shared/flows/backchannel-logout.js';
import { makeLoginHandler } from '../../lambdas/shared/flows/login.js';
import { makeLogoutHandler } from '../../lambdas/shared/flows/logout.js';
import { makeRedirectHandler } from '../../lambdas/shared/flows/redirect.js';
import { makeRefreshHandler } from '../../lambdas/shared/flows/refresh.js';
import { makeSessionHandler } from '../../lambdas/shared/flows/session.js';
import { cookieNames } from '../../lambdas/shared/http/cookies.js';
import { httpHandler } from '../../lambdas/shared/http/error-boundary.js';
import {
  type DevAuthorizationServer,
  startDevAuthorizationServer,
} from '../../local/dev-authorization-server.js';
import { type HttpLambda, startApiServer } from '../../local/http-adapter.js';
import { authorizeAtAs } from './as-driver.js';
import { createTestBackend, type TestBackend } from './backend.js';
import { CookieJar, jarFetch } from './cookie-jar.js';

const SESSION_COOKIE = cookieNames().session;

export interface RouteHarnessOptions {
  readonly authMethod?: ClientAuthMethod;
  readonly scope?: string;
  /** More handler variables (e.g. OAUTH_AUTHORIZATION_PARAMS). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface RouteHarness extends Omit<TestBackend, 'destroy'> {
  readonly url: string;
  readonly redirectUri: string;
  readonly backchannelLogoutUri: string;
  readonly as: DevAuthorizationServer;
  /** The AS's private signing key (RSA, JWK, `kid` "dev"). */
  readonly signingKey: JsonWebKey;
  refresh: ReturnType<typeof makeRefreshHandler>;
  /**
   * GET /login?<query> then the AS's pages as `user`; returns the callback URL without requesting it.
   */
  authorize(jar: CookieJar, options?: { query?: string; user?: string }): Promise<string>;
  /** A whole login as `user`; returns the jar and the session cookie value. */
  login(options?: {
    jar?: CookieJar;
    user?: string;
    query?: string;
  }): Promise<{ jar: CookieJar; sessionId: string }>;
  /** The stored session behind a session cookie value. */
  sessionOf(sessionId: string): ReturnType<TestBackend['store']['getSession']>;
  stop(): Promise<void>;
}

export async function startRouteHarness(options: RouteHarnessOptions = {}): Promise<RouteHarness> {
  const api = await startApiServer(0);
  const redirectUri = `${api.url}${ROUTES.redirect.path}`;
  const backchannelLogoutUri = `${api.url}${ROUTES.backchannelLogout.path}`;
  const clientSecret = 'route-harness-secret';
  const authMethod = options.authMethod ?? 'client_secret_basic';
  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const as = await startDevAuthorizationServer({
    clients: [
      {
        clientId: 'test-client',
        clientSecret,
        redirectUris: [redirectUri],
        postLogoutRedirectUris: [`${api.url}/`],
        backchannelLogoutUri,
        authMethod,
      },
    ],
    signingKey,
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
  const { deps } = backend;
  const factories: Record<RouteName, () => unknown> = {
    login: () => makeLoginHandler(deps),
    redirect: () => makeRedirectHandler(deps),
    session: () => makeSessionHandler(deps),
    logout: () => makeLogoutHandler(deps),
    backchannelLogout: () => makeBackchannelLogoutHandler(deps),
  };
  api.mount(
    new Map<string, HttpLambda>(
      ROUTE_NAMES.map((name) => [
        `${ROUTES[name].method} ${ROUTES[name].path}`,
        httpHandler(factories[name]() as Parameters<typeof httpHandler>[0]) as HttpLambda,
      ]),
    ),
  );

  const authorize: RouteHarness['authorize'] = async (jar, o = {}) => {
    const query = o.query ? `?${o.query}` : '';
    const { callbackUrl } = await authorizeAtAs(jar, `${api.url}${ROUTES.login.path}${query}`, redirectUri, {
      ...(o.user ? { user: o.user } : {}),
    });
    return callbackUrl;
  };

  return {
    ...backend,
    url: api.url,
    redirectUri,
    backchannelLogoutUri,
    as,
    signingKey,
    refresh: makeRefreshHandler(deps),
    authorize,
    async login(o = {}) {
      const jar = o.jar ?? new CookieJar();
      const response = await jarFetch(
        jar,
        await authorize(jar, { ...(o.user ? { user: o.user } : {}), ...(o.query ? { query: o.query } : {}) }),
      );
      if (response.status !== 302)
        throw new Error(`login failed: ${response.status} ${await response.text()}`);
      const sessionId = jar.get(api.url, SESSION_COOKIE);
      if (!sessionId) throw new Error('no session cookie');
      return { jar, sessionId };
    },
    sessionOf: (sessionId) => backend.store.getSession(sha256(sessionId)),
    async stop() {
      await api.close();
      await as.stop();
      backend.destroy();
    },
  };
}
