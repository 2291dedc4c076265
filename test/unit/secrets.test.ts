import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { describe, expect, it } from 'vitest';
import { createClientSecretSource } from '../../lambdas/shared/platform/secrets.js';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:oauth-client-abc';

describe('client secret from Secrets Manager', () => {
  it('is fetched once per container, and again only when forced (after invalid_client)', async () => {
    const sm = mockClient(SecretsManagerClient);
    let version = 1;
    sm.on(GetSecretValueCommand).callsFake(() => ({ SecretString: `secret-v${version}` }));
    const source = createClientSecretSource({ kind: 'secrets-manager', arn: ARN });

    expect(await source.get()).toBe('secret-v1');
    expect(await source.get()).toBe('secret-v1');
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toMatchObject({ SecretId: ARN });

    version = 2; // rotated at the AS and in Secrets Manager
    expect(await source.get()).toBe('secret-v1'); // still cached
    expect(await source.get({ forceFetch: true })).toBe('secret-v2');
    expect(await source.get()).toBe('secret-v2'); // the cache now holds the new one
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    sm.restore();
  });

  it('fails closed on an empty secret', async () => {
    const sm = mockClient(SecretsManagerClient);
    sm.on(GetSecretValueCommand).resolves({ SecretString: '' });
    await expect(createClientSecretSource({ kind: 'secrets-manager', arn: ARN }).get()).rejects.toThrow(
      /empty/,
    );
    sm.restore();
  });

  it('reads the local secret from the environment without any SDK call', async () => {
    const sm = mockClient(SecretsManagerClient);
    expect(await createClientSecretSource({ kind: 'env', value: 'a:b%c' }).get()).toBe('a:b%c');
    expect(sm.calls()).toHaveLength(0);
    sm.restore();
  });
});
