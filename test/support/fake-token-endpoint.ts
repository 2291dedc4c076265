/**
 * A token endpoint on 127.0.0.1 whose every answer a test decides: failures the real AS cannot be
 * made to produce on demand (5xx, 429 with Retry-After, slow answers, resets, junk bodies).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type TokenResponder = (
  body: URLSearchParams,
  req: IncomingMessage,
  res: ServerResponse,
) => void | Promise<void>;

export interface FakeTokenEndpoint {
  readonly url: string;
  /** Every request body received, in order. */
  readonly requests: URLSearchParams[];
  /** The headers of every request, in the same order. */
  readonly headers: IncomingMessage['headers'][];
  respond(responder: TokenResponder): void;
  stop(): Promise<void>;
}

export async function startFakeTokenEndpoint(): Promise<FakeTokenEndpoint> {
  const requests: URLSearchParams[] = [];
  const headers: IncomingMessage['headers'][] = [];
  let responder: TokenResponder = (_b, _q, res) => void res.writeHead(500).end();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = new URLSearchParams(Buffer.concat(chunks).toString());
      requests.push(body);
      headers.push(req.headers);
      Promise.resolve(responder(body, req, res)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    headers,
    respond(r) {
      responder = r;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Writes a JSON answer. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** Configuration that points the backend at the fake instead of discovery: explicit endpoints, plain OAuth scope. */
export function fakeEndpointEnv(
  as: FakeTokenEndpoint,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    OAUTH_AUTHORIZATION_ENDPOINT: `${as.url}/authorize`,
    OAUTH_TOKEN_ENDPOINT: `${as.url}/token`,
    OAUTH_SCOPE: 'api',
    ...extra,
  };
}

/** A client for tests that never redirect a browser (refresh only): its redirect URI is never used. */
export const STANDALONE_CLIENT = {
  OAUTH_CLIENT_ID: 'client',
  OAUTH_CLIENT_SECRET: 'secret',
  OAUTH_REDIRECT_URI: 'http://127.0.0.1:9/redirect',
} as const;
