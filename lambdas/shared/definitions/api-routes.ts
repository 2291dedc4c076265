/**
 * The API proxy's routes (README "API proxy"): which paths of the app's origin forward to which
 * upstream base URL. One validator for the construct (at synth, https only) and the config loader
 * (at cold start, loopback http allowed), naming every problem at once. Side-effect free.
 */
import { isUnreserved, withoutTrailingSlashes } from './chars.js';
import { isLoopbackHost } from './urls.js';

/** One proxied API: `path` on the app's origin forwards to `upstream`. */
export interface ApiRouteDefinition {
  /** An absolute path on the app's origin, e.g. `/api/orders` (not under `pathPrefix`). */
  readonly path: string;
  /** The upstream base URL, e.g. `https://orders.example.com/v1`. */
  readonly upstream: string;
}

/** A validated route: the upstream parsed, its base path without a trailing slash. */
export interface ApiRoute {
  readonly path: string;
  readonly upstream: URL;
}

/**
 * Literal path segments only: no `{parameters}`, no greedy paths, no dot segments, no trailing "/":
 * `/^(\/[A-Za-z0-9_~-][A-Za-z0-9._~-]*)+$/`, as a loop (definitions/chars.ts says why). Each segment
 * is unreserved characters, not starting with ".".
 */
export function isLiteralPath(path: string): boolean {
  if (path.length < 2 || path.charCodeAt(0) !== 0x2f) return false;
  let segmentStart = true;
  for (let i = 1; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x2f) {
      if (segmentStart) return false;
      segmentStart = true;
    } else if (isUnreserved(c) && !(segmentStart && c === 0x2e)) {
      segmentStart = false;
    } else {
      return false;
    }
  }
  return !segmentStart;
}
/** At most this many proxied APIs: each is two routes on the HTTP API (its quota is 300 routes). */
export const MAX_API_ROUTES = 20;

/** Whether one path covers the other: equal, or a prefix at a segment boundary. */
export function pathsOverlap(a: string, b: string): boolean {
  const [shorter, longer] = a.length <= b.length ? [a, b] : [b, a];
  return longer === shorter || longer.startsWith(`${shorter}/`) || shorter === '/';
}

export interface ApiRouteRules {
  /** Plain `http` for a loopback upstream (the local stack); the construct says no. */
  readonly allowLoopbackHttp: boolean;
  /** The backend's own route paths (login, redirect, ...), which no proxied path may cover. */
  readonly reservedPaths: readonly string[];
  /** The name problems are reported under (`apiRoutes`, `API_ROUTES`). */
  readonly name: string;
}

/**
 * Checks a list of routes; returns the parsed routes and every problem found. Paths may not
 * overlap each other or the backend's own routes; an upstream is an http(s) base URL without
 * credentials, query or fragment.
 */
export function checkApiRoutes(
  input: unknown,
  rules: ApiRouteRules,
): { readonly routes: readonly ApiRoute[]; readonly problems: readonly string[] } {
  const problems: string[] = [];
  const routes: ApiRoute[] = [];
  const { name } = rules;
  if (!Array.isArray(input))
    return { routes, problems: [`${name} must be a JSON array of {path, upstream}`] };
  if (input.length > MAX_API_ROUTES) problems.push(`${name} has more than ${MAX_API_ROUTES} entries`);
  input.forEach((entry: unknown, i) => {
    const at = `${name}[${i}]`;
    if (typeof entry !== 'object' || entry === null) {
      problems.push(`${at} must be an object {path, upstream}`);
      return;
    }
    const { path, upstream, ...rest } = entry as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) problems.push(`${at} has unknown keys: ${extra.join(', ')}`);
    let ok = true;
    if (typeof path !== 'string' || !isLiteralPath(path)) {
      problems.push(`${at}.path must be an absolute path of literal segments such as /api/orders`);
      ok = false;
    }
    let url: URL | undefined;
    if (typeof upstream !== 'string' || !URL.canParse(upstream)) {
      problems.push(`${at}.upstream must be an absolute URL`);
      ok = false;
    } else {
      url = new URL(upstream);
      const loopback = rules.allowLoopbackHttp && url.protocol === 'http:' && isLoopbackHost(url.hostname);
      if (url.protocol !== 'https:' && !loopback) {
        problems.push(
          `${at}.upstream must use https${rules.allowLoopbackHttp ? ' (plain http only for a loopback host)' : ''}`,
        );
        ok = false;
      }
      if (
        url.username ||
        url.password ||
        url.search ||
        url.hash ||
        upstream.includes('?') ||
        upstream.includes('#')
      ) {
        problems.push(`${at}.upstream must have no credentials, query or fragment`);
        ok = false;
      }
    }
    if (!ok || url === undefined || typeof path !== 'string') return;
    for (const reserved of rules.reservedPaths) {
      if (pathsOverlap(path, reserved))
        problems.push(`${at}.path ${path} overlaps the backend's route ${reserved}`);
    }
    for (const other of routes) {
      if (pathsOverlap(path, other.path)) problems.push(`${at}.path ${path} overlaps ${other.path}`);
    }
    // The base path without a trailing slash: the rest of the request path is appended to it.
    url.pathname = withoutTrailingSlashes(url.pathname);
    routes.push({ path, upstream: url });
  });
  return { routes, problems };
}
