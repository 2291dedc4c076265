import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { App, Stack } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/definitions/env.js';
import { FUNCTION_ENTRIES, ROUTE_LIST } from '../../lambdas/shared/definitions/routes.js';
import { ASSETS_FOLDER, BUNDLE_FILE } from '../../lib/assets.js';
import { BUNDLE_BUDGETS_KIB, PROJECT_ROOT } from '../../lib/bundling.js';
import { OAuthBackend } from '../../lib/oauth-backend.js';
import { type BuiltBundle, bundleAll, kib } from '../../scripts/build.js';

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
 * The bundles as the package build makes them (scripts/build.ts, the options of lib/bundling.ts),
 * built here twice, in memory, and compared with each other and with assets/, which `npm test`
 * builds first (pretest) and the construct deploys.
 */
describe('the prebuilt Lambda bundles', () => {
  let first: BuiltBundle[];
  let second: BuiltBundle[];

  beforeAll(async () => {
    first = await bundleAll();
    second = await bundleAll();
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
      expect(readdirSync(join(root, entry)), entry).toEqual([BUNDLE_FILE]);
      const shipped = readFileSync(join(root, entry, BUNDLE_FILE));
      expect(sha256(shipped), `assets/${entry}/${BUNDLE_FILE} is stale: run npm run build:assets`).toBe(
        sha256(bytes),
      );
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

  it('stages each function as its prebuilt bundle, byte for byte', () => {
    for (const [id, dir] of bundles) {
      expect(readdirSync(dir), id).toEqual([BUNDLE_FILE]);
      const shipped = FUNCTION_ENTRIES.map((entry) =>
        join(PROJECT_ROOT, ASSETS_FOLDER, entry, BUNDLE_FILE),
      ).filter((file) => sha256(readFileSync(file)) === sha256(readFileSync(join(dir, BUNDLE_FILE))));
      expect(shipped, id).toHaveLength(1);
    }
  });

  it('stages each function as a minified ES module with the require shim and no source map', () => {
    for (const dir of bundles.values()) {
      const file = join(dir, 'index.mjs');
      expect(existsSync(file), file).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(false);
      expect(existsSync(join(dir, 'index.js'))).toBe(false);
      const code = readFileSync(file, 'utf8');
      // Checked piecewise, so that a failure prints a line rather than a 400 KB bundle.
      expect(code.slice(0, code.indexOf('\n'))).toBe(
        "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);",
      );
      expect(/export\s*\{[^}]*\bas handler\s*\}/.test(code), 'exports handler').toBe(true);
      expect(code).not.toContain('sourceMappingURL');
    }
  });

  it('loads on Node as an ES module with exactly the environment the construct sets', () => {
    // A child process, so the bundles' module-scope setup (config, clients) sees only this
    // environment and leaves the test process alone. No network: nothing is called at load time.
    // Loading runs the config loader, so a variable the handlers require and the construct does
    // not set fails here.
    for (const [id, dir] of bundles) {
      const env: Record<string, string | undefined> = {
        PATH: process.env.PATH,
        AWS_REGION: 'eu-west-1',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      };
      for (const [name, value] of Object.entries(environments.get(id) ?? {})) {
        const resolved = typeof value === 'string' ? value : DEPLOYED_VALUES[name];
        if (resolved === undefined) throw new Error(`${id}: no deployed value for ${name}`);
        env[name] = resolved;
      }
      expect(env[ENV.issuer]).toBe('https://issuer.example.com');
      const url = pathToFileURL(join(dir, 'index.mjs')).href;
      const script = `const m = await import(${JSON.stringify(url)}); process.stdout.write(typeof m.handler);`;
      const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        env,
        encoding: 'utf8',
      });
      expect(out, id).toBe('function');
    }
  });

  it('bundles every dependency, the AWS SDK included: it imports only Node built-ins', () => {
    for (const dir of bundles.values()) {
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      const imported = [
        ...code.matchAll(/(?:^|[;}\n])\s*import\s*(?:[\w$*{},\s]+?\s*from\s*)?["']([^"']+)["']/g),
        ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
      ].map((m) => m[1] ?? '');
      expect(imported).toContain('module');
      expect(imported.filter((specifier) => !isBuiltin(specifier))).toEqual([]);
    }
  });
});
