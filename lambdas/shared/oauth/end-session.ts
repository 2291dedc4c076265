/**
 * The calls to the authorization server that end a session there, on `oauth4webapi`: token
 * revocation (RFC 7009) and the RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0).
 * The base of the whole OAuth client (client.ts), and apart from it so that the logout function,
 * which makes no other call, bundles only oauth4webapi's revocation and discovery (about 9 KB of it)
 * and not its token requests and ID-token validation (about 20 KB with them; its cold start is one
 * of the closest to its SDK floor, BENCHMARKS.md). Plain protocol code: no AWS SDK, no storage, no
 * HTTP framing; the client secret is passed in per call.
 */
import * as oauth from 'oauth4webapi';
import type { ClientAuthMethod } from '../definitions/env.js';
import { type Clock, systemClock } from '../domain/clock.js';
import {
  type AsRequestOptions,
  AuthorizationServerMetadata,
  type AuthorizationServerSource,
  asRequestOptions,
} from './discovery.js';
import { classifyTokenError } from './token-errors.js';

/** What every call to the AS needs: where it is, who we are, how we authenticate, how long we wait. */
export interface AsClientConfig {
  readonly authorizationServer: AuthorizationServerSource;
  readonly clientId: string;
  readonly clientAuthMethod: ClientAuthMethod;
  readonly httpTimeoutMs: number;
}

export class EndSessionClient {
  readonly client: oauth.Client;
  protected readonly clock: Clock;
  protected readonly requestOptions: AsRequestOptions;
  protected readonly metadata: AuthorizationServerMetadata;

  constructor(
    protected readonly config: AsClientConfig,
    options: { readonly clock?: Clock; readonly fetch?: typeof fetch } = {},
  ) {
    this.client = { client_id: config.clientId };
    this.clock = options.clock ?? systemClock;
    this.requestOptions = asRequestOptions(config.authorizationServer, {
      httpTimeoutMs: config.httpTimeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
    });
    this.metadata = new AuthorizationServerMetadata(config.authorizationServer, this.requestOptions);
  }

  /** The AS metadata (discovery.ts): discovered once per container, or the explicit endpoints. */
  authorizationServer(): Promise<oauth.AuthorizationServer> {
    return this.metadata.get();
  }

  /**
   * Revokes a token (RFC 7009) when the AS has a revocation endpoint. Returns false when it has
   * none; throws TokenEndpointError when the AS refuses or fails.
   */
  async revoke(
    token: string,
    tokenTypeHint: 'refresh_token' | 'access_token',
    clientSecret: string,
  ): Promise<boolean> {
    const as = await this.authorizationServer();
    if (!as.revocation_endpoint) return false;
    try {
      const response = await oauth.revocationRequest(as, this.client, this.clientAuth(clientSecret), token, {
        ...this.requestOptions,
        additionalParameters: { token_type_hint: tokenTypeHint },
      });
      await oauth.processRevocationResponse(response);
      return true;
    } catch (error) {
      throw classifyTokenError(error, this.clock);
    }
  }

  /**
   * Where to send the browser after a local logout: the AS's end-session endpoint (OpenID Connect
   * RP-Initiated Logout 1.0) when it advertises one, else undefined.
   */
  async endSessionUrl(params: {
    postLogoutRedirectUri: string;
    idTokenHint?: string;
  }): Promise<URL | undefined> {
    const as = await this.authorizationServer();
    if (!as.end_session_endpoint) return undefined;
    const url = new URL(as.end_session_endpoint);
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('post_logout_redirect_uri', params.postLogoutRedirectUri);
    if (params.idTokenHint !== undefined) url.searchParams.set('id_token_hint', params.idTokenHint);
    return url;
  }

  /** RFC 6749 2.3.1: exactly one method, never both, never in a URL. oauth4webapi form-encodes id and secret for Basic. */
  protected clientAuth(clientSecret: string): oauth.ClientAuth {
    return this.config.clientAuthMethod === 'client_secret_post'
      ? oauth.ClientSecretPost(clientSecret)
      : oauth.ClientSecretBasic(clientSecret);
  }
}
