import { CfnResource, Duration, RemovalPolicy, Stack, Token, Validations } from 'aws-cdk-lib';
import {
  CfnStage,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  HttpRoute,
  HttpRouteKey,
  type IDomainName,
  type IHttpApi,
  type ThrottleSettings,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { Alarm, Dashboard, Metric, MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
  type TableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { type Grant, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { type IKey, Key } from 'aws-cdk-lib/aws-kms';
import { Architecture, type IFunction, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { type ILogGroup, LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod, DEFAULTS, ENV } from '../lambdas/shared/config.js';
import { METRICS_NAMESPACE, type MetricName } from '../lambdas/shared/metric-names.js';
import { isSameOriginPath } from '../lambdas/shared/return-to.js';
import { REFRESH_ENTRY, ROUTES, type RouteDefinition } from '../lambdas/shared/routes.js';
import { TABLE_SCHEMA } from '../lambdas/shared/table-schema.js';
import {
  BUNDLE_TARGET,
  ESM_REQUIRE_BANNER,
  entryPath,
  LOCK_FILE,
  MAIN_FIELDS,
  PROJECT_ROOT,
} from './bundling.js';
import { businessMetric, Monitoring } from './monitoring.js';
import { ACCESS, type Access, type AccessTargets, grantAccess, isAccessId } from './permissions.js';

/**
 * Table settings that may be overridden. The key schema, the TTL attribute and the refresh index
 * come from `TABLE_SCHEMA` and cannot be changed.
 */
export type OAuthBackendTableProps = Partial<
  Omit<TableProps, 'partitionKey' | 'sortKey' | 'timeToLiveAttribute'>
>;

/**
 * Function settings that may be overridden, applied to every function of the construct. Entry,
 * runtime, handler, bundling, timeout, role and log group are the construct's own: they carry its
 * guarantees (bundles, least privilege, timeouts below the API's).
 */
export type OAuthBackendFunctionProps = Pick<
  NodejsFunctionProps,
  | 'memorySize'
  | 'architecture'
  | 'reservedConcurrentExecutions'
  | 'environment'
  | 'environmentEncryption'
  | 'layers'
  | 'loggingFormat'
  | 'applicationLogLevelV2'
  | 'systemLogLevelV2'
  | 'description'
>;

/** Properties of {@link OAuthBackend}. */
export interface OAuthBackendProps {
  /**
   * Issuer URL of the authorization server. Its endpoints are found by discovery
   * (`/.well-known/openid-configuration`, RFC 8414).
   *
   * When `authorizationEndpoint` and `tokenEndpoint` are given as well, no discovery happens and
   * this is only the issuer expected in responses (RFC 9207 `iss`, the ID token's `iss`).
   *
   * @default - none: give either this or `authorizationEndpoint` and `tokenEndpoint`
   */
  readonly issuer?: string;

  /**
   * Authorization endpoint, for a plain OAuth 2.0 authorization server without discovery.
   * Must be given together with `tokenEndpoint`.
   *
   * @default - discovered from `issuer`
   */
  readonly authorizationEndpoint?: string;

  /**
   * Token endpoint, for a plain OAuth 2.0 authorization server without discovery.
   * Must be given together with `authorizationEndpoint`.
   *
   * @default - discovered from `issuer`
   */
  readonly tokenEndpoint?: string;

  /** Client identifier registered at the authorization server. */
  readonly clientId: string;

  /**
   * How the client authenticates at the token endpoint (RFC 6749 section 2.3.1).
   *
   * @default 'client_secret_basic'
   */
  readonly clientAuthMethod?: ClientAuthMethod;

  /**
   * Scopes requested at login. An ID token is requested and validated when `openid` is among them.
   *
   * @default ['openid']
   */
  readonly scopes?: readonly string[];

  /**
   * An existing secret whose secret string is the client secret.
   *
   * @default - a new secret is created; put the client secret into it after the first deployment
   */
  readonly clientSecret?: ISecret;

  /**
   * An existing KMS key for the envelope encryption of the tokens at rest. Its key policy must let
   * IAM policies of this account grant its use (the default key policy does).
   *
   * @default - a new symmetric key with yearly automatic rotation
   */
  readonly kmsKey?: IKey;

  /**
   * An existing DynamoDB table. It must have the schema of `TABLE_SCHEMA`: partition key `pk`
   * (string), no sort key, TTL on `expiresAt`, and the global secondary index `refresh-due`
   * (partition key `refreshShard` string, sort key `refreshAt` number, projection ALL).
   * Cannot be combined with `tableProps`.
   *
   * @default - a new table: on-demand, point-in-time recovery, encrypted with an AWS managed key
   */
  readonly table?: ITable;

  /**
   * Overrides for the table the construct creates. Cannot be combined with `table`.
   *
   * @default - on-demand, point-in-time recovery, AWS managed encryption, `removalPolicy`
   */
  readonly tableProps?: OAuthBackendTableProps;

  /**
   * Overrides for every function the construct creates.
   *
   * @default - 256 MB, arm64, no reserved concurrency
   */
  readonly functionProps?: OAuthBackendFunctionProps;

  /**
   * An existing HTTP API to add the routes to, under `pathPrefix`. When it is an `HttpApi` with a
   * default stage, the construct throttles its own routes there and, if the stage has no access
   * logging yet, turns it on with its own log format and log group.
   *
   * @default - a new HTTP API with a throttled, access-logged `$default` stage
   */
  readonly httpApi?: IHttpApi;

  /**
   * A path the routes are placed under, such as `/auth` for `GET /auth/login` and
   * `GET /auth/redirect`. Cookies keep `Path=/` (they carry the `__Host-` prefix).
   *
   * @default - none: `GET /login`, `GET /redirect`
   */
  readonly pathPrefix?: string;

  /**
   * A custom domain for the API the construct creates: the domain is mapped to the API's default
   * stage, the `execute-api` endpoint is turned off, and the redirect URI uses the domain.
   * With an existing `httpApi`, map your domain yourself and give `redirectUri` instead.
   *
   * @default - the API's `execute-api` endpoint
   */
  readonly domainName?: IDomainName;

  /**
   * The redirect URI registered at the authorization server, when the browser reaches the API
   * through something the construct cannot see (CloudFront, a domain mapped by the embedder).
   * Must end in the redirect route's path (`<pathPrefix>/redirect`) as the browser sees it.
   *
   * @default - `${api endpoint or custom domain}${pathPrefix}/redirect`
   */
  readonly redirectUri?: string;

  /**
   * How often the refresh function looks for sessions whose access token is due.
   * A whole number of minutes; `Duration.seconds(0)` disables the schedule.
   *
   * @default Duration.minutes(1)
   */
  readonly refreshSchedule?: Duration;

  /**
   * Refresh an access token this long before it expires.
   *
   * @default Duration.minutes(5)
   */
  readonly refreshBeforeExpiry?: Duration;

  /**
   * How long a user may take at the authorization server between `/login` and `/redirect`.
   *
   * @default Duration.minutes(10)
   */
  readonly loginTimeout?: Duration;

  /**
   * Lifetime of a session, however long its tokens live or get refreshed.
   *
   * @default Duration.hours(8)
   */
  readonly sessionDuration?: Duration;

  /**
   * Same-origin path the browser is sent to after login when `/login` had no `returnTo`.
   *
   * @default '/'
   */
  readonly postLoginPath?: string;

  /**
   * Same-origin path the browser is sent to after logout.
   *
   * @default '/'
   */
  readonly postLogoutPath?: string;

  /**
   * Further origins allowed to `POST /logout` (its cross-site check), e.g. a front end on another
   * host: bare `https://host[:port]` origins. The redirect URI's origin is always allowed.
   *
   * @default - only the redirect URI's origin
   */
  readonly allowedOrigins?: readonly string[];

  /**
   * Send the ID token as `id_token_hint` to the authorization server's end-session endpoint at
   * logout. Some servers require it; it also puts the ID token into the browser's URL.
   *
   * @default false
   */
  readonly logoutIdTokenHint?: boolean;

  /**
   * What the cookie names start with after `__Host-`: the session cookie is
   * `__Host-<cookiePrefix>session`. Two backends served from one host (one API, or one domain)
   * must use different prefixes. 1-32 characters of `A-Z a-z 0-9 _ -`.
   *
   * @default 'bff-'
   */
  readonly cookiePrefix?: string;

  /**
   * Timeout of each request to the authorization server. Must be shorter than the route
   * functions' timeout (10 seconds), so a slow authorization server yields an error page
   * rather than a killed function.
   *
   * @default Duration.seconds(5)
   */
  readonly httpTimeout?: Duration;

  /**
   * Throttling of the routes: the default route settings of a stage the construct owns, or
   * route settings for its own routes on an existing API's default stage.
   *
   * @default { rateLimit: 50, burstLimit: 100 } (on an existing API: the stage's own default
   *   route throttling when it has one)
   */
  readonly throttle?: ThrottleSettings;

  /**
   * What happens to the stateful resources (the table, a created secret, a created key, the log
   * groups) when they leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * Retention of the function log groups and the API access log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * The `service` of the handlers' logs and metrics (POWERTOOLS_SERVICE_NAME), and the dimension
   * the alarms select. Two instances must differ, or their alarms would mix.
   *
   * @default - the construct path, e.g. `MyStack/Auth`
   */
  readonly serviceName?: string;

  /**
   * CloudWatch namespace of the handlers' business metrics.
   *
   * @default 'OAuthBackend'
   */
  readonly metricsNamespace?: string;

  /**
   * AWS X-Ray active tracing on every function.
   *
   * @default false
   */
  readonly tracing?: boolean;

  /**
   * Create CloudWatch alarms: refresh failures, API 5xx (when the API is the construct's own),
   * and each function's errors and throttles.
   *
   * @default true
   */
  readonly enableAlarms?: boolean;

  /**
   * An SNS topic every alarm notifies, on alarm and back to OK.
   *
   * @default - alarms without actions
   */
  readonly alarmTopic?: ITopic;

  /**
   * The refresh-failure alarm fires when more than this many refreshes fail within 5 minutes.
   *
   * @default 5
   */
  readonly refreshFailureAlarmThreshold?: number;

  /**
   * The 5xx alarm fires when the API answers more than this many requests with 5xx within 5 minutes.
   *
   * @default 5
   */
  readonly serverErrorAlarmThreshold?: number;

  /**
   * A CloudWatch dashboard of logins, refreshes, the API and the functions.
   *
   * @default false
   */
  readonly dashboard?: boolean;

  /**
   * Prepares the template for `sam local`: declares OAUTH_CLIENT_SECRET, TOKEN_ENCRYPTION_KEY and
   * AWS_ENDPOINT_URL_DYNAMODB as empty variables on every function, because `sam local
   * --env-vars` only sets variables the template declares. Empty values mean "unset" to the
   * handlers and the AWS SDK. Not for deployments.
   *
   * @default false
   */
  readonly samLocal?: boolean;
}

/** Timeout of the functions behind the HTTP routes. */
const ROUTE_FUNCTION_TIMEOUT = Duration.seconds(10);
/** Timeout of the scheduled refresh function, which works through a batch of sessions. */
const REFRESH_FUNCTION_TIMEOUT = Duration.seconds(60);
/**
 * Memory (and so CPU) of the functions. The refresh function is CPU-bound under load (about 6 ms
 * of CPU per refresh, BENCHMARKS.md), and at 256 MB Lambda gives it about a seventh of a vCPU;
 * 1 GB (about 0.6 vCPU) lets one tick refresh several times more sessions, for seconds a minute.
 */
const ROUTE_FUNCTION_MEMORY_MB = 256;
const REFRESH_FUNCTION_MEMORY_MB = 1024;
const DEFAULT_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;
const REFRESH_ID = 'Refresh';

/** Variables `sam local --env-vars` may need to set; the construct never gives them a value. */
export const SAM_LOCAL_VARIABLES = [
  ENV.clientSecret,
  ENV.tokenEncryptionKey,
  'AWS_ENDPOINT_URL_DYNAMODB',
] as const;

/**
 * Why each route has no API Gateway authorizer (cdk-nag AwsSolutions-APIG4). A new route must
 * state its reason here, as it must state its permissions in ACCESS.
 */
const PUBLIC_ROUTE_REASONS: Readonly<Record<string, string>> = {
  Login:
    'The login route starts the sign-in for a browser that has no session yet, so it cannot require authentication.',
  Redirect:
    'The redirect route is where the authorization server sends the browser back to finish the sign-in, and it ' +
    'authenticates that answer itself (state, browser-binding cookie, code exchange) before any session exists.',
  Session:
    'The session route authenticates the caller itself by the opaque session cookie, which only this backend can resolve.',
  Logout:
    'The logout route authenticates the caller itself by the opaque session cookie, which only this backend can resolve.',
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

/** What the construct has registered on each API object, to catch clashes at synth time. */
const API_USERS = new WeakMap<
  object,
  { routeKeys: Map<string, string>; cookiePrefixes: Map<string, string> }
>();

/**
 * A backend-for-frontend OAuth 2.0 client (authorization code + PKCE, confidential client):
 * HTTP routes `GET /login` and `GET /redirect` (and the further routes of `ROUTES`), a DynamoDB
 * table of login transactions and sessions with envelope-encrypted tokens, the client secret in
 * Secrets Manager, a scheduled function that refreshes tokens, access logs, alarms and an optional
 * dashboard.
 *
 * @example
 * new OAuthBackend(this, 'Auth', { issuer: 'https://issuer.example.com', clientId: 'my-client' });
 */
export class OAuthBackend extends Construct {
  /** The API the routes are on: the construct's own, or the one given as `httpApi`. */
  readonly httpApi: IHttpApi;
  /** The routes the construct added, in `ROUTES` order. */
  readonly routes: readonly HttpRoute[];
  /** Login transactions and sessions with their (encrypted) tokens. */
  readonly table: ITable;
  /** The client secret; put its value here when the construct created it. */
  readonly clientSecret: ISecret;
  /** The KMS key whose data keys encrypt the tokens at rest. */
  readonly kmsKey: IKey;
  readonly loginFunction: NodejsFunction;
  readonly redirectFunction: NodejsFunction;
  /** `GET /session`, once `ROUTES` has it. */
  readonly sessionFunction?: NodejsFunction;
  /** `POST /logout`, once `ROUTES` has it. */
  readonly logoutFunction?: NodejsFunction;
  readonly refreshFunction: NodejsFunction;
  /** Every function of the construct: the route functions in `ROUTES` order, then refresh. */
  readonly functions: readonly NodejsFunction[];
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
  private readonly removalPolicy: RemovalPolicy;
  private readonly functionEnvironment: Record<string, string>;

  constructor(scope: Construct, id: string, props: OAuthBackendProps) {
    super(scope, id);

    const settings = validate(props, this.node.path);
    this.settings = settings;
    this.removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    this.serviceName = settings.serviceName;
    this.cookiePrefix = settings.cookiePrefix;

    this.table = props.table ?? this.createTable(props.tableProps ?? {});

    this.clientSecret = props.clientSecret ?? this.createClientSecret(props.clientId);

    this.kmsKey =
      props.kmsKey ??
      new Key(this, 'TokenKey', {
        description: `Encrypts the data keys that encrypt the OAuth tokens at rest (${settings.serviceName})`,
        enableKeyRotation: true,
        removalPolicy: this.removalPolicy,
      });

    // The API: the construct's own, or the embedder's.
    const ownApi = props.httpApi === undefined;
    this.httpApi =
      props.httpApi ??
      new HttpApi(this, 'HttpApi', {
        description: `OAuth 2.0 backend-for-frontend (${settings.serviceName})`,
        createDefaultStage: true,
        ...(props.domainName
          ? { defaultDomainMapping: { domainName: props.domainName }, disableExecuteApiEndpoint: true }
          : {}),
      });
    this.url = this.publicUrl(props);
    this.registerOnApi();

    this.redirectUri = props.redirectUri ?? `${this.url}${routeById('Redirect').path}`;
    this.loginUrl = `${this.url}${routeById('Login').path}`;

    this.handlerEnvironment = {
      ...settings.authorizationServerEnv,
      [ENV.clientId]: props.clientId,
      [ENV.clientSecretArn]: this.clientSecret.secretArn,
      [ENV.clientAuthMethod]: settings.clientAuthMethod,
      [ENV.scope]: settings.scope,
      [ENV.redirectUri]: this.redirectUri,
      [ENV.tableName]: this.table.tableName,
      [ENV.tokenKmsKeyId]: this.kmsKey.keyArn,
      [ENV.refreshBeforeExpirySeconds]: String(settings.refreshBeforeExpiry.toSeconds()),
      [ENV.loginTimeoutSeconds]: String(settings.loginTimeout.toSeconds()),
      [ENV.sessionDurationSeconds]: String(settings.sessionDuration.toSeconds()),
      [ENV.postLoginPath]: settings.postLoginPath,
      [ENV.postLogoutPath]: settings.postLogoutPath,
      [ENV.cookiePrefix]: settings.cookiePrefix,
      ...(settings.allowedOrigins.length > 0
        ? { [ENV.allowedOrigins]: settings.allowedOrigins.join(',') }
        : {}),
      [ENV.logoutIdTokenHint]: String(props.logoutIdTokenHint ?? false),
      [ENV.httpTimeoutMs]: String(settings.httpTimeout.toMilliseconds()),
    };
    const extra = props.functionProps?.environment ?? {};
    const clashes = Object.keys(extra).filter((name) => name in this.handlerEnvironment);
    if (clashes.length > 0) {
      throw new Error(`OAuthBackend: functionProps.environment must not set ${clashes.join(', ')}`);
    }
    this.functionEnvironment = {
      ...extra,
      ...this.handlerEnvironment,
      POWERTOOLS_SERVICE_NAME: settings.serviceName,
      POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
      ...(props.samLocal ? Object.fromEntries(SAM_LOCAL_VARIABLES.map((name) => [name, ''])) : {}),
    };

    const functionsById = new Map<string, NodejsFunction>();
    const routes: HttpRoute[] = [];
    for (const route of ROUTES) {
      const access = accessFor(route.id);
      const reason = PUBLIC_ROUTE_REASONS[route.id];
      if (reason === undefined) {
        throw new Error(`OAuthBackend: no reason declared why route "${route.id}" needs no authorizer`);
      }
      const fn = this.createFunction(route.id, route.entry, ROUTE_FUNCTION_TIMEOUT, props);
      this.grant(fn, access);
      const httpRoute = new HttpRoute(this, `${route.id}Route`, {
        httpApi: this.httpApi,
        routeKey: HttpRouteKey.with(this.routePath(route), HttpMethod[route.method]),
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn),
        // Explicitly none: an existing API's default authorizer must not guard the sign-in itself.
        authorizer: new HttpNoneAuthorizer(),
      });
      Validations.of(httpRoute).acknowledge({ id: 'AwsSolutions-APIG4', reason });
      functionsById.set(route.id, fn);
      routes.push(httpRoute);
    }
    this.routes = routes;
    this.accessLogGroup = this.configureStage(ownApi, props.throttle);
    this.loginFunction = required(functionsById, 'Login');
    this.redirectFunction = required(functionsById, 'Redirect');
    this.sessionFunction = functionsById.get('Session');
    this.logoutFunction = functionsById.get('Logout');

    this.refreshFunction = this.createFunction(
      REFRESH_ID,
      REFRESH_ENTRY,
      REFRESH_FUNCTION_TIMEOUT,
      props,
      // A failed tick is not retried: the next tick finds the same due sessions, and a retry would
      // only run alongside it.
      0,
      REFRESH_FUNCTION_MEMORY_MB,
    );
    this.grant(this.refreshFunction, ACCESS.Refresh);
    functionsById.set(REFRESH_ID, this.refreshFunction);
    this.functions = [...functionsById.values()];

    if (settings.refreshSchedule.toSeconds() > 0) {
      this.refreshRule = new Rule(this, 'RefreshSchedule', {
        description: `Invokes the OAuth token refresh function (${settings.serviceName})`,
        schedule: Schedule.rate(settings.refreshSchedule),
        targets: [new LambdaFunction(this.refreshFunction)],
      });
    }

    const monitoring = new Monitoring(this, 'Monitoring', {
      namespace: settings.metricsNamespace,
      serviceName: settings.serviceName,
      ...(ownApi ? { httpApi: this.httpApi } : {}),
      functions: functionsById,
      alarms: props.enableAlarms ?? true,
      ...(props.alarmTopic ? { alarmTopic: props.alarmTopic } : {}),
      refreshFailureThreshold: settings.refreshFailureAlarmThreshold,
      serverErrorThreshold: settings.serverErrorAlarmThreshold,
      dashboard: props.dashboard ?? false,
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
    return this.grant(fn, ACCESS.SessionAccess);
  }

  /**
   * A business metric of this instance (`LoginStarted`, `LoginCompleted`, `LoginFailed`,
   * `RefreshSucceeded`, `RefreshFailed`, `SessionEnded`), summed over 5 minutes by default.
   */
  metric(metricName: MetricName, options?: MetricOptions): Metric {
    return businessMetric(this.settings.metricsNamespace, this.settings.serviceName, metricName, options);
  }

  private grant(fn: IFunction, access: Access): Grant {
    const targets: AccessTargets = {
      table: this.table,
      clientSecret: this.clientSecret,
      tokenKey: this.kmsKey,
    };
    return grantAccess(fn, access, targets);
  }

  private routePath(route: RouteDefinition): string {
    return `${this.settings.pathPrefix}${route.path}`;
  }

  private createTable(overrides: OAuthBackendTableProps): Table {
    // The deprecated flag and its replacement cannot both be set; honour whichever the embedder used.
    const pitr =
      overrides.pointInTimeRecovery === undefined && overrides.pointInTimeRecoverySpecification === undefined
        ? { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } }
        : {};
    const encryption =
      overrides.encryption === undefined && overrides.encryptionKey === undefined
        ? { encryption: TableEncryption.AWS_MANAGED }
        : {};
    const table = new Table(this, 'Table', {
      billingMode: BillingMode.PAY_PER_REQUEST,
      removalPolicy: this.removalPolicy,
      ...pitr,
      ...encryption,
      ...overrides,
      partitionKey: attribute(TABLE_SCHEMA.partitionKey),
      timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
    });
    table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.refreshIndex.indexName,
      partitionKey: attribute(TABLE_SCHEMA.refreshIndex.partitionKey),
      sortKey: attribute(TABLE_SCHEMA.refreshIndex.sortKey),
      // The refresh function reads the sessions straight from the index, without a second read per item.
      projectionType: ProjectionType.ALL,
    });
    return table;
  }

  private createClientSecret(clientId: string): Secret {
    const secret = new Secret(this, 'ClientSecret', {
      description:
        `OAuth client secret of client "${clientId}". Replace this generated value with the client ` +
        'secret issued by the authorization server (the secret string is the client secret itself).',
      removalPolicy: this.removalPolicy,
    });
    Validations.of(secret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The client secret is issued by the authorization server and can only be rotated there; ' +
        'after rotating it there, put the new value into this secret.',
    });
    return secret;
  }

  /** Records this instance's route keys and cookie prefix on its API, refusing clashes. */
  private registerOnApi(): void {
    let users = API_USERS.get(this.httpApi);
    if (!users) {
      users = { routeKeys: new Map(), cookiePrefixes: new Map() };
      API_USERS.set(this.httpApi, users);
    }
    const other = users.cookiePrefixes.get(this.settings.cookiePrefix);
    if (other !== undefined) {
      throw new Error(
        `OAuthBackend: ${this.node.path} and ${other} are on one API with the same cookiePrefix ` +
          `"${this.settings.cookiePrefix}"; give each its own cookiePrefix so their cookies stay apart`,
      );
    }
    for (const route of ROUTES) {
      const key = `${route.method} ${this.routePath(route)}`;
      const owner = users.routeKeys.get(key);
      if (owner !== undefined) {
        throw new Error(
          `OAuthBackend: route ${key} of ${this.node.path} is already taken by ${owner}; give each its own pathPrefix`,
        );
      }
      users.routeKeys.set(key, this.node.path);
    }
    users.cookiePrefixes.set(this.settings.cookiePrefix, this.node.path);
  }

  /**
   * Access logs and throttling on the API's default stage, where the construct can reach it: the
   * whole stage when the API is its own; only its own routes (and access logs, when the stage has
   * none) on an embedder's `HttpApi`. An imported API's stage belongs to the embedder.
   */
  private configureStage(ownApi: boolean, throttleProp: ThrottleSettings | undefined): ILogGroup | undefined {
    const child = this.httpApi.defaultStage?.node.defaultChild;
    if (
      !(
        child &&
        CfnResource.isCfnResource(child) &&
        child.cfnResourceType === CfnStage.CFN_RESOURCE_TYPE_NAME
      )
    ) {
      return undefined;
    }
    const stage = child as CfnStage;
    // A stage in another stack stays untouched: pointing it at this construct's log group would
    // make the two stacks depend on each other.
    if (!ownApi && Stack.of(stage) !== Stack.of(this)) return undefined;
    const throttle = throttleProp ?? DEFAULT_THROTTLE;
    const routeThrottle = {
      throttlingRateLimit: throttle.rateLimit,
      throttlingBurstLimit: throttle.burstLimit,
    };

    if (ownApi) {
      stage.defaultRouteSettings = routeThrottle;
    } else {
      const defaults = stage.defaultRouteSettings as CfnStage.RouteSettingsProperty | undefined;
      const stageThrottles =
        defaults !== undefined &&
        (Token.isUnresolved(defaults) ||
          defaults.throttlingRateLimit !== undefined ||
          defaults.throttlingBurstLimit !== undefined);
      // An explicit `throttle` wins; otherwise the embedder's own stage-wide throttling applies.
      if (throttleProp !== undefined || !stageThrottles) {
        const existing: unknown = stage.routeSettings ?? {};
        if (Token.isUnresolved(existing)) {
          throw new Error(
            'OAuthBackend: the stage of httpApi has unresolved routeSettings; give the routes a throttle there',
          );
        }
        const settings: Record<string, unknown> = { ...(existing as Record<string, unknown>) };
        for (const route of ROUTES) {
          // RouteSettings is untyped JSON in CloudFormation: its keys are spelled as CloudFormation spells them.
          settings[`${route.method} ${this.routePath(route)}`] = {
            ThrottlingRateLimit: throttle.rateLimit,
            ThrottlingBurstLimit: throttle.burstLimit,
          };
        }
        stage.routeSettings = settings;
        // API Gateway refuses route settings for routes that do not exist yet.
        for (const route of this.routes) stage.node.addDependency(route);
      }
    }

    if (stage.accessLogSettings !== undefined) return undefined;
    const logGroup = new LogGroup(this, 'AccessLogs', {
      retention: this.settings.logRetention,
      removalPolicy: this.removalPolicy,
    });
    stage.accessLogSettings = { destinationArn: logGroup.logGroupArn, format: ACCESS_LOG_FORMAT };
    return logGroup;
  }

  /** Origin plus prefix as the browser sees it. */
  private publicUrl(props: OAuthBackendProps): string {
    const suffix = `${this.settings.pathPrefix}${routeById('Redirect').path}`;
    if (props.redirectUri !== undefined && !Token.isUnresolved(props.redirectUri)) {
      if (props.redirectUri.endsWith(suffix)) {
        return props.redirectUri.slice(0, -routeById('Redirect').path.length);
      }
    }
    if (props.domainName) return `https://${props.domainName.name}${this.settings.pathPrefix}`;
    let endpoint: string;
    try {
      endpoint = this.httpApi.apiEndpoint;
    } catch (cause) {
      throw new Error(
        'OAuthBackend: the endpoint of httpApi is unknown (an imported API without apiEndpoint); give redirectUri',
        { cause },
      );
    }
    return `${endpoint}${this.settings.pathPrefix}`;
  }

  private createFunction(
    id: string,
    entry: string,
    timeout: Duration,
    props: OAuthBackendProps,
    retryAttempts?: number,
    memorySize = ROUTE_FUNCTION_MEMORY_MB,
  ): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, {
      retention: this.settings.logRetention,
      removalPolicy: this.removalPolicy,
    });
    // Its own role with an inline policy, instead of the managed AWSLambdaBasicExecutionRole (which
    // may write to any log group): the function may write to its own log group only.
    const role = new Role(this, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `${id} function of the OAuth backend ${this.settings.serviceName}`,
    });
    logGroup.grantWrite(role);
    if (props.tracing) {
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions, so Lambda's tracing statement names Resource '*'.",
      });
    }
    const { environment: _extra, ...overrides } = props.functionProps ?? {};
    return new NodejsFunction(this, `${id}Function`, {
      memorySize,
      architecture: Architecture.ARM_64,
      ...overrides,
      entry: entryPath(entry),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: LOCK_FILE,
      runtime: Runtime.NODEJS_24_X,
      timeout,
      environment: this.functionEnvironment,
      logGroup,
      role,
      ...(props.tracing ? { tracing: Tracing.ACTIVE } : {}),
      ...(retryAttempts === undefined ? {} : { retryAttempts }),
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        // No source maps: with NODE_OPTIONS=--enable-source-maps Node parses the 2 MB map at every
        // cold start (+10-30 ms measured, BENCHMARKS.md); error logs carry names and codes instead.
        sourceMap: false,
        target: BUNDLE_TARGET,
        mainFields: MAIN_FIELDS,
        // The SDK is bundled: a minified bundle initialises faster than the runtime-provided SDK.
        externalModules: [],
        banner: ESM_REQUIRE_BANNER,
        forceDockerBundling: false,
      },
    });
  }
}

