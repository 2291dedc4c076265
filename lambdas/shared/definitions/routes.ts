/**
 * The HTTP routes, the Lambda entry file behind each, and the scheduled refresh function, defined
 * once for the construct (lib/) and the local stack (local/), so the two can never disagree on
 * what serves what. Keyed, so that code naming a route (the construct's `loginFunction`, its
 * permissions, its reasons for having no authorizer) is checked by the compiler.
 */
export interface FunctionDefinition {
  /** Construct id of the function, and the name its metrics and logs carry. */
  readonly id: string;
  /** Entry file under lambdas/, without extension. */
  readonly entry: string;
}

export interface RouteDefinition extends FunctionDefinition {
  readonly method: 'GET' | 'POST';
  /** The path under the construct's `pathPrefix`. */
  readonly path: string;
}

export const ROUTES = {
  login: { id: 'Login', method: 'GET', path: '/login', entry: 'login' },
  redirect: { id: 'Redirect', method: 'GET', path: '/redirect', entry: 'redirect' },
  session: { id: 'Session', method: 'GET', path: '/session', entry: 'session' },
  logout: { id: 'Logout', method: 'POST', path: '/logout', entry: 'logout' },
  /** OIDC Back-Channel Logout 1.0: the authorization server posts a logout token here. */
  backchannelLogout: {
    id: 'BackchannelLogout',
    method: 'POST',
    path: '/backchannel-logout',
    entry: 'backchannel-logout',
  },
} as const satisfies Record<string, RouteDefinition>;

export type RouteName = keyof typeof ROUTES;

/** The routes in a fixed order (login, redirect, session, logout, backchannelLogout), for iterating. */
export const ROUTE_NAMES = Object.keys(ROUTES) as readonly RouteName[];
export const ROUTE_LIST: readonly RouteDefinition[] = ROUTE_NAMES.map((name) => ROUTES[name]);

/** The scheduled refresh function. */
export const REFRESH_FUNCTION = { id: 'Refresh', entry: 'refresh' } as const satisfies FunctionDefinition;

/**
 * The API proxy function: serves `ANY <path>` and `ANY <path>/{proxy+}` of every configured API
 * route (definitions/api-routes.ts); created only when there are API routes.
 */
export const API_PROXY_FUNCTION = {
  id: 'ApiProxy',
  entry: 'api-proxy',
} as const satisfies FunctionDefinition;

/** The functions every backend deploys: the routes, then refresh. */
export const CORE_FUNCTION_ENTRIES: readonly string[] = [
  ...ROUTE_LIST.map((r) => r.entry),
  REFRESH_FUNCTION.entry,
];

/** Every function's entry, what gets bundled: the core ones, then the API proxy (deployed with `apiRoutes`). */
export const FUNCTION_ENTRIES: readonly string[] = [...CORE_FUNCTION_ENTRIES, API_PROXY_FUNCTION.entry];
