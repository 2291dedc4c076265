/**
 * The OAuth 2.0 / OpenID Connect client steps, on top of `oauth4webapi`: the authorization request,
 * the callback, the code exchange and the refresh, over the calls that end a session at the AS
 * (end-session.ts), which the logout function takes alone. Plain protocol code:
 * no AWS SDK, no storage, no HTTP framing. The client secret is passed in per call so that this
 * module never decides where secrets come from (Secrets Manager, env) or how they are cached.
 */
import * as oauth from 'oauth4webapi';
import { isBackendOwnedParam } from '../definitions/authorization-params.js';
import { nowSeconds } from '../domain/clock.js';
import { sha256 } from '../domain/crypto.js';
import { TokenEndpointError } from '../domain/errors.js';
import type { SessionTokens } from '../domain/tokens.js';
import { type AsClientConfig, EndSessionClient } from './end-session.js';
import {
  AuthorizationDeniedError,
  AuthorizationResponseInvalidError,
  LoginRequirementError,
} from './errors.js';
import { classifyTokenError } from './token-errors.js';

export interface OAuthClientConfig extends AsClientConfig {
  readonly scope: string;
  readonly redirectUri: URL;
}

/** What a successful token response leaves us with, already validated. */
export interface TokenSet extends SessionTokens {
  /**
   * When the refresh token stops working, epoch seconds, when the AS says so (`refresh_expires_in`,
   * as Keycloak sends it; 0, Keycloak's "no limit" for offline tokens, counts as not said).
   */
  readonly refreshTokenExpiresAt?: number;
  /** Validated ID token claims (issuer, audience, expiry, nonce checked), when there is an ID token. */
  readonly idTokenClaims?: oauth.IDToken;
}

export class OAuthClient extends EndSessionClient {
  declare protected readonly config: OAuthClientConfig;

  // The whole client's config (scope, redirect URI), where the end-session client needs less.
  constructor(config: OAuthClientConfig, options: ConstructorParameters<typeof EndSessionClient>[1] = {}) {
    super(config, options);
  }

  /** Whether the scope asks for OpenID Connect, which brings a nonce and an ID token. */
  get isOpenId(): boolean {
    return this.config.scope.split(' ').includes('openid');
  }

  /**
   * The front-channel authorization request (RFC 6749 4.1.1 + RFC 7636 4.3), S256 only, with
   * `extraParams` (static and per-login, checklist J32). The backend's own parameters are set
   * last and an extra one of the same name is dropped: nothing from outside can replace them.
   */
  async authorizationUrl(params: {
    state: string;
    codeChallenge: string;
    nonce?: string;
    extraParams?: Readonly<Record<string, string>>;
  }): Promise<URL> {
    const as = await this.authorizationServer();
    if (!as.authorization_endpoint) throw new TokenEndpointError('invalid_response');
    const url = new URL(as.authorization_endpoint);
    for (const [name, value] of Object.entries(params.extraParams ?? {})) {
      if (!isBackendOwnedParam(name)) url.searchParams.set(name, value);
    }
    url.searchParams.set('response_type', 'code');
    url.searchParams.set('client_id', this.config.clientId);
    url.searchParams.set('redirect_uri', this.config.redirectUri.href);
    url.searchParams.set('scope', this.config.scope);
    url.searchParams.set('state', params.state);
    url.searchParams.set('code_challenge', params.codeChallenge);
    url.searchParams.set('code_challenge_method', 'S256');
    if (params.nonce !== undefined) url.searchParams.set('nonce', params.nonce);
    return url;
  }

  /**
   * Validates the authorization response: `state` is present and equal, and `iss` matches exactly
   * when the AS advertises `authorization_response_iss_parameter_supported` (RFC 9207 2.4).
   * Returns the parameters for the code exchange; throws AuthorizationDeniedError for an
   * `error=` response and AuthorizationResponseInvalidError for anything else wrong.
   */
  async validateCallback(params: URLSearchParams, expectedState: string): Promise<URLSearchParams> {
    const as = await this.authorizationServer();
    try {
      return oauth.validateAuthResponse(as, this.client, params, expectedState);
    } catch (error) {
      if (error instanceof oauth.AuthorizationResponseError) throw new AuthorizationDeniedError(error.error);
      throw new AuthorizationResponseInvalidError({ cause: error });
    }
  }

