export type { ClientAuthMethod } from '../lambdas/shared/config.js';
export { ENV as HANDLER_ENV } from '../lambdas/shared/config.js';
export { METRIC, METRICS_NAMESPACE, type MetricName } from '../lambdas/shared/metric-names.js';
export { ROUTES, type RouteDefinition } from '../lambdas/shared/routes.js';
export { TABLE_SCHEMA } from '../lambdas/shared/table-schema.js';
export { ALARM_PERIOD } from './monitoring.js';
export {
  ACCESS_LOG_FORMAT,
  OAuthBackend,
  type OAuthBackendFunctionProps,
  type OAuthBackendProps,
  type OAuthBackendTableProps,
  SAM_LOCAL_VARIABLES,
} from './oauth-backend.js';
export { OAuthBackendStack, type OAuthBackendStackProps } from './oauth-backend-stack.js';
export { ACCESS, type Access } from './permissions.js';
