import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_SCRIPT, EXEC_WRAPPER } from '../../lambdas/shared/definitions/bundle-files.js';
import { ENV } from '../../lambdas/shared/definitions/env.js';
import {
  DEFAULT_SERVICE_NAME,
  METRIC,
  METRICS_NAMESPACE,
} from '../../lambdas/shared/definitions/metric-names.js';
import { FUNCTION_ENTRIES, ROUTE_LIST } from '../../lambdas/shared/definitions/routes.js';
import { CACHE_HEADER_BYTES, ownCodeCacheFile } from '../../lambdas/shared/platform/bundle-script.js';
import { ASSETS_FOLDER, BUNDLE_FILE } from '../../lib/assets.js';
import { BUNDLE_BUDGETS_KIB, CODE_CACHE_ENV, PROJECT_ROOT } from '../../lib/bundling.js';
import { EXEC_WRAPPER_PATH, EXEC_WRAPPER_VARIABLE } from '../../lib/functions.js';
import { OAuthBackend } from '../../lib/oauth-backend.js';
import { type BuiltBundle, buildLoader, bundleAll, EXEC_WRAPPER_SOURCE, kib } from '../../scripts/build.js';
import { codeCacheFileOf, type NodeCommand, writeCodeCaches } from '../../scripts/code-cache.js';
import { lambdaNodeFlags, lambdaRuntimeFlags, node24 } from '../../scripts/node24.js';
import { WATCH_STREAMS } from '../support/watch-streams.js';

type Resource = {
  Type: string;
  Metadata?: Record<string, unknown>;
  Properties: { Environment: { Variables: Record<string, unknown> } };
};

/**
 * What a deployment resolves the template's references to: plausible values of the right shape,
 * so the loader sees exactly the variables the construct sets.
 */
const DEPLOYED_VALUES: Record<string, string> = {
  [ENV.clientSecretArn]: 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:client-AbCdEf',
  [ENV.redirectUri]: 'https://api.example.com/redirect',
  [ENV.tableName]: 'table',
  [ENV.tokenKmsKeyId]: 'arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab',
};

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/**
 * The Lambda runtime's Node (24) on x64 (native here) and on arm64 (the construct's default,
 * emulated by QEMU here): the build makes a code cache with each.
 */
const lambdaNode = node24('x64');
const armNode = node24('arm64');
const LAMBDA_NODE: NodeCommand = lambdaNode.command ?? ['node-24-x64-missing'];
const ARM_NODE: NodeCommand = armNode.command ?? ['node-24-arm64-missing'];
/** The code cache file names in every asset folder, one per architecture. */
const CACHE_FILE = lambdaNode.command ? codeCacheFileOf(lambdaNode.command) : 'no-node-24-x64';
const ARM_CACHE_FILE = armNode.command ? codeCacheFileOf(armNode.command) : 'no-node-24-arm64';
/** What every asset folder holds, sorted. */
const FOLDER = [BUNDLE_SCRIPT, CACHE_FILE, ARM_CACHE_FILE, BUNDLE_FILE, EXEC_WRAPPER].sort();
/** What a function of the construct's default architecture (arm64) gets of it. */
const STAGED = [BUNDLE_SCRIPT, ARM_CACHE_FILE, BUNDLE_FILE, EXEC_WRAPPER].sort();
/** The file's permission bits. */
const modeOf = (file: string) => statSync(file).mode & 0o777;

/**
 * Imports an asset folder's loader in a fresh `node` (so the init sees only `env`) and answers
 * what it exports: the handler's type and what became of the code cache.
 */
function load(
  dir: string,
  env: Record<string, string | undefined>,
  node: NodeCommand = [process.execPath],
  flags: string[] = [],
) {
  return loadLogged(dir, env, node, flags).exports;
}

