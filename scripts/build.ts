/**
 * `npm run build`: the publishable package (README "Releasing"), from a clean state every time.
 *
 * 1. assets/<entry>/: every Lambda of FUNCTION_ENTRIES bundled with esbuild and the options of
 *    lib/bundling.ts into handler.cjs (sizes printed against BUNDLE_BUDGETS_KIB), the loader as
 *    index.mjs, the exec wrapper (lambdas/exec-wrapper.sh), and the V8 code cache of handler.cjs
 *    made by Node 24, the Lambda runtime's (scripts/code-cache.ts). The construct deploys these
 *    folders as they are (lib/assets.ts).
 *    Without a Node 24 binary (not Linux x64, or no registry) `--assets-only` writes the folders
 *    without a cache and says so (the Lambdas then compile at init, as before); the release build
 *    fails instead.
 * 2. dist/esm/: tsc (tsconfig.build.json) compiles lib/index.ts and lambdas/runtime.ts, with what
 *    they import, to ES modules, declarations and declaration maps.
 * 3. dist/cjs/: the same modules as CommonJS (esbuild, file by file, no bundling), with the same
 *    declarations, for `require()`: CommonJS apps, ts-node, jest (whose module loader cannot load
 *    ES modules), and Node before 20.19, which cannot require one. esbuild rather than a second
 *    tsc run: TypeScript 7's tsc emits CommonJS, but refuses `import.meta` there, which
 *    lib/assets.ts needs to find the bundles from wherever the package is installed; esbuild
 *    replaces it with the file's own URL.
 * 4. dist/src/: the TypeScript sources the declaration maps point at (go to definition lands on
 *    real code, not on a .d.ts).
 *
 * Only the declarations the two entry points reach are kept, and the build fails if one of them
 * imports any package but aws-cdk-lib and constructs (the peer dependencies): a consumer must be
 * able to type-check them with nothing of ours installed (no @types/aws-lambda, no AWS SDK).
 *
 * `--assets-only`: step 1 alone, which is all that `cdk synth`, `npm test` and `sam local` need in
 * this repository (the construct runs from its TypeScript sources there). Step 1 writes a file
 * only when its bytes changed, by rename, so tests reading assets/ never see a partial file.
 */
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import * as esbuild from 'esbuild';
import {
  BUNDLE_SCRIPT,
  CODE_CACHE_ARCHITECTURES,
  EXEC_WRAPPER,
} from '../lambdas/shared/definitions/bundle-files.js';
import { FUNCTION_ENTRIES } from '../lambdas/shared/definitions/routes.js';
import { ASSETS_FOLDER, BUNDLE_FILE } from '../lib/assets.js';
import { BUNDLE_BUDGETS_KIB, bundleOptions, loaderOptions, PROJECT_ROOT } from '../lib/bundling.js';
import { type NodeCommand, writeCodeCaches } from './code-cache.js';
import { node24 } from './node24.js';

const DIST = join(PROJECT_ROOT, 'dist');
const ESM = join(DIST, 'esm');
const CJS = join(DIST, 'cjs');
const SRC = join(DIST, 'src');

/** The public entry points (package.json `exports`), as compiled declarations under dist/<format>/. */
export const DECLARATION_ENTRIES = ['lib/index.d.ts', 'lambdas/runtime.d.ts'] as const;
/** The only packages the published declarations may import: the peer dependencies. */
const ALLOWED_TYPE_IMPORTS = /^(aws-cdk-lib|constructs)(\/|$)/;

export interface BuiltBundle {
  readonly entry: string;
  /** handler.cjs */
  readonly bytes: Uint8Array;
  /** The files bundled into it, relative to the project root (esbuild's metafile). */
  readonly inputs: readonly string[];
}

/** What an asset folder is made of: a name and its handler.cjs. */
export type AssetBundle = Pick<BuiltBundle, 'entry' | 'bytes'>;

async function built(options: esbuild.BuildOptions, what: string) {
  const result = await esbuild.build(options);
  const [file, ...others] = result.outputFiles ?? [];
  if (!file || others.length > 0) throw new Error(`${what}: expected one output file`);
  return { bytes: file.contents, inputs: Object.keys(result.metafile?.inputs ?? {}) };
}

/** Bundles every entry of FUNCTION_ENTRIES in memory. */
export async function bundleAll(): Promise<BuiltBundle[]> {
  return Promise.all(
    FUNCTION_ENTRIES.map(async (entry) => ({
      entry,
      ...(await built(
        {
          ...bundleOptions(entry, join(PROJECT_ROOT, ASSETS_FOLDER, entry, BUNDLE_SCRIPT)),
          metafile: true,
        },
        entry,
      )),
    })),
  );
}

/** The loader, index.mjs, the same in every folder. */
export async function buildLoader(): Promise<Uint8Array> {
  return (await built(loaderOptions(join(PROJECT_ROOT, ASSETS_FOLDER, BUNDLE_FILE)), 'loader')).bytes;
}

