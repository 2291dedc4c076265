/**
 * The development authorization server: `oidc-provider` on 127.0.0.1 with its built-in login and
 * consent pages (any login and password work), confidential clients, PKCE required, refresh
 * tokens issued. The local stack starts it when OAUTH_ISSUER is unset; the tests and the
 * benchmarks use it as the real AS they run against. Never for production.
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';
import type { ClientAuthMethod } from '../lambdas/shared/definitions/env.js';

export interface DevClient {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  readonly authMethod: ClientAuthMethod;
  readonly postLogoutRedirectUris?: readonly string[];
}

export interface DevAuthorizationServerOptions {
  readonly clients: readonly DevClient[];
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  readonly accessTokenTtlSeconds?: number;
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
  const stats: TokenEndpointStats = { requests: 0, granted: {}, failed: {} };
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

  const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' });
  const provider = new Provider(issuer, {
    clients: options.clients.map((c) => ({
      client_id: c.clientId,
      client_secret: c.clientSecret,
      redirect_uris: [...c.redirectUris],
      post_logout_redirect_uris: [...(c.postLogoutRedirectUris ?? [])],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: c.authMethod,
    })),
    jwks: { keys: [{ ...signingKey, use: 'sig', alg: 'RS256', kid: 'dev' }] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    pkce: { required: () => true },
    features: {
      devInteractions: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
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
