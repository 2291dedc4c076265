/**
 * The files of a Lambda's asset folder (assets/<entry>/), named once for the build
 * (scripts/build.ts), the loader (platform/bundle-script.ts) and the construct (lib/functions.ts):
 * index.mjs (the loader Lambda imports), handler.cjs (the bundle), V8 code caches, one per
 * architecture Lambda runs on, and the exec wrapper that starts Node.
 */

/** The bundle the loader compiles. */
export const BUNDLE_SCRIPT = 'handler.cjs';

/** Lambda's two architectures, as Node.js names them (`process.arch`): a code cache for each. */
export const CODE_CACHE_ARCHITECTURES = ['arm64', 'x64'] as const;
export type CodeCacheArchitecture = (typeof CODE_CACHE_ARCHITECTURES)[number];

/**
 * The exec wrapper of every function (Lambda's `AWS_LAMBDA_EXEC_WRAPPER`), in its asset folder:
 * Lambda's bootstrap starts `node --expose-gc --max-http-header-size 81920 <heap flags>
 * /var/runtime/index.mjs`, and `--expose-gc` enters V8's flag hash, so V8 refuses the code cache
 * of Node's own JavaScript built into the binary and Node compiles every built-in module from its
 * source at every cold start: the runtime's, and `node:http`, `node:crypto` and the rest that the
 * SDK loads (measured on Node 24, BENCHMARKS.md "The exec wrapper", three full runs: each
 * Lambda's handler import 28-55 ms under the bare command against 19-34 ms behind the wrapper, its
 * whole process 15-24 ms less). The wrapper starts the same command without that one flag
 * (lambdas/exec-wrapper.sh). Nothing here calls `gc()`, nor does the runtime.
 */
export const EXEC_WRAPPER = 'exec-wrapper.sh';
/** Where Lambda puts a function's code (LAMBDA_TASK_ROOT). */
export const LAMBDA_TASK_ROOT = '/var/task';

/**
 * The code cache's file name for a V8 version (`process.versions.v8`, with Node's patch level of
 * V8, the `-node.N` suffix) and an architecture: `handler.v8-13.6.233.17-node.63-arm64.cache`. V8
 * refuses a cache made on the other architecture (measured), so each has its own. It is made with
 * Node's default flags, which are Lambda's once the exec wrapper has dropped `--expose-gc` (its
 * memory-size flags and `--max-http-header-size` are not in V8's flag hash), and V8 refuses it
 * under flags that are (`--expose-gc` itself, `--stack-size`): the loader then compiles.
 */
export function codeCacheFile(v8Version: string, architecture: string): string {
  return `handler.v8-${v8Version.replace(/[^\w.-]/g, '_')}-${architecture}.cache`;
}

/** Globs of the code caches a function of `architecture` does not deploy: the other architecture's. */
export function undeployedCodeCaches(architecture: CodeCacheArchitecture): string[] {
  const other: CodeCacheArchitecture = architecture === 'arm64' ? 'x64' : 'arm64';
  return [`handler.v8-*-${other}.cache`];
}
