/**
 * The HTTP API side of the construct: the API itself (its own or the embedder's), the routes, the
 * default stage's throttling and access logs, and the URL the browser sees.
 */
import { CfnResource, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  CfnStage,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  type IHttpApi,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { type ILogGroup, LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  ROUTE_LIST,
  ROUTE_NAMES,
  ROUTES,
  type RouteDefinition,
  type RouteName,
} from '../lambdas/shared/definitions/routes.js';
import { DEFAULT_THROTTLE, type Settings } from './settings.js';

/**
 * Why each route has no API Gateway authorizer (cdk-nag AwsSolutions-APIG4). A new route must
 * state its reason here, as it must state its permissions in ACCESS: the compiler checks both.
 */
const PUBLIC_ROUTE_REASONS: Readonly<Record<RouteName, string>> = {
  login:
    'The login route starts the sign-in for a browser that has no session yet, so it cannot require authentication.',
  redirect:
    'The redirect route is where the authorization server sends the browser back to finish the sign-in, and it ' +
    'authenticates that answer itself (state, browser-binding cookie, code exchange) before any session exists.',
  session:
    'The session route authenticates the caller itself by the opaque session cookie, which only this backend can resolve.',
  logout:
    'The logout route authenticates the caller itself by the opaque session cookie, which only this backend can resolve.',
  backchannelLogout:
    'The back-channel logout route is called by the authorization server, which cannot hold an AWS credential or a ' +
    'session; each request authenticates itself by a logout token signed with the authorization server keys, ' +
    'which the route verifies before it changes anything.',
};

/**
 * The JSON access log line of the API stage. Only fields that cannot carry the query string (which
 * holds `code` and `state` on `/redirect`): the route key, never `$context.path` or a request URL.
 */
export const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: '$context.requestId',
  time: '$context.requestTime',
  ip: '$context.identity.sourceIp',
  routeKey: '$context.routeKey',
  status: '$context.status',
  protocol: '$context.protocol',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationStatus: '$context.integration.status',
  integrationLatency: '$context.integrationLatency',
  integrationError: '$context.integrationErrorMessage',
  error: '$context.error.message',
});

/** The route's path on the API: the prefix, then the route's own path. */
export const routePath = (settings: Settings, route: RouteDefinition): string =>
  `${settings.pathPrefix}${route.path}`;

/** The API proxy's two route paths per API route: the path itself and everything under it. */
const apiRoutePaths = (path: string) => [path, `${path}/{proxy+}`];

/** Every route key of an instance (`GET /login`, ..., `ANY /api/orders/{proxy+}`), as API Gateway spells them. */
export function routeKeysOf(settings: Settings): string[] {
  return [
    ...ROUTE_LIST.map((route) => `${route.method} ${routePath(settings, route)}`),
    ...settings.apiRoutes.flatMap((route) => apiRoutePaths(route.path).map((path) => `ANY ${path}`)),
  ];
}

const API_PROXY_ROUTE_REASON =
  'The API proxy routes authenticate the caller themselves by the opaque session cookie (and require the ' +
  'x-csrf header) before anything is forwarded, and attach the access token only then.';

/** The embedder's API, or a new one (with a custom domain, when given). */
export function httpApiFor(scope: Construct, settings: Settings): IHttpApi {
  return (
    settings.existing.httpApi ??
    new HttpApi(scope, 'HttpApi', {
      description: `OAuth 2.0 backend-for-frontend (${settings.serviceName})`,
      createDefaultStage: true,
      ...(settings.domainName
        ? { defaultDomainMapping: { domainName: settings.domainName }, disableExecuteApiEndpoint: true }
        : {}),
    })
  );
}

/** Origin plus prefix as the browser sees it, no trailing slash. */
export function publicUrl(api: IHttpApi, settings: Settings): string {
  const redirectPath = ROUTES.redirect.path;
  const { redirectUri } = settings;
  // resolveSettings has checked that a known redirectUri ends with the prefix and redirect path.
  if (redirectUri !== undefined && !Token.isUnresolved(redirectUri)) {
    return redirectUri.slice(0, -redirectPath.length);
  }
  if (settings.domainName) return `https://${settings.domainName.name}${settings.pathPrefix}`;
  let endpoint: string;
  try {
    endpoint = api.apiEndpoint;
  } catch (cause) {
    throw new Error(
      'OAuthBackend: the endpoint of httpApi is unknown (an imported API without apiEndpoint); give redirectUri',
      { cause },
    );
  }
  return `${endpoint}${settings.pathPrefix}`;
}

/** What the construct has registered on each API object, to catch clashes at synth time. */
const API_USERS = new WeakMap<
  object,
  { routeKeys: Map<string, string>; cookiePrefixes: Map<string, string> }
>();

/** Records an instance's route keys and cookie prefix on its API, refusing clashes. */
export function registerOnApi(api: IHttpApi, owner: string, settings: Settings): void {
  let users = API_USERS.get(api);
  if (!users) {
    users = { routeKeys: new Map(), cookiePrefixes: new Map() };
    API_USERS.set(api, users);
  }
  const other = users.cookiePrefixes.get(settings.cookiePrefix);
  if (other !== undefined) {
    throw new Error(
      `OAuthBackend: ${owner} and ${other} are on one API with the same cookiePrefix ` +
        `"${settings.cookiePrefix}"; give each its own cookiePrefix so their cookies stay apart`,
    );
  }
  for (const key of routeKeysOf(settings)) {
    const taken = users.routeKeys.get(key);
    if (taken !== undefined) {
      throw new Error(
        `OAuthBackend: route ${key} of ${owner} is already taken by ${taken}; give each its own pathPrefix`,
      );
    }
    users.routeKeys.set(key, owner);
  }
  users.cookiePrefixes.set(settings.cookiePrefix, owner);
}

