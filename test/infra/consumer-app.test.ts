/**
 * The package as another CDK app consumes it: test/infra/fixtures/consumer-app imports
 * `serverless-oauth-bff` by name (package self-reference through `exports`), runs under tsx as a
 * separate process, embeds the construct three ways under cdk-nag, and synthesizes. Each
 * instance's redirect URI must name a GET .../redirect route of its own API.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENV } from '../../lambdas/shared/definitions/env.js';

type Resource = { Type: string; Properties: Record<string, unknown> };
type Template = { Resources: Record<string, Resource> };

function resource(resources: Record<string, Resource>, id: string): Resource {
  const found = resources[id];
  if (!found) throw new Error(`no resource ${id}`);
  return found;
}

const APP = fileURLToPath(new URL('./fixtures/consumer-app/app.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

describe('a CDK app that consumes the package by name', () => {
  let outdir: string;
  let exit: { code: number | null; stderr: string };

  beforeAll(async () => {
    outdir = mkdtempSync(join(tmpdir(), 'consumer-app-'));
    const child = spawn(process.execPath, ['--import', 'tsx', APP], {
      cwd: ROOT,
      env: {
        ...process.env,
        CDK_OUTDIR: outdir,
        // The templates are what is checked; bundling.test.ts builds the bundles.
        CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [] }),
      },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout.resume();
    const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
    exit = { code, stderr: stderr.slice(-4000) };
  }, 120_000);

  afterAll(() => {
    rmSync(outdir, { recursive: true, force: true });
  });

  const template = (stack: string) =>
    JSON.parse(readFileSync(join(outdir, `${stack}.template.json`), 'utf8')) as Template;

  it('synthesizes under cdk-nag AwsSolutions with no unacknowledged finding', () => {
    expect(exit.code, exit.stderr).toBe(0);
  });

  it.each([
    ['Smallest', ['/redirect']],
    ['Twice', ['/redirect', '/redirect']],
    ['OnExistingApi', ['/auth/redirect']],
  ])('%s: each redirect URI is the endpoint of its own API plus its own redirect route', (stack, paths) => {
    const resources = template(stack).Resources;
    const redirects = Object.values(resources).filter(
      (r) => r.Type === 'AWS::ApiGatewayV2::Route' && String(r.Properties.RouteKey).endsWith('/redirect'),
    );
    expect(redirects.map((r) => String(r.Properties.RouteKey).replace(/^GET /, ''))).toEqual(paths);
    const apis = new Set<string>();
    for (const route of redirects) {
      const target = route.Properties.Target as { 'Fn::Join': [string, [string, { Ref: string }]] };
      const integration = resource(resources, target['Fn::Join'][1][1].Ref);
      const fnId = (integration.Properties.IntegrationUri as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0];
      const fn = resource(resources, fnId);
      const env = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;
      const apiId = (route.Properties.ApiId as { Ref: string }).Ref;
      const path = String(route.Properties.RouteKey).replace(/^GET /, '');
      expect(env[ENV.redirectUri]).toEqual({
        'Fn::Join': ['', [{ 'Fn::GetAtt': [apiId, 'ApiEndpoint'] }, path]],
      });
      apis.add(apiId);
    }
    expect(apis.size).toBe(stack === 'Twice' ? 2 : 1);
  });
});
