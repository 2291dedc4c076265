/**
 * The local stack behind `npm start`: DynamoDB Local, the development authorization server
 * (unless OAUTH_ISSUER points elsewhere), and the API on http://127.0.0.1:$PORT serving the very
 * handler modules the Lambdas bundle, plus the refresh handler on an interval.
 *
 * Configuration uses the handlers' names (README "Configuration") plus two of its own (LOCAL_ENV).
 * The local stack fills in defaults for the variables
 * a deployment must set (client id and secret, redirect URI, table) and then hands the
 * environment to the handler modules, whose own loader validates it exactly as in Lambda.
 */
import { createHash, randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Context } from 'aws-lambda';
import { CLIENT_AUTH_METHODS, DEFAULTS, ENV } from '../lambdas/shared/definitions/env.js';
import {
  API_PROXY_FUNCTION,
  REFRESH_FUNCTION,
  ROUTE_LIST,
  ROUTES,
} from '../lambdas/shared/definitions/routes.js';
import { systemClock } from '../lambdas/shared/domain/clock.js';
import { findSession } from '../lambdas/shared/flows/find-session.js';
import { cookieNames } from '../lambdas/shared/http/cookies.js';
import { escapeHtml, html, SECURITY_HEADERS } from '../lambdas/shared/http/responses.js';
import { EnvReader, loadConfig } from '../lambdas/shared/platform/config.js';
import { createDynamoStore } from '../lambdas/shared/store/dynamo-store.js';
import { createTable } from '../lambdas/shared/store/dynamo-table.js';
import { GET } from '../lambdas/shared/store/store-commands.js';
import { type DevAuthorizationServer, startDevAuthorizationServer } from './dev-authorization-server.js';
import { type DevUpstream, startDevUpstream } from './dev-upstream.js';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.js';
import { PortInUseError } from './free-port.js';
import { type HttpLambda, lambdaContext, startApiServer } from './http-adapter.js';

type Env = Record<string, string | undefined>;

/** The local stack's own variables: the handlers never read them, so they are not in ENV. */
export const LOCAL_ENV = { port: 'PORT', refreshIntervalSeconds: 'REFRESH_INTERVAL_SECONDS' } as const;
export const LOCAL_DEFAULTS = { port: 3000, refreshIntervalSeconds: 60 } as const;
type ScheduledLambda = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalStack {
  /** Where the API listens, e.g. http://127.0.0.1:3000 */
  readonly url: string;
  /** The issuer the handlers use (the dev AS's unless OAUTH_ISSUER was given). */
  readonly issuer: string;
  /** The built-in dev AS, when it was started. */
  readonly devAuthorizationServer?: DevAuthorizationServer;
  readonly dynamoDb: DynamoDbLocal;
  /** The built-in dev API behind the proxy at DEMO_API_PATH, when API_ROUTES was unset. */
  readonly devUpstream?: DevUpstream;
  /** Runs the refresh handler once, as the schedule would. */
  refreshNow(): Promise<unknown>;
  stop(): Promise<void>;
}

export interface LocalStackOptions {
  /** Variables to set in `process.env` before reading it (tests use this; `npm start` does not). */
  readonly env?: Readonly<Record<string, string>>;
  /** Where the startup lines go. */
  readonly print?: (line: string) => void;
}

/**
 * Starts everything and resolves when the API is listening. `process.env` is read for the
 * handlers' variables and then completed with the filled-in defaults: the handler modules and the
 * AWS SDK read `process.env` at import, exactly as in Lambda.
 */
