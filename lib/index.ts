export type { ClientAuthMethod } from '../lambdas/shared/definitions/env.js';
export { ENV as HANDLER_ENV } from '../lambdas/shared/definitions/env.js';
export { METRIC, METRICS_NAMESPACE, type MetricName } from '../lambdas/shared/definitions/metric-names.js';
export {
  type FunctionDefinition,
  REFRESH_FUNCTION,
  ROUTE_LIST,
  ROUTES,
  type RouteDefinition,
  type RouteName,
} from '../lambdas/shared/definitions/routes.js';
export { TABLE_SCHEMA } from '../lambdas/shared/definitions/table-schema.js';
export { ACCESS_LOG_FORMAT } from './api.js';
export { ALARM_PERIOD } from './monitoring.js';
export { OAuthBackend } from './oauth-backend.js';
export { OAuthBackendStack, type OAuthBackendStackProps } from './oauth-backend-stack.js';
export { ACCESS, type Access } from './permissions.js';
export type { OAuthBackendFunctionProps, OAuthBackendProps, OAuthBackendTableProps } from './props.js';
