/**
 * The function factory: every function of the construct gets its own log group, its own role
 * (permissions added by lib/permissions.ts), the handler environment, and its prebuilt bundle
 * (lib/assets.ts).
 *
 * A plain `lambda.Function` with `Code.fromAsset`, not a `NodejsFunction`: a NodejsFunction bundles
 * at the consumer's synth, from our entry files inside their node_modules, with whatever versions
 * their install resolved (npm never packs our lock file), and falls back to Docker when it cannot
 * find esbuild. The bundles are built once, when the package is built, and shipped.
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  type CfnFunction,
  Code,
  Function as LambdaFunction,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import {
  EXEC_WRAPPER,
  LAMBDA_TASK_ROOT,
  undeployedCodeCaches,
} from '../lambdas/shared/definitions/bundle-files.js';
import type { FunctionDefinition } from '../lambdas/shared/definitions/routes.js';
import { BUNDLE_HANDLER, bundleDirectory } from './assets.js';
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

/**
 * Lambda's variable naming a script that starts the runtime's command: each function's own exec
 * wrapper, which drops `--expose-gc` from it so that Node keeps the code cache of its built-in
 * modules (definitions/bundle-files.ts says why and what it saves), and starts V8's young
 * generation at the runtime's maximum, so that the init runs no collection (lambdas/exec-wrapper.sh).
 */
export const EXEC_WRAPPER_VARIABLE = 'AWS_LAMBDA_EXEC_WRAPPER';
export const EXEC_WRAPPER_PATH = `${LAMBDA_TASK_ROOT}/${EXEC_WRAPPER}`;

/** Asset metadata key (cx-api ASSET_RESOURCE_METADATA_IS_BUNDLED_KEY). */
const ASSET_IS_BUNDLED = 'aws:asset:is-bundled';

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
): LambdaFunction {
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
  const architecture = settings.functionOverrides.architecture ?? Architecture.ARM_64;
  // The folder holds the loader, the bundle, the exec wrapper and a V8 code cache per architecture;
  // the function gets its own architecture's only (the other is 500 KB that V8 would refuse there,
  // measured).
  const fn = new LambdaFunction(scope, `${id}Function`, {
    memorySize: options.memorySize,
    ...settings.functionOverrides,
    architecture,
    // Its hash (the asset hash) is that of the files' bytes: it moves only with the code.
    code: Code.fromAsset(bundleDirectory(entry), {
      exclude: undeployedCodeCaches(architecture === Architecture.X86_64 ? 'x64' : 'arm64'),
    }),
    handler: BUNDLE_HANDLER,
    runtime: Runtime.NODEJS_24_X,
    timeout: options.timeout,
    environment: { ...options.environment, [EXEC_WRAPPER_VARIABLE]: EXEC_WRAPPER_PATH },
    logGroup,
    role,
    ...(settings.tracing ? { tracing: Tracing.ACTIVE } : {}),
    ...(options.retryAttempts === undefined ? {} : { retryAttempts: options.retryAttempts }),
  });
  // The asset metadata sam local reads (aws:asset:path, aws:asset:property) comes with
  // Code.fromAsset, with `is-bundled: false`, as CDK did no bundling. The folder is a finished
  // bundle, though, and `sam build` skips exactly the functions marked bundled (as it did when
  // NodejsFunction bundled them) instead of trying to build our assets folder as an npm project.
  const cfn = fn.node.defaultChild as CfnFunction;
  if (cfn.getMetadata(ASSET_IS_BUNDLED) !== undefined) cfn.addMetadata(ASSET_IS_BUNDLED, true);
  return fn;
}