interface Settings {
  readonly authorizationServerEnv: Record<string, string>;
  readonly clientAuthMethod: ClientAuthMethod;
  readonly scope: string;
  readonly refreshSchedule: Duration;
  readonly refreshBeforeExpiry: Duration;
  readonly loginTimeout: Duration;
  readonly sessionDuration: Duration;
  readonly postLoginPath: string;
  readonly postLogoutPath: string;
  readonly cookiePrefix: string;
  readonly allowedOrigins: readonly string[];
  readonly httpTimeout: Duration;
  readonly pathPrefix: string;
  readonly serviceName: string;
  readonly metricsNamespace: string;
  readonly logRetention: RetentionDays;
  readonly refreshFailureAlarmThreshold: number;
  readonly serverErrorAlarmThreshold: number;
}

/** Same rule as the handlers' loader and `returnTo`: one leading "/", no dot segments, canonical. */
const isSameOriginPathProp = (value: string) => /^[\x21-\x7E]+$/.test(value) && isSameOriginPath(value);

/**
 * Rejects at synth time what the handlers' config loader would reject at cold start, so a bad
 * value fails `cdk synth` instead of every request after a deployment. Values that are unresolved
 * tokens are only known at deploy time and are passed through unchecked.
 */
function validate(props: OAuthBackendProps, constructPath: string): Settings {
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
  // RFC 6749 section 3.3: scope tokens are %x21 / %x23-5B / %x5D-7E, joined by single spaces.
  const scopeToken = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
  if (scopes.length === 0) problems.push('scopes must not be empty');
  for (const scope of scopes) {
    if (!Token.isUnresolved(scope) && !scopeToken.test(scope)) {
      problems.push(`scope ${JSON.stringify(scope)} is not a valid scope token (RFC 6749 section 3.3)`);
    }
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
  checkSeconds('refreshBeforeExpiry', refreshBeforeExpiry, 0, 86_400, problems);
  const loginTimeout = props.loginTimeout ?? Duration.seconds(DEFAULTS.loginTimeoutSeconds);
  checkSeconds('loginTimeout', loginTimeout, 30, 3600, problems);
  const sessionDuration = props.sessionDuration ?? Duration.seconds(DEFAULTS.sessionDurationSeconds);
  checkSeconds('sessionDuration', sessionDuration, 60, 400 * 86_400, problems);

  const httpTimeout = props.httpTimeout ?? Duration.millis(DEFAULTS.httpTimeoutMs);
  if (!httpTimeout.isUnresolved()) {
    const ms = httpTimeout.toMilliseconds({ integral: false });
    if (ms >= ROUTE_FUNCTION_TIMEOUT.toMilliseconds()) {
      problems.push(
        `httpTimeout (${httpTimeout.toHumanString()}) must be less than the function timeout ` +
          `(${ROUTE_FUNCTION_TIMEOUT.toHumanString()})`,
      );
    } else if (ms < 100 || !Number.isInteger(ms)) {
      problems.push('httpTimeout must be a whole number of milliseconds, at least 100');
    }
  }

  const postLoginPath = props.postLoginPath ?? DEFAULTS.postLoginPath;
  if (!Token.isUnresolved(postLoginPath) && !isSameOriginPathProp(postLoginPath)) {
    problems.push('postLoginPath must be a same-origin path starting with a single "/"');
  }
  const postLogoutPath = props.postLogoutPath ?? DEFAULTS.postLogoutPath;
  if (!Token.isUnresolved(postLogoutPath) && !isSameOriginPathProp(postLogoutPath)) {
    problems.push('postLogoutPath must be a same-origin path starting with a single "/"');
  }

  const cookiePrefix = props.cookiePrefix ?? DEFAULTS.cookiePrefix;
  // The handlers' rule: the name must stay a valid cookie name after `__Host-`.
  if (Token.isUnresolved(cookiePrefix) || !/^[A-Za-z0-9_-]{1,32}$/.test(cookiePrefix)) {
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
    const suffix = `${pathPrefix}${routeById('Redirect').path}`;
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

  if (problems.length > 0) throw new Error(`OAuthBackend: invalid props: ${problems.join('; ')}`);
  return {
    authorizationServerEnv,
    clientAuthMethod,
    scope: scopes.join(' '),
    refreshSchedule,
    refreshBeforeExpiry,
    loginTimeout,
    sessionDuration,
    postLoginPath,
    postLogoutPath,
    cookiePrefix,
    allowedOrigins,
    httpTimeout,
    pathPrefix,
    serviceName,
    metricsNamespace,
    logRetention: props.logRetention ?? RetentionDays.ONE_MONTH,
    refreshFailureAlarmThreshold,
    serverErrorAlarmThreshold,
  };
}

/**
 * An existing table's schema can be checked when it is a CDK `Table` of this app; an imported one
 * (`Table.fromTableName`) carries no schema, so the README states what it must have.
 */
function checkTableSchema(candidate: ITable, problems: string[]): void {
  // Duck-typed: `instanceof Table` fails across two copies of aws-cdk-lib.
  if (typeof (candidate as Partial<Table>).schema !== 'function') return;
  const table = candidate as Table;
  const { partitionKey, sortKey } = table.schema();
  const expected = attribute(TABLE_SCHEMA.partitionKey);
  if (partitionKey?.name !== expected.name || partitionKey.type !== expected.type || sortKey !== undefined) {
    problems.push(`table must have the partition key "${expected.name}" (string) and no sort key`);
  }
  const index = TABLE_SCHEMA.refreshIndex;
  let indexSchema: ReturnType<Table['schema']> | undefined;
  try {
    indexSchema = table.schema(index.indexName);
  } catch {
    indexSchema = undefined;
  }
  const pk = attribute(index.partitionKey);
  const sk = attribute(index.sortKey);
  if (
    indexSchema?.partitionKey?.name !== pk.name ||
    indexSchema.partitionKey.type !== pk.type ||
    indexSchema.sortKey?.name !== sk.name ||
    indexSchema.sortKey.type !== sk.type
  ) {
    problems.push(
      `table must have the global secondary index "${index.indexName}" (partition key "${pk.name}" string, sort key "${sk.name}" number)`,
    );
  }
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
  // there is no exception for plain http here.
  if (url.protocol !== 'https:') problems.push(`${name} must be an https URL`);
}

function checkSeconds(name: string, value: Duration, min: number, max: number, problems: string[]): void {
  if (value.isUnresolved()) return;
  const seconds = value.toSeconds({ integral: false });
  if (!Number.isInteger(seconds) || seconds < min || seconds > max) {
    problems.push(`${name} must be a whole number of seconds from ${min} to ${max}`);
  }
}

function attribute(key: { readonly name: string; readonly type: 'S' | 'N' | 'B' }) {
  const types = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;
  return { name: key.name, type: types[key.type] };
}

function accessFor(routeId: string): Access {
  // A new route must state its permissions in ACCESS rather than silently run with none.
  if (!isAccessId(routeId) || routeId === 'SessionAccess' || routeId === REFRESH_ID) {
    throw new Error(`OAuthBackend: no permissions declared for route "${routeId}"`);
  }
  return ACCESS[routeId];
}

function routeById(id: string): RouteDefinition {
  const route = ROUTES.find((r) => r.id === id);
  if (!route) throw new Error(`OAuthBackend: route "${id}" is missing from ROUTES`);
  return route;
}

function required(functions: ReadonlyMap<string, NodejsFunction>, routeId: string): NodejsFunction {
  const fn = functions.get(routeId);
  if (!fn) throw new Error(`OAuthBackend: route "${routeId}" is missing from ROUTES`);
  return fn;
}

function hasAddEnvironment(
  fn: IFunction,
): fn is IFunction & { addEnvironment(key: string, value: string): unknown } {
  // Duck-typed rather than `instanceof lambda.Function`, which fails across two copies of aws-cdk-lib.
  return typeof (fn as { addEnvironment?: unknown }).addEnvironment === 'function';
}
