/**
 * 1. Cold start. Each Lambda is bundled exactly as the construct bundles it (lib/bundling.ts:
 * ESM, minified, node target, module-first main fields, the require banner, no source map), then imported in a fresh Node process many times; the figure is the time from just before
 * `await import(bundle)` to just after it resolves, measured inside the child with
 * performance.now(): module evaluation and module-scope wiring (config, clients), nothing else.
 *
 * Side by side: (a) an empty ES module, (b) the same handler with `@aws-sdk/*` and `@smithy/*`
 * left external and loaded from node_modules (what the runtime-provided SDK gives), and single
 * dependencies bundled alone, to attribute the cost.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { FUNCTION_ENTRIES } from '../../lambdas/shared/definitions/routes.js';
import {
  BUNDLE_TARGET,
  ESM_REQUIRE_BANNER,
  entryPath,
  MAIN_FIELDS,
  PROJECT_ROOT,
} from '../../lib/bundling.js';
import type { BundleFigures, ColdStartResult, ComponentFigures, PackageShare } from '../lib/results.js';
import { progress, runSection } from '../lib/section.js';
import { type Summary, shuffle, summarize } from '../lib/stats.js';

const RUNS = Number(process.env.BENCH_COLD_RUNS ?? 25);

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

/** Dependencies bundled alone, to see which one costs what at init. */
const COMPONENTS: readonly { name: string; what: string; code: string }[] = [
  {
    name: 'DynamoDB client',
    what: '@aws-sdk/client-dynamodb + lib-dynamodb, one document client constructed',
    code: "import { DynamoDBClient } from '@aws-sdk/client-dynamodb'; import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'; globalThis.x = DynamoDBDocumentClient.from(new DynamoDBClient({}));",
  },
  {
    name: 'Secrets Manager (Powertools Parameters)',
    what: '@aws-lambda-powertools/parameters/secrets, one SecretsProvider constructed',
    code: "import { SecretsProvider } from '@aws-lambda-powertools/parameters/secrets'; globalThis.x = new SecretsProvider();",
  },
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
    name: 'oauth4webapi',
    what: 'the whole OAuth client library',
    code: "import * as oauth from 'oauth4webapi'; globalThis.x = oauth;",
  },
  {
    name: 'SigV4 signer only',
    what: '@smithy/signature-v4 + @aws-sdk/util-dynamodb: what signing DynamoDB JSON requests over fetch would need',
    code: "import { SignatureV4 } from '@smithy/signature-v4'; import { marshall, unmarshall } from '@aws-sdk/util-dynamodb'; globalThis.x = [SignatureV4, marshall, unmarshall];",
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
  return {
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'node',
    target: BUNDLE_TARGET,
    mainFields: MAIN_FIELDS,
    banner: { js: ESM_REQUIRE_BANNER },
    metafile: true,
    logLevel: 'error',
    absWorkingDir: PROJECT_ROOT,
    ...extra,
  };
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

function initOnce(probe: string, target: Target): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
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
  const componentBytes = new Map<string, number>();
  for (const [i, c] of COMPONENTS.entries()) {
    const file = join(tmp, `component-${i}`, 'index.mjs');
    try {
      await esbuild.build(
        buildOptions({ stdin: { contents: c.code, resolveDir: PROJECT_ROOT, loader: 'js' }, outfile: file }),
      );
    } catch {
      progress(`component ${c.name} skipped: it does not build here`);
      continue;
    }
    componentBytes.set(c.name, statSync(file).size);
    targets.push({ key: `component:${c.name}`, file, env: LAMBDA_ENV });
  }
  progress(`cold start: ${targets.length} targets x ${RUNS} runs, each in a fresh node process`);

  const times = new Map<string, number[]>(targets.map((t) => [t.key, []]));
  // Two discarded rounds warm the OS file cache, then rounds in a fresh random order each.
  for (let round = -2; round < RUNS; round++) {
    for (const target of shuffle([...targets])) {
      const ms = await initOnce(probe, target);
      if (round >= 0) times.get(target.key)?.push(ms);
    }
  }
  const summary = (key: string): Summary => summarize(times.get(key) ?? []);

  const bundles: BundleFigures[] = entries.map((entry) => {
    const b = built.get(entry);
    if (!b) throw new Error(`no bundle for ${entry}`);
    return {
      entry,
      bytes: b.bytes,
      gzipBytes: b.gzip,
      sdkExternalBytes: b.ext,
      packages: b.packages,
      imports: entryImports(entry),
      init: summary(`${entry}:bundled`),
      initSdkExternal: summary(`${entry}:external`),
    };
  });
  const components: ComponentFigures[] = COMPONENTS.filter((c) => componentBytes.has(c.name)).map((c) => ({
    name: c.name,
    what: c.what,
    bytes: componentBytes.get(c.name) ?? 0,
    init: summary(`component:${c.name}`),
  }));
  return {
    runs: RUNS,
    empty: summary('empty'),
    bundles,
    components,
    seconds: (performance.now() - started) / 1000,
  };
});
