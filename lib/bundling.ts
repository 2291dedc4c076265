/**
 * How every Lambda is bundled, in one place: the package build (scripts/build.ts) bundles each
 * entry of FUNCTION_ENTRIES with these options into assets/<entry>/handler.cjs, beside the loader
 * (index.mjs, from LOADER_ENTRY) and the V8 code caches made for it (scripts/code-cache.ts), and
 * the benchmarks build the very same folders to measure them. The construct itself never bundles
 * (lib/assets.ts): it deploys the prebuilt files, so a consumer's synth needs no esbuild and no
 * Docker.
 *
 * Not part of the compiled package: nothing under lib/index.ts imports this module.
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';
import { FUNCTION_DEFAULTS } from './environment.js';

/** esbuild target: the oldest Node.js runtime the bundles must run on. */
export const BUNDLE_TARGET = 'node22';

/** Prefer packages' ES module builds, which esbuild can tree-shake. */
export const MAIN_FIELDS = ['module', 'main'];

/** The repository root. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Absolute path of a Lambda entry file under lambdas/. */
export const entryPath = (entry: string): string =>
  fileURLToPath(new URL(`../lambdas/${entry}.ts`, import.meta.url));

/**
 * The loader every asset folder gets as index.mjs (`index.handler`): it compiles handler.cjs with
 * its code cache (lambdas/shared/platform/bundle-script.ts).
 */
export const LOADER_ENTRY = fileURLToPath(new URL('../lambdas/bundle-loader.ts', import.meta.url));

/** The module that stands in for the SDK's default credential chain in the bundles. */
export const ENV_CREDENTIALS_MODULE = fileURLToPath(
  new URL('../lambdas/shared/platform/env-credentials.ts', import.meta.url),
);

/**
 * Resolves the SDK's default credential chain (`@aws-sdk/credential-provider-node`, which every
 * client's runtime config imports) to ENV_CREDENTIALS_MODULE: the environment provider alone,
 * which is where Lambda puts the function's credentials. The clients are the official ones,
 * unchanged; only the provider chain they would search is cut to its one relevant link.
 */
export const envCredentialsPlugin: Plugin = {
  name: 'lambda-env-credentials',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({
      path: ENV_CREDENTIALS_MODULE,
    }));
  },
};

/** The module that stands in for the stream APIs @middy/core imports for response streaming. */
export const NO_RESPONSE_STREAMING_MODULE = fileURLToPath(
  new URL('../lambdas/shared/platform/no-response-streaming.ts', import.meta.url),
);

/**
 * Gives @middy/core (and it alone) NO_RESPONSE_STREAMING_MODULE for `node:stream/web` and
 * `node:stream/promises`: it imports them at module scope for `streamifyResponse`, which no
 * function here uses, and loading Node's WHATWG streams costs init time in every Lambda.
 */
export const noResponseStreamingPlugin: Plugin = {
  name: 'lambda-no-response-streaming',
  setup(build) {
    build.onResolve({ filter: /^node:stream\/(web|promises)$/ }, (args) =>
      /[\\/]@middy[\\/]core[\\/]/.test(args.importer) ? { path: NO_RESPONSE_STREAMING_MODULE } : undefined,
    );
  },
};

/**
 * The esbuild options of one Lambda bundle: minified, every dependency bundled (the AWS SDK
 * included: a minified bundle initialises faster than the runtime-provided SDK), no source map (with
 * NODE_OPTIONS=--enable-source-maps Node parses the 2 MB map at every cold start, +10-30 ms
 * measured, BENCHMARKS.md; error logs carry names and codes instead).
 */
export function bundleOptions(entry: string, outfile: string): BuildOptions {
  return {
    ...BUNDLE_SETTINGS,
    entryPoints: [entryPath(entry)],
    outfile,
    // The build compares and writes the output itself (only when it changed, atomically).
    write: false,
    logLevel: 'warning',
  };
}