/** The exec wrapper's source (lambdas/exec-wrapper.sh), copied into every asset folder. */
export const EXEC_WRAPPER_SOURCE = join(PROJECT_ROOT, 'lambdas', EXEC_WRAPPER);
/** The wrapper's mode: Lambda's bootstrap executes it. */
const EXECUTABLE = 0o755;
const REGULAR = 0o644;

/**
 * Makes the asset folders of `bundles` under `root`: the loader, handler.cjs, the exec wrapper
 * (executable: CDK keeps each file's mode in the function's zip) and the code cache of each Node
 * given (scripts/node24.ts: one per architecture). Everything is made in a staging folder first;
 * then each file is written to `root` only when its bytes or mode changed, and anything else there
 * is removed. Returns the code caches' file names, one per Node given.
 */
export async function writeAssetFolders(
  bundles: readonly AssetBundle[],
  loader: Uint8Array,
  root: string,
  nodes: readonly NodeCommand[],
): Promise<string[]> {
  const staging = mkdtempSync(join(tmpdir(), 'oauth-assets-'));
  try {
    const wrapper = readFileSync(EXEC_WRAPPER_SOURCE);
    const dirs = bundles.map(({ entry, bytes }) => {
      const dir = join(staging, entry);
      mkdirSync(dir);
      writeFileSync(join(dir, BUNDLE_FILE), loader);
      writeFileSync(join(dir, BUNDLE_SCRIPT), bytes);
      writeFileSync(join(dir, EXEC_WRAPPER), wrapper);
      return dir;
    });
    const cacheFiles = await Promise.all(nodes.map((node) => writeCodeCaches(node, dirs)));
    mkdirSync(root, { recursive: true });
    const entries = new Set(bundles.map((b) => b.entry));
    for (const name of readdirSync(root)) {
      if (!entries.has(name)) rmSync(join(root, name), { recursive: true, force: true });
    }
    for (const { entry } of bundles) {
      const from = join(staging, entry);
      const to = join(root, entry);
      mkdirSync(to, { recursive: true });
      const files = readdirSync(from);
      for (const name of readdirSync(to))
        if (!files.includes(name)) rmSync(join(to, name), { recursive: true });
      for (const name of files) {
        const bytes = readFileSync(join(from, name));
        const mode = name === EXEC_WRAPPER ? EXECUTABLE : REGULAR;
        const file = join(to, name);
        if (existsSync(file) && (statSync(file).mode & 0o777) === mode && bytes.equals(readFileSync(file)))
          continue;
        const temporary = `${file}.${process.pid}.tmp`;
        writeFileSync(temporary, bytes);
        // Explicitly: writeFileSync's mode goes through the umask.
        chmodSync(temporary, mode);
        renameSync(temporary, file);
      }
    }
    return cacheFiles;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

export const kib = (bytes: number): string => (bytes / 1024).toFixed(1);

function printSizes(bundles: readonly BuiltBundle[]): void {
  const width = Math.max(...bundles.map((b) => b.entry.length));
  for (const { entry, bytes } of bundles) {
    const budget = BUNDLE_BUDGETS_KIB[entry];
    const verdict =
      budget === undefined
        ? 'NO BUDGET: add one to BUNDLE_BUDGETS_KIB in lib/bundling.ts'
        : `budget ${budget} KiB${bytes.length > budget * 1024 ? ', OVER BUDGET' : ''}`;
    console.log(`  ${entry.padEnd(width)}  ${kib(bytes.length).padStart(6)} KiB  (${verdict})`);
  }
}

export async function buildAssets({ requireCodeCache }: { requireCodeCache: boolean }): Promise<void> {
  const [bundles, loader] = await Promise.all([bundleAll(), buildLoader()]);
  const nodes = CODE_CACHE_ARCHITECTURES.map((architecture) => node24(architecture));
  const missing = nodes.filter((node) => !node.command);
  if (missing.length > 0 && requireCodeCache) {
    throw new Error(
      `the release build makes the bundles' V8 code caches with Node 24 of each architecture: ${missing.map((n) => `${n.architecture}: ${n.problem}`).join('; ')}`,
    );
  }
  const made = nodes.filter((node) => node.command);
  const cacheFiles = await writeAssetFolders(
    bundles,
    loader,
    join(PROJECT_ROOT, ASSETS_FOLDER),
    made.map((node) => node.command as NodeCommand),
  );
  console.log(
    `${ASSETS_FOLDER}/: ${bundles.length} Lambda bundles (minified CommonJS, ${BUNDLE_SCRIPT}, loaded by ${BUNDLE_FILE})`,
  );
  made.forEach((node, i) => {
    console.log(
      `  V8 code cache ${cacheFiles[i]} (${node.version} ${node.architecture}${node.emulated ? ', emulated' : ''})`,
    );
  });
  for (const node of missing) {
    console.warn(
      `  NO V8 code cache for ${node.architecture} (${node.problem}): its Lambdas compile their bundle at init`,
    );
  }
  printSizes(bundles);
}

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(suffix) && statSync(join(dir, name)).isFile())
    .map((name) => join(dir, name));
}

