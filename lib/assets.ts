/**
 * Where the construct finds each function's code: the folders `npm run build` writes
 * (scripts/build.ts, with the options of lib/bundling.ts) to `<package root>/assets/<entry>/`
 * (index.mjs, the loader; handler.cjs, the bundle; a V8 code cache per architecture) and the
 * package ships. The construct deploys them as they are (`lambda.Code.fromAsset`), so a
 * consumer's synth runs no bundler (no esbuild, no Docker) and every machine stages the same bytes
 * under the same asset hash.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUNDLE_SCRIPT } from '../lambdas/shared/definitions/bundle-files.js';

/** The package's name, by which its root is recognised. */
export const PACKAGE_NAME = 'serverless-oauth-bff';
/** The folder under the package root that holds one folder per function entry. */
export const ASSETS_FOLDER = 'assets';
/** The loader's file name in its folder: `index.handler` is the functions' handler. */
export const BUNDLE_FILE = 'index.mjs';
export const BUNDLE_HANDLER = 'index.handler';

let packageRoot: string | undefined;

/**
 * The package root: the nearest folder above this module whose package.json is ours. Searched
 * rather than fixed, because this module runs from lib/ (the repository, under tsx) and from
 * dist/esm/lib/ or dist/cjs/lib/ (the installed package), at different depths.
 */
export function packageRootDirectory(): string {
  if (packageRoot !== undefined) return packageRoot;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (
      existsSync(manifest) &&
      (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown }).name === PACKAGE_NAME
    ) {
      packageRoot = dir;
      return dir;
    }
    if (dirname(dir) === dir)
      throw new Error(`${PACKAGE_NAME}: no package.json of ${PACKAGE_NAME} above ${start}`);
  }
}

/** The folder of one function's bundle, checked to hold it. */
export function bundleDirectory(entry: string): string {
  const directory = join(packageRootDirectory(), ASSETS_FOLDER, entry);
  if (!existsSync(join(directory, BUNDLE_FILE)) || !existsSync(join(directory, BUNDLE_SCRIPT))) {
    // Only a repository checkout can get here (the package always ships its bundles).
    throw new Error(
      `${PACKAGE_NAME}: the prebuilt bundle of the ${entry} function is missing (${join(directory, BUNDLE_SCRIPT)}). ` +
        'In a checkout of the repository, run `npm run build:assets` (npm test and cdk synth run it first).',
    );
  }
  return directory;
}
