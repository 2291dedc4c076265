/**
 * Client authentication that survives a secret rotation (checklist E14), for the code exchange and
 * the refresh alike: the request runs with the cached client secret; after `invalid_client` it runs
 * once more with a secret fetched again, bypassing the cache (the secret may have been rotated since
 * it was cached). A second failure is the caller's. The AS refused the client before looking at the
 * code or refresh token, so retrying spends nothing twice.
 */
import { TokenEndpointError } from '../domain/errors.js';
import type { Log } from '../platform/logger.js';
import type { ClientSecretSource } from '../platform/secrets.js';

export async function withFreshSecretOnce<T>(
  secrets: ClientSecretSource,
  log: Pick<Log, 'warn'>,
  request: (clientSecret: string) => Promise<T>,
): Promise<T> {
  try {
    return await request(await secrets.get());
  } catch (error) {
    if (!(error instanceof TokenEndpointError) || error.kind !== 'invalid_client') throw error;
    log.warn('client authentication failed; retrying once with a freshly fetched secret');
    return request(await secrets.get({ forceFetch: true }));
  }
}
