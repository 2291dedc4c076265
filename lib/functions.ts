/**
 * The function factory: every function of the construct gets its own log group, its own role
 * (permissions added by lib/permissions.ts), the handler environment, and the bundling of
 * lib/bundling.ts.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { FunctionDefinition } from '../lambdas/shared/definitions/routes.js';
import {
  BUNDLE_TARGET,
  ESM_REQUIRE_BANNER,
  entryPath,
  LOCK_FILE,
  MAIN_FIELDS,
  PROJECT_ROOT,
} from './bundling.js';
import type { Settings } from './settings.js';

/** Timeout of the functions behind the HTTP routes. */
export const ROUTE_FUNCTION_TIMEOUT = Duration.seconds(10);
/** Timeout of the scheduled refresh function, which works through a batch of sessions. */
export const REFRESH_FUNCTION_TIMEOUT = Duration.seconds(60);
/**
 * Memory (and so CPU) of the functions. The refresh function is CPU-bound under load (about 6 ms
 * of CPU per refresh, BENCHMARKS.md), and at 256 MB Lambda gives it about a seventh of a vCPU;
 * 1 GB (about 0.6 vCPU) lets one tick refresh several times more sessions, for seconds a minute.
 */
export const ROUTE_FUNCTION_MEMORY_MB = 256;
export const REFRESH_FUNCTION_MEMORY_MB = 1024;

export interface BackendFunctionOptions {
  readonly definition: FunctionDefinition;
  readonly timeout: Duration;
  readonly memorySize: number;
  /** Retries of an asynchronous invocation (the schedule); undefined: Lambda's default. */
  readonly retryAttempts?: number;
  readonly environment: Readonly<Record<string, string>>;
}

export function createBackendFunction(
  scope: Construct,
  settings: Settings,
  options: BackendFunctionOptions,
): NodejsFunction {
  const { id, entry } = options.definition;
  const logGroup = new LogGroup(scope, `${id}Logs`, {
    retention: settings.logRetention,
    removalPolicy: settings.removalPolicy,
  });
  // Its own role with an inline policy, instead of the managed AWSLambdaBasicExecutionRole (which
  // may write to any log group): the function may write to its own log group only.
  const role = new Role(scope, `${id}Role`, {
    assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    description: `${id} function of the OAuth backend ${settings.serviceName}`,
  });
  logGroup.grantWrite(role);
  if (settings.tracing) {
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        "Active tracing needs xray:PutTraceSegments and xray:PutTelemetryRecords, which support no resource-level permissions, so Lambda's tracing statement names Resource '*'.",
    });
  }
  return new NodejsFunction(scope, `${id}Function`, {
    memorySize: options.memorySize,
    architecture: Architecture.ARM_64,
    ...settings.functionOverrides,
    entry: entryPath(entry),
    projectRoot: PROJECT_ROOT,
    depsLockFilePath: LOCK_FILE,
    runtime: Runtime.NODEJS_24_X,
    timeout: options.timeout,
    environment: { ...options.environment },
    logGroup,
    role,
    ...(settings.tracing ? { tracing: Tracing.ACTIVE } : {}),
    ...(options.retryAttempts === undefined ? {} : { retryAttempts: options.retryAttempts }),
    bundling: {
      format: OutputFormat.ESM,
      minify: true,
      // No source maps: with NODE_OPTIONS=--enable-source-maps Node parses the 2 MB map at every
      // cold start (+10-30 ms measured, BENCHMARKS.md); error logs carry names and codes instead.
      sourceMap: false,
      target: BUNDLE_TARGET,
      mainFields: MAIN_FIELDS,
      // The SDK is bundled: a minified bundle initialises faster than the runtime-provided SDK.
      externalModules: [],
      banner: ESM_REQUIRE_BANNER,
      forceDockerBundling: false,
    },
  });
}
