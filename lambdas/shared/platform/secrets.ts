/**
 * Where the client secret comes from. Deployed: Secrets Manager through Powertools Parameters,
 * cached per container so a warm invocation makes no Secrets Manager call. Local stack and
 * `sam local`: the OAUTH_CLIENT_SECRET variable.
 */
import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets';
import type { ClientSecretSourceConfig } from './config.js';

export interface ClientSecretSource {
  /** `forceFetch` bypasses the cache: used once after `invalid_client`, in case the secret was rotated. */
  get(options?: { readonly forceFetch?: boolean }): Promise<string>;
}

/** How long a fetched secret is reused before Secrets Manager is asked again. */
export const SECRET_CACHE_SECONDS = 300;

export function createClientSecretSource(
  config: ClientSecretSourceConfig,
  provider?: Pick<SecretsProvider, 'get'>,
): ClientSecretSource {
  if (config.kind === 'env') {
    const value = config.value;
    return { get: async () => value };
  }
  // Built only when needed: the env source must not create an SDK client.
  const secrets = provider ?? new SecretsProvider();
  return {
    async get(options = {}) {
      const value = await secrets.get(config.arn, {
        maxAge: SECRET_CACHE_SECONDS,
        forceFetch: options.forceFetch ?? false,
      });
      if (typeof value !== 'string' || value.length === 0) {
        throw new Error('the client secret is empty or not a string');
      }
      return value;
    },
  };
}
