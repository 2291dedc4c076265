/**
 * The files of a Lambda's asset folder (assets/<entry>/), named once for the build
 * (scripts/build.ts), the loader (platform/bundle-script.ts) and the construct (lib/functions.ts):
 * index.mjs (the loader Lambda imports), handler.cjs (the bundle) and V8 code caches, one per
 * architecture Lambda runs on and flag set.
 */

/** The bundle the loader compiles. */
export const BUNDLE_SCRIPT = 'handler.cjs';

/** Lambda's two architectures, as Node.js names them (`process.arch`): a code cache for each. */
export const CODE_CACHE_ARCHITECTURES = ['arm64', 'x64'] as const;
export type CodeCacheArchitecture = (typeof CODE_CACHE_ARCHITECTURES)[number];

/**
 * The flags a code cache is made with, as V8 refuses a cache made under other flags that enter its
 * flag hash (measured on Node 24): `lambda`, the Lambda runtime's (`--expose-gc`; its memory-size
 * flags and `--max-http-header-size` are not in the hash), which the construct deploys; and
 * `node-defaults`, plain `node`'s, so that a bundle imported outside Lambda (tests, a measurement
 * from outside, a script of yours) starts as it does in Lambda. The loader tells them apart by
 * the `gc` global that `--expose-gc` defines.
 */
export const CODE_CACHE_FLAG_SETS = {
  lambda: ['--expose-gc'],
  'node-defaults': [],
} as const satisfies Record<string, readonly string[]>;
export type CodeCacheFlagSet = keyof typeof CODE_CACHE_FLAG_SETS;

/**
 * The code cache's file name for a V8 version (`process.versions.v8`, with Node's patch level of
 * V8, the `-node.N` suffix), an architecture and a flag set:
 * `handler.v8-13.6.233.17-node.63-arm64.cache` (Lambda's flags),
 * `handler.v8-13.6.233.17-node.63-arm64.node-defaults.cache`. V8 refuses a cache made on the other
 * architecture (measured), so each has its own.
 */
export function codeCacheFile(
  v8Version: string,
  architecture: string,
  flagSet: CodeCacheFlagSet = 'lambda',
): string {
  const flags = flagSet === 'lambda' ? '' : `.${flagSet}`;
  return `handler.v8-${v8Version.replace(/[^\w.-]/g, '_')}-${architecture}${flags}.cache`;
}

/**
 * Globs of the code caches a function of `architecture` does not deploy: the other
 * architecture's, and those for Node's default flags (Lambda runs node with its own).
 */
export function undeployedCodeCaches(architecture: CodeCacheArchitecture): string[] {
  const other: CodeCacheArchitecture = architecture === 'arm64' ? 'x64' : 'arm64';
  return [`handler.v8-*-${other}.cache`, `handler.v8-*-${other}.*.cache`, 'handler.v8-*.node-defaults.cache'];
}
