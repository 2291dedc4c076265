/**
 * The fetch every request to the authorization server goes through: no redirects followed, and
 * bodies over MAX_RESPONSE_BYTES refused, so a hostile or broken AS cannot exhaust memory.
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
  const declared = Number(response.headers.get('content-length'));
  if (declared > MAX_RESPONSE_BYTES) {
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
      if (size > MAX_RESPONSE_BYTES) {
        await reader.cancel();
        throw new ResponseTooLargeError();
      }
      chunks.push(value);
    }
  }
  return new Response(response.status === 204 || response.status === 304 ? null : Buffer.concat(chunks), {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}

export class ResponseTooLargeError extends Error {
  constructor() {
    super('response body too large');
    this.name = 'ResponseTooLargeError';
  }
}
