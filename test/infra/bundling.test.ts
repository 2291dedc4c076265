import { existsSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OAuthBackend } from '../../lib/oauth-backend.js';

type Resource = { Type: string; Metadata?: Record<string, unknown> };

/**
 * Synthesizes with real bundling (local esbuild, no Docker), as `cdk deploy` would, and inspects
 * the staged assets.
 */
describe('OAuthBackend bundling', () => {
  const bundles = new Map<string, string>();

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
    }
  }, 120_000);

  afterAll(() => {
    CloudAssembly.cleanupTemporaryDirectories();
  });

  it('bundles one asset per function, each its own', () => {
    expect(bundles.size).toBe(3);
    expect(new Set(bundles.values()).size).toBe(3);
  });

  it('stages each function as a minified ES module with a source map and the require shim', () => {
    for (const dir of bundles.values()) {
      const file = join(dir, 'index.mjs');
      expect(existsSync(file), file).toBe(true);
      expect(existsSync(join(dir, 'index.mjs.map'))).toBe(true);
      expect(existsSync(join(dir, 'index.js'))).toBe(false);
      const code = readFileSync(file, 'utf8');
      // Only the ends are compared, so that a failure prints a line rather than a 400 KB bundle.
      expect(code.slice(0, code.indexOf('\n'))).toBe(
        "import { createRequire as __cr } from 'module'; const require = __cr(import.meta.url);",
      );
      expect(code.slice(-300)).toMatch(
        /export\s*\{[^}]*\bhandler\s*\};?\s*\/\/# sourceMappingURL=index\.mjs\.map\s*$/,
      );
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
