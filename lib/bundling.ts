/**
 * How every Lambda is bundled, in one place: the package build (scripts/build.ts) bundles each
 * entry of FUNCTION_ENTRIES with these options into assets/<entry>/index.mjs, and the benchmarks
 * build the very same bundles to measure them. The construct itself never bundles (lib/assets.ts):
 * it deploys the prebuilt files, so a consumer's synth needs no esbuild and no Docker.
 *
 * Not part of the compiled package: nothing under lib/index.ts imports this module.
 */
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** esbuild target: the oldest Node.js runtime the bundles must run on. */
export const BUNDLE_TARGET = 'node22';

/**
 * Bundled CommonJS dependencies call require(), which an ES module does not define; this shim
 * gives them one.
 */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);";

/** Prefer packages' ES module builds, which esbuild can tree-shake. */
export const MAIN_FIELDS = ['module', 'main'];

/** The repository root. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Absolute path of a Lambda entry file under lambdas/. */
export const entryPath = (entry: string): string =>
  fileURLToPath(new URL(`../lambdas/${entry}.ts`, import.meta.url));

/**
 * The esbuild options of one Lambda bundle: what NodejsFunction was given before the bundles were
 * prebuilt: ESM, minified, every dependency bundled (the AWS SDK included: a minified bundle
 * initialises faster than the runtime-provided SDK), no source map (with
 * NODE_OPTIONS=--enable-source-maps Node parses the 2 MB map at every cold start, +10-30 ms
 * measured, BENCHMARKS.md; error logs carry names and codes instead).
 */
export function bundleOptions(entry: string, outfile: string): BuildOptions {
  return {
    entryPoints: [entryPath(entry)],
    outfile,
    absWorkingDir: PROJECT_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: BUNDLE_TARGET,
    mainFields: MAIN_FIELDS,
    minify: true,
    sourcemap: false,
    banner: { js: ESM_REQUIRE_BANNER },
    // The build compares and writes the output itself (only when it changed, atomically).
    write: false,
    logLevel: 'warning',
  };
}

/**
 * Size budget of each Lambda bundle, in KiB (1024 bytes) of its minified index.mjs, checked by
 * test/infra/bundling.test.ts and printed by the build. Set from the sizes when the bundles were first
 * prebuilt (login 415, redirect 469, session 388, logout 465, refresh 465) plus about 10 %, so that a
 * dependency upgrade that bloats a bundle is noticed, not shipped. Raise a budget
 * only knowingly (say why in the commit); a new entry in FUNCTION_ENTRIES needs its line here
 * (the test fails and names it until it has one).
 */
export const BUNDLE_BUDGETS_KIB: Readonly<Record<string, number>> = {
  login: 490,
  redirect: 550,
  session: 435,
  logout: 545,
  'backchannel-logout': 490,
  refresh: 545,
  'api-proxy': 550,
};
