/**
 * Props resolved into the one settings object the construct reads: every default applied, and
 * at synth time every value rejected that the handlers' config loader would reject at cold start
 * (all problems in one error), with the limits both share (lambdas/shared/definitions/). Values
 * that are unresolved tokens are only known at deploy time and pass unchecked.
 */
import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import type { IDomainName, IHttpApi, ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { type ApiRouteDefinition, checkApiRoutes } from '../lambdas/shared/definitions/api-routes.js';
import { staticAuthorizationParamsProblems } from '../lambdas/shared/definitions/authorization-params.js';
import {
  CLIENT_AUTH_METHODS,
  type ClientAuthMethod,
  DEFAULTS,
  ENV,
} from '../lambdas/shared/definitions/env.js';
import { isCookiePrefix, isScopeToken, RANGES } from '../lambdas/shared/definitions/limits.js';
import { METRICS_NAMESPACE } from '../lambdas/shared/definitions/metric-names.js';
import { ROUTE_LIST, ROUTES } from '../lambdas/shared/definitions/routes.js';
import { isSameOriginPath } from '../lambdas/shared/definitions/urls.js';
import { ROUTE_FUNCTION_TIMEOUT } from './functions.js';
import type { OAuthBackendFunctionProps, OAuthBackendProps, OAuthBackendTableProps } from './props.js';
import { checkTableSchema } from './table.js';

/** Everything the construct builds from, defaults applied. */
export interface Settings {
  /** The OAUTH_ISSUER / endpoint variables, as the handlers read them. */
  readonly authorizationServerEnv: Readonly<Record<string, string>>;
  readonly clientId: string;
  readonly clientAuthMethod: ClientAuthMethod;
  readonly scope: string;
  /** Static authorization request parameters (checked: none the backend owns). */
  readonly authorizationParams: Readonly<Record<string, string>>;
  readonly refreshSchedule: Duration;
  readonly refreshBeforeExpiry: Duration;
  readonly loginTimeout: Duration;
  readonly sessionDuration: Duration;
  readonly postLoginPath: string;
  readonly postLogoutPath: string;
  readonly cookiePrefix: string;
  readonly allowedOrigins: readonly string[];
  readonly logoutIdTokenHint: boolean;
  readonly httpTimeout: Duration;
  readonly pathPrefix: string;
  /** The redirect URI as given; undefined: derived from the API's endpoint or domain. */
  readonly redirectUri?: string;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly removalPolicy: RemovalPolicy;
  readonly logRetention: RetentionDays;
  /** An explicit throttle; undefined: the defaults (or, on an existing API, its stage's own). */
  readonly throttle?: ThrottleSettings;
  readonly tracing: boolean;
  readonly enableAlarms: boolean;
  readonly alarmTopic?: ITopic;
  readonly refreshFailureAlarmThreshold: number;
  readonly serverErrorAlarmThreshold: number;
  readonly dashboard: boolean;
  /** Overrides for every function, without `environment` (see `extraEnvironment`). */
  readonly functionOverrides: Omit<OAuthBackendFunctionProps, 'environment'>;
  /** The embedder's extra variables for every function (lib/environment.ts refuses the handlers' own). */
  readonly extraEnvironment: Readonly<Record<string, string>>;
  readonly tableProps: OAuthBackendTableProps;
  /** Resources passed in instead of created. */
  readonly existing: {
    readonly table?: ITable;
    readonly clientSecret?: ISecret;
    readonly kmsKey?: IKey;
    readonly httpApi?: IHttpApi;
  };
  readonly domainName?: IDomainName;
  /** The API proxy's routes, as given (the upstream may be a token); empty: no proxy. */
  readonly apiRoutes: readonly ApiRouteDefinition[];
}

/** Route throttling when nothing else is given. */
export const DEFAULT_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/** Resolves and checks the props; throws one error naming every problem. */
export function resolveSettings(props: OAuthBackendProps, constructPath: string): Settings {
  const problems: string[] = [];
  const { issuer, authorizationEndpoint, tokenEndpoint } = props;

  let authorizationServerEnv: Record<string, string> = {};
  if (authorizationEndpoint !== undefined && tokenEndpoint !== undefined) {
    authorizationServerEnv = {
      [ENV.authorizationEndpoint]: authorizationEndpoint,
      [ENV.tokenEndpoint]: tokenEndpoint,
      ...(issuer === undefined ? {} : { [ENV.issuer]: issuer }),
    };
  } else if (authorizationEndpoint !== undefined || tokenEndpoint !== undefined) {
    problems.push('authorizationEndpoint and tokenEndpoint must be given together');
  } else if (issuer !== undefined) {
    authorizationServerEnv = { [ENV.issuer]: issuer };
  } else {
    problems.push('give either issuer (endpoints by discovery) or authorizationEndpoint and tokenEndpoint');
  }
  for (const [name, value] of Object.entries({ issuer, authorizationEndpoint, tokenEndpoint })) {
    if (value !== undefined) checkHttpsUrl(name, value, problems);
  }

  if (!Token.isUnresolved(props.clientId) && props.clientId.trim() === '') {
    problems.push('clientId must not be empty');
  }

  const clientAuthMethod = props.clientAuthMethod ?? DEFAULTS.clientAuthMethod;
  if (!Token.isUnresolved(clientAuthMethod) && !CLIENT_AUTH_METHODS.includes(clientAuthMethod)) {
    problems.push(`clientAuthMethod must be one of ${CLIENT_AUTH_METHODS.join(', ')}`);
  }

  const scopes = props.scopes ?? DEFAULTS.scope.split(' ');
  if (scopes.length === 0) problems.push('scopes must not be empty');
  for (const scope of scopes) {
    if (!Token.isUnresolved(scope) && !isScopeToken(scope)) {
      problems.push(`scope ${JSON.stringify(scope)} is not a valid scope token (RFC 6749 section 3.3)`);
    }
  }

  const authorizationParams = props.authorizationParams ?? {};
  for (const problem of staticAuthorizationParamsProblems(authorizationParams, (v) =>
    Token.isUnresolved(v),
  )) {
    problems.push(`authorizationParams: ${problem}`);
  }

  const refreshSchedule = props.refreshSchedule ?? Duration.minutes(1);
  if (!refreshSchedule.isUnresolved()) {
    const seconds = refreshSchedule.toSeconds({ integral: false });
    // EventBridge rate expressions count whole minutes.
    if (seconds !== 0 && (seconds < 60 || seconds % 60 !== 0)) {
      problems.push('refreshSchedule must be zero (no schedule) or a whole number of minutes');
    }
  }

  const refreshBeforeExpiry =
    props.refreshBeforeExpiry ?? Duration.seconds(DEFAULTS.refreshBeforeExpirySeconds);
  checkSeconds('refreshBeforeExpiry', refreshBeforeExpiry, RANGES.refreshBeforeExpirySeconds, problems);
  const loginTimeout = props.loginTimeout ?? Duration.seconds(DEFAULTS.loginTimeoutSeconds);
  checkSeconds('loginTimeout', loginTimeout, RANGES.loginTimeoutSeconds, problems);
  const sessionDuration = props.sessionDuration ?? Duration.seconds(DEFAULTS.sessionDurationSeconds);
  checkSeconds('sessionDuration', sessionDuration, RANGES.sessionDurationSeconds, problems);

  const httpTimeout = props.httpTimeout ?? Duration.millis(DEFAULTS.httpTimeoutMs);
  if (!httpTimeout.isUnresolved()) {
    const ms = httpTimeout.toMilliseconds({ integral: false });
    if (ms >= ROUTE_FUNCTION_TIMEOUT.toMilliseconds()) {
      problems.push(
        `httpTimeout (${httpTimeout.toHumanString()}) must be less than the function timeout ` +
          `(${ROUTE_FUNCTION_TIMEOUT.toHumanString()})`,
      );
    } else if (ms < RANGES.httpTimeoutMs.min || !Number.isInteger(ms)) {
      problems.push(
        `httpTimeout must be a whole number of milliseconds, at least ${RANGES.httpTimeoutMs.min}`,
      );
    }
  }

  const postLoginPath = props.postLoginPath ?? DEFAULTS.postLoginPath;
  if (!Token.isUnresolved(postLoginPath) && !isSameOriginPath(postLoginPath)) {
    problems.push('postLoginPath must be a same-origin path starting with a single "/"');
  }
  const postLogoutPath = props.postLogoutPath ?? DEFAULTS.postLogoutPath;
  if (!Token.isUnresolved(postLogoutPath) && !isSameOriginPath(postLogoutPath)) {
    problems.push('postLogoutPath must be a same-origin path starting with a single "/"');
  }

  const cookiePrefix = props.cookiePrefix ?? DEFAULTS.cookiePrefix;
  // Cookie names are compared at synth time (two instances on one API), so no token here.
  if (Token.isUnresolved(cookiePrefix) || !isCookiePrefix(cookiePrefix)) {
    problems.push('cookiePrefix must be 1-32 characters of A-Z a-z 0-9 _ - (and known at synth time)');
  }

  const allowedOrigins = props.allowedOrigins ?? [];
  for (const origin of allowedOrigins) {
    if (Token.isUnresolved(origin)) continue;
    checkHttpsUrl('allowedOrigins', origin, problems);
    if (URL.canParse(origin) && new URL(origin).origin !== origin) {
      problems.push(`allowedOrigins must list bare origins such as https://app.example.com, not ${origin}`);
    }
  }

  const pathPrefix = props.pathPrefix ?? '';
  // Route paths are matched literally: no trailing slash, no parameters, no greedy segments.
  if (Token.isUnresolved(pathPrefix) || (pathPrefix !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(pathPrefix))) {
    problems.push('pathPrefix must be empty or segments like "/auth" (no trailing "/", no {parameters})');
  }

  if (props.redirectUri !== undefined && !Token.isUnresolved(props.redirectUri)) {
    checkHttpsUrl('redirectUri', props.redirectUri, problems);
    const suffix = `${pathPrefix}${ROUTES.redirect.path}`;
    if (/[?#]/.test(props.redirectUri)) problems.push('redirectUri must have no query or fragment');
    else if (!props.redirectUri.endsWith(suffix)) problems.push(`redirectUri must end with ${suffix}`);
  }

  if (props.table !== undefined && props.tableProps !== undefined) {
    problems.push('give either table (an existing table) or tableProps (for a new one), not both');
  }
  if (props.table !== undefined) checkTableSchema(props.table, problems);
  if (props.httpApi !== undefined && props.domainName !== undefined) {
    problems.push(
      'domainName maps a domain to the API the construct creates; with httpApi, map it yourself and give redirectUri',
    );
  }

  const serviceName = props.serviceName ?? constructPath.replace(/[^A-Za-z0-9/_.-]/g, '-');
  if (Token.isUnresolved(serviceName) || !/^[A-Za-z0-9/_.-]{1,255}$/.test(serviceName)) {
    problems.push('serviceName must be 1-255 characters of A-Z a-z 0-9 / _ . -');
  }
  const metricsNamespace = props.metricsNamespace ?? METRICS_NAMESPACE;
  if (!/^[A-Za-z0-9/_.#:-]{1,255}$/.test(metricsNamespace)) {
    problems.push('metricsNamespace must be 1-255 characters of A-Z a-z 0-9 / _ . # : -');
  }

  const refreshFailureAlarmThreshold = props.refreshFailureAlarmThreshold ?? 5;
  const serverErrorAlarmThreshold = props.serverErrorAlarmThreshold ?? 5;
  for (const [name, value] of Object.entries({ refreshFailureAlarmThreshold, serverErrorAlarmThreshold })) {
    if (!Number.isInteger(value) || value < 0) problems.push(`${name} must be a whole number, 0 or more`);
  }

  const apiRoutes = props.apiRoutes ?? [];
  if (apiRoutes.some((route) => Token.isUnresolved(route.path))) {
    problems.push('apiRoutes paths must be known at synth time (they become route keys)');
  } else {
    // An upstream only known at deploy time (another stack's URL) is checked by the handlers' loader.
    const known = apiRoutes.map((route) =>
      Token.isUnresolved(route.upstream) ? { ...route, upstream: 'https://deploy-time.invalid' } : route,
    );
    const { problems: routeProblems } = checkApiRoutes(known, {
      allowLoopbackHttp: false,
      reservedPaths: ROUTE_LIST.map((route) => `${pathPrefix}${route.path}`),
      name: 'apiRoutes',
    });
    problems.push(...routeProblems);
  }

  const { environment: extraEnvironment = {}, ...functionOverrides } = props.functionProps ?? {};

  if (problems.length > 0) throw new Error(`OAuthBackend: invalid props: ${problems.join('; ')}`);
  return {
    authorizationServerEnv,
    clientId: props.clientId,
    clientAuthMethod,
    scope: scopes.join(' '),
    authorizationParams,
    refreshSchedule,
    refreshBeforeExpiry,
    loginTimeout,
    sessionDuration,
    postLoginPath,
    postLogoutPath,
    cookiePrefix,
    allowedOrigins,
    logoutIdTokenHint: props.logoutIdTokenHint ?? false,
    httpTimeout,
    pathPrefix,
    ...(props.redirectUri === undefined ? {} : { redirectUri: props.redirectUri }),
    serviceName,
    metricsNamespace,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
    logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
    ...(props.throttle === undefined ? {} : { throttle: props.throttle }),
    tracing: props.tracing ?? false,
    enableAlarms: props.enableAlarms ?? true,
    ...(props.alarmTopic === undefined ? {} : { alarmTopic: props.alarmTopic }),
    refreshFailureAlarmThreshold,
    serverErrorAlarmThreshold,
    dashboard: props.dashboard ?? false,
    functionOverrides,
    extraEnvironment,
    tableProps: props.tableProps ?? {},
    existing: {
      ...(props.table === undefined ? {} : { table: props.table }),
      ...(props.clientSecret === undefined ? {} : { clientSecret: props.clientSecret }),
      ...(props.kmsKey === undefined ? {} : { kmsKey: props.kmsKey }),
      ...(props.httpApi === undefined ? {} : { httpApi: props.httpApi }),
    },
    ...(props.domainName === undefined ? {} : { domainName: props.domainName }),
    apiRoutes: apiRoutes.map((route) => ({ path: route.path, upstream: route.upstream })),
  };
}

function checkHttpsUrl(name: string, value: string, problems: string[]): void {
  if (Token.isUnresolved(value)) return;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    problems.push(`${name} is not a URL`);
    return;
  }
  // Deployed functions cannot reach a loopback authorization server, so unlike the local stack
  // (lambdas/shared/platform/config.ts) there is no exception for plain http here.
  if (url.protocol !== 'https:') problems.push(`${name} must be an https URL`);
}

function checkSeconds(
  name: string,
  value: Duration,
  range: { readonly min: number; readonly max: number },
  problems: string[],
): void {
  if (value.isUnresolved()) return;
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < range.min || seconds > range.max) {
    problems.push(`${name} must be a whole number of seconds from ${range.min} to ${range.max}`);
  }
}
