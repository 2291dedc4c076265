/**
 * Preparing a synthesized app for `sam local` (README "Local testing with sam local"): `sam local
 * --env-vars` only sets variables the template declares, so every function declares the local-only
 * ones as empty. Empty means "unset" to the handlers and to the AWS SDK. An app concern, not the
 * construct's: a deployment never declares them.
 */
import { ENV } from '../lambdas/shared/definitions/env.js';
import type { OAuthBackend } from '../lib/oauth-backend.js';

/** Variables `sam local --env-vars` may need to set; a deployment never gives them a value. */
export const SAM_LOCAL_VARIABLES = [
  ENV.clientSecret,
  ENV.tokenEncryptionKey,
  'AWS_ENDPOINT_URL_DYNAMODB',
] as const;

export function declareSamLocalVariables(backend: OAuthBackend): void {
  for (const fn of backend.functions) {
    for (const name of SAM_LOCAL_VARIABLES) fn.addEnvironment(name, '');
  }
}
