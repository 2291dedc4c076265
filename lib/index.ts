export type { ClientAuthMethod } from '../lambdas/shared/config.js';
export { OAuthBackend, type OAuthBackendProps } from './oauth-backend.js';
export { OAuthBackendStack, type OAuthBackendStackProps } from './oauth-backend-stack.js';
