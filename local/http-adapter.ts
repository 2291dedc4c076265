/**
 * Turns a Node HTTP request into the API Gateway HTTP API (payload 2.0) event that AWS sends,
 * and a handler's result back into an HTTP response, so the local stack runs the deployed
 * handler modules unchanged. Follows API Gateway's documented mapping: cookies move from the
 * Cookie header to `cookies`, repeated query parameters are joined with commas in
 * `queryStringParameters`, `rawQueryString` keeps the query exactly as sent.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { isTextContentType } from '../lambdas/shared/http/proxy.js';
import { PortInUseError } from './free-port.js';

export type HttpLambda = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyResultV2>;
/** Serves what no Lambda route does (the local home page); returns false for a 404. */
export type Fallback = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyResultV2 | undefined>;

export interface ApiServer {
  readonly url: string;
  /** Sets the routes, keyed by API Gateway route key (`GET /login`); until then every request gets 503. */
  mount(routes: ReadonlyMap<string, HttpLambda>, fallback?: Fallback): void;
  close(): Promise<void>;
}

/**
 * An HTTP server on 127.0.0.1 that plays API Gateway: it listens first (so a caller knows its URL
 * before building handlers that need it), then dispatches each request by route key.
 */
export async function startApiServer(port: number): Promise<ApiServer> {
  let routes: ReadonlyMap<string, HttpLambda> | undefined;
  let fallback: Fallback | undefined;
  const server: Server = createServer((req, res) => {
    if (!routes) return void res.writeHead(503).end();
    dispatch(req, res, routes, fallback).catch(() => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error');
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError(port) : error),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    mount(r, f) {
      routes = r;
      fallback = f;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function dispatch(
  req: IncomingMessage,
  res: ServerResponse,
  routes: ReadonlyMap<string, HttpLambda>,
  fallback: Fallback | undefined,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const match = matchRoute(routes, req.method ?? 'GET', path);
  let body: Buffer;
  try {
    body = await readBody(req, API_GATEWAY_MAX_BODY_BYTES);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    // What API Gateway answers itself, without invoking the function.
    res.writeHead(413, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ message: 'Request Entity Too Large' }));
    return;
  }
  const event = toApiGatewayEvent(req, body, match?.routeKey ?? `${req.method} ${path}`);
  if (match?.proxy !== undefined) event.pathParameters = { proxy: match.proxy };
  const result = match
    ? await match.handler(event, lambdaContext(match.routeKey, 10_000))
    : await fallback?.(event);
  sendResult(
    res,
    result ?? { statusCode: 404, headers: { 'content-type': 'text/plain' }, body: 'not found' },
  );
}

/**
 * API Gateway's route selection, for the route keys the backend uses: an exact `METHOD /path`,
 * then `ANY /path`, then the longest `ANY /prefix/{proxy+}` whose prefix the path continues.
 */
export function matchRoute(
  routes: ReadonlyMap<string, HttpLambda>,
  method: string,
  path: string,
): { routeKey: string; handler: HttpLambda; proxy?: string } | undefined {
  for (const routeKey of [`${method} ${path}`, `ANY ${path}`]) {
    const handler = routes.get(routeKey);
    if (handler) return { routeKey, handler };
  }
  let best: { routeKey: string; handler: HttpLambda; proxy: string } | undefined;
  let bestLength = -1;
  for (const [routeKey, handler] of routes) {
    const prefix = /^ANY (.*)\/\{proxy\+\}$/.exec(routeKey)?.[1];
    if (prefix === undefined || !path.startsWith(`${prefix}/`) || path.length <= prefix.length + 1) continue;
    if (prefix.length > bestLength) {
      best = { routeKey, handler, proxy: path.slice(prefix.length + 1) };
      bestLength = prefix.length;
    }
  }
  return best;
}

export function toApiGatewayEvent(
  req: IncomingMessage,
  body: Buffer,
  routeKey: string,
): APIGatewayProxyEventV2 {
  const rawUrl = req.url ?? '/';
  const q = rawUrl.indexOf('?');
  const rawPath = q === -1 ? rawUrl : rawUrl.slice(0, q);
  const rawQueryString = q === -1 ? '' : rawUrl.slice(q + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = (req.rawHeaders[i] ?? '').toLowerCase();
    const value = req.rawHeaders[i + 1] ?? '';
    if (name === 'cookie') {
      cookies = [
        ...(cookies ?? []),
        ...value
          .split(';')
          .map((c) => c.trim())
          .filter(Boolean),
      ];
      continue;
    }
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }

  let queryStringParameters: Record<string, string> | undefined;
  if (rawQueryString) {
    queryStringParameters = {};
    for (const [name, value] of new URLSearchParams(rawQueryString)) {
      const previous = queryStringParameters[name];
      queryStringParameters[name] = previous === undefined ? value : `${previous},${value}`;
    }
  }

  const isText = body.length === 0 || isTextContentType(headers['content-type']);
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    ...(cookies ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: {
        method: req.method ?? 'GET',
        path: rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: isText ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !isText,
  };
}

export function sendResult(res: ServerResponse, result: APIGatewayProxyResultV2): void {
  if (typeof result === 'string' || result === undefined || result === null) {
    res.writeHead(200, { 'content-type': 'application/json' }).end(result ?? '');
    return;
  }
  if (!('statusCode' in result) || typeof result.statusCode !== 'number') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result));
    return;
  }
  const headers: Record<string, string | number | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined ? '' : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  res.writeHead(result.statusCode, headers).end(body);
}

/** The parts of the Lambda context the handlers and Powertools read. */
export function lambdaContext(functionName: string, timeoutMs: number): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}

/** API Gateway's payload limit: a larger request gets its 413 and never reaches a function. */
export const API_GATEWAY_MAX_BODY_BYTES = 10 * 1024 * 1024;

export class BodyTooLargeError extends Error {
  constructor() {
    super('body too large');
    this.name = 'BodyTooLargeError';
  }
}

/** Reads a request body, refusing more than `limit` bytes (API Gateway's own limit is 10 MB). */
export function readBody(req: IncomingMessage, limit = API_GATEWAY_MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        // Stop buffering, keep the socket so the 413 can still be sent; the rest is drained unread.
        reject(new BodyTooLargeError());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
