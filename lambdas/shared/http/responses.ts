/**
 * API Gateway HTTP API (payload format 2.0) events and the responses of the flows. The local stack
 * builds the very same event shape, so these run unchanged there.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2 & {
  statusCode: number;
  headers: Record<string, string>;
  cookies: string[];
};

/** Headers every response of the flow carries (checklist F20). */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'cache-control': 'no-store',
  pragma: 'no-cache',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
};

export function redirect(location: string, cookies: string[] = []): HttpResult {
  return { statusCode: 302, headers: { location }, cookies, body: '' };
}

export function json(statusCode: number, value: unknown, cookies: string[] = []): HttpResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    cookies,
    body: JSON.stringify(value),
  };
}

export function html(statusCode: number, body: string, cookies: string[] = []): HttpResult {
  return { statusCode, headers: { 'content-type': 'text/html; charset=utf-8' }, cookies, body };
}

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** A minimal page for errors shown to a person; the message is escaped, never raw input. */
export function errorPage(
  statusCode: number,
  title: string,
  message: string,
  cookies: string[] = [],
): HttpResult {
  return html(
    statusCode,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title></head>` +
      `<body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><p><a href="/">Back</a></p></body></html>`,
    cookies,
  );
}