/** The same, and the lines the init wrote to stdout before the exports (the loader's own). */
function loadLogged(
  dir: string,
  env: Record<string, string | undefined>,
  node: NodeCommand = [process.execPath],
  flags: string[] = [],
) {
  const url = pathToFileURL(join(dir, BUNDLE_FILE)).href;
  const script = `const m = await import(${JSON.stringify(url)}); process.stdout.write(JSON.stringify({ handler: typeof m.handler, codeCache: m.codeCache }));`;
  const [program, ...prefix] = node as [string, ...string[]];
  const out = execFileSync(program, [...prefix, ...flags, '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  // The loader's own line (when it compiled the bundle) comes first; the exports come last.
  const lines = out.trim().split('\n');
  return {
    exports: JSON.parse(lines.at(-1) ?? '') as { handler: string; codeCache: string },
    logged: lines.slice(0, -1),
  };
}

/** The Node modules an asset folder's init loads (process.moduleLoadList), in a fresh `node`. */
function nodeModulesLoadedBy(
  dir: string,
  env: Record<string, string | undefined>,
  node: NodeCommand,
  flags: string[],
): { codeCache: string; modules: string[] } {
  const url = pathToFileURL(join(dir, BUNDLE_FILE)).href;
  const script = `const before = new Set(process.moduleLoadList); const m = await import(${JSON.stringify(url)}); process.stdout.write('\\n' + JSON.stringify({ codeCache: m.codeCache, modules: process.moduleLoadList.filter((x) => !before.has(x)) }));`;
  const [program, ...prefix] = node as [string, ...string[]];
  const out = execFileSync(program, [...prefix, ...flags, '--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').at(-1) ?? '') as { codeCache: string; modules: string[] };
}

/**
 * The bundles as the package build makes them (scripts/build.ts, the options of lib/bundling.ts),
 * built here twice, in memory, and compared with each other and with assets/, which `npm test`
 * builds first (pretest) and the construct deploys.
 */
describe('the prebuilt Lambda bundles', () => {
  let first: BuiltBundle[];
  let second: BuiltBundle[];
  let loader: Uint8Array;

  beforeAll(async () => {
    first = await bundleAll();
    second = await bundleAll();
    loader = await buildLoader();
  }, 120_000);

  it('are one per entry of FUNCTION_ENTRIES, so that a function added there is bundled too', () => {
    expect(first.map((b) => b.entry)).toEqual([...FUNCTION_ENTRIES]);
  });

  it('build byte-identical twice, with no path of the machine that built them', () => {
    for (const [i, bundle] of first.entries()) {
      expect(sha256(bundle.bytes), bundle.entry).toBe(sha256(second[i]?.bytes ?? new Uint8Array()));
      expect(Buffer.from(bundle.bytes).includes(PROJECT_ROOT.replace(/\/$/, '')), bundle.entry).toBe(false);
    }
  });

  it('are what assets/ holds, and nothing else is there (else: npm run build:assets)', () => {
    const root = join(PROJECT_ROOT, ASSETS_FOLDER);
    expect(readdirSync(root).sort()).toEqual([...FUNCTION_ENTRIES].sort());
    for (const { entry, bytes } of first) {
      expect(readdirSync(join(root, entry)).sort(), entry).toEqual(FOLDER);
      const shipped = readFileSync(join(root, entry, BUNDLE_SCRIPT));
      expect(sha256(shipped), `assets/${entry}/${BUNDLE_SCRIPT} is stale: run npm run build:assets`).toBe(
        sha256(bytes),
      );
      expect(sha256(readFileSync(join(root, entry, BUNDLE_FILE))), `assets/${entry}/${BUNDLE_FILE}`).toBe(
        sha256(loader),
      );
      const wrapper = join(root, entry, EXEC_WRAPPER);
      expect(sha256(readFileSync(wrapper)), `assets/${entry}/${EXEC_WRAPPER}`).toBe(
        sha256(readFileSync(EXEC_WRAPPER_SOURCE)),
      );
      // /bin/sh reads `#!/bin/sh\r` as another interpreter (.gitattributes keeps it LF).
      expect(readFileSync(wrapper, 'utf8').startsWith('#!/bin/sh\n')).toBe(true);
      expect(readFileSync(wrapper, 'utf8')).not.toContain('\r');
      // Lambda's bootstrap executes it; the other files are plain files.
      expect(modeOf(wrapper), `assets/${entry}/${EXEC_WRAPPER}`).toBe(0o755);
      expect(modeOf(join(root, entry, BUNDLE_SCRIPT)), `assets/${entry}/${BUNDLE_SCRIPT}`).toBe(0o644);
    }
  });

  it('each have a size budget (BUNDLE_BUDGETS_KIB in lib/bundling.ts), and every budget a bundle', () => {
    const missing = first
      .filter((b) => BUNDLE_BUDGETS_KIB[b.entry] === undefined)
      .map((b) => `${b.entry} (${kib(b.bytes.length)} KiB today)`);
    expect(missing, 'add a budget to BUNDLE_BUDGETS_KIB in lib/bundling.ts for').toEqual([]);
    const stale = Object.keys(BUNDLE_BUDGETS_KIB).filter((entry) => !FUNCTION_ENTRIES.includes(entry));
    expect(stale, 'budgets of no function in FUNCTION_ENTRIES').toEqual([]);
  });

  it('hold no Unicode property escape in a regular expression literal (a cold-start cost)', () => {
    // V8 checks the \p{...} classes of a `u` literal while it parses the module, which starts
    // ICU's property tables at every cold start (callgrind: millions of instructions). Such a
    // pattern is built with `new RegExp` on first use instead (definitions/authorization-params.ts).
    // In a string given to new RegExp the escape is written `\\p{`, which this does not match.
    const literal = /(?<!\\)\\[pP]\{/;
    const found = first
      .map((b) => ({ entry: b.entry, at: Buffer.from(b.bytes).toString('utf8').search(literal) }))
      .filter((b) => b.at !== -1)
      .map((b) => `${b.entry} at ${b.at}`);
    expect(found).toEqual([]);
  });

  it('read no navigator global at init, which would load a Node module for it (lib/bundling.ts NO_NAVIGATOR)', () => {
    // Each shipped folder in a fresh Node 24 with the functions' flags (behind the exec wrapper),
    // from its code cache: the Node modules its init loaded. oauth4webapi and jose test `navigator`
    // at module scope; unbundled, that read loads internal/navigator (0.5 ms on Node 24 here).
    for (const entry of FUNCTION_ENTRIES) {
      const dir = join(PROJECT_ROOT, ASSETS_FOLDER, entry);
      const loaded = nodeModulesLoadedBy(dir, { ...CODE_CACHE_ENV }, LAMBDA_NODE, lambdaNodeFlags());
      expect(loaded.codeCache, entry).toBe('accepted');
      expect(loaded.modules, entry).toContain('NativeModule _http_agent');
      expect(
        loaded.modules.filter((m) => /navigator/.test(m)),
        entry,
      ).toEqual([]);
    }
    // The same read, unbundled, on the same Node: what the define spares.
    const [program, ...prefix] = LAMBDA_NODE as [string, ...string[]];
    const unbundled = execFileSync(
      program,
      [
        ...prefix,
        '-e',
        'const b = new Set(process.moduleLoadList); void navigator.userAgent; console.log(process.moduleLoadList.filter((m) => !b.has(m)).join(","))',
      ],
      { encoding: 'utf8' },
    );
    expect(unbundled).toContain('internal/navigator');
  }, 120_000);

  it('make neither process.stdout nor process.stderr at init: Powertools writes to descriptors 1 and 2 (platform/log-output.ts)', () => {
    // Each shipped folder in a fresh Node 24 with the functions' flags, from its code cache, with
    // both getters watched. Powertools' own Logger and Metrics read both in their constructors, and
    // Node then makes each stream (for a pipe, a socket): 3.7 M instructions of a cold start.
    const script = (url: string) =>
      [
        "import { writeSync } from 'node:fs';",
        WATCH_STREAMS,
        `const m = await import(${JSON.stringify(url)});`,
        "writeSync(1, '\\n' + JSON.stringify({ codeCache: m.codeCache, touched }));",
      ].join('\n');
    const [program, ...prefix] = LAMBDA_NODE as [string, ...string[]];
    for (const entry of FUNCTION_ENTRIES) {
      const url = pathToFileURL(join(PROJECT_ROOT, ASSETS_FOLDER, entry, BUNDLE_FILE)).href;
      const out = execFileSync(
        program,
        [...prefix, ...lambdaNodeFlags(), '--input-type=module', '-e', script(url)],
        { env: { PATH: process.env.PATH, ...CODE_CACHE_ENV }, encoding: 'utf8' },
      );
      expect(JSON.parse(out.trim().split('\n').at(-1) ?? ''), entry).toEqual({
        codeCache: 'accepted',
        touched: [],
      });
    }
  }, 120_000);

  it('hold one copy of each package: no second version nested under another (package.json overrides)', () => {
    // A package installed at two paths is bundled twice. Powertools Parameters 2.35 pins its
    // commons to 2.35 while Logger and Metrics 2.36 bring 2.36; package.json `overrides` gives it
    // theirs (the same major, released together), which took 0.4 KB off login and session and
    // 0.9 KB off each token Lambda.
    const installs = (inputs: readonly string[]) => {
      const paths = new Map<string, Set<string>>();
      for (const input of inputs) {
        const match = /^(.*node_modules\/)((?:@[^/]+\/)?[^/]+)\//.exec(input);
        if (!match?.[1] || !match[2]) continue;
        paths.set(match[2], (paths.get(match[2]) ?? new Set()).add(match[1]));
      }
      return [...paths]
        .filter(([, at]) => at.size > 1)
        .map(([name, at]) => `${name} at ${[...at].join(', ')}`);
    };
    expect(
      installs(['node_modules/a/x.js', 'node_modules/b/node_modules/a/x.js', 'node_modules/b/y.js']),
    ).toEqual(['a at node_modules/, node_modules/b/node_modules/']);
    for (const bundle of first) {
      expect(
        bundle.inputs.some((input) => input.startsWith('node_modules/@aws-lambda-powertools/')),
        bundle.entry,
      ).toBe(true);
      expect(installs(bundle.inputs), bundle.entry).toEqual([]);
    }
  });

  it('give back-channel logout the AS metadata alone, not the OAuth client and its token steps (oauth/discovery.ts)', () => {
    const inputsOf = (entry: string) => first.find((b) => b.entry === entry)?.inputs ?? [];
    const client = 'lambdas/shared/oauth/client.ts';
    expect(inputsOf('backchannel-logout')).toContain('lambdas/shared/oauth/discovery.ts');
    expect(inputsOf('backchannel-logout')).not.toContain(client);
    // The others reach discovery through the client.
    for (const entry of ['login', 'redirect', 'logout', 'refresh'])
      expect(inputsOf(entry), entry).toContain(client);
  });

  it('stay within their size budgets', () => {
    const over = first
      .filter((b) => b.bytes.length > (BUNDLE_BUDGETS_KIB[b.entry] ?? Number.POSITIVE_INFINITY) * 1024)
      .map((b) => `${b.entry}: ${kib(b.bytes.length)} KiB, budget ${BUNDLE_BUDGETS_KIB[b.entry]} KiB`);
    expect(over, 'bundles over budget (find what grew before raising a budget)').toEqual([]);
  });
});

/**
 * Synthesizes as `cdk deploy` would and inspects the staged assets: the prebuilt bundles, staged
 * as they are (nothing is bundled at synth).
 */
describe('OAuthBackend bundling', () => {
  const bundles = new Map<string, string>();
  const environments = new Map<string, Record<string, unknown>>();

  beforeAll(() => {
    // Asset metadata names each function's staged asset directory; the CLI sets this context itself.
    const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'Bundled');
    new OAuthBackend(stack, 'Auth', { issuer: 'https://issuer.example.com', clientId: 'client-1' });
    const assembly = app.synth();
    const template = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, Resource>;
    };
    for (const [id, resource] of Object.entries(template.Resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (typeof assetPath !== 'string') throw new Error(`${id} has no asset path`);
      bundles.set(id, join(assembly.directory, assetPath));
      environments.set(id, resource.Properties.Environment.Variables);
    }
  }, 120_000);

  afterAll(() => {
    CloudAssembly.cleanupTemporaryDirectories();
  });

  it('bundles one asset per function, each its own', () => {
    expect(bundles.size).toBe(ROUTE_LIST.length + 1);
    expect(new Set(bundles.values()).size).toBe(ROUTE_LIST.length + 1);
  });

  it("stages each function as its prebuilt asset folder, byte for byte, with its architecture's code cache only", () => {
    for (const [id, dir] of bundles) {
      expect(readdirSync(dir).sort(), id).toEqual(STAGED);
      const shipped = FUNCTION_ENTRIES.map((entry) => join(PROJECT_ROOT, ASSETS_FOLDER, entry)).filter(
        (folder) =>
          STAGED.every(
            (name) => sha256(readFileSync(join(folder, name))) === sha256(readFileSync(join(dir, name))),
          ),
      );
      expect(shipped, id).toHaveLength(1);
      // CDK's zip of the folder keeps each file's mode: the wrapper stays executable.
      expect(modeOf(join(dir, EXEC_WRAPPER)), id).toBe(0o755);
    }
  });

  it('starts every function through its own exec wrapper (AWS_LAMBDA_EXEC_WRAPPER)', () => {
    expect(EXEC_WRAPPER_PATH).toBe(`/var/task/${EXEC_WRAPPER}`);
    for (const [id, env] of environments) {
      expect(env[EXEC_WRAPPER_VARIABLE], id).toBe(EXEC_WRAPPER_PATH);
      expect(existsSync(join(bundles.get(id) ?? '', EXEC_WRAPPER)), id).toBe(true);
    }
  });

  it('gives a function set to x86_64 (functionProps) the x64 code cache instead', () => {
    const app = new App({ context: { 'aws:cdk:enable-asset-metadata': true } });
    const stack = new Stack(app, 'BundledX64');
    new OAuthBackend(stack, 'Auth', {
      issuer: 'https://issuer.example.com',
      clientId: 'client-1',
      functionProps: { architecture: Architecture.X86_64 },
    });
    const assembly = app.synth();
    type Fn = Resource & { Properties: { Architectures?: string[] } };
    const { Resources } = assembly.getStackByName(stack.stackName).template as {
      Resources: Record<string, Fn>;
    };
    const functions = Object.values(Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions.length).toBe(ROUTE_LIST.length + 1);
    for (const fn of functions) {
      expect(fn.Properties.Architectures).toEqual(['x86_64']);
      const staged = join(assembly.directory, String(fn.Metadata?.['aws:asset:path']));
      expect(readdirSync(staged).sort()).toEqual(
        [BUNDLE_SCRIPT, CACHE_FILE, BUNDLE_FILE, EXEC_WRAPPER].sort(),
      );
    }
  });

  it('stages a loader (an ES module exporting handler) and a minified CommonJS bundle, no source map', () => {
    for (const dir of bundles.values()) {
      const loaderCode = readFileSync(join(dir, BUNDLE_FILE), 'utf8');
      expect(
        /export\s*\{[^}]*\bas handler\b/.test(loaderCode) || /export\s*\{[^}]*\bhandler\b/.test(loaderCode),
        'exports handler',
      ).toBe(true);
      const code = readFileSync(join(dir, BUNDLE_SCRIPT), 'utf8');
      // Checked piecewise, so that a failure prints a line rather than a 400 KB bundle.
      expect(code.includes('module.exports'), 'CommonJS').toBe(true);
      expect(code.includes('import.meta'), 'no ES module syntax').toBe(false);
      expect(code.split('\n').length, 'minified').toBeLessThan(50);
      expect(code).not.toContain('sourceMappingURL');
      expect(readdirSync(dir).some((name) => name.endsWith('.map'))).toBe(false);
    }
  });

  /** The environment a function gets: the construct's variables, references resolved. */
  function deployedEnv(id: string): Record<string, string | undefined> {
    const env: Record<string, string | undefined> = {
      AWS_REGION: 'eu-west-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    };
    for (const [name, value] of Object.entries(environments.get(id) ?? {})) {
      const resolved = typeof value === 'string' ? value : DEPLOYED_VALUES[name];
      if (resolved === undefined) throw new Error(`${id}: no deployed value for ${name}`);
      env[name] = resolved;
    }
    return env;
  }

  it("loads with exactly the environment the construct sets, on this Node and on Lambda's", () => {
    // A child process, so the bundles' module-scope setup (config, clients) sees only this
    // environment and leaves the test process alone. No network: nothing is called at load time.
    // Loading runs the config loader, so a variable the handlers require and the construct does
    // not set fails here. This Node's V8 has no cache (compiled); Node 24 with the functions' flags
    // takes the one the build made.
    for (const [id, dir] of bundles) {
      const env = deployedEnv(id);
      expect(env[ENV.issuer]).toBe('https://issuer.example.com');
      expect(load(dir, env), id).toEqual({ handler: 'function', codeCache: 'none' });
      // The function is arm64 (the default): its folder has no x64 cache, and arm64 takes its own.
      expect(load(dir, env, LAMBDA_NODE, lambdaNodeFlags()), `${id} on x64 ${lambdaNode.version}`).toEqual({
        handler: 'function',
        codeCache: 'none',
      });
      expect(load(dir, env, ARM_NODE, lambdaNodeFlags()), `${id} on arm64 ${armNode.version}`).toEqual({
        handler: 'function',
        codeCache: 'accepted',
      });
    }
  }, 300_000);

  it('counts a cold start that compiled its bundle as the metric CodeCacheMissed (one EMF line)', () => {
    const [id, dir] = [...bundles][0] as [string, string];
    const env: Record<string, string | undefined> = {
      ...deployedEnv(id),
      AWS_LAMBDA_FUNCTION_NAME: 'auth-session',
    };
    // This Node's V8 has no cache: the loader says so, in a line CloudWatch takes as a metric.
    const compiled = loadLogged(dir, env);
    expect(compiled.exports.codeCache).toBe('none');
    expect(compiled.logged).toHaveLength(1);
    const line = JSON.parse(compiled.logged[0] ?? '') as Record<string, unknown> & {
      _aws: { Timestamp: number; CloudWatchMetrics: unknown[] };
    };
    expect(line).toMatchObject({
      level: 'INFO',
      codeCache: 'none',
      v8: process.versions.v8,
      function: 'auth-session',
      service: env.POWERTOOLS_SERVICE_NAME,
      [METRIC.codeCacheMissed]: 1,
    });
    expect(env.POWERTOOLS_SERVICE_NAME).toBeTruthy();
    expect(line._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: env.POWERTOOLS_METRICS_NAMESPACE,
        Dimensions: [['service']],
        Metrics: [{ Name: METRIC.codeCacheMissed, Unit: 'Count' }],
      },
    ]);
    expect(Math.abs(line._aws.Timestamp - Date.now())).toBeLessThan(60_000);
    // With its cache taken, the init writes nothing.
    expect(loadLogged(dir, env, ARM_NODE, lambdaNodeFlags()).logged).toEqual([]);
  }, 120_000);

  it('bundles every dependency, the AWS SDK included: it requires only Node built-ins', () => {
    for (const dir of bundles.values()) {
      const code = readFileSync(join(dir, BUNDLE_SCRIPT), 'utf8');
      const required = [...code.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1] ?? '');
      expect(required).toContain('node:http');
      expect(required.filter((specifier) => !isBuiltin(specifier))).toEqual([]);
      // A vm.Script has no module loader for import(): the build lowers every one to require().
      expect(/\bimport\s*\(/.test(code), 'dynamic import').toBe(false);
      const loaderCode = readFileSync(join(dir, BUNDLE_FILE), 'utf8');
      const imported = [...loaderCode.matchAll(/\bfrom\s*["']([^"']+)["']/g)].map((m) => m[1] ?? '');
      expect(imported.filter((specifier) => !isBuiltin(specifier))).toEqual([]);
    }
  });
});

/**
 * The V8 code cache beside each bundle (lambdas/shared/platform/bundle-script.ts): taken by the
 * Lambda runtime's Node with its flags, and refused, with the bundle compiled as if there were no
 * cache, whenever it does not belong to the code or the runtime in front of it.
 */
describe('the V8 code cache of the bundles', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'code-cache-test-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  /** A copy of the login asset folder, changed by `change`. */
  function copyOfLogin(name: string, change: (dir: string) => void): string {
    const dir = join(tmp, name);
    cpSync(join(PROJECT_ROOT, ASSETS_FOLDER, 'login'), dir, { recursive: true });
    change(dir);
    return dir;
  }
  const lambda = (dir: string, flags = lambdaNodeFlags()) => load(dir, CODE_CACHE_ENV, LAMBDA_NODE, flags);

  it('is made by Node 24, the Lambda runtime major, of both architectures, for every bundle', () => {
    expect(lambdaNode.version, lambdaNode.problem).toMatch(/^v24\./);
    expect(armNode.version, armNode.problem).toBe(lambdaNode.version);
    expect(CACHE_FILE).toMatch(/-x64\.cache$/);
    expect(ARM_CACHE_FILE).toMatch(/-arm64\.cache$/);
    for (const entry of FUNCTION_ENTRIES) {
      expect(existsSync(join(PROJECT_ROOT, ASSETS_FOLDER, entry, CACHE_FILE)), entry).toBe(true);
      expect(existsSync(join(PROJECT_ROOT, ASSETS_FOLDER, entry, ARM_CACHE_FILE)), entry).toBe(true);
    }
  });

  it("is taken by Node 24 on x64 with the functions' flags (the runtime's behind the exec wrapper), for every bundle (on arm64: the staged functions above)", () => {
    for (const entry of FUNCTION_ENTRIES) {
      expect(
        load(join(PROJECT_ROOT, ASSETS_FOLDER, entry), CODE_CACHE_ENV, LAMBDA_NODE, lambdaNodeFlags()),
        entry,
      ).toEqual({ handler: 'function', codeCache: 'accepted' });
    }
  });

  it('of one architecture is refused on the other (so each has its own)', () => {
    // The x64 cache under the arm64 file name.
    const dir = copyOfLogin('other-architecture', (d) =>
      cpSync(join(d, CACHE_FILE), join(d, ARM_CACHE_FILE)),
    );
    expect(load(dir, CODE_CACHE_ENV, ARM_NODE, lambdaNodeFlags())).toEqual({
      handler: 'function',
      codeCache: 'rejected',
    });
  }, 120_000);

  it.each([128, 256, 1769, 10240])(
    'is taken whatever the memory size (%i MB sets the heap flags)',
    (memory) => {
      expect(lambda(join(PROJECT_ROOT, ASSETS_FOLDER, 'login'), lambdaNodeFlags(memory))).toEqual({
        handler: 'function',
        codeCache: 'accepted',
      });
    },
  );

  it('is taken by Node 24 with no flags at all (a bundle imported outside Lambda)', () => {
    expect(lambda(join(PROJECT_ROOT, ASSETS_FOLDER, 'login'), [])).toEqual({
      handler: 'function',
      codeCache: 'accepted',
    });
  });

  it("is refused under the runtime's flags without the exec wrapper (--expose-gc), and the bundle still loads", () => {
    expect(lambda(join(PROJECT_ROOT, ASSETS_FOLDER, 'login'), lambdaRuntimeFlags())).toEqual({
      handler: 'function',
      codeCache: 'rejected',
    });
  });

  it('is refused by V8 under flags it was not made for (a --stack-size of yours), and the bundle still loads', () => {
    const flags = [...lambdaNodeFlags(), '--stack-size=900'];
    expect(lambda(join(PROJECT_ROOT, ASSETS_FOLDER, 'login'), flags)).toEqual({
      handler: 'function',
      codeCache: 'rejected',
    });
  });

  it('is refused for a handler.cjs it was not made from, even of the same length (its CRC-32)', () => {
    const dir = copyOfLogin('same-length', (d) => {
      const file = join(d, BUNDLE_SCRIPT);
      const code = readFileSync(file, 'utf8');
      const at = code.indexOf('login started');
      expect(at).toBeGreaterThan(0);
      writeFileSync(file, `${code.slice(0, at)}login_started${code.slice(at + 'login started'.length)}`);
    });
    expect(readFileSync(join(dir, BUNDLE_SCRIPT)).length).toBe(
      readFileSync(join(PROJECT_ROOT, ASSETS_FOLDER, 'login', BUNDLE_SCRIPT)).length,
    );
    expect(lambda(dir)).toEqual({ handler: 'function', codeCache: 'rejected' });
  });

  it.each([
    ['cut short', (bytes: Buffer) => bytes.subarray(0, bytes.length >> 1)],
    ['only its header', (bytes: Buffer) => bytes.subarray(0, CACHE_HEADER_BYTES)],
    ['empty', () => Buffer.alloc(0)],
  ])('is refused when %s (a partial copy), and the bundle still loads', (_, cut) => {
    const dir = copyOfLogin(`cut-${_.replace(/\W/g, '')}`, (d) => {
      const file = join(d, CACHE_FILE);
      writeFileSync(file, cut(readFileSync(file)));
    });
    expect(lambda(dir)).toEqual({ handler: 'function', codeCache: 'rejected' });
  });

  it('says so in one log line when it is not used, naming the V8, and says nothing when it is', () => {
    const run = (node: NodeCommand, flags: string[]) => {
      const [program, ...prefix] = node as [string, ...string[]];
      const url = pathToFileURL(join(PROJECT_ROOT, ASSETS_FOLDER, 'login', BUNDLE_FILE)).href;
      return execFileSync(
        program,
        [...prefix, ...flags, '--input-type=module', '-e', `await import(${JSON.stringify(url)})`],
        {
          env: { PATH: process.env.PATH, ...CODE_CACHE_ENV },
          encoding: 'utf8',
        },
      );
    };
    expect(run(LAMBDA_NODE, lambdaNodeFlags())).toBe('');
    expect(JSON.parse(run([process.execPath], []))).toMatchObject({
      level: 'INFO',
      message: 'no code cache for this V8 and architecture: the bundle was compiled at init',
      codeCache: 'none',
      v8: process.versions.v8,
      arch: process.arch,
      // Outside the construct's environment: the handlers' own defaults.
      service: DEFAULT_SERVICE_NAME,
      _aws: { CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE }] },
      [METRIC.codeCacheMissed]: 1,
    });
    expect(run(LAMBDA_NODE, [])).toBe('');
    expect(JSON.parse(run(LAMBDA_NODE, ['--stack-size=900']))).toMatchObject({
      level: 'WARN',
      codeCache: 'rejected',
    });
  });

  it('is not even read by a runtime of another V8 (this Node), which compiles the bundle', () => {
    expect(ownCodeCacheFile()).not.toBe(CACHE_FILE);
    expect(load(join(PROJECT_ROOT, ASSETS_FOLDER, 'login'), CODE_CACHE_ENV)).toEqual({
      handler: 'function',
      codeCache: 'none',
    });
  });

  it('is the same bytes on every build (the asset hash moves only with the code)', async () => {
    const dir = copyOfLogin('rebuilt', (d) => rmSync(join(d, CACHE_FILE)));
    expect(await writeCodeCaches(LAMBDA_NODE, [dir])).toBe(CACHE_FILE);
    expect(sha256(readFileSync(join(dir, CACHE_FILE)))).toBe(
      sha256(readFileSync(join(PROJECT_ROOT, ASSETS_FOLDER, 'login', CACHE_FILE))),
    );
  });
});
