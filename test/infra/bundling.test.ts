import { existsSync, readFileSync } from 'node:fs';
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
    const template = assembly.getStackByName(stack.stackName).template as { Resources: Record<string, Resource> };
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
      expect(code.startsWith("import { createRequire as __cr } from 'module'; const require = __cr(")).toBe(true);
      expect(code).toMatch(/export\s*\{[^}]*\bhandler\s*\}/);
    }
  });

  it('bundles the AWS SDK instead of importing the runtime-provided one', () => {
    for (const dir of bundles.values()) {
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(code).not.toMatch(/from\s*["']@aws-sdk\//);
      expect(code).not.toMatch(/require\(["']@aws-sdk\//);
    }
  });
});
