import { Duration, RemovalPolicy, Token } from 'aws-cdk-lib';
import { type CfnStage, HttpApi, HttpMethod, type ThrottleSettings } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { CLIENT_AUTH_METHODS, type ClientAuthMethod, DEFAULTS, ENV } from '../lambdas/shared/config.js';
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
   * Timeout of each request to the authorization server. Must be shorter than the route
   * functions' timeout (10 seconds), so a slow authorization server yields an error page
   * rather than a killed function.
   *
   * @default Duration.seconds(5)
   */
  readonly httpTimeout?: Duration;

  /**
   * Throttling of the API's default stage, applied to every route.
   *
   * @default { rateLimit: 50, burstLimit: 100 }
   */
  readonly throttle?: ThrottleSettings;

  /**
   * What happens to the stateful resources (the table, a created secret, the log groups) when they
   * leave the stack.
   *
   * @default RemovalPolicy.RETAIN
   */
  readonly removalPolicy?: RemovalPolicy;
}

/** Timeout of the functions behind the HTTP routes. */
const ROUTE_FUNCTION_TIMEOUT = Duration.seconds(10);
/** Timeout of the scheduled refresh function, which works through a batch of sessions. */
const REFRESH_FUNCTION_TIMEOUT = Duration.seconds(60);
const POWERTOOLS_SERVICE_NAME = 'oauth-backend';
const DEFAULT_THROTTLE = { rateLimit: 50, burstLimit: 100 } as const;

/**
 * A backend-for-frontend OAuth 2.0 client (authorization code + PKCE, confidential client):
 * an HTTP API with `GET /login` and `GET /redirect`, a DynamoDB table of login transactions and
 * sessions, the client secret in Secrets Manager, and a scheduled function that refreshes tokens.
 *
 * @example
 * new OAuthBackend(this, 'Auth', { issuer: 'https://issuer.example.com', clientId: 'my-client' });
 */
export class OAuthBackend extends Construct {
  readonly httpApi: HttpApi;
  /** Login transactions and sessions with their tokens. */
  readonly table: ITable;
  /** The client secret; put its value here when the construct created it. */
  readonly clientSecret: ISecret;
  readonly loginFunction: NodejsFunction;
  readonly redirectFunction: NodejsFunction;
  readonly refreshFunction: NodejsFunction;
  /** The refresh schedule; undefined when `refreshSchedule` is zero. */
  readonly refreshRule?: Rule;
  /** The redirect URI to register at the authorization server. */
  readonly redirectUri: string;
  /** Where the browser starts a login. */
  readonly loginUrl: string;