/** The global the bundles never read (BUNDLE_SETTINGS). */
export const NO_NAVIGATOR: Readonly<Record<string, string>> = { navigator: 'undefined' };

/**
 * The settings of every bundle, whatever its input: the benchmarks' floors use them too.
 *
 * CommonJS, because a V8 code cache can be given to a script (`vm.Script`) but not, through any
 * public API, to an ES module; the loader (LOADER_ENTRY) is the ES module Lambda imports. Dynamic
 * `import()` (the SDK's for `node:http`, Powertools' for `node:async_hooks`) is lowered to
 * `require()`: a `vm.Script` has no module loader for it.
 *
 * `navigator` is defined as `undefined` (NO_NAVIGATOR): Lambda runs Node, and the bundled libraries
 * read it only to tell a browser or a Workers runtime from Node (oauth4webapi and jose, for the
 * User-Agent they send and their runtime checks), where Node 21+ answers `Node.js/<major>`, which
 * they treat exactly as no `navigator` at all. Node makes the global lazily: its first read loads
 * an internal module at init, 0.5 ms on Node 24 here, in every Lambda that has either library.
 */
export const BUNDLE_SETTINGS: BuildOptions = {
  absWorkingDir: PROJECT_ROOT,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: BUNDLE_TARGET,
  supported: { 'dynamic-import': false },
  mainFields: MAIN_FIELDS,
  minify: true,
  sourcemap: false,
  define: NO_NAVIGATOR,
  plugins: [envCredentialsPlugin, noResponseStreamingPlugin],
};

/** The loader's esbuild options (one small ES module, the same in every asset folder). */
export function loaderOptions(outfile: string): BuildOptions {
  return {
    absWorkingDir: PROJECT_ROOT,
    entryPoints: [LOADER_ENTRY],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    minify: true,
    write: false,
    logLevel: 'warning',
  };
}

/**
 * The environment a bundle's init runs in while its code cache is made (scripts/code-cache.ts):
 * dummy values of the shape the construct sets, so that the init runs to its end (configuration
 * read, clients constructed: nothing is sent anywhere) and the functions it compiles are in the
 * cache too. Nothing of it enters the cache: V8 caches code, not the values the code computed.
 */
export const CODE_CACHE_ENV: Readonly<Record<string, string>> = {
  ...FUNCTION_DEFAULTS,
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDCODECACHE',
  AWS_SECRET_ACCESS_KEY: 'code-cache',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  OAUTH_ISSUER: 'https://issuer.example.com',
  OAUTH_CLIENT_ID: 'code-cache',
  OAUTH_CLIENT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:code-cache-AbCdEf',
  OAUTH_REDIRECT_URI: 'https://api.example.com/redirect',
  TABLE_NAME: 'code-cache',
  TOKEN_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  POWERTOOLS_SERVICE_NAME: 'oauth-backend',
  API_ROUTES: '[{"path":"/api/orders","upstream":"https://orders.example.com/v1"}]',
};

/**
 * Size budget of each Lambda bundle, in KiB (1024 bytes) of its minified handler.cjs, checked by
 * test/infra/bundling.test.ts and printed by the build. Set from the sizes once the default credential
 * chain gave way to the environment provider (envCredentialsPlugin: login 293, redirect 347, session
 * 265, logout 342, backchannel-logout 315, refresh 343, api-proxy 348; before it, 150 KiB more each)
 * plus about 10 % (backchannel-logout: 297 once it took the AS metadata alone, oauth/discovery.ts), so that a dependency upgrade that bloats a bundle is noticed, not shipped. Raise a budget
 * only knowingly (say why in the commit); a new entry in FUNCTION_ENTRIES needs its line here
 * (the test fails and names it until it has one).
 */
export const BUNDLE_BUDGETS_KIB: Readonly<Record<string, number>> = {
  login: 325,
  redirect: 385,
  session: 295,
  logout: 380,
  'backchannel-logout': 330,
  refresh: 380,
  'api-proxy': 385,
};
