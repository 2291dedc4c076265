/**
 * Strict parsing of an `application/x-www-form-urlencoded` request body (the back-channel logout
 * request, OIDC Back-Channel Logout 1.0 section 2.5), before any I/O. API Gateway hands a form
 * body over base64-encoded (`isBase64Encoded`), the local stack as text: both are read.
 */
import { badRequest } from './errors.js';
import { parseQuery } from './query.js';
import type { HttpEvent } from './responses.js';

export interface FormBodyLimits {
  /** Largest body accepted, in bytes after base64 decoding. */
  readonly maxBytes: number;
  /** Most parameters accepted. */
  readonly maxParams: number;
}

const FORM_TYPE = 'application/x-www-form-urlencoded';

/**
 * The form's parameters. Rejects with 400: another content type (a `charset` parameter is fine,
 * Keycloak sends one), a body over the limit, and everything parseQuery rejects (a repeated name,
 * malformed percent-encoding or UTF-8).
 */
export function parseFormBody(event: HttpEvent, limits: FormBodyLimits): Map<string, string> {
  const type = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== FORM_TYPE) {
    throw badRequest('body_content_type', `The request body must be ${FORM_TYPE}.`);
  }
  const raw = event.body ?? '';
  // Checked before decoding, so an oversized body costs no copy: base64 is 4/3 of the bytes.
  if (raw.length > (event.isBase64Encoded ? Math.ceil((limits.maxBytes * 4) / 3) + 4 : limits.maxBytes * 4)) {
    throw badRequest('body_too_large', 'The request body is too large.');
  }
  const bytes = Buffer.from(raw, event.isBase64Encoded ? 'base64' : 'utf8');
  if (bytes.length > limits.maxBytes) throw badRequest('body_too_large', 'The request body is too large.');
  const text = bytes.toString('latin1');
  // A form body is percent-encoded ASCII; anything else was not produced by a form encoder.
  if (!/^[\x20-\x7E]*$/.test(text))
    throw badRequest('query_malformed', 'The request has a malformed parameter.');
  return parseQuery(text, {
    maxLength: limits.maxBytes,
    maxParams: limits.maxParams,
    maxValueLength: limits.maxBytes,
  });
}
