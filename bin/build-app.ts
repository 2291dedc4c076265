import type { App } from 'aws-cdk-lib';
import type { ClientAuthMethod } from '../lambdas/shared/definitions/env.js';
import { OAuthBackendStack } from '../lib/oauth-backend-stack.js';
import { declareSamLocalVariables } from './sam-local.js';

/** The stack id (and template file name, `cdk.out/<id>.template.json`) unless `-c stackName=...`. */
export const DEFAULT_STACK_ID = 'OAuthBackend';

/**
 * The placeholders let `cdk synth` run with no arguments (and offline); a deployment with them
 * works but cannot log anyone in.
 */
export const PLACEHOLDER_ISSUER = 'https://issuer.example.com';
export const PLACEHOLDER_CLIENT_ID = 'replace-me';

/**
 * The deployable app, configured from context, e.g.
 * `npx cdk deploy -c issuer=https://login.example.com -c clientId=abc -c scopes="openid profile"`.
 * Separate from bin/app.ts so tests build exactly what `cdk synth` builds.
 */
export function buildApp(app: App): OAuthBackendStack {
  const context = (name: string): string | undefined => {
    const value: unknown = app.node.tryGetContext(name);
    if (value === undefined || value === null) return undefined;
    const text = String(value).trim();
    return text === '' ? undefined : text;
  };
  const flag = (name: string): boolean | undefined => {
    const value = context(name);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false') throw new Error(`context ${name} must be true or false`);
    return value === 'true';
  };

  /** A JSON array in a context value (`-c apiRoutes='[{"path":"/api/x","upstream":"https://..."}]'`). */
  const jsonList = (name: string): { path: string; upstream: string }[] | undefined => {
    const value = context(name);
    if (value === undefined) return undefined;
    try {
      return JSON.parse(value) as { path: string; upstream: string }[];
    } catch {
      throw new Error(`context ${name} must be a JSON array`);
    }
  };
  const authorizationEndpoint = context('authorizationEndpoint');
  const tokenEndpoint = context('tokenEndpoint');
  const explicitEndpoints = authorizationEndpoint !== undefined || tokenEndpoint !== undefined;

  const params = context('authorizationParams');
  let authorizationParams: Record<string, string> | undefined;
  if (params !== undefined) {
    try {
      authorizationParams = JSON.parse(params) as Record<string, string>;
    } catch (cause) {
      throw new Error('context authorizationParams must be a JSON object of strings', { cause });
    }
  }

  const stack = new OAuthBackendStack(app, context('stackName') ?? DEFAULT_STACK_ID, {
    description: 'Serverless OAuth 2.0 backend-for-frontend (authorization code + PKCE)',
    env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
    // With explicit endpoints the issuer is optional (only the expected `iss`), so no placeholder.
    issuer: context('issuer') ?? (explicitEndpoints ? undefined : PLACEHOLDER_ISSUER),
    authorizationEndpoint,
    tokenEndpoint,
    clientId: context('clientId') ?? PLACEHOLDER_CLIENT_ID,
    // The construct validates the value and names the allowed ones.
    clientAuthMethod: context('clientAuthMethod') as ClientAuthMethod | undefined,
    scopes: context('scopes')?.split(/\s+/),
    // The construct checks the object (strings only, none of the backend's own parameters).
    authorizationParams,
    pathPrefix: context('pathPrefix'),
    cookiePrefix: context('cookiePrefix'),
    postLoginPath: context('postLoginPath'),
    postLogoutPath: context('postLogoutPath'),
    tracing: flag('tracing'),
    dashboard: flag('dashboard'),
    apiRoutes: jsonList('apiRoutes'),
  });
  // `-c samLocal=true`: declare the sam-local-only variables (bin/sam-local.ts).
  if (flag('samLocal')) declareSamLocalVariables(stack.backend);
  return stack;
}
