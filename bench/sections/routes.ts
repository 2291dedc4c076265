/**
 * 2. Each route against its physical floor, in one process, against DynamoDB Local and the dev
 * authorization server (oidc-provider), with the deployed configuration: client secret by ARN
 * from Secrets Manager and tokens under a KMS key (both served by lib/fake-aws.ts).
 *
 * - The handlers are the Lambda entry modules themselves (lambdas/login.ts, lambdas/redirect.ts),
 *   imported after the environment is set and invoked directly with API Gateway v2 events.
 * - Floors are the irreducible I/O of each route done with a bare client: `/login` one raw
 *   PutItem; `/redirect` one raw DeleteItem + one raw token POST (a real code exchange with the
 *   PKCE verifier, plain fetch) + one raw PutItem; a proxied `GET /api/bench/...` one raw
 *   GetItem of the session + the same upstream call with a bare fetch.
 * - Everything a timed call needs (a real authorization code from driving the AS pages, the
 *   binding cookie, random values of the floor) is prepared outside the timed section; handler
 *   and floor alternate which goes first.
 * - Network calls of the warm handler are counted from inside the process (lib/call-counter.ts),
 *   on COUNTED_RUNS more requests after the timed ones, so that counting costs no timed request.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DeleteItemCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { API_PROXY_FUNCTION, ROUTE_LIST } from '../../lambdas/shared/definitions/routes.js';
import { randomToken, sha256 } from '../../lambdas/shared/domain/crypto.js';
import { createTable } from '../../lambdas/shared/store/dynamo-table.js';
import { startDevAuthorizationServer } from '../../local/dev-authorization-server.js';
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { type HttpLambda, lambdaContext, startApiServer } from '../../local/http-adapter.js';
import { CookieJar } from '../../test/support/cookie-jar.js';
import { apiEvent } from '../lib/api-event.js';
import { rawCodeExchange, walkFlow } from '../lib/as-flow.js';
import { CallCounter } from '../lib/call-counter.js';
import { startFakeAws } from '../lib/fake-aws.js';
import type { RouteFigures, RoutesResult } from '../lib/results.js';
import { progress, runSection } from '../lib/section.js';
import { alternate, summarize } from '../lib/stats.js';

// The p99 of n samples is their n/100-th worst, which a hiccup of this shared machine (another
// process's burst, a GC pause) moves when n/100 is small: of 400 the 4th-worst (the proxied GET
// read 1.29, 1.34 and 1.53 of its floor at p99 in three runs of 400, with medians of 1.27-1.30), of
// 1,000 the 10th-worst, which still read 0.99-1.43 of its floor for the proxied GET over 14 runs
// (2026-12-07/08) whose medians stayed at 1.18-1.22, and 0.87-1.26 for /redirect. Hence 3,000 of
// /login and the proxied GET (about 5 ms an iteration with its floor: 1.075-1.176 at p99 in three
// runs) and 2,000 of /redirect, whose iteration is a real login first (untimed), about 30 ms: the
// section takes about 90 s (87 s measured, 50 s before).
const LOGIN_RUNS = Number(process.env.BENCH_LOGIN_RUNS ?? 3000);
const REDIRECT_RUNS = Number(process.env.BENCH_REDIRECT_RUNS ?? 2000);
const PROXY_RUNS = Number(process.env.BENCH_PROXY_RUNS ?? 3000);
const PROXY_PATH = '/api/bench';
const WARMUP = 20;
/**
 * Requests whose network calls are counted, after the timed ones and not timed themselves: the
 * counting runs in the request path (on the diagnostics channels), so the timed handler calls
 * carry none of it and the floors none either.
 */
const COUNTED_RUNS = 100;
/** A warm-up request, a timed one, or one whose network calls are counted (untimed). */
type Mode = 'warm' | 'timed' | 'counted';
const CLIENT_ID = 'bench-client';
const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-client-secret-AbCdEf';
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const TABLE = 'bench-routes';

type Result = Exclude<APIGatewayProxyResultV2, string>;

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

