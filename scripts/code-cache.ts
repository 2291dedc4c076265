/**
 * The V8 code caches of the Lambda bundles (lambdas/shared/platform/bundle-script.ts says why and
 * how the loader uses them): made by the Lambda runtime's Node.js major (24, scripts/node24.ts) of
 * each architecture, under Node's default flags (Lambda's, once the exec wrapper has dropped
 * `--expose-gc`: definitions/bundle-files.ts), one child process per architecture for all the
 * folders given. `--predictable --random-seed=1` make the cache the same bytes on every build, so
 * the asset hash changes only when the code does: the seed fixes V8's hash tables, and
 * `--predictable` runs V8 on one thread, since whether a background optimization job of the init
 * has finished when the cache is written flips a bit in it (measured: 3 different caches of the
 * same bundle in 12 builds under load without it, 1 with it). V8 leaves both flags out of the flag
 * hash it checks a cache against (measured: Lambda's Node takes the cache).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { codeCacheFile } from '../lambdas/shared/definitions/bundle-files.js';
import { CODE_CACHE_ENV, PROJECT_ROOT } from '../lib/bundling.js';

const GENERATOR = fileURLToPath(new URL('./code-cache-generator.ts', import.meta.url));

/** How to run a Node.js: its binary, or an emulator and its arguments then the binary. */
export type NodeCommand = readonly string[];

function run(command: NodeCommand, args: readonly string[], options: Parameters<typeof execFileSync>[2]) {
  const [program, ...prefix] = command as [string, ...string[]];
  return execFileSync(program, [...prefix, ...args], options);
}

/** Each Node's V8 version and architecture, asked once (an emulated Node takes a second to answer). */
const identities = new Map<string, readonly [string, string]>();

/** The code cache file name a Node.js reads (its V8 version and architecture). */
export function codeCacheFileOf(command: NodeCommand): string {
  const key = command.join('\0');
  let identity = identities.get(key);
  if (!identity) {
    const [v8 = '', arch = ''] = String(
      run(command, ['-p', 'process.versions.v8 + " " + process.arch'], { encoding: 'utf8' }),
    )
      .trim()
      .split(' ');
    identity = [v8, arch];
    identities.set(key, identity);
  }
  return codeCacheFile(identity[0], identity[1]);
}

/** The generator, bundled once per process (it runs under Node 24 without our TypeScript loader). */
let generatorCode: Promise<Uint8Array> | undefined;
function bundledGenerator(): Promise<Uint8Array> {
  generatorCode ??= esbuild
    .build({
      absWorkingDir: PROJECT_ROOT,
      entryPoints: [GENERATOR],
      bundle: true,
      platform: 'node',
      format: 'esm',
      write: false,
      logLevel: 'error',
    })
    .then((result) => {
      const code = result.outputFiles[0]?.contents;
      if (!code) throw new Error('the code cache generator did not bundle');
      return code;
    });
  return generatorCode;
}

/**
 * Writes that Node's code cache file into each directory (each holding a handler.cjs). Returns the
 * file's name (the same for all: one V8, one architecture). `flags`: the V8 flags the cache is made
 * for; none (the default) is what the functions run with behind their exec wrapper. The benchmark
 * makes one for `--expose-gc`, the runtime's bare command, to measure what the wrapper saves.
 */
export async function writeCodeCaches(
  command: NodeCommand,
  directories: readonly string[],
  flags: readonly string[] = [],
): Promise<string> {
  const tmp = mkdtempSync(join(tmpdir(), 'code-cache-'));
  try {
    const generator = join(tmp, 'generator.mjs');
    writeFileSync(generator, await bundledGenerator());
    run(command, [...flags, '--predictable', '--random-seed=1', generator, ...directories], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...CODE_CACHE_ENV },
      cwd: tmp,
      stdio: ['ignore', 'ignore', 'pipe'],
      // Emulated (the other architecture), V8 compiles about 20 times slower.
      timeout: 300_000,
    });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  const file = codeCacheFileOf(command);
  for (const directory of directories) {
    if (!existsSync(join(directory, file))) throw new Error(`no code cache was written in ${directory}`);
  }
  return file;
}
