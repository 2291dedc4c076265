/**
 * The one configuration loader. Every environment variable the handlers read is named here,
 * parsed once, and every missing or bad one is reported in a single error, so a misconfigured
 * deployment fails at init with the full list instead of one variable per redeploy.
 *
 * The same names serve the deployed Lambdas (set by the construct), the local stack and
 * `sam local --env-vars`. AWS endpoints are deliberately absent: the SDK's own
 * `AWS_ENDPOINT_URL_DYNAMODB` / `AWS_ENDPOINT_URL_SECRETS_MANAGER` do that job.
 */

import { type ApiRoute, checkApiRoutes } from '../definitions/api-routes.js';
import { staticAuthorizationParamsProblems } from '../definitions/authorization-params.js';
import { collapseWhitespace, everyChar, isDigit } from '../definitions/chars.js';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod, DEFAULTS, ENV } from '../definitions/env.js';
import { isCookiePrefix, isScopeToken, RANGES } from '../definitions/limits.js';
import { ROUTE_LIST, ROUTES } from '../definitions/routes.js';
import { isLoopbackHost, isSameOriginPath } from '../definitions/urls.js';
import type { AuthorizationServerSource } from '../oauth/discovery.js';
import type { TokenKeyConfig } from '../store/token-keys.js';

/** Where the client secret comes from: Secrets Manager (deployed) or the environment (local). */
export type ClientSecretSourceConfig =
  | { kind: 'secrets-manager'; arn: string }
  | { kind: 'env'; value: string };

