/**
 * The real handlers on a local HTTP server that plays API Gateway, each route at its path in ROUTES
 * and wired by the production wiring (lambdas/wiring.ts) with the test's clock, DynamoDB client and
 * meter, against the run's DynamoDB Local and oidc-provider on 127.0.0.1 (or, with explicit
 * endpoints in `env`, a fake token endpoint).
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
import type { ClientSecretSource } from '../../lambdas/shared/platform/secrets.js';
import { createLoginDeps, createLogoutDeps, createSessionDeps } from '../../lambdas/wiring.js';
import { createBackchannelLogoutDeps } from '../../lambdas/wiring-backchannel-logout.js';
import {
  type DevAuthorizationServer,
  startDevAuthorizationServer,
} from '../../local/dev-authorization-server.js';
import { type HttpLambda, startApiServer } from '../../local/http-adapter.js';
import { authorizeAtAs } from './as-driver.js';
import { createTestBackend, type TestBackend } from './backend.js';
import { CookieJar, jarFetch } from './cookie-jar.js';
import { present } from './present.js';

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
  /**
   * More routes to serve, keyed like API Gateway route keys (`ANY /api/x/{proxy+}`), built from the
   * deps. One with the key of a harness route replaces it (e.g. to watch what reaches `routes[name]`).
   */
  readonly extraRoutes?: (
    deps: TestBackend['deps'],
    routes: Readonly<Record<RouteName, HttpLambda>>,
  ) => ReadonlyMap<string, HttpLambda>;
}

export interface AuthorizeOptions {
  /** `returnTo` of GET /login. */
  readonly returnTo?: string;
  /** More of GET /login's query, raw (e.g. `prompt=none&login_hint=x`). */
  readonly query?: string;
  /** Who signs in at the AS's login page (default alice). */
  readonly user?: string;
  /** Cancel at the AS's login page: the callback carries `error=access_denied`. */
  readonly abort?: boolean;
  /**
   * Skip the AS's pages and return the callback an AS would send with this code: for a backend
   * pointed at a fake token endpoint (`env` with explicit endpoints), which has no pages.
   */
  readonly code?: string;
}

/** A login up to the callback, which is not requested yet. */
export interface Authorization {
  /** Where GET /login sent the browser: state, nonce, PKCE challenge, redirect_uri. */
  readonly authorizationUrl: URL;
  readonly state: string;
  /** Our redirect URI with code (or error), state and, from the dev AS, iss. */
  readonly callbackUrl: string;
}

export interface Harness extends Omit<TestBackend, 'destroy'> {
  readonly url: string;
  readonly redirectUri: string;
  /** Where the dev AS sends back-channel logout tokens (it is registered for this client). */
  readonly backchannelLogoutUri: string;
  readonly as: DevAuthorizationServer;
  /** The AS's private signing key (RSA, JWK, `kid` "dev"): tests sign tokens the AS's keys verify. */
  readonly signingKey: JsonWebKey;
  /** The URL of a route, e.g. `h.route('session')`. */
  route(name: RouteName): string;
  /** Runs the scheduled refresh handler once. */
  refresh: ReturnType<typeof makeRefreshHandler>;
  /** GET /login, then the AS's pages (or, with `code`, no AS at all), up to the callback. The one way tests start a login. */
  authorize(jar: CookieJar, options?: AuthorizeOptions): Promise<Authorization>;
  /** A whole login (authorize, then the callback); returns the session cookie value. */
  login(
    jar?: CookieJar,
    options?: Pick<AuthorizeOptions, 'code' | 'query' | 'user'>,
  ): Promise<{ jar: CookieJar; sessionId: string }>;
  /** The stored session behind a session cookie value. */
  sessionOf(sessionId: string): ReturnType<TestBackend['store']['getSession']>;
  stop(): Promise<void>;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const api = await startApiServer(0);
  const route = (name: RouteName) => `${api.url}${ROUTES[name].path}`;
  const redirectUri = route('redirect');
  const clientSecret = options.clientSecret ?? 'test-secret';
  const authMethod = options.authMethod ?? 'client_secret_basic';
  const backchannelLogoutUri = route('backchannelLogout');
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
  const { config, wiring } = backend;
  const deps = options.secrets ? { ...backend.deps, secrets: options.secrets } : backend.deps;
  // Each route with its own wiring, as its Lambda has it; one meter records them all.
  const handlers: Record<RouteName, HttpLambda> = {
    login: httpHandler(
      makeLoginHandler({ ...createLoginDeps(config, wiring), meter: deps.meter }),
    ) as HttpLambda,
    redirect: httpHandler(makeRedirectHandler(deps)) as HttpLambda,
    session: httpHandler(makeSessionHandler(createSessionDeps(config, wiring))) as HttpLambda,
    logout: httpHandler(
      makeLogoutHandler({ ...createLogoutDeps(config, wiring), secrets: deps.secrets, meter: deps.meter }),
    ) as HttpLambda,
    backchannelLogout: httpHandler(
      makeBackchannelLogoutHandler({ ...createBackchannelLogoutDeps(config, wiring), meter: deps.meter }),
    ) as HttpLambda,
  };
  api.mount(
    new Map<string, HttpLambda>([
      ...ROUTE_NAMES.map((name) => [`${ROUTES[name].method} ${ROUTES[name].path}`, handlers[name]] as const),
      ...(options.extraRoutes?.(deps, handlers) ?? []),
    ]),
  );

  const authorize: Harness['authorize'] = async (jar, o = {}) => {
    const params = [
      ...(o.returnTo === undefined ? [] : [`returnTo=${encodeURIComponent(o.returnTo)}`]),
      ...(o.query ? [o.query] : []),
    ];
    const query = params.length === 0 ? '' : `?${params.join('&')}`;
    const login = await jarFetch(jar, `${route('login')}${query}`);
    if (login.status !== 302) throw new Error(`GET /login answered ${login.status}: ${await login.text()}`);
    const authorizationUrl = new URL(present(login.headers.get('location'), 'the authorization URL'));
    const state = present(authorizationUrl.searchParams.get('state'), 'state');
    if (o.code !== undefined) {
      const callback = new URL(redirectUri);
      callback.searchParams.set('code', o.code);
      callback.searchParams.set('state', state);
      return { authorizationUrl, state, callbackUrl: callback.href };
    }
    const { callbackUrl } = await authorizeAtAs(jar, authorizationUrl.href, redirectUri, {
      abort: o.abort ?? false,
      ...(o.user === undefined ? {} : { user: o.user }),
    });
    return { authorizationUrl, state, callbackUrl };
  };

  return {
    ...backend,
    deps,
    url: api.url,
    redirectUri,
    backchannelLogoutUri,
    as,
    signingKey,
    route,
    refresh: makeRefreshHandler(deps),
    authorize,
    async login(jar = new CookieJar(), o = {}) {
      const { callbackUrl } = await authorize(jar, o);
      const response = await jarFetch(jar, callbackUrl);
      if (response.status !== 302)
        throw new Error(`login failed: ${response.status} ${await response.text()}`);
      const sessionId = present(jar.get(api.url, SESSION_COOKIE), 'a session cookie');
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
