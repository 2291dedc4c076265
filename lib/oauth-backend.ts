import { Stack, Validations } from 'aws-cdk-lib';
import type { HttpRoute, IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import type { Alarm, Dashboard, Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import type { Grant } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import type { IFunction, Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import type { ILogGroup } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import type { MetricName } from '../lambdas/shared/definitions/metric-names.js';
import {
  API_PROXY_FUNCTION,
  REFRESH_FUNCTION,
  ROUTE_NAMES,
  ROUTES,
  type RouteName,
} from '../lambdas/shared/definitions/routes.js';
import { addApiRoutes, addRoutes, configureStage, httpApiFor, publicUrl, registerOnApi } from './api.js';
import { functionEnvironment, handlerEnvironment } from './environment.js';
import {
  createBackendFunction,
  REFRESH_FUNCTION_MEMORY_MB,
  REFRESH_FUNCTION_TIMEOUT,
  ROUTE_FUNCTION_MEMORY_MB,
  ROUTE_FUNCTION_TIMEOUT,
} from './functions.js';
import { businessMetric, Monitoring } from './monitoring.js';
import { ACCESS, type Access, grantAccess } from './permissions.js';
import type { OAuthBackendProps } from './props.js';
import { resolveSettings, type Settings } from './settings.js';
import { createTable } from './table.js';

/**
 * A backend-for-frontend OAuth 2.0 client (authorization code + PKCE, confidential client):
 * HTTP routes `GET /login`, `GET /redirect`, `GET /session`, `POST /logout` and
 * `POST /backchannel-logout` (lambdas/shared/
 * definitions/routes.ts), a DynamoDB table of login transactions and sessions with
 * envelope-encrypted tokens, the client secret in Secrets Manager, a scheduled function that
 * refreshes tokens, access logs, alarms and an optional dashboard.
 *
 * @example
 * new OAuthBackend(this, 'Auth', { issuer: 'https://issuer.example.com', clientId: 'my-client' });
 */
export class OAuthBackend extends Construct {
  /** The API the routes are on: the construct's own, or the one given as `httpApi`. */
  readonly httpApi: IHttpApi;
  /** The routes the construct added: login, redirect, session, logout, backchannel-logout. */
  readonly routes: readonly HttpRoute[];
  /** Login transactions and sessions with their (encrypted) tokens. */
  readonly table: ITable;
  /** The client secret; put its value here when the construct created it. */
  readonly clientSecret: ISecret;
  /** The KMS key whose data keys encrypt the tokens at rest. */
  readonly kmsKey: IKey;
  /** `GET /login`. */
  readonly loginFunction: LambdaFunction;
  /** `GET /redirect`. */
  readonly redirectFunction: LambdaFunction;
  /** `GET /session`. */
  readonly sessionFunction: LambdaFunction;
  /** `POST /logout`. */
  readonly logoutFunction: LambdaFunction;
  /** `POST /backchannel-logout` (OIDC Back-Channel Logout 1.0). */
  readonly backchannelLogoutFunction: LambdaFunction;
  /** The scheduled token refresh. */
  readonly refreshFunction: LambdaFunction;
  /** The API proxy, serving every entry of `apiRoutes`; undefined without `apiRoutes`. */
  readonly apiProxyFunction?: LambdaFunction;
  /** The API proxy's routes (`ANY <path>`, `ANY <path>/{proxy+}` per API route); empty without `apiRoutes`. */
  readonly apiProxyRoutes: readonly HttpRoute[];
  /** Every function of the construct: the route functions (login, redirect, session, logout, backchannel-logout), refresh, then the API proxy. */
  readonly functions: readonly LambdaFunction[];
  /** The refresh schedule; undefined when `refreshSchedule` is zero. */
  readonly refreshRule?: Rule;
  /** The API access log group; undefined when the stage is not reachable (an imported API) or already logged. */
  readonly accessLogGroup?: ILogGroup;
  /** Every alarm (empty when `enableAlarms` is false). */
  readonly alarms: readonly Alarm[];
  /** Refresh failures above the threshold. */
  readonly refreshFailedAlarm?: Alarm;
  /** API 5xx above the threshold; only on the construct's own API. */
  readonly serverErrorAlarm?: Alarm;
  readonly dashboard?: Dashboard;
  /** Where the routes are, as the browser sees them: origin plus `pathPrefix`, no trailing slash. */
  readonly url: string;
  /** The redirect URI to register at the authorization server. */
  readonly redirectUri: string;
  /** Where the browser starts a login. */
  readonly loginUrl: string;
  /**
   * The back-channel logout URI to register at the authorization server (`backchannel_logout_uri`,
   * OIDC Back-Channel Logout 1.0): it posts a logout token there when a user's session ends.
   */
  readonly backchannelLogoutUri: string;
  /** The `service` of the handlers' logs and metrics. */
  readonly serviceName: string;
  /** The cookie prefix: the session cookie is `__Host-<cookiePrefix>session`. */
  readonly cookiePrefix: string;
  /**
   * The handlers' configuration variables, as set on every function. `grantSessionAccess` sets them
   * on a `lambda.Function`; set them yourself on anything else that reads sessions.
   */
  readonly handlerEnvironment: Readonly<Record<string, string>>;

  private readonly settings: Settings;

  constructor(scope: Construct, id: string, props: OAuthBackendProps) {
    super(scope, id);
    // The only read of `props`: everything below works from the resolved settings.
    const settings = resolveSettings(props, this.node.path);
    this.settings = settings;
    this.serviceName = settings.serviceName;
    this.cookiePrefix = settings.cookiePrefix;

    this.table = settings.existing.table ?? createTable(this, settings);
    this.clientSecret = settings.existing.clientSecret ?? this.createClientSecret();
    this.kmsKey =
      settings.existing.kmsKey ??
      new Key(this, 'TokenKey', {
        description: `Encrypts the data keys that encrypt the OAuth tokens at rest (${settings.serviceName})`,
        enableKeyRotation: true,
        removalPolicy: settings.removalPolicy,
      });

    this.httpApi = httpApiFor(this, settings);
    this.url = publicUrl(this.httpApi, settings);
    registerOnApi(this.httpApi, this.node.path, settings);
    this.redirectUri = settings.redirectUri ?? `${this.url}${ROUTES.redirect.path}`;
    this.loginUrl = `${this.url}${ROUTES.login.path}`;
    this.backchannelLogoutUri = `${this.url}${ROUTES.backchannelLogout.path}`;

    this.handlerEnvironment = handlerEnvironment(settings, {
      table: this.table,
      clientSecret: this.clientSecret,
      kmsKey: this.kmsKey,
      redirectUri: this.redirectUri,
      ...(settings.apiRoutes.length > 0
        ? { apiRoutesJson: Stack.of(this).toJsonString(settings.apiRoutes) }
        : {}),
    });
    const environment = functionEnvironment(settings, this.handlerEnvironment);

    const routeFunctions = {} as Record<RouteName, LambdaFunction>;
    for (const name of ROUTE_NAMES) {
      const fn = createBackendFunction(this, settings, {
        definition: ROUTES[name],
        timeout: ROUTE_FUNCTION_TIMEOUT,
        memorySize: ROUTE_FUNCTION_MEMORY_MB,
        environment,
      });
      this.grant(fn, ACCESS[name]);
      routeFunctions[name] = fn;
    }
    const routes = addRoutes(this, this.httpApi, settings, routeFunctions);
    this.routes = ROUTE_NAMES.map((name) => routes[name]);

    if (settings.apiRoutes.length > 0) {
      this.apiProxyFunction = createBackendFunction(this, settings, {
        definition: API_PROXY_FUNCTION,
        timeout: ROUTE_FUNCTION_TIMEOUT,
        memorySize: ROUTE_FUNCTION_MEMORY_MB,
        environment,
      });
      this.grant(this.apiProxyFunction, ACCESS.apiProxy);
      this.apiProxyRoutes = addApiRoutes(this, this.httpApi, settings, this.apiProxyFunction);
    } else {
      this.apiProxyRoutes = [];
    }
    this.accessLogGroup = configureStage(this, this.httpApi, settings, [
      ...this.routes,
      ...this.apiProxyRoutes,
    ]);
    this.loginFunction = routeFunctions.login;
    this.redirectFunction = routeFunctions.redirect;
    this.sessionFunction = routeFunctions.session;
    this.logoutFunction = routeFunctions.logout;
    this.backchannelLogoutFunction = routeFunctions.backchannelLogout;

    this.refreshFunction = createBackendFunction(this, settings, {
      definition: REFRESH_FUNCTION,
      timeout: REFRESH_FUNCTION_TIMEOUT,
      memorySize: REFRESH_FUNCTION_MEMORY_MB,
      // A failed tick is not retried: the next tick finds the same due sessions, and a retry would
      // only run alongside it.
      retryAttempts: 0,
      environment,
    });
    this.grant(this.refreshFunction, ACCESS.refresh);
    this.functions = [
      ...ROUTE_NAMES.map((name) => routeFunctions[name]),
      this.refreshFunction,
      ...(this.apiProxyFunction ? [this.apiProxyFunction] : []),
    ];

    if (settings.refreshSchedule.toSeconds() > 0) {
      this.refreshRule = new Rule(this, 'RefreshSchedule', {
        description: `Invokes the OAuth token refresh function (${settings.serviceName})`,
        schedule: Schedule.rate(settings.refreshSchedule),
        targets: [new LambdaTarget(this.refreshFunction)],
      });
    }

    const monitoring = new Monitoring(this, 'Monitoring', {
      namespace: settings.metricsNamespace,
      serviceName: settings.serviceName,
      ...(settings.existing.httpApi === undefined ? { httpApi: this.httpApi } : {}),
      functions: new Map<string, IFunction>([
        ...ROUTE_NAMES.map((name) => [ROUTES[name].id, routeFunctions[name]] as const),
        [REFRESH_FUNCTION.id, this.refreshFunction],
        ...(this.apiProxyFunction ? [[API_PROXY_FUNCTION.id, this.apiProxyFunction] as const] : []),
      ]),
      apiProxy: this.apiProxyFunction !== undefined,
      alarms: settings.enableAlarms,
      ...(settings.alarmTopic ? { alarmTopic: settings.alarmTopic } : {}),
      refreshFailureThreshold: settings.refreshFailureAlarmThreshold,
      serverErrorThreshold: settings.serverErrorAlarmThreshold,
      dashboard: settings.dashboard,
    });
    this.alarms = monitoring.alarms;
    this.refreshFailedAlarm = monitoring.refreshFailedAlarm;
    this.serverErrorAlarm = monitoring.serverErrorAlarm;
    this.dashboard = monitoring.dashboard;
  }

  /**
   * Lets one of your own functions read sessions by their cookie and refresh them on demand, with
   * the handler library of this package: sets the handlers' variables on it (when it is a
   * `lambda.Function`; otherwise set `handlerEnvironment` yourself) and grants `GetItem` and
   * `UpdateItem` on the table, reading the client secret, and `kms:Decrypt` /
   * `kms:GenerateDataKey` on the token key for this table's encryption context only.
   */
  grantSessionAccess(fn: IFunction): Grant {
    if (hasAddEnvironment(fn)) {
      for (const [name, value] of Object.entries(this.handlerEnvironment)) fn.addEnvironment(name, value);
    }
    return this.grant(fn, ACCESS.sessionAccess);
  }

  /**
   * A business metric of this instance (`LoginStarted`, `LoginCompleted`, `LoginFailed`,
   * `RefreshSucceeded`, `RefreshFailed`, `SessionEnded`), summed over 5 minutes by default.
   */
  metric(metricName: MetricName, options?: MetricOptions): Metric {
    return businessMetric(this.settings.metricsNamespace, this.settings.serviceName, metricName, options);
  }

  private grant(fn: IFunction, access: Access): Grant {
    return grantAccess(fn, access, {
      table: this.table,
      clientSecret: this.clientSecret,
      tokenKey: this.kmsKey,
    });
  }

  private createClientSecret(): Secret {
    const secret = new Secret(this, 'ClientSecret', {
      description:
        `OAuth client secret of client "${this.settings.clientId}". Replace this generated value with the client ` +
        'secret issued by the authorization server (the secret string is the client secret itself).',
      removalPolicy: this.settings.removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The client secret is issued by the authorization server and can only be rotated there; ' +
        'after rotating it there, put the new value into this secret.',
    });
    return secret;
  }
}

function hasAddEnvironment(
  fn: IFunction,
): fn is IFunction & { addEnvironment(key: string, value: string): unknown } {
  // Duck-typed rather than `instanceof lambda.Function`, which fails across two copies of aws-cdk-lib.
  return typeof (fn as { addEnvironment?: unknown }).addEnvironment === 'function';
}