/** The module specifiers a declaration file imports or re-exports (not those its comments mention). */
function specifiersOf(declaration: string): string[] {
  const code = declaration.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/(?!\/).*$/gm, '');
  return [
    ...code.matchAll(/\b(?:from|import)\s*\(?\s*['"]([^'"]+)['"]/g),
    ...code.matchAll(/\/\/\/\s*<reference\s+(?:types|path)\s*=\s*['"]([^'"]+)['"]/g),
  ].map((m) => m[1] ?? '');
}

/**
 * The declaration files the entry points reach, relative to `root`; throws on an import of any
 * package but the peer dependencies.
 */
function reachableDeclarations(root: string): Set<string> {
  const reached = new Set<string>();
  const problems: string[] = [];
  const queue: string[] = [...DECLARATION_ENTRIES];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (reached.has(file)) continue;
    reached.add(file);
    const text = readFileSync(join(root, file), 'utf8');
    for (const specifier of specifiersOf(text)) {
      if (specifier.startsWith('.')) {
        const target = relative(root, resolve(root, dirname(file), specifier)).replace(/\.js$/, '.d.ts');
        if (!existsSync(join(root, target))) problems.push(`${file}: ${specifier} has no declaration file`);
        else queue.push(target);
      } else if (!ALLOWED_TYPE_IMPORTS.test(specifier)) {
        problems.push(`${file} imports ${specifier}`);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(
      'The published declarations may import only aws-cdk-lib and constructs, so that consumers type-check ' +
        `them without our dependencies:\n  ${problems.join('\n  ')}`,
    );
  }
  return reached;
}

/** ES module JS to CommonJS, file by file; `import.meta.url` becomes the file's own URL. */
async function toCommonJs(code: string, file: string): Promise<string> {
  const usesImportMeta = code.includes('import.meta');
  const result = await esbuild.transform(code, {
    format: 'cjs',
    platform: 'node',
    target: 'node20',
    sourcefile: file,
    logLevel: 'error',
    ...(usesImportMeta
      ? {
          define: { 'import.meta.url': '__importMetaUrl' },
          banner: "const __importMetaUrl = require('node:url').pathToFileURL(__filename).href;",
        }
      : {}),
  });
  if (result.code.includes('import.meta')) throw new Error(`${file}: import.meta left in the CommonJS build`);
  return result.code;
}

export async function buildLibrary(): Promise<void> {
  rmSync(DIST, { recursive: true, force: true });
  execFileSync(join(PROJECT_ROOT, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.build.json'], {
    cwd: PROJECT_ROOT,
    stdio: 'inherit',
  });

  const declarations = reachableDeclarations(ESM);
  for (const file of [...filesUnder(ESM, '.d.ts'), ...filesUnder(ESM, '.d.ts.map')]) {
    const declaration = relative(ESM, file).replace(/\.map$/, '');
    if (!declarations.has(declaration)) rmSync(file);
  }

  // The sources the declaration maps point at, copied to dist/src/ (same relative path), and the
  // maps pointed there; dist/esm and dist/cjs are siblings, so one rewritten map serves both.
  for (const map of filesUnder(ESM, '.d.ts.map')) {
    const content = JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] };
    content.sources = content.sources.map((source) => {
      const original = resolve(dirname(map), source);
      const copy = join(SRC, relative(PROJECT_ROOT, original));
      mkdirSync(dirname(copy), { recursive: true });
      copyFileSync(original, copy);
      return relative(dirname(map), copy);
    });
    writeFileSync(map, JSON.stringify(content));
  }

  for (const file of filesUnder(ESM, '')) {
    const target = join(CJS, relative(ESM, file));
    mkdirSync(dirname(target), { recursive: true });
    if (file.endsWith('.js')) writeFileSync(target, await toCommonJs(readFileSync(file, 'utf8'), file));
    else copyFileSync(file, target);
  }
  // The package is "type": "module"; this folder's .js (and .d.ts) files are CommonJS.
  writeFileSync(join(CJS, 'package.json'), `${JSON.stringify({ type: 'commonjs' }, null, 2)}\n`);

  const count = (dir: string, suffix: string) => filesUnder(dir, suffix).length;
  console.log(
    `dist/: esm and cjs, ${count(ESM, '.js')} modules each, ${count(ESM, '.d.ts')} declaration files; ` +
      `dist/src: ${count(SRC, '.ts')} sources for the declaration maps`,
  );
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename);
if (isMain) {
  const assetsOnly = process.argv.includes('--assets-only');
  await buildAssets({ requireCodeCache: !assetsOnly });
  if (!assetsOnly) await buildLibrary();
}
