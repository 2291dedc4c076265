import { App, Stack, Validations } from 'aws-cdk-lib';
import { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { AwsSolutionsChecks } from 'cdk-nag';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { OAuthBackend } from '../../lib/oauth-backend.js';

/**
 * The AWS Solutions rules pass except for findings that follow from the design. Each is
 * acknowledged on the narrowest construct with its reason, so a new finding fails this test.
 */
function synthWithNag(acknowledge: boolean): void {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stack = new Stack(app, 'Nag');
  const backend = new OAuthBackend(stack, 'Auth', { issuer: 'https://issuer.example.com', clientId: 'c' });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

  if (acknowledge) {
    Validations.of(backend.clientSecret).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason: 'The client secret is issued by the authorization server; only it can rotate the secret.',
    });
    Validations.of(backend.httpApi).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: '/login and /redirect are where authentication starts and ends; they cannot require it.',
    });
    Validations.of(backend.httpApi).acknowledge({
      id: 'AwsSolutions-APIG1',
      reason: 'Each function logs its requests itself; stage access logs come with the observability work.',
    });
    for (const fn of [backend.loginFunction, backend.redirectFunction, backend.refreshFunction]) {
      Validations.of(fn).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: 'The managed basic execution role only lets the function write its logs.',
      });
    }
  }
  app.synth();
}

describe('cdk-nag AwsSolutions', () => {
  afterAll(() => {
    CloudAssembly.cleanupTemporaryDirectories();
  });

  it('finds exactly the design-given findings when nothing is acknowledged', () => {
    // The validation report is also printed; keep the test output readable.
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
    let report = '';
    try {
      synthWithNag(false);
    } catch (error) {
      report = String(error);
    }
    vi.restoreAllMocks();
    const rules = new Set(
      [...report.matchAll(/Acknowledge with 'AwsSolutions::(AwsSolutions-[A-Z]+\d+)/g)].map((m) => m[1]),
    );
    expect([...rules].sort()).toEqual([
      'AwsSolutions-APIG1',
      'AwsSolutions-APIG4',
      'AwsSolutions-IAM4',
      'AwsSolutions-SMG4',
    ]);
  });

  it('passes with the acknowledged, design-given findings only', () => {
    expect(() => synthWithNag(true)).not.toThrow();
  });
});
