/**
 * The authorization server's metadata (OpenID Connect Discovery, then RFC 8414, or explicit
 * endpoints) and the options of every request to the AS, on `oauth4webapi`. The OAuth client
 * (client.ts) gets its metadata here; so does back-channel logout, which needs only the issuer and
 * the `jwks_uri`. Apart from client.ts so that a Lambda which needs only the metadata bundles only
 * oauth4webapi's discovery (5 KB) and not the whole client with its token steps (27 KB with them):
 * back-channel logout's init, measured on Node 24, was the furthest over its SDK floor.
 */
import * as oauth from 'oauth4webapi';
import { isLoopbackHost } from '../definitions/urls.js';
import { TokenEndpointError } from '../domain/errors.js';
import { limitedFetch } from './limited-fetch.js';

/** Where the authorization server's endpoints come from: discovery, or given explicitly. */
export type AuthorizationServerSource =
  | { kind: 'discovery'; issuer: URL }
  /** `issuer` is kept exactly as given: it is compared as a string with `iss` values (RFC 9207, OIDC). */
  | { kind: 'explicit'; issuer?: string; authorizationEndpoint: URL; tokenEndpoint: URL };

export interface AsRequestConfig {
  /** Each request's timeout, shorter than the Lambda timeout (the construct checks). */
  readonly httpTimeoutMs: number;
  /** The fetch under limitedFetch (tests give one); the global fetch otherwise. */
  readonly fetch?: typeof fetch;
}

/** The options oauth4webapi takes for a request to the AS. */
export type AsRequestOptions = ReturnType<typeof asRequestOptions>;

/**
 * The options of every request to the AS: a fresh timeout per request (a slow AS yields a
 * controlled error instead of an API Gateway timeout), through limitedFetch (no redirects, bounded
 * bodies). oauth4webapi refuses plain http; the config loader already limited http to loopback
 * hosts, and this opt-in is granted only when every AS URL is loopback (local runs and tests).
 */
export function asRequestOptions(source: AuthorizationServerSource, config: AsRequestConfig) {
  const hosts =
    source.kind === 'discovery'
      ? [source.issuer]
      : [
          source.authorizationEndpoint,
          source.tokenEndpoint,
          ...(source.issuer ? [new URL(source.issuer)] : []),
        ];
  const insecure = hosts.every((u) => u.protocol === 'https:' || isLoopbackHost(u.hostname));
  return {
    signal: () => AbortSignal.timeout(config.httpTimeoutMs),
    [oauth.customFetch]: (url: string, options: oauth.CustomFetchOptions<string, unknown>) =>
      limitedFetch(config.fetch ?? fetch, url, options as RequestInit),
    ...(insecure ? { [oauth.allowInsecureRequests]: true } : {}),
  };
}

/**
 * The AS metadata: by discovery (OpenID Connect, then RFC 8414), cached for the life of the
 * container, or built from explicit endpoints. A failed discovery is not cached.
 */
export class AuthorizationServerMetadata {
  private metadata?: Promise<oauth.AuthorizationServer>;

  constructor(
    private readonly source: AuthorizationServerSource,
    private readonly requestOptions: AsRequestOptions,
  ) {}

  get(): Promise<oauth.AuthorizationServer> {
    this.metadata ??= this.load().catch((error: unknown) => {
      this.metadata = undefined;
      throw error;
    });
    return this.metadata;
  }

  private async load(): Promise<oauth.AuthorizationServer> {
    const source = this.source;
    if (source.kind === 'explicit') {
      return {
        issuer: source.issuer ?? source.tokenEndpoint.origin,
        authorization_endpoint: source.authorizationEndpoint.href,
        token_endpoint: source.tokenEndpoint.href,
      };
    }
    let lastError: unknown;
    for (const algorithm of ['oidc', 'oauth2'] as const) {
      try {
        const response = await oauth.discoveryRequest(source.issuer, { ...this.requestOptions, algorithm });
        return await oauth.processDiscoveryResponse(source.issuer, response);
      } catch (error) {
        lastError = error;
      }
    }
    throw new TokenEndpointError('unavailable', undefined, undefined, { cause: lastError });
  }
}