/** One route per entry of ROUTES, each to its own function, explicitly without an authorizer. */
export function addRoutes(
  scope: Construct,
  api: IHttpApi,
  settings: Settings,
  functions: Readonly<Record<RouteName, IFunction>>,
): Record<RouteName, HttpRoute> {
  const routes = {} as Record<RouteName, HttpRoute>;
  for (const name of ROUTE_NAMES) {
    const route = ROUTES[name];
    const httpRoute = new HttpRoute(scope, `${route.id}Route`, {
      httpApi: api,
      routeKey: HttpRouteKey.with(routePath(settings, route), HttpMethod[route.method]),
      integration: new HttpLambdaIntegration(`${route.id}Integration`, functions[name]),
      // Explicitly none: an existing API's default authorizer must not guard the sign-in itself.
      authorizer: new HttpNoneAuthorizer(),
    });
    Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason: PUBLIC_ROUTE_REASONS[name] });
    routes[name] = httpRoute;
  }
  return routes;
}

/**
 * The API proxy's routes: `ANY <path>` and `ANY <path>/{proxy+}` for each API route, all to the one
 * proxy function, explicitly without an authorizer. In `apiRoutes` order.
 */
export function addApiRoutes(
  scope: Construct,
  api: IHttpApi,
  settings: Settings,
  fn: IFunction,
): HttpRoute[] {
  const integration = new HttpLambdaIntegration('ApiProxyIntegration', fn);
  return settings.apiRoutes.flatMap((route, i) =>
    apiRoutePaths(route.path).map((path, j) => {
      const httpRoute = new HttpRoute(scope, `ApiProxyRoute${i}${j === 0 ? '' : 'Proxy'}`, {
        httpApi: api,
        routeKey: HttpRouteKey.with(path, HttpMethod.ANY),
        integration,
        authorizer: new HttpNoneAuthorizer(),
      });
      Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason: API_PROXY_ROUTE_REASON });
      return httpRoute;
    }),
  );
}

/**
 * Access logs and throttling on the API's default stage, where the construct can reach it: the
 * whole stage when the API is its own; only its own routes (and access logs, when the stage has
 * none) on an embedder's `HttpApi`. An imported API's stage belongs to the embedder. Returns the
 * access log group it created, if any.
 */
export function configureStage(
  scope: Construct,
  api: IHttpApi,
  settings: Settings,
  routes: readonly HttpRoute[],
): ILogGroup | undefined {
  const ownApi = settings.existing.httpApi === undefined;
  const child = api.defaultStage?.node.defaultChild;
  if (
    !(child && CfnResource.isCfnResource(child) && child.cfnResourceType === CfnStage.CFN_RESOURCE_TYPE_NAME)
  ) {
    return undefined;
  }
  const stage = child as CfnStage;
  // A stage in another stack stays untouched: pointing it at this construct's log group would
  // make the two stacks depend on each other.
  if (!ownApi && Stack.of(stage) !== Stack.of(scope)) return undefined;
  const throttle = settings.throttle ?? DEFAULT_THROTTLE;

  if (ownApi) {
    stage.defaultRouteSettings = {
      throttlingRateLimit: throttle.rateLimit,
      throttlingBurstLimit: throttle.burstLimit,
    };
  } else {
    const defaults = stage.defaultRouteSettings as CfnStage.RouteSettingsProperty | undefined;
    const stageThrottles =
      defaults !== undefined &&
      (Token.isUnresolved(defaults) ||
        defaults.throttlingRateLimit !== undefined ||
        defaults.throttlingBurstLimit !== undefined);
    // An explicit `throttle` wins; otherwise the embedder's own stage-wide throttling applies.
    if (settings.throttle !== undefined || !stageThrottles) {
      const existing: unknown = stage.routeSettings ?? {};
      if (Token.isUnresolved(existing)) {
        throw new Error(
          'OAuthBackend: the stage of httpApi has unresolved routeSettings; give the routes a throttle there',
        );
      }
      const routeSettings: Record<string, unknown> = { ...(existing as Record<string, unknown>) };
      for (const key of routeKeysOf(settings)) {
        // RouteSettings is untyped JSON in CloudFormation: its keys are spelled as CloudFormation spells them.
        routeSettings[key] = {
          ThrottlingRateLimit: throttle.rateLimit,
          ThrottlingBurstLimit: throttle.burstLimit,
        };
      }
      stage.routeSettings = routeSettings;
      // API Gateway refuses route settings for routes that do not exist yet.
      for (const route of routes) stage.node.addDependency(route);
    }
  }

  if (stage.accessLogSettings !== undefined) return undefined;
  const logGroup = new LogGroup(scope, 'AccessLogs', {
    retention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
  });
  stage.accessLogSettings = { destinationArn: logGroup.logGroupArn, format: ACCESS_LOG_FORMAT };
  return logGroup;
}