  constructor(scope: Construct, id: string, props: OAuthBackendProps) {
    super(scope, id);

    const settings = validate(props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    const table = new Table(this, 'Table', {
      partitionKey: attribute(TABLE_SCHEMA.partitionKey),
      timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
      billingMode: BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    table.addGlobalSecondaryIndex({
      indexName: TABLE_SCHEMA.refreshIndex.indexName,
      partitionKey: attribute(TABLE_SCHEMA.refreshIndex.partitionKey),
      sortKey: attribute(TABLE_SCHEMA.refreshIndex.sortKey),
      // The refresh function reads the tokens straight from the index, without a second read per item.
      projectionType: ProjectionType.ALL,
    });
    this.table = table;

    this.clientSecret =
      props.clientSecret ??
      new Secret(this, 'ClientSecret', {
        description:
          `OAuth client secret of client "${props.clientId}". Replace this generated value with the client ` +
          'secret issued by the authorization server (the secret string is the client secret itself).',
        removalPolicy,
      });

    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'OAuth 2.0 backend-for-frontend (authorization code + PKCE)',
      createDefaultStage: true,
    });
    // HttpApi takes no stage options for the default stage it creates, hence the L1 setting.
    const throttle = props.throttle ?? DEFAULT_THROTTLE;
    const stage = this.httpApi.defaultStage?.node.defaultChild as CfnStage;
    stage.defaultRouteSettings = {
      throttlingRateLimit: throttle.rateLimit,
      throttlingBurstLimit: throttle.burstLimit,
    };

    this.redirectUri = `${this.httpApi.apiEndpoint}${routeById('Redirect').path}`;
    this.loginUrl = `${this.httpApi.apiEndpoint}${routeById('Login').path}`;

    const environment: Record<string, string> = {
      ...settings.authorizationServerEnv,
      [ENV.clientId]: props.clientId,
      [ENV.clientSecretArn]: this.clientSecret.secretArn,
      [ENV.clientAuthMethod]: settings.clientAuthMethod,
      [ENV.scope]: settings.scope,
      [ENV.redirectUri]: this.redirectUri,
      [ENV.tableName]: this.table.tableName,
      [ENV.refreshBeforeExpirySeconds]: String(settings.refreshBeforeExpiry.toSeconds()),
      [ENV.loginTimeoutSeconds]: String(settings.loginTimeout.toSeconds()),
      [ENV.sessionDurationSeconds]: String(settings.sessionDuration.toSeconds()),
      [ENV.postLoginPath]: settings.postLoginPath,
      [ENV.httpTimeoutMs]: String(settings.httpTimeout.toMilliseconds()),
      NODE_OPTIONS: '--enable-source-maps',
      POWERTOOLS_SERVICE_NAME,
    };

    const routeFunctions = new Map<string, NodejsFunction>();
    for (const route of ROUTES) {
      const fn = this.createFunction(
        route.id,
        route.entry,
        ROUTE_FUNCTION_TIMEOUT,
        environment,
        removalPolicy,
      );
      this.httpApi.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${route.id}Integration`, fn),
      });
      routeFunctions.set(route.id, fn);
    }
    this.loginFunction = required(routeFunctions, 'Login');
    this.redirectFunction = required(routeFunctions, 'Redirect');

    this.refreshFunction = this.createFunction(
      'Refresh',
      REFRESH_ENTRY,
      REFRESH_FUNCTION_TIMEOUT,
      environment,
      removalPolicy,
      // A failed tick is not retried: the next tick finds the same due sessions, and a retry would
      // only run alongside it.
      0,
    );

    this.grantLeastPrivilege(routeFunctions);

    if (settings.refreshSchedule.toSeconds() > 0) {
      this.refreshRule = new Rule(this, 'RefreshSchedule', {
        description: 'Invokes the OAuth token refresh function',
        schedule: Schedule.rate(settings.refreshSchedule),
        targets: [new LambdaFunction(this.refreshFunction)],
      });
    }
  }

  private createFunction(
    id: string,
    entry: string,
    timeout: Duration,
    environment: Record<string, string>,
    removalPolicy: RemovalPolicy,
    retryAttempts?: number,
  ): NodejsFunction {
    const logGroup = new LogGroup(this, `${id}Logs`, { retention: RetentionDays.ONE_MONTH, removalPolicy });
    return new NodejsFunction(this, `${id}Function`, {
      entry: entryPath(entry),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: LOCK_FILE,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout,
      environment,
      logGroup,
      ...(retryAttempts === undefined ? {} : { retryAttempts }),
      bundling: {
        format: OutputFormat.ESM,
        minify: true,
        sourceMap: true,
        target: BUNDLE_TARGET,
        mainFields: MAIN_FIELDS,
        // The SDK is bundled: a minified bundle initialises faster than the runtime-provided SDK.
        externalModules: [],
        banner: ESM_REQUIRE_BANNER,
        forceDockerBundling: false,
      },
    });
  }

  /** Each function gets exactly the actions its handler performs, on exactly the resources it touches. */
  private grantLeastPrivilege(routeFunctions: ReadonlyMap<string, NodejsFunction>): void {
    const tableArn = this.table.tableArn;
    const refreshIndexArn = `${tableArn}/index/${TABLE_SCHEMA.refreshIndex.indexName}`;
    const allow = (fn: NodejsFunction, actions: string[], resources: string[]): void => {
      fn.addToRolePolicy(new PolicyStatement({ actions, resources }));
    };

    const routeGrants: Record<string, (fn: NodejsFunction) => void> = {
      // Writes the login transaction.
      Login: (fn) => allow(fn, ['dynamodb:PutItem'], [tableArn]),
      // Consumes the transaction with a conditional delete, writes the session, calls the token endpoint.
      Redirect: (fn) => {
        allow(fn, ['dynamodb:DeleteItem', 'dynamodb:PutItem'], [tableArn]);
        this.clientSecret.grantRead(fn);
      },
    };
    for (const [routeId, fn] of routeFunctions) {
      const grant = routeGrants[routeId];
      // A new route must state its permissions here rather than silently run with none.
      if (!grant) throw new Error(`OAuthBackend: no permissions declared for route "${routeId}"`);
      grant(fn);
    }

    // Finds due sessions through the index only (never a Scan) and updates them in place.
    allow(this.refreshFunction, ['dynamodb:Query'], [refreshIndexArn]);
    allow(this.refreshFunction, ['dynamodb:UpdateItem'], [tableArn]);
    this.clientSecret.grantRead(this.refreshFunction);
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
  readonly httpTimeout: Duration;
}

/**
 * Rejects at synth time what the handlers' config loader would reject at cold start, so a bad
 * value fails `cdk synth` instead of every request after a deployment. Values that are unresolved
 * tokens are only known at deploy time and are passed through unchecked.
 */
function validate(props: OAuthBackendProps): Settings {
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
  // A leading "//" or "/\" would make the browser leave the origin (an open redirect).
  if (!Token.isUnresolved(postLoginPath) && !/^\/(?![/\\])[\x21-\x7E]*$/.test(postLoginPath)) {
    problems.push('postLoginPath must be a same-origin path starting with a single "/"');
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
    httpTimeout,
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
