/**
 * The HTTP routes and the Lambda entry file behind each, defined once for the construct (lib/) and
 * the local stack (local/), so the two can never disagree on what serves what.
 */
export interface RouteDefinition {
  /** Construct id of the function, and the name its metrics and logs carry. */
  readonly id: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  /** Entry file under lambdas/, without extension. */
  readonly entry: string;
}

export const ROUTES: readonly RouteDefinition[] = [
  { id: 'Login', method: 'GET', path: '/login', entry: 'login' },
  { id: 'Redirect', method: 'GET', path: '/redirect', entry: 'redirect' },
  { id: 'Session', method: 'GET', path: '/session', entry: 'session' },
  { id: 'Logout', method: 'POST', path: '/logout', entry: 'logout' },
];

/** The scheduled refresh function's entry file under lambdas/. */
export const REFRESH_ENTRY = 'refresh';