await runSection('routes', async (resources): Promise<RoutesResult> => {
  const started = performance.now();
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  });
  const dynamo = await startDynamoDbLocal();
  resources.trackPid(dynamo.pid);
  resources.onStop(() => dynamo.stop());
  const clientSecret = randomBytes(24).toString('base64url');
  const secretsManager = await startFakeAws({ [SECRET_ARN]: clientSecret });
  resources.onStop(() => secretsManager.stop());
  const kms = await startFakeAws({});
  resources.onStop(() => kms.stop());
  const api = await startApiServer(0);
  resources.onStop(() => api.close());
  const redirectUri = `${api.url}/redirect`;
  const as = await startDevAuthorizationServer({
    clients: [
      { clientId: CLIENT_ID, clientSecret, redirectUris: [redirectUri], authMethod: 'client_secret_basic' },
    ],
  });
  resources.onStop(() => as.stop());
  // The upstream of the proxied route: answers a small JSON document, as an API would.
  const upstream = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end('{"items":[{"id":1},{"id":2}],"next":null}'),
    );
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  resources.onStop(
    () =>
      new Promise<void>((resolve) => {
        upstream.closeAllConnections();
        upstream.close(() => resolve());
      }),
  );
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;

  for (const name of [
    'OAUTH_CLIENT_SECRET',
    'TOKEN_ENCRYPTION_KEY',
    'OAUTH_AUTHORIZATION_ENDPOINT',
    'OAUTH_TOKEN_ENDPOINT',
  ])
    delete process.env[name];
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secretsManager.url,
    AWS_ENDPOINT_URL_KMS: kms.url,
    OAUTH_ISSUER: as.issuer,
    OAUTH_CLIENT_ID: CLIENT_ID,
    OAUTH_CLIENT_SECRET_ARN: SECRET_ARN,
    OAUTH_REDIRECT_URI: redirectUri,
    OAUTH_SCOPE: 'openid',
    TABLE_NAME: TABLE,
    TOKEN_KMS_KEY_ID: KMS_KEY,
    API_ROUTES: JSON.stringify([{ path: PROXY_PATH, upstream: `${upstreamUrl}/v1` }]),
  });
  const raw = new DynamoDBClient({});
  resources.onStop(async () => raw.destroy());
  await createTable(raw, TABLE);

  const load = async (method: string, path: string): Promise<HttpLambda> => {
    const route = ROUTE_LIST.find((r) => r.method === method && r.path === path);
    if (!route) throw new Error(`no route ${method} ${path}`);
    const module = (await import(new URL(`../../lambdas/${route.entry}.ts`, import.meta.url).href)) as {
      handler: HttpLambda;
    };
    return module.handler;
  };
  const login = await load('GET', '/login');
  const redirect = await load('GET', '/redirect');
  const proxy = (
    (await import(new URL(`../../lambdas/${API_PROXY_FUNCTION.entry}.ts`, import.meta.url).href)) as {
      handler: HttpLambda;
    }
  ).handler;
  api.mount(
    new Map([
      ['GET /login', login],
      ['GET /redirect', redirect],
    ]),
  );
  const counter = new CallCounter({
    [dynamo.endpoint]: 'DynamoDB',
    [secretsManager.url]: 'Secrets Manager',
    [kms.url]: 'KMS',
    [as.issuer]: 'AS',
    [upstreamUrl]: 'Upstream',
  });
  const origins = { [api.url]: 'API', [as.issuer]: 'AS' };
  const metadata = (await (await fetch(`${as.issuer}/.well-known/openid-configuration`)).json()) as {
    authorization_endpoint: string;
    token_endpoint: string;
  };
  const basic = `Basic ${Buffer.from(`${encodeURIComponent(CLIENT_ID)}:${encodeURIComponent(clientSecret)}`).toString('base64')}`;

  const invoke = async (handler: HttpLambda, event: ReturnType<typeof apiEvent>, context: Context) =>
    (await handler(event, context)) as Result;

  // --- /login against one raw PutItem ---------------------------------------------------------
  const loginTimes: number[] = [];
  const putTimes: number[] = [];
  const loginOnce = async (mode: Mode, order: number) => {
    const event = apiEvent(`${api.url}/login?returnTo=%2Fapp`);
    const context = lambdaContext('login', 10_000);
    const now = Math.floor(Date.now() / 1000);
    const item = {
      pk: { S: `tx#${sha256(randomToken())}` },
      codeVerifier: { S: randomToken() },
      nonce: { S: randomToken() },
      bindingHash: { S: sha256(randomToken()) },
      returnTo: { S: '/app' },
      expiresAt: { N: String(now + 600) },
    };
    const floor = () =>
      raw.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
    let result: Result | undefined;
    const handlerRun = async () => {
      const run = () =>
        timed(async () => {
          result = await invoke(login, event, context);
        });
      const ms = await (mode === 'counted' ? counter.during(run) : run());
      if (mode === 'timed') loginTimes.push(ms);
    };
    const floorRun = async () => {
      const ms = await timed(floor);
      if (mode === 'timed') putTimes.push(ms);
    };
    await alternate(order, handlerRun, floorRun);
    if (result?.statusCode !== 302) throw new Error(`/login answered ${result?.statusCode}: ${result?.body}`);
  };
  for (let i = 0; i < WARMUP; i++) await loginOnce('warm', i);
  progress(`routes: /login x ${LOGIN_RUNS}`);
  for (let i = 0; i < LOGIN_RUNS; i++) await loginOnce('timed', i);
  counter.reset();
  for (let i = 0; i < COUNTED_RUNS; i++) await loginOnce('counted', i);
  const loginCalls = counter.perRequest(COUNTED_RUNS);

  // --- /redirect against DeleteItem + token POST + PutItem -------------------------------------
  const redirectTimes: number[] = [];
  const floorTimes: number[] = [];
  const redirectOnce = async (mode: Mode, order: number) => {
    // Untimed: a real login through our /login and the AS pages, up to the callback.
    const jar = new CookieJar();
    const viaHandler = await walkFlow(
      jar,
      `${api.url}/login?returnTo=%2Fapp`,
      (u) => u.startsWith(`${redirectUri}?`),
      origins,
    );
    const event = apiEvent(viaHandler.stoppedAt, { cookie: jar.header(viaHandler.stoppedAt) ?? '' });
    const context = lambdaContext('redirect', 10_000);

    // Untimed: a bare client's own authorization at the same AS, and its transaction item.
    const state = randomToken();
    const verifier = randomToken();
    const authorize = new URL(metadata.authorization_endpoint);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: CLIENT_ID,
      redirect_uri: redirectUri,
      scope: 'openid',
      state,
      code_challenge: sha256(verifier),
      code_challenge_method: 'S256',
      nonce: randomToken(),
    }))
      authorize.searchParams.set(k, v);
    const bare = await walkFlow(
      new CookieJar(),
      authorize.href,
      (u) => u.startsWith(`${redirectUri}?`),
      origins,
    );
    const code = new URL(bare.stoppedAt).searchParams.get('code');
    if (!code) throw new Error(`no code in ${bare.stoppedAt}`);
    const txKey = { pk: { S: `tx#${sha256(state)}` } };
    await raw.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: {
          ...txKey,
          codeVerifier: { S: verifier },
          bindingHash: { S: sha256(randomToken()) },
          returnTo: { S: '/app' },
          expiresAt: { N: String(Math.floor(Date.now() / 1000) + 600) },
        },
      }),
    );
    const sessionPk = `session#${sha256(randomToken())}`;
    const floor = async () => {
      await raw.send(
        new DeleteItemCommand({
          TableName: TABLE,
          Key: txKey,
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
          ReturnValues: 'ALL_OLD',
        }),
      );
      const response = await rawCodeExchange(metadata.token_endpoint, basic, { code, redirectUri, verifier });
      const tokens = (await response.json()) as Record<string, string | number>;
      if (!response.ok) throw new Error(`floor token POST: ${response.status} ${JSON.stringify(tokens)}`);
      const now = Math.floor(Date.now() / 1000);
      await raw.send(
        new PutItemCommand({
          TableName: TABLE,
          Item: {
            pk: { S: sessionPk },
            claims: { M: {} },
            createdAt: { N: String(now) },
            expiresAt: { N: String(now + 28_800) },
            version: { N: '1' },
            accessToken: { S: String(tokens.access_token) },
            tokenType: { S: String(tokens.token_type) },
            accessTokenExpiresAt: { N: String(now + Number(tokens.expires_in)) },
            ...(tokens.refresh_token ? { refreshToken: { S: String(tokens.refresh_token) } } : {}),
            ...(tokens.id_token ? { idToken: { S: String(tokens.id_token) } } : {}),
          },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': 'pk' },
        }),
      );
    };
    let result: Result | undefined;
    const handlerRun = async () => {
      const run = () =>
        timed(async () => {
          result = await invoke(redirect, event, context);
        });
      const ms = await (mode === 'counted' ? counter.during(run) : run());
      if (mode === 'timed') redirectTimes.push(ms);
    };
    const floorRun = async () => {
      const ms = await timed(floor);
      if (mode === 'timed') floorTimes.push(ms);
    };
    await alternate(order, handlerRun, floorRun);
    if (result?.statusCode !== 302 || !result.cookies?.some((c) => c.includes('session=')))
      throw new Error(`/redirect answered ${result?.statusCode}: ${result?.body}`);
    lastSessionCookie = result.cookies.find((c) => c.includes('session='))?.split(';')[0] ?? '';
  };
  let lastSessionCookie = '';
  for (let i = 0; i < WARMUP / 2; i++) await redirectOnce('warm', i);
  progress(`routes: /redirect x ${REDIRECT_RUNS}`);
  for (let i = 0; i < REDIRECT_RUNS; i++) await redirectOnce('timed', i);
  counter.reset();
  for (let i = 0; i < COUNTED_RUNS; i++) await redirectOnce('counted', i);
  const redirectCalls = counter.perRequest(COUNTED_RUNS);

  // --- a proxied GET against one raw GetItem + the same upstream call with a bare fetch ---------
  const sessionCookie = lastSessionCookie;
  const sessionKey = { pk: { S: `session#${sha256(sessionCookie.split('=')[1] ?? '')}` } };
  const accessToken = randomToken(); // the floor's bearer: the upstream does not check it
  const proxyTimes: number[] = [];
  const proxyFloorTimes: number[] = [];
  const proxyOnce = async (mode: Mode, order: number) => {
    const event = apiEvent(`${api.url}${PROXY_PATH}/items?page=${order % 7}`, {
      cookie: sessionCookie,
      headers: { accept: 'application/json', 'x-csrf': '1' },
    });
    event.routeKey = `ANY ${PROXY_PATH}/{proxy+}`;
    const context = lambdaContext('api-proxy', 10_000);
    const floor = async () => {
      await raw.send(new GetItemCommand({ TableName: TABLE, Key: sessionKey, ConsistentRead: true }));
      const response = await fetch(`${upstreamUrl}/v1/items?page=${order % 7}`, {
        headers: { accept: 'application/json', authorization: `Bearer ${accessToken}` },
      });
      await response.arrayBuffer();
    };
    let result: Result | undefined;
    const handlerRun = async () => {
      const run = () =>
        timed(async () => {
          result = await invoke(proxy, event, context);
        });
      const ms = await (mode === 'counted' ? counter.during(run) : run());
      if (mode === 'timed') proxyTimes.push(ms);
    };
    const floorRun = async () => {
      const ms = await timed(floor);
      if (mode === 'timed') proxyFloorTimes.push(ms);
    };
    await alternate(order, handlerRun, floorRun);
    if (result?.statusCode !== 200)
      throw new Error(`proxied GET answered ${result?.statusCode}: ${result?.body}`);
  };
  for (let i = 0; i < WARMUP; i++) await proxyOnce('warm', i);
  progress(`routes: proxied GET x ${PROXY_RUNS}`);
  for (let i = 0; i < PROXY_RUNS; i++) await proxyOnce('timed', i);
  counter.reset();
  for (let i = 0; i < COUNTED_RUNS; i++) await proxyOnce('counted', i);
  const proxyCalls = counter.perRequest(COUNTED_RUNS);

  const routes: RouteFigures[] = [
    {
      route: '/login',
      floor: 'one raw PutItem',
      handler: summarize(loginTimes),
      floorTimes: summarize(putTimes),
      calls: loginCalls,
      callGoal: 1,
    },
    {
      route: '/redirect',
      floor: 'one raw DeleteItem + one raw token POST + one raw PutItem',
      handler: summarize(redirectTimes),
      floorTimes: summarize(floorTimes),
      calls: redirectCalls,
      callGoal: 3,
    },
    {
      route: `ANY ${PROXY_PATH}/{proxy+}`,
      floor: 'one raw GetItem + the same upstream GET with a bare fetch',
      handler: summarize(proxyTimes),
      floorTimes: summarize(proxyFloorTimes),
      calls: proxyCalls,
      callGoal: 2,
    },
  ];
  return { routes, countedRuns: COUNTED_RUNS, seconds: (performance.now() - started) / 1000 };
});
