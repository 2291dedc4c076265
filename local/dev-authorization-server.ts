/**
 * The development authorization server: `oidc-provider` on 127.0.0.1 with its built-in login and
 * consent pages (any login and password work), confidential clients, PKCE required, refresh
 * tokens issued. The local stack starts it when OAUTH_ISSUER is unset; the tests and the
 * benchmarks use it as the real AS they run against. Never for production.
 */
import { generateKeyPairSync, type JsonWebKey, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { ClientAuthMethod } from '../lambdas/shared/definitions/env.js';
import { isLoopbackHost } from '../lambdas/shared/definitions/urls.js';

export interface DevClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  readonly authMethod: ClientAuthMethod;
  readonly postLogoutRedirectUris?: readonly string[];
  /**
   * Where the AS posts back-channel logout tokens (OIDC Back-Channel Logout 1.0) when a session
   * ends at its end-session endpoint. With it, ID tokens and logout tokens carry `sid`
   * (`backchannel_logout_session_required`), as most providers send them.
   */
  readonly backchannelLogoutUri?: string;
}

export interface DevAuthorizationServerOptions {
  readonly clients: readonly DevClient[];
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly accessTokenTtlSeconds?: number;
  /**
   * The private RSA signing key (JWK) of ID and logout tokens; a fresh one when absent. Tests pass
   * their own to sign tokens the AS's keys verify (forged logout tokens with wrong claims).
   */
  readonly signingKey?: JsonWebKey;
  /** Issue a new refresh token on every refresh and revoke the grant when a spent one is reused. */
  readonly rotateRefreshToken?: boolean;
}

/** What reached the token endpoint, for tests that must prove a code was sent exactly once. */
export interface TokenEndpointStats {
  /** Every POST to the token endpoint, whatever its outcome. */
  requests: number;
  /** Successful grants by grant type. */
  granted: Record<string, number>;
  /** Failed grants by error code. */
  failed: Record<string, number>;
  /** Back-channel logout tokens posted to clients: answered 200, or not. */
  backchannel: { delivered: number; failed: number };
}

export interface DevAuthorizationServer {
  readonly issuer: string;
  readonly stats: TokenEndpointStats;
  readonly provider: Provider;
  stop(): Promise<void>;
}

export async function startDevAuthorizationServer(
  options: DevAuthorizationServerOptions,
): Promise<DevAuthorizationServer> {
  const stats: TokenEndpointStats = {
    requests: 0,
    granted: {},
    failed: {},
    backchannel: { delivered: 0, failed: 0 },
  };
  let callback: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const server: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url?.split('?')[0] === '/token') stats.requests++;
    if (callback) callback(req, res);
    else res.writeHead(503).end();
  });
  // Listen first: the issuer URL must carry the real port before the Provider is built.
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const signingKey =
    options.signingKey ??
    generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [...c.redirectUris],
      post_logout_redirect_uris: [...(c.postLogoutRedirectUris ?? [])],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: c.authMethod,
      ...(c.backchannelLogoutUri
        ? { backchannel_logout_uri: c.backchannelLogoutUri, backchannel_logout_session_required: true }
        : {}),
    })),
    jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'RS256', kid: 'dev' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      backchannelLogout: { enabled: true },
    },
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    // Put the scope's claims into the ID token, so the backend has them without a userinfo call.
    conformIdTokenClaims: false,
    async findAccount(_ctx, sub) {
      return {
        accountId: sub,
        async claims() {
          return { sub, name: `Dev User ${sub}`, email: `${sub}@example.test`, email_verified: true };
        },
      };
    },
    // Refresh tokens for every client allowed the grant, without requiring offline_access.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: options.rotateRefreshToken ?? false,
    // Revoking a refresh token (a client's own logout) revokes that token, not the user's grant: the
    // user stays signed in at the AS with their consent, as at Keycloak or Auth0, so a silent login
    // (prompt=none) after a local logout works. Ending the session at the AS still revokes the grant.
    revokeGrantPolicy: (ctx) => ctx.oidc.route !== 'revocation',
    // oidc-provider refuses outgoing requests to special-use addresses (SSRF protection), and the
    // clients of a dev AS live on loopback: its back-channel logout posts go to loopback only.
    fetch: (url, init) => {
      const target = new URL(url);
      if (!isLoopbackHost(target.hostname)) {
        return Promise.reject(new Error('the dev authorization server only calls loopback clients'));
      }
      const { dispatcher: _ssrfGuard, ...rest } = init as RequestInit & { dispatcher?: unknown };
      return globalThis.fetch(target, rest);
    },
    ttl: {
      AccessToken: options.accessTokenTtlSeconds ?? 3600,
      AuthorizationCode: 60,
      Grant: 14 * 24 * 3600,
      IdToken: 3600,
      Interaction: 600,
      RefreshToken: 14 * 24 * 3600,
      Session: 14 * 24 * 3600,
    },
  });
  provider.on('grant.success', (ctx) => {
    const grantType = String(ctx.oidc.params?.grant_type ?? 'unknown');
    stats.granted[grantType] = (stats.granted[grantType] ?? 0) + 1;
  });
  provider.on('backchannel.success', () => {
    stats.backchannel.delivered++;
  });
  provider.on('backchannel.error', () => {
    stats.backchannel.failed++;
  });
  provider.on('grant.error', (_ctx, error: { error?: string }) => {
    const code = error.error ?? 'unknown';
    stats.failed[code] = (stats.failed[code] ?? 0) + 1;
  });
  callback = provider.callback();

  return {
    issuer,
    stats,
    provider,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
