/**
 * How every Lambda is bundled, in one place: the construct hands these to NodejsFunction, and
 * the benchmarks build the very same bundles with esbuild to measure them.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

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

/** The repository root, resolved from this file so the construct works from another project's CDK app. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/**
 * The lock file NodejsFunction is given. An installed copy of this package has none (npm never
 * packs package-lock.json), and NodejsFunction only needs an existing file there to pick npm, so
 * package.json stands in.
 */
const lockFile = fileURLToPath(new URL('../package-lock.json', import.meta.url));
export const LOCK_FILE = existsSync(lockFile)
  ? lockFile
  : fileURLToPath(new URL('../package.json', import.meta.url));

/** Absolute path of a Lambda entry file under lambdas/. */
export const entryPath = (entry: string): string =>
  fileURLToPath(new URL(`../lambdas/${entry}.ts`, import.meta.url));
