import { App } from 'aws-cdk-lib';
import type { ClientAuthMethod } from '../lambdas/shared/config.js';
import { OAuthBackendStack } from '../lib/oauth-backend-stack.js';

/**
 * The deployable app, configured from context, e.g.
 * `npx cdk deploy -c issuer=https://login.example.com -c clientId=abc -c scopes="openid profile"`.
 * The placeholders let `cdk synth` run with no arguments (and offline); a deployment with them
 * works but cannot log anyone in.
 */
const PLACEHOLDER_ISSUER = 'https://issuer.example.com';
const PLACEHOLDER_CLIENT_ID = 'replace-me';

const app = new App();

function context(name: string): string | undefined {
  const value: unknown = app.node.tryGetContext(name);
  if (value === undefined || value === null) return undefined;
  const text = String(value).trim();
  return text === '' ? undefined : text;
}

const authorizationEndpoint = context('authorizationEndpoint');
const tokenEndpoint = context('tokenEndpoint');
const explicitEndpoints = authorizationEndpoint !== undefined || tokenEndpoint !== undefined;
const scopes = context('scopes')?.split(/\s+/);

new OAuthBackendStack(app, context('stackName') ?? 'OAuthBackend', {
  description: 'Serverless OAuth 2.0 backend-for-frontend (authorization code + PKCE)',
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
  // With explicit endpoints the issuer is optional (only the expected `iss`), so no placeholder.
  issuer: context('issuer') ?? (explicitEndpoints ? undefined : PLACEHOLDER_ISSUER),
  authorizationEndpoint,
  tokenEndpoint,
  clientId: context('clientId') ?? PLACEHOLDER_CLIENT_ID,
  // The construct validates the value and names the allowed ones.
  clientAuthMethod: context('clientAuthMethod') as ClientAuthMethod | undefined,
  scopes,
});
