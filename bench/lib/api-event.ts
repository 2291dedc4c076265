/**
 * API Gateway HTTP API (payload 2.0) events for calling a handler directly, built by the local
 * stack's own mapping (local/http-adapter.ts) from a URL and headers, so a directly invoked
 * handler sees exactly what it sees behind the local HTTP server.
 */
import type { IncomingMessage } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { toApiGatewayEvent } from '../../local/http-adapter.js';

export function apiEvent(
  url: string,
  options: { method?: string; cookie?: string; headers?: Record<string, string> } = {},
): APIGatewayProxyEventV2 {
  const u = new URL(url);
  const method = options.method ?? 'GET';
  const headers: Record<string, string> = {
    host: u.host,
    'user-agent': 'Mozilla/5.0 (benchmark)',
    accept: 'text/html,application/xhtml+xml',
    ...(options.cookie ? { cookie: options.cookie } : {}),
    ...options.headers,
  };
  const request = {
    url: `${u.pathname}${u.search}`,
    method,
    httpVersion: '1.1',
    rawHeaders: Object.entries(headers).flat(),
    socket: { remoteAddress: '127.0.0.1' },
  } as unknown as IncomingMessage;
  return toApiGatewayEvent(request, Buffer.alloc(0), `${method} ${u.pathname}`);
}
