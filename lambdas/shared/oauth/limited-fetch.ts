/**
 * The fetch every request to the authorization server goes through: no redirects followed, and
 * bodies over MAX_RESPONSE_BYTES refused, so a hostile or broken AS cannot exhaust memory. The
 * bounded body reader serves the API proxy's upstream responses too.
 */

/** Largest token-endpoint or discovery body we read; anything larger is refused unread. */
export const MAX_RESPONSE_BYTES = 256 * 1024;

/** fetch that refuses bodies over MAX_RESPONSE_BYTES, so a hostile or broken AS cannot exhaust memory. */
export async function limitedFetch(
  fetchImpl: typeof fetch,
  url: string,
  init: RequestInit,
): Promise<Response> {
  const response = await fetchImpl(url, { ...init, redirect: 'manual' });
  const body = await readBodyLimited(response, MAX_RESPONSE_BYTES);
  return new Response(response.status === 204 || response.status === 304 ? null : body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

/**
 * A response's whole body, refused (ResponseTooLargeError) as soon as it is declared or streams
 * past `maxBytes`: memory stays bounded whatever the peer sends. Also used by the API proxy.
 */
export async function readBodyLimited(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new ResponseTooLargeError();
  }
  const reader = response.body?.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (reader) {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        throw new ResponseTooLargeError();
      }
      chunks.push(value);
    }
  }
  return Buffer.concat(chunks);
}

export class ResponseTooLargeError extends Error {
  constructor() {
    super('response body too large');
    this.name = 'ResponseTooLargeError';
  }
}