export interface Config {
  readonly authorizationServer: AuthorizationServerSource;
  readonly clientId: string;
  readonly clientSecret: ClientSecretSourceConfig;
  readonly clientAuthMethod: ClientAuthMethod;
  readonly scope: string;
  /**
   * Added to every authorization request (e.g. Auth0's `audience`, RFC 8707 `resource`); never one
   * the backend owns (definitions/authorization-params.ts). Per-login values from /login replace
   * allowlisted ones of the same name.
   */
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly redirectUri: URL;
  readonly httpTimeoutMs: number;
  readonly tableName: string;
  readonly refreshBeforeExpirySeconds: number;
  readonly loginTimeoutSeconds: number;
  readonly sessionDurationSeconds: number;
  readonly postLoginPath: string;
  readonly postLogoutPath: string;
  /** Cookie names are `__Host-<prefix>session` and `__Host-<prefix>login-…`. */
  readonly cookiePrefix: string;
  /** Origins allowed to POST /logout (checklist H25); the redirect URI's origin is always one. */
  readonly allowedOrigins: readonly string[];
  /** Send the ID token as `id_token_hint` to the end-session endpoint (off: see flows/logout.ts). */
  readonly logoutIdTokenHint: boolean;
  readonly tokenKey: TokenKeyConfig;
  /** Refreshes in flight at once in one refresh invocation. */
  readonly refreshConcurrency: number;
  /** Most sessions one refresh invocation reads; the rest wait for the next tick. */
  readonly refreshMaxPerTick: number;
  /** The API proxy's routes (API_ROUTES); empty when there is no proxy. */
  readonly apiRoutes: readonly ApiRoute[];
}

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration: ${problems.join('; ')}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** Collects problems while reading variables, so all of them are reported at once. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  optional(name: string): string | undefined {
    const value = this.env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  }

  required(name: string): string {
    const value = this.optional(name);
    if (value === undefined) this.problems.push(`${name} is required`);
    return value ?? '';
  }

  /** An http(s) URL; plain http only for a loopback host (local runs). */
  url(name: string, value: string | undefined): URL | undefined {
    if (value === undefined) return undefined;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      this.problems.push(`${name} is not a URL`);
      return undefined;
    }
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
      this.problems.push(`${name} must use https (plain http is allowed only for a loopback host)`);
      return undefined;
    }
    if (url.username || url.password) {
      this.problems.push(`${name} must not contain credentials`);
      return undefined;
    }
    return url;
  }

  /** An integer within `range` (definitions/limits.ts). */
  integer(name: string, fallback: number, range: { readonly min: number; readonly max: number }): number {
    const { min, max } = range;
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    const n = everyChar(raw, isDigit) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) {
      this.problems.push(`${name} must be an integer from ${min} to ${max}`);
      return fallback;
    }
    return n;
  }

  oneOf<T extends string>(name: string, allowed: readonly T[], fallback: T): T {
    const raw = this.optional(name);
    if (raw === undefined) return fallback;
    if (!(allowed as readonly string[]).includes(raw)) {
      this.problems.push(`${name} must be one of ${allowed.join(', ')}`);
      return fallback;
    }
    return raw as T;
  }

  /** A same-origin path (definitions/urls.ts: one leading "/", no dot segments, canonical). */
  path(name: string, fallback: string): string {
    const value = this.optional(name) ?? fallback;
    if (!isSameOriginPath(value)) {
      this.problems.push(`${name} must be a same-origin path starting with a single "/"`);
    }
    return value;
  }

  /** Throws one ConfigError naming every problem seen so far. */
  done(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

/** Reads and validates the handlers' configuration. Throws one ConfigError listing every problem. */
export function loadConfig(env: Env): Config {
  const r = new EnvReader(env);

  const issuer = r.url(ENV.issuer, r.optional(ENV.issuer));
  const authorizationEndpoint = r.url(ENV.authorizationEndpoint, r.optional(ENV.authorizationEndpoint));
  const tokenEndpoint = r.url(ENV.tokenEndpoint, r.optional(ENV.tokenEndpoint));
  let authorizationServer: AuthorizationServerSource | undefined;
  if (authorizationEndpoint && tokenEndpoint) {
    authorizationServer = {
      kind: 'explicit',
      authorizationEndpoint,
      tokenEndpoint,
      // Exactly as given, not URL-normalised: it is compared as a string with `iss` values.
      ...(issuer ? { issuer: r.optional(ENV.issuer) as string } : {}),
    };
  } else if (authorizationEndpoint || tokenEndpoint) {
    r.problems.push(`${ENV.authorizationEndpoint} and ${ENV.tokenEndpoint} must be set together`);
  } else if (issuer) {
    authorizationServer = { kind: 'discovery', issuer };
  } else if (r.optional(ENV.issuer) === undefined) {
    r.problems.push(`${ENV.issuer} (or ${ENV.authorizationEndpoint} and ${ENV.tokenEndpoint}) is required`);
  }

  const clientId = r.required(ENV.clientId);

  const secretArn = r.optional(ENV.clientSecretArn);
  const secretValue = env[ENV.clientSecret];
  let clientSecret: ClientSecretSourceConfig | undefined;
  if (secretArn && secretValue) {
    r.problems.push(`set only one of ${ENV.clientSecretArn} and ${ENV.clientSecret}`);
  } else if (secretArn) {
    clientSecret = { kind: 'secrets-manager', arn: secretArn };
  } else if (secretValue) {
    // Not trimmed: a client secret is opaque and may legitimately contain any character.
    clientSecret = { kind: 'env', value: secretValue };
  } else {
    r.problems.push(`${ENV.clientSecretArn} (deployed) or ${ENV.clientSecret} (local) is required`);
  }

  const clientAuthMethod = r.oneOf(ENV.clientAuthMethod, CLIENT_AUTH_METHODS, DEFAULTS.clientAuthMethod);
  const scope = collapseWhitespace(r.optional(ENV.scope) ?? DEFAULTS.scope);
  if (!scope.split(' ').every(isScopeToken)) {
    r.problems.push(`${ENV.scope} must be space-separated scope tokens (RFC 6749 section 3.3)`);
  }

  const authorizationParams = readAuthorizationParams(r);

  const redirectUri = r.url(ENV.redirectUri, r.required(ENV.redirectUri) || undefined);
  if (redirectUri && (redirectUri.hash || redirectUri.search)) {
    r.problems.push(`${ENV.redirectUri} must have no query or fragment`);
  }

  const tableName = r.required(ENV.tableName);
  const httpTimeoutMs = r.integer(ENV.httpTimeoutMs, DEFAULTS.httpTimeoutMs, RANGES.httpTimeoutMs);
  const refreshBeforeExpirySeconds = r.integer(
    ENV.refreshBeforeExpirySeconds,
    DEFAULTS.refreshBeforeExpirySeconds,
    RANGES.refreshBeforeExpirySeconds,
  );
  const loginTimeoutSeconds = r.integer(
    ENV.loginTimeoutSeconds,
    DEFAULTS.loginTimeoutSeconds,
    RANGES.loginTimeoutSeconds,
  );
  const sessionDurationSeconds = r.integer(
    ENV.sessionDurationSeconds,
    DEFAULTS.sessionDurationSeconds,
    RANGES.sessionDurationSeconds,
  );
  const postLoginPath = r.path(ENV.postLoginPath, DEFAULTS.postLoginPath);
  const postLogoutPath = r.path(ENV.postLogoutPath, DEFAULTS.postLogoutPath);
  const cookiePrefix = r.optional(ENV.cookiePrefix) ?? DEFAULTS.cookiePrefix;
  if (!isCookiePrefix(cookiePrefix)) {
    r.problems.push(`${ENV.cookiePrefix} must be 1-32 characters of A-Z a-z 0-9 _ -`);
  }

  const allowedOrigins = new Set(redirectUri ? [redirectUri.origin] : []);
  for (const origin of (r.optional(ENV.allowedOrigins) ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)) {
    const url = r.url(ENV.allowedOrigins, origin);
    if (url && url.origin !== (origin.endsWith('/') ? origin.slice(0, -1) : origin))
      r.problems.push(`${ENV.allowedOrigins} must list bare origins`);
    else if (url) allowedOrigins.add(url.origin);
  }
  const logoutIdTokenHint = r.oneOf(ENV.logoutIdTokenHint, ['true', 'false'], 'false') === 'true';

  // Tokens are never stored in the clear: one of the two keys is required (fail closed).
  const kmsKeyId = r.optional(ENV.tokenKmsKeyId);
  const localKey = r.optional(ENV.tokenEncryptionKey);
  let tokenKey: TokenKeyConfig | undefined;
  if (kmsKeyId && localKey) {
    r.problems.push(`set only one of ${ENV.tokenKmsKeyId} and ${ENV.tokenEncryptionKey}`);
  } else if (kmsKeyId) {
    tokenKey = { kind: 'kms', keyId: kmsKeyId };
  } else if (localKey) {
    const key = Buffer.from(localKey, 'base64');
    if (key.length !== 32) r.problems.push(`${ENV.tokenEncryptionKey} must be 32 bytes, base64-encoded`);
    else tokenKey = { kind: 'local', key };
  } else {
    r.problems.push(`${ENV.tokenKmsKeyId} (deployed) or ${ENV.tokenEncryptionKey} (local) is required`);
  }
  const refreshConcurrency = r.integer(
    ENV.refreshConcurrency,
    DEFAULTS.refreshConcurrency,
    RANGES.refreshConcurrency,
  );
  const refreshMaxPerTick = r.integer(
    ENV.refreshMaxPerTick,
    DEFAULTS.refreshMaxPerTick,
    RANGES.refreshMaxPerTick,
  );

  const apiRoutes = readApiRoutes(r, r.optional(ENV.apiRoutes), redirectUri);

  r.done();
  return {
    // r.done() has thrown if any of these is missing.
    authorizationServer: authorizationServer as AuthorizationServerSource,
    clientId,
    clientSecret: clientSecret as ClientSecretSourceConfig,
    clientAuthMethod,
    scope,
    authorizationParams,
    redirectUri: redirectUri as URL,
    httpTimeoutMs,
    tableName,
    refreshBeforeExpirySeconds,
    loginTimeoutSeconds,
    sessionDurationSeconds,
    postLoginPath,
    postLogoutPath,
    cookiePrefix,
    allowedOrigins: [...allowedOrigins],
    logoutIdTokenHint,
    tokenKey: tokenKey as TokenKeyConfig,
    refreshConcurrency,
    refreshMaxPerTick,
    apiRoutes,
  };
}

/** OAUTH_AUTHORIZATION_PARAMS: a JSON object of strings, none of them a parameter the backend owns. */
function readAuthorizationParams(r: EnvReader): Readonly<Record<string, string>> {
  const raw = r.optional(ENV.authorizationParams);
  if (raw === undefined) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    r.problems.push(`${ENV.authorizationParams} must be a JSON object of strings`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    r.problems.push(`${ENV.authorizationParams} must be a JSON object of strings`);
    return {};
  }
  const problems = staticAuthorizationParamsProblems(parsed as Record<string, unknown>);
  for (const problem of problems) r.problems.push(`${ENV.authorizationParams}: ${problem}`);
  return problems.length > 0 ? {} : (parsed as Record<string, string>);
}

/**
 * API_ROUTES: a JSON array of {path, upstream}. Proxied paths may not cover the backend's own
 * routes, whose prefix the handlers know from the redirect URI (`<prefix>/redirect`).
 */
function readApiRoutes(
  r: EnvReader,
  raw: string | undefined,
  redirectUri: URL | undefined,
): readonly ApiRoute[] {
  if (raw === undefined) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    r.problems.push(`${ENV.apiRoutes} is not JSON`);
    return [];
  }
  const redirectPath = redirectUri?.pathname ?? '';
  const prefix = redirectPath.endsWith(ROUTES.redirect.path)
    ? redirectPath.slice(0, -ROUTES.redirect.path.length)
    : '';
  const { routes, problems } = checkApiRoutes(parsed, {
    allowLoopbackHttp: true,
    reservedPaths: ROUTE_LIST.map((route) => `${prefix}${route.path}`),
    name: ENV.apiRoutes,
  });
  r.problems.push(...problems);
  return routes;
}
