/**
 * A development API behind the API proxy: an HTTP server on 127.0.0.1 that accepts a request only
 * with a bearer token the authorization server vouches for (its userinfo endpoint, as a resource
 * server of an OpenID provider may), and answers who called, how, and what reached it. The local
 * stack mounts it at `/api/demo` when API_ROUTES is unset; the tests use it as the real upstream
 * and search everything it received. Never for production.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the upstream saw it. */
export interface ReceivedRequest {
  readonly method: string;
  /** Path and query, exactly as requested. */
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: Buffer;
  /** The subject the authorization server named for the bearer token, or undefined when it refused it. */
  readonly sub?: string;
}

export interface DevUpstream {
  readonly url: string;
  /** Every request received, in order. */
  readonly received: ReceivedRequest[];
  /** Replaces the default answer (tests: slow, huge, with Set-Cookie...). Return true when answered. */
  intercept(
    handler?: (req: ReceivedRequest, res: import('node:http').ServerResponse) => boolean | Promise<boolean>,
  ): void;
  stop(): Promise<void>;
}

export async function startDevUpstream(options: {
  /** Where the bearer token is checked: the AS's userinfo endpoint. */
  readonly userinfoEndpoint: () => Promise<string>;
}): Promise<DevUpstream> {
  const received: ReceivedRequest[] = [];
  let interceptor: Parameters<DevUpstream['intercept']>[0];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      try {
        const authorization = req.headers.authorization;
        let sub: string | undefined;
        if (authorization?.startsWith('Bearer ')) {
          const answer = await fetch(await options.userinfoEndpoint(), { headers: { authorization } });
          if (answer.ok) sub = ((await answer.json()) as { sub?: string }).sub;
        }
        const request: ReceivedRequest = {
          method: req.method ?? 'GET',
          url: req.url ?? '/',
          headers: req.headers,
          body: Buffer.concat(chunks),
          ...(sub === undefined ? {} : { sub }),
        };
        received.push(request);
        if (interceptor && (await interceptor(request, res))) return;
        if (sub === undefined) {
          res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"invalid_token"}');
          return;
        }
        const contentType = req.headers['content-type'] ?? '';
        const echo = request.body.length > 0 && !/json|text/.test(contentType);
        if (echo) {
          // A binary body comes back as it went, so a test can compare bytes.
          res.writeHead(200, { 'content-type': contentType || 'application/octet-stream' }).end(request.body);
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(
          JSON.stringify({
            sub,
            method: request.method,
            url: request.url,
            ...(request.body.length > 0 ? { body: request.body.toString('utf8') } : {}),
            at: new Date().toISOString(),
          }),
        );
      } catch {
        if (!res.headersSent) res.writeHead(500).end();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    intercept(handler) {
      interceptor = handler;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
