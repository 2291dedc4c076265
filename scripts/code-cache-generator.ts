/**
 * Run by scripts/code-cache.ts under the Lambda runtime's Node (24) with the flags Lambda runs it
 * with behind the exec wrapper (none that enter V8's flag hash), never imported: compiles each
 * given asset folder's handler.cjs exactly as the loader does, runs its init
 * (so the functions init compiles are cached as well), and writes the V8 code cache beside it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUNDLE_SCRIPT, LAMBDA_TASK_ROOT } from '../lambdas/shared/definitions/bundle-files.js';
import { compileBundle, ownCodeCacheFile } from '../lambdas/shared/platform/bundle-script.js';

/** Where Lambda puts a function's code. */
const LAMBDA_ORIGIN = `${LAMBDA_TASK_ROOT}/${BUNDLE_SCRIPT}`;

for (const directory of process.argv.slice(2)) {
  const bundle = compileBundle(directory, { useCache: false, origin: LAMBDA_ORIGIN });
  bundle.run();
  writeFileSync(join(directory, ownCodeCacheFile()), bundle.serializeCache());
}
// The init of a bundle may leave handles open (agents, timers): the caches are written.
process.exit(0);
