/**
 * The files of a Lambda's asset folder (assets/<entry>/), named once for the build
 * (scripts/build.ts), the loader (platform/bundle-script.ts) and the construct (lib/functions.ts):
 * index.mjs (the loader Lambda imports), handler.cjs (the bundle) and one V8 code cache per
 * architecture Lambda runs on.
 */

/** The bundle the loader compiles. */
export const BUNDLE_SCRIPT = 'handler.cjs';

/** Lambda's two architectures, as Node.js names them (`process.arch`): a code cache for each. */
export const CODE_CACHE_ARCHITECTURES = ['arm64', 'x64'] as const;
export type CodeCacheArchitecture = (typeof CODE_CACHE_ARCHITECTURES)[number];

/**
 * The code cache's file name for a V8 version (`process.versions.v8`, with Node's patch level of
 * V8, the `-node.N` suffix) and an architecture: `handler.v8-13.6.233.17-node.63-arm64.cache`.
 * V8 refuses a cache made on the other architecture (measured), so each has its own.
 */
export function codeCacheFile(v8Version: string, architecture: string): string {
  return `handler.v8-${v8Version.replace(/[^\w.-]/g, '_')}-${architecture}.cache`;
}

/** A glob of one architecture's code caches, whatever their V8 (to leave them out of an asset). */
export function codeCacheGlob(architecture: CodeCacheArchitecture): string {
  return `handler.v8-*-${architecture}.cache`;
}