export async function startLocalStack(options: LocalStackOptions = {}): Promise<LocalStack> {
  const env: Env = process.env;
  Object.assign(env, options.env);
  const print = options.print ?? ((line: string) => console.log(line));
  const r = new EnvReader(env);
  const port = r.integer(LOCAL_ENV.port, LOCAL_DEFAULTS.port, { min: 0, max: 65_535 });
  const refreshIntervalSeconds = r.integer(
    LOCAL_ENV.refreshIntervalSeconds,
    LOCAL_DEFAULTS.refreshIntervalSeconds,
    { min: 1, max: 86_400 },
  );
  const authMethod = r.oneOf(ENV.clientAuthMethod, CLIENT_AUTH_METHODS, DEFAULTS.clientAuthMethod);
  const externalIssuer = r.optional(ENV.issuer) ?? r.optional(ENV.tokenEndpoint);
  if (externalIssuer && !r.optional(ENV.clientId))
    r.problems.push(`${ENV.clientId} is required with ${ENV.issuer}`);
  if (externalIssuer && env[ENV.clientSecret] === undefined) {
    r.problems.push(`${ENV.clientSecret} is required with ${ENV.issuer}`);
  }
  r.done();

  // Listen before anything else starts: a busy PORT fails at once, before Java, and with PORT=0
  // the redirect URI needs the real port.
  const api = await startApiServer(port).catch((error: unknown) => {
    throw error instanceof PortInUseError
      ? new PortInUseError(
          port,
          `${LOCAL_ENV.port}=${port}: ${error.message}; set ${LOCAL_ENV.port} to another port, or to 0 for any free one`,
        )
      : error;
  });
  const stops: (() => Promise<void>)[] = [() => api.close()];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => {});
  };
  try {
    const url = api.url;
    env[ENV.redirectUri] ??= `${url}/redirect`;

    // The SDK finds DynamoDB Local through its standard endpoint variable; dummy credentials and
    // region keep it from looking for real ones.
    const dynamoDb = await startDynamoDbLocal();
    // First in the list, so stopped last: after the API no longer takes requests.
    stops.unshift(() => dynamoDb.stop());
    env.AWS_ENDPOINT_URL_DYNAMODB = dynamoDb.endpoint;
    env.AWS_REGION ??= 'us-east-1';
    env.AWS_ACCESS_KEY_ID ??= 'local';
    env.AWS_SECRET_ACCESS_KEY ??= 'local';
    env[ENV.tableName] ??= 'oauth-backend-local';
    // No KMS locally: the same envelope encryption runs with a local key, fresh every run.
    if (!env[ENV.tokenKmsKeyId]) env[ENV.tokenEncryptionKey] ??= randomBytes(32).toString('base64');
    await createTable(new DynamoDBClient({}), env[ENV.tableName] as string);

    let devAuthorizationServer: DevAuthorizationServer | undefined;
    if (!externalIssuer) {
      env[ENV.clientId] ??= 'local-client';
      // A fresh random secret per run unless one is given: nothing to leak, nothing to configure.
      env[ENV.clientSecret] ??= randomBytes(24).toString('base64url');
      devAuthorizationServer = await startDevAuthorizationServer({
        clients: [
          {
            clientId: env[ENV.clientId] as string,
            clientSecret: env[ENV.clientSecret] as string,
            redirectUris: [env[ENV.redirectUri] as string],
            postLogoutRedirectUris: [`${url}/`],
            // Ending the session at the dev AS ends the local session too (OIDC Back-Channel Logout).
            backchannelLogoutUri: `${url}${ROUTES.backchannelLogout.path}`,
            authMethod,
          },
        ],
      });
      stops.push(() => devAuthorizationServer?.stop() ?? Promise.resolve());
      env[ENV.issuer] = devAuthorizationServer.issuer;
    }

    // On the embedded defaults, a development API behind the API proxy shows it working: it
    // accepts only bearer tokens the dev AS vouches for.
    let devUpstream: DevUpstream | undefined;
    if (devAuthorizationServer && !env[ENV.apiRoutes]) {
      const issuer = devAuthorizationServer.issuer;
      devUpstream = await startDevUpstream({ userinfoEndpoint: () => userinfoEndpointOf(issuer) });
      stops.push(() => devUpstream?.stop() ?? Promise.resolve());
      env[ENV.apiRoutes] = JSON.stringify([{ path: DEMO_API_PATH, upstream: devUpstream.url }]);
    }
    // The handlers' own loader, as in Lambda: the same errors, before anything is mounted.
    const { apiRoutes } = loadConfig(env);

    // The same modules the Lambdas bundle; importing them runs their module-scope wiring.
    const handlers = new Map<string, HttpLambda>();
    for (const r of ROUTE_LIST) {
      const module = (await import(`../lambdas/${r.entry}.ts`)) as { handler: HttpLambda };
      handlers.set(`${r.method} ${r.path}`, module.handler);
    }
    if (apiRoutes.length > 0) {
      const proxy = (await import(`../lambdas/${API_PROXY_FUNCTION.entry}.ts`)) as { handler: HttpLambda };
      for (const route of apiRoutes) {
        handlers.set(`ANY ${route.path}`, proxy.handler);
        handlers.set(`ANY ${route.path}/{proxy+}`, proxy.handler);
      }
    }
    const refreshModule = (await import(`../lambdas/${REFRESH_FUNCTION.entry}.ts`)) as {
      handler: ScheduledLambda;
    };
    const store = createDynamoStore<'getSession'>(env[ENV.tableName] as string, GET);

    api.mount(handlers, async (event) =>
      event.routeKey === 'GET /'
        ? homePage(
            (await findSession(event, store, systemClock, cookieNames(env[ENV.cookiePrefix])))?.sub,
            apiRoutes[0]?.path,
          )
        : undefined,
    );

    // The refresh schedule: one tick at a time, like a Lambda with reserved concurrency 1.
    let running: Promise<unknown> | undefined;
    const refreshNow = () => {
      running ??= refreshModule
        .handler({ 'detail-type': 'Scheduled Event', source: 'local' }, lambdaContext('refresh', 60_000))
        .finally(() => {
          running = undefined;
        });
      return running;
    };
    const timer = setInterval(() => {
      refreshNow().catch((error: unknown) => print(`refresh tick failed: ${(error as Error).name}`));
    }, refreshIntervalSeconds * 1000);
    timer.unref();
    stops.push(async () => {
      clearInterval(timer);
      await running?.catch(() => {});
    });

    print(`OAuth backend local stack
  API:        ${url}  (${ROUTE_LIST.map((r) => `${r.method} ${r.path}`).join(', ')})
  Issuer:     ${env[ENV.issuer]}${devAuthorizationServer ? '  (built-in dev authorization server: any login and password)' : ''}
  Redirect:   ${env[ENV.redirectUri]}
  Back-channel logout: ${url}${ROUTES.backchannelLogout.path}${devAuthorizationServer ? '  (the dev AS sends it)' : '  (register it at your AS as backchannel_logout_uri)'}
  DynamoDB:   ${dynamoDb.endpoint}  (table ${env[ENV.tableName]}, DynamoDB Local pid ${dynamoDb.pid})
  Refresh:    every ${refreshIntervalSeconds} s
  APIs:       ${apiRoutes.length === 0 ? 'none (API_ROUTES)' : apiRoutes.map((r) => `${r.path} -> ${r.upstream.href}`).join(', ')}${devUpstream ? '  (built-in dev API)' : ''}

Open ${url}/ in a browser and click Login. Ctrl+C stops everything.`);

    return {
      url,
      issuer: env[ENV.issuer] as string,
      ...(devAuthorizationServer ? { devAuthorizationServer } : {}),
      dynamoDb,
      ...(devUpstream ? { devUpstream } : {}),
      refreshNow,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Where the built-in dev API is mounted on the embedded defaults. */
export const DEMO_API_PATH = '/api/demo';

/** The userinfo endpoint of an issuer, by discovery (the dev API checks bearer tokens there). */
async function userinfoEndpointOf(issuer: string): Promise<string> {
  const response = await fetch(`${issuer}/.well-known/openid-configuration`);
  const metadata = (await response.json()) as { userinfo_endpoint?: string };
  if (!metadata.userinfo_endpoint) throw new Error('the authorization server has no userinfo endpoint');
  return metadata.userinfo_endpoint;
}

/**
 * The script of the home page's "Call the API" button: a same-origin fetch through the API proxy
 * with the CSRF header, showing the answer. Allowed by its hash in the page's CSP, nothing else is.
 */
const CALL_API_SCRIPT = `document.getElementById('call-api').addEventListener('click', async (e) => {
  const out = document.getElementById('api-result');
  out.textContent = '...';
  const response = await fetch(e.target.dataset.path, { headers: { 'x-csrf': '1', accept: 'application/json' } });
  out.textContent = response.status + ' ' + await response.text();
});`;
const CALL_API_SCRIPT_HASH = createHash('sha256').update(CALL_API_SCRIPT).digest('base64');

/** The local stack's home page: are you logged in, a Login link, Logout, and a call through the API proxy. */
function homePage(sub: string | undefined, apiPath: string | undefined) {
  const callApi =
    apiPath === undefined
      ? ''
      : `<p><button id="call-api" type="button" data-path="${escapeHtml(`${apiPath}/me`)}">Call the API</button> ` +
        `(<code>GET ${escapeHtml(apiPath)}/me</code> through the API proxy)</p><pre id="api-result"></pre>` +
        `<script>${CALL_API_SCRIPT}</script>`;
  const status =
    sub === undefined
      ? '<p>You are <strong>not logged in</strong>.</p><p><a id="login" href="/login?returnTo=/">Login</a></p>'
      : `<p>You are <strong>logged in</strong> as <code id="sub">${escapeHtml(sub)}</code>.</p>` +
        '<p><a href="/session">Your session (JSON)</a></p>' +
        callApi +
        '<form method="post" action="/logout"><button id="logout" type="submit">Logout</button></form>';
  const result = html(
    200,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>OAuth backend (local)</title></head>
<body><h1>OAuth backend: local stack</h1>${status}</body></html>`,
  );
  return {
    ...result,
    headers: {
      ...result.headers,
      ...SECURITY_HEADERS,
      // The flow's CSP plus this page's one script (by hash) and same-origin fetches.
      'content-security-policy': `${SECURITY_HEADERS['content-security-policy']}; script-src 'sha256-${CALL_API_SCRIPT_HASH}'; connect-src 'self'`,
    },
  };
}
