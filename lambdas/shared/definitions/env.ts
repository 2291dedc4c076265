/**
 * The handlers' environment variable names and defaults, defined once: the construct (lib/) sets
 * them, the config loader (platform/config.ts) reads them, the local stack and `sam local` use the
 * same names. Side-effect free, like everything under definitions/.
 */

export const ENV = {
  issuer: 'OAUTH_ISSUER',
  authorizationEndpoint: 'OAUTH_AUTHORIZATION_ENDPOINT',
  tokenEndpoint: 'OAUTH_TOKEN_ENDPOINT',
  clientId: 'OAUTH_CLIENT_ID',
  clientSecretArn: 'OAUTH_CLIENT_SECRET_ARN',
  clientSecret: 'OAUTH_CLIENT_SECRET',
  clientAuthMethod: 'OAUTH_CLIENT_AUTH_METHOD',
  scope: 'OAUTH_SCOPE',
  authorizationParams: 'OAUTH_AUTHORIZATION_PARAMS',
  redirectUri: 'OAUTH_REDIRECT_URI',
  httpTimeoutMs: 'OAUTH_HTTP_TIMEOUT_MS',
  tableName: 'TABLE_NAME',
  refreshBeforeExpirySeconds: 'REFRESH_BEFORE_EXPIRY_SECONDS',
  loginTimeoutSeconds: 'LOGIN_TIMEOUT_SECONDS',
  sessionDurationSeconds: 'SESSION_DURATION_SECONDS',
  postLoginPath: 'POST_LOGIN_PATH',
  postLogoutPath: 'POST_LOGOUT_PATH',
  cookiePrefix: 'COOKIE_PREFIX',
  allowedOrigins: 'ALLOWED_ORIGINS',
  logoutIdTokenHint: 'LOGOUT_ID_TOKEN_HINT',
  tokenKmsKeyId: 'TOKEN_KMS_KEY_ID',
  tokenEncryptionKey: 'TOKEN_ENCRYPTION_KEY',
  refreshConcurrency: 'REFRESH_CONCURRENCY',
  refreshMaxPerTick: 'REFRESH_MAX_PER_TICK',
  apiRoutes: 'API_ROUTES',
} as const;

export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post';
export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post'];

export const DEFAULTS = {
  clientAuthMethod: 'client_secret_basic' as ClientAuthMethod,
  scope: 'openid',
  httpTimeoutMs: 5000,
  refreshBeforeExpirySeconds: 300,
  loginTimeoutSeconds: 600,
  sessionDurationSeconds: 8 * 3600,
  postLoginPath: '/',
  postLogoutPath: '/',
  cookiePrefix: 'bff-',
  refreshConcurrency: 16,
  refreshMaxPerTick: 5000,
} as const;