  /**
   * Exchanges the code (RFC 6749 4.1.3) with the PKCE verifier (RFC 7636 4.5) and validates the
   * response; with `openid`, the ID token's issuer, audience, expiry and nonce are checked.
   * The same `redirect_uri` constant as in the authorization request (checklist C8).
   */
  async exchangeCode(params: {
    /** The validated callback parameters (from `validateCallback`). */
    readonly callbackParams: URLSearchParams;
    readonly codeVerifier: string;
    /** The login's nonce, when it asked for `openid`. */
    readonly nonce?: string;
    /** The `max_age` the login sent: the ID token's `auth_time` must be that recent (OIDC Core 3.1.2.1). */
    readonly maxAge?: number;
    /** The `acr_values` the login sent: the ID token's `acr` must be one of them. */
    readonly acrValues?: readonly string[];
    readonly clientSecret: string;
  }): Promise<TokenSet> {
    const { callbackParams, codeVerifier, nonce, clientSecret } = params;
    // Both are OpenID Connect: without an ID token there is nothing to check them against.
    const maxAge = this.isOpenId ? params.maxAge : undefined;
    const acrValues = this.isOpenId ? params.acrValues : undefined;
    const as = await this.authorizationServer();
    const tokens = await this.tokenRequest(async () => {
      const response = await oauth.authorizationCodeGrantRequest(
        as,
        this.client,
        this.clientAuth(clientSecret),
        callbackParams,
        this.config.redirectUri.href,
        codeVerifier,
        this.requestOptions,
      );
      try {
        return await oauth.processAuthorizationCodeResponse(as, this.client, response, {
          expectedNonce: nonce ?? oauth.expectNoNonce,
          requireIdToken: this.isOpenId,
          ...(maxAge === undefined ? {} : { maxAge }),
        });
      } catch (error) {
        // oauth4webapi checks `auth_time` against maxAge (present, and recent enough).
        if (maxAge !== undefined && isAuthTimeFailure(error))
          throw new LoginRequirementError('max_age', { cause: error });
        throw error;
      }
    });
    if (acrValues !== undefined && acrValues.length > 0) {
      const acr = tokens.idTokenClaims?.acr;
      if (typeof acr !== 'string' || !acrValues.includes(acr)) throw new LoginRequirementError('acr');
    }
    return tokens;
  }

  /** The refresh grant (RFC 6749 6). */
  async refresh(refreshToken: string, clientSecret: string): Promise<TokenSet> {
    const as = await this.authorizationServer();
    return this.tokenRequest(async () => {
      const response = await oauth.refreshTokenGrantRequest(
        as,
        this.client,
        this.clientAuth(clientSecret),
        refreshToken,
        this.requestOptions,
      );
      return oauth.processRefreshTokenResponse(as, this.client, response);
    });
  }

  private async tokenRequest(run: () => Promise<oauth.TokenEndpointResponse>): Promise<TokenSet> {
    // Expiry counts from when we asked, by the injected clock: never later than the AS meant.
    const requestedAt = nowSeconds(this.clock);
    let result: oauth.TokenEndpointResponse;
    try {
      result = await run();
    } catch (error) {
      if (error instanceof LoginRequirementError) throw error;
      throw classifyTokenError(error, this.clock);
    }
    const claims = oauth.getValidatedIdTokenClaims(result);
    return {
      accessToken: result.access_token,
      tokenType: result.token_type,
      ...(typeof result.expires_in === 'number'
        ? { accessTokenExpiresAt: requestedAt + result.expires_in }
        : {}),
      ...(result.refresh_token ? { refreshToken: result.refresh_token } : {}),
      ...(result.refresh_token &&
      typeof result.refresh_expires_in === 'number' &&
      Number.isFinite(result.refresh_expires_in) &&
      result.refresh_expires_in > 0
        ? { refreshTokenExpiresAt: requestedAt + Math.floor(result.refresh_expires_in) }
        : {}),
      ...(result.id_token ? { idToken: result.id_token } : {}),
      ...(result.scope ? { scope: result.scope } : {}),
      ...(claims ? { idTokenClaims: claims } : {}),
    };
  }
}

/** oauth4webapi's refusal of an ID token for its `auth_time`: too old, or missing when max_age was sent. */
function isAuthTimeFailure(error: unknown): boolean {
  if (!(error instanceof oauth.OperationProcessingError)) return false;
  const cause = error.cause as { claim?: unknown; claims?: Record<string, unknown> } | undefined;
  if (error.code === oauth.JWT_TIMESTAMP_CHECK) return cause?.claim === 'auth_time';
  return (
    error.code === oauth.INVALID_RESPONSE &&
    error.message.includes('"auth_time"') &&
    cause?.claims !== undefined &&
    cause.claims.auth_time === undefined
  );
}

/**
 * PKCE (RFC 7636 4.1, 4.2): a 43-character verifier from 32 random bytes (oauth4webapi) and its S256
 * challenge, BASE64URL-ENCODE(SHA256(ASCII(verifier))). The challenge is node:crypto's synchronous
 * SHA-256 (domain/crypto.ts `sha256`, UTF-8 being ASCII for a verifier's unreserved characters), not
 * oauth4webapi's calculatePKCECodeChallenge: that one goes through WebCrypto's `subtle.digest`, a
 * promise and a job on another thread, about 50 us of every /login against 2 us (Node 20 and 24
 * here). The same bytes: test/unit/pkce-and-crypto.test.ts checks them against oauth4webapi's for
 * any verifier.
 */
export function createPkce(): { verifier: string; challenge: string } {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: s256Challenge(verifier) };
}

/** The S256 code challenge of a verifier (see createPkce). */
export const s256Challenge = (verifier: string): string => sha256(verifier);
export const randomNonce = () => oauth.generateRandomNonce();
