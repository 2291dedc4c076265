/**
 * The construct's props: every one `readonly`, with JSDoc and its default. The README's props
 * table is checked against this file (test/infra/docs.test.ts).
 */
import type { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IDomainName, IHttpApi, ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import type { ITable, TableProps } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { FunctionProps } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { ApiRouteDefinition } from '../lambdas/shared/definitions/api-routes.js';
import type { ClientAuthMethod } from '../lambdas/shared/definitions/env.js';

/**
 * Table settings that may be overridden. The key schema, the TTL attribute and the refresh index
 * come from `TABLE_SCHEMA` and cannot be changed.
 */
export type OAuthBackendTableProps = Partial<
  Omit<TableProps, 'partitionKey' | 'sortKey' | 'timeToLiveAttribute'>
>;

/**
 * Function settings that may be overridden, applied to every function of the construct. Code,
 * runtime, handler, timeout, role and log group are the construct's own: they carry its
 * guarantees (the prebuilt bundles, least privilege, timeouts below the API's).
 */
export type OAuthBackendFunctionProps = Pick<
  FunctionProps,
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
   * Parameters added to every authorization request, e.g. `{ audience: 'https://api.example.com' }`
   * (Auth0, for an access token to your API) or `{ resource: 'https://api.example.com' }` (RFC 8707).
   * Values `/login` takes from its query for one login (`prompt`, `login_hint`, `ui_locales`,
   * `acr_values`, `max_age`) replace these of the same name. The parameters the backend owns
   * (`response_type`, `client_id`, `redirect_uri`, `scope`, `state`, `nonce`, `code_challenge`,
   * `code_challenge_method`, `response_mode`, `request`, `request_uri`) are refused at synth time.
   *
   * @default - none
   */
  readonly authorizationParams?: Readonly<Record<string, string>>;

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
   * (string), no sort key, TTL on `expiresAt`, the global secondary index `refresh-due`
   * (partition key `refreshShard` string, sort key `refreshAt` number, projection ALL), and the
   * global secondary index `session-subject` (partition key `sub` string, no sort key, projecting
   * `sid`).
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
   * APIs the browser app calls through the backend (README "API proxy"): each `path` on the app's
   * origin (not under `pathPrefix`) forwards to its `upstream` base URL, e.g.
   * `{ path: '/api/orders', upstream: 'https://orders.example.com/v1' }`, with the session's access
   * token as `Authorization: Bearer`. Each adds `ANY <path>` and `ANY <path>/{proxy+}` to the API,
   * served by one proxy function. Paths are literal segments and must not overlap each other or
   * the backend's own routes; upstreams are `https` base URLs without query or credentials.
   *
   * @default - no API proxy
   */
  readonly apiRoutes?: readonly ApiRouteDefinition[];
}
