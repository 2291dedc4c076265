/**
 * The import directions of README "Code layout" are enforced by Biome's noRestrictedImports
 * (biome.json). This runs the repository's Biome with the repository's biome.json over probe files
 * placed in each layer, in a temp folder, so it shows the rules bite (and let the allowed
 * directions through) without touching the source tree.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIOME = join(ROOT, 'node_modules/.bin/biome');

/** [file under the repo, what it imports, whether the rules must refuse it] */
const PROBES: readonly [string, string, boolean][] = [
  ['lambdas/shared/definitions/p.ts', '../domain/clock.js', true],
  ['lambdas/shared/definitions/p.ts', 'oauth4webapi', true],
  ['lambdas/shared/domain/p.ts', '../http/errors.js', true],
  ['lambdas/shared/domain/p.ts', '../oauth/client.js', true],
  ['lambdas/shared/domain/p.ts', '@aws-sdk/client-dynamodb', true],
  ['lambdas/shared/domain/p.ts', '../definitions/env.js', false],
  ['lambdas/shared/oauth/p.ts', '../http/errors.js', true],
  ['lambdas/shared/oauth/p.ts', '../store/port.js', true],
  ['lambdas/shared/oauth/p.ts', '../flows/login.js', true],
  ['lambdas/shared/oauth/p.ts', '@aws-sdk/client-kms', true],
  ['lambdas/shared/oauth/p.ts', '../domain/errors.js', false],
  ['lambdas/shared/store/p.ts', '../flows/login.js', true],
  ['lambdas/shared/store/p.ts', '../http/errors.js', true],
  ['lambdas/shared/store/p.ts', '@aws-sdk/client-dynamodb', false],
  ['lambdas/shared/http/p.ts', '../flows/login.js', true],
  ['lambdas/shared/http/p.ts', '@aws-sdk/client-dynamodb', true],
  ['lambdas/shared/http/p.ts', '../platform/logger.js', false],
  ['lambdas/shared/platform/p.ts', '../http/errors.js', true],
  ['lambdas/shared/platform/p.ts', '@aws-sdk/client-secrets-manager', false],
  ['lambdas/shared/flows/p.ts', '@aws-sdk/client-dynamodb', true],
  ['lambdas/shared/flows/p.ts', '../store/dynamo-store.js', true],
  ['lambdas/shared/flows/p.ts', '../store/port.js', false],
  ['lambdas/p.ts', '@aws-sdk/client-dynamodb', true],
  ['lib/p.ts', '../lambdas/shared/platform/config.js', true],
  ['lib/p.ts', '../lambdas/shared/flows/login.js', true],
  ['lib/p.ts', '../lambdas/login.js', true],
  ['lib/p.ts', '@aws-sdk/client-dynamodb', true],
  ['lib/p.ts', '../lambdas/shared/definitions/env.js', false],
];

describe('layer import rules (biome.json noRestrictedImports)', () => {
  let dir: string;
  let refused: Set<string>;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'layers-'));
    copyFileSync(join(ROOT, 'biome.json'), join(dir, 'biome.json'));
    PROBES.forEach(([file, source], i) => {
      const path = join(dir, file.replace(/p\.ts$/, `p${i}.ts`));
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, `import * as m from '${source}';\nexport const probe = m;\n`);
    });
    let output: string;
    try {
      output = execFileSync(BIOME, ['lint', '--vcs-enabled=false', '--reporter=json', '.'], {
        cwd: dir,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch (error) {
      // Biome exits non-zero when it reports errors; the report is still on stdout.
      output = String((error as { stdout?: unknown }).stdout ?? '');
    }
    const report = JSON.parse(output) as {
      diagnostics: { category: string; location: { path: string } }[];
    };
    refused = new Set(
      report.diagnostics
        .filter((d) => d.category === 'lint/style/noRestrictedImports')
        .map((d) => d.location.path),
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(PROBES.map(([file, source, forbidden], i) => [file, source, forbidden, i] as const))(
    '%s importing %s: refused %s',
    (file, _source, forbidden, i) => {
      expect(refused.has(file.replace(/p\.ts$/, `p${i}.ts`))).toBe(forbidden);
    },
  );
});
