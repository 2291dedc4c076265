/**
 * The handlers' environment, built from the settings with the variable names of
 * lambdas/shared/definitions/env.ts: what every function of the construct gets, and what
 * `grantSessionAccess` sets on an embedder's function.
 */
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { ENV } from '../lambdas/shared/definitions/env.js';
import type { Settings } from './settings.js';

export interface EnvironmentTargets {
  readonly table: ITable;
  readonly clientSecret: ISecret;
  readonly kmsKey: IKey;
  readonly redirectUri: string;
  /** API_ROUTES as JSON (tokens resolved by the stack), when there is an API proxy. */
  readonly apiRoutesJson?: string;
}

/** The variables the handlers' config loader reads. */
export function handlerEnvironment(settings: Settings, targets: EnvironmentTargets): Record<string, string> {
  return {
    ...settings.authorizationServerEnv,
    [ENV.clientId]: settings.clientId,
    [ENV.clientSecretArn]: targets.clientSecret.secretArn,
    [ENV.clientAuthMethod]: settings.clientAuthMethod,
    [ENV.scope]: settings.scope,
    ...(Object.keys(settings.authorizationParams).length > 0
      ? { [ENV.authorizationParams]: JSON.stringify(settings.authorizationParams) }
      : {}),
    [ENV.redirectUri]: targets.redirectUri,
    [ENV.tableName]: targets.table.tableName,
    [ENV.tokenKmsKeyId]: targets.kmsKey.keyArn,
    [ENV.refreshBeforeExpirySeconds]: String(settings.refreshBeforeExpiry.toSeconds()),
    [ENV.loginTimeoutSeconds]: String(settings.loginTimeout.toSeconds()),
    [ENV.sessionDurationSeconds]: String(settings.sessionDuration.toSeconds()),
    [ENV.postLoginPath]: settings.postLoginPath,
    [ENV.postLogoutPath]: settings.postLogoutPath,
    [ENV.cookiePrefix]: settings.cookiePrefix,
    ...(settings.allowedOrigins.length > 0
      ? { [ENV.allowedOrigins]: settings.allowedOrigins.join(',') }
      : {}),
    [ENV.logoutIdTokenHint]: String(settings.logoutIdTokenHint),
    [ENV.httpTimeoutMs]: String(settings.httpTimeout.toMilliseconds()),
    ...(targets.apiRoutesJson === undefined ? {} : { [ENV.apiRoutes]: targets.apiRoutesJson }),
  };
}

/**
 * The defaults every function gets ahead of the embedder's extra variables (which may replace
 * them), and which the code caches and the bench's cold starts run with too (CODE_CACHE_ENV,
 * bench/sections/cold-start.ts). POWERTOOLS_DEV=false is what an unset variable means to
 * Powertools, but unset, each of its checks (one in Logger's constructor, one in Metrics') parses
 * the string "undefined" and throws and catches an Error to say so, at every cold start
 * (lambdas/shared/platform/log-output.ts, devMode).
 */
export const FUNCTION_DEFAULTS: Readonly<Record<string, string>> = { POWERTOOLS_DEV: 'false' };

/**
 * What every function of the construct gets: FUNCTION_DEFAULTS, the embedder's extra variables, the
 * handlers' own (which the extra ones may not replace), and the Powertools service and namespace.
 */
export function functionEnvironment(
  settings: Settings,
  handlers: Readonly<Record<string, string>>,
): Record<string, string> {
  const clashes = Object.keys(settings.extraEnvironment).filter((name) => name in handlers);
  if (clashes.length > 0) {
    throw new Error(`OAuthBackend: functionProps.environment must not set ${clashes.join(', ')}`);
  }
  return {
    ...FUNCTION_DEFAULTS,
    ...settings.extraEnvironment,
    ...handlers,
    POWERTOOLS_SERVICE_NAME: settings.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
  };
}
