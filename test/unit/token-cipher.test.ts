import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { encryptionContext } from '../../lambdas/shared/definitions/encryption-context.js';
import { KmsDataKeyProvider } from '../../lambdas/shared/store/kms-data-keys.js';
import {
  DecryptionError,
  LocalDataKeyProvider,
  TokenCipher,
} from '../../lambdas/shared/store/token-cipher.js';

const KEY_ID = 'arn:aws:kms:eu-west-1:123456789012:key/test';
const context = encryptionContext('sessions-table');

/**
 * A KMS stand-in: GenerateDataKey returns a random key "encrypted" as itself reversed and
 * prefixed; Decrypt undoes that. Every call is recorded by aws-sdk-client-mock.
 */
function fakeKms() {
  const kms = mockClient(KMSClient);
  kms.on(GenerateDataKeyCommand).callsFake(() => {
    const key = randomBytes(32);
    return {
      Plaintext: key,
      CiphertextBlob: Buffer.concat([Buffer.from('kms:'), Buffer.from(key).reverse()]),
    };
  });
  kms.on(DecryptCommand).callsFake((input: { CiphertextBlob: Uint8Array }) => ({
    Plaintext: Buffer.from(input.CiphertextBlob).subarray(4).reverse(),
  }));
  return kms;
}

describe('TokenCipher with KMS', () => {
  let kms: ReturnType<typeof fakeKms>;
  beforeEach(() => {
    kms = fakeKms();
  });

  it('generates one data key with the encryption context, and a warm container makes no further KMS call', async () => {
    const cipher = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context));
    const sealed = await Promise.all(['a', 'b', 'c'].map((t) => cipher.seal(t, 'session:1')));
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
    expect(kms.commandCalls(GenerateDataKeyCommand)[0]?.args[0].input).toEqual({
      KeyId: KEY_ID,
      KeySpec: 'AES_256',
      EncryptionContext: { purpose: 'oauth-backend-tokens', table: 'sessions-table' },
    });
    for (const [i, value] of sealed.entries())
      expect(await cipher.open(value, 'session:1')).toBe(['a', 'b', 'c'][i]);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(0);
  });

  it('decrypts a data key once per container, with the encryption context, then from the cache', async () => {
    const writer = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context));
    const sealed = await writer.seal('token', 'session:1');
    const reader = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context));
    expect(await reader.open(sealed, 'session:1')).toBe('token');
    expect(await reader.open(sealed, 'session:1')).toBe('token');
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
    expect(kms.commandCalls(DecryptCommand)[0]?.args[0].input).toMatchObject({
      KeyId: KEY_ID,
      EncryptionContext: context,
    });
  });

  it('replaces the data key after its maximum age', async () => {
    let now = 0;
    const cipher = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context), {
      clock: () => now,
      dataKeyMaxAgeMs: 1000,
    });
    await cipher.seal('a', 'x');
    now = 999;
    await cipher.seal('b', 'x');
    now = 1000;
    await cipher.seal('c', 'x');
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(2);
  });

  it.each([
    ['1 use: 3 seals, 3 data keys', 1, 3],
    ['2 uses: 3 seals, 2 data keys', 2, 2],
    ['3 uses: 3 seals, 1 data key', 3, 1],
  ])('replaces the data key after its maximum number of uses (%s)', async (_name, maxUses, keys) => {
    const cipher = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context), {
      dataKeyMaxUses: maxUses,
    });

    const sealed = [];
    for (const token of ['a', 'b', 'c']) sealed.push(await cipher.seal(token, 'x'));

    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(keys);
    expect(new Set(sealed.map((s) => s.encryptedKey)).size).toBe(keys);
    for (const [i, value] of sealed.entries()) expect(await cipher.open(value, 'x')).toBe(['a', 'b', 'c'][i]);
  });

  it('counts the concurrent callers that share one new data key as uses', async () => {
    const cipher = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context), {
      dataKeyMaxUses: 3,
    });

    await Promise.all(['a', 'b', 'c'].map((t) => cipher.seal(t, 'x')));
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
    await cipher.seal('d', 'x');
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(2);
  });

  it('keeps at most decryptCacheSize decrypted data keys, dropping the least recently used', async () => {
    const writerA = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context));
    const writerB = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context));
    const a = await writerA.seal('a', 'x');
    const b = await writerB.seal('b', 'x');
    const reader = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context), {
      decryptCacheSize: 1,
    });

    await reader.open(a, 'x');
    await reader.open(a, 'x');
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(1);
    await reader.open(b, 'x'); // A is dropped
    await reader.open(a, 'x');
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(3);
  });

  it('uses one data key for 100,000 encryptions by default', async () => {
    const cipher = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context));

    for (let i = 0; i < 100_000; i++) await cipher.seal('t', 'x');
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(1);
    await cipher.seal('t', 'x');
    expect(kms.commandCalls(GenerateDataKeyCommand)).toHaveLength(2);
  });

  it('refuses a ciphertext under other additional data (another session), tampered, or truncated', async () => {
    const cipher = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context));
    const sealed = await cipher.seal('token', 'session:A');
    await expect(cipher.open(sealed, 'session:B')).rejects.toBeInstanceOf(DecryptionError);
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    raw[raw.length - 1] = (raw[raw.length - 1] ?? 0) ^ 1;
    await expect(
      cipher.open({ ...sealed, ciphertext: raw.toString('base64') }, 'session:A'),
    ).rejects.toBeInstanceOf(DecryptionError);
    await expect(cipher.open({ ...sealed, ciphertext: 'AQ==' }, 'session:A')).rejects.toBeInstanceOf(
      DecryptionError,
    );
  });

  it('fails closed when KMS refuses', async () => {
    kms.on(DecryptCommand).rejects(new Error('AccessDeniedException'));
    const writer = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context));
    const sealed = await writer.seal('token', 'x');
    const reader = new TokenCipher(new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context));
    const error = await reader.open(sealed, 'x').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as DecryptionError).cause).toEqual(new Error('AccessDeniedException'));
  });

  it('fails when KMS GenerateDataKey answers without the encrypted key', async () => {
    kms.on(GenerateDataKeyCommand).resolves({ Plaintext: randomBytes(32) });
    const provider = new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context);

    await expect(provider.generate()).rejects.toThrow(/GenerateDataKey returned no key/);
  });

  it('fails when KMS Decrypt answers without a key', async () => {
    kms.on(DecryptCommand).resolves({});
    const provider = new KmsDataKeyProvider(new KMSClient({}), KEY_ID, context);

    await expect(provider.decrypt(Buffer.from('kms:x'))).rejects.toThrow(/Decrypt returned no key/);
  });
});

describe('TokenCipher with a local key', () => {
  it('runs the same envelope path, and another local key or context cannot open it', async () => {
    const key = randomBytes(32);
    const cipher = new TokenCipher(new LocalDataKeyProvider(key, context));
    const sealed = await cipher.seal('token', 'session:1');
    expect(await new TokenCipher(new LocalDataKeyProvider(key, context)).open(sealed, 'session:1')).toBe(
      'token',
    );
    await expect(
      new TokenCipher(new LocalDataKeyProvider(randomBytes(32), context)).open(sealed, 'session:1'),
    ).rejects.toBeInstanceOf(DecryptionError);
    await expect(
      new TokenCipher(new LocalDataKeyProvider(key, encryptionContext('other-table'))).open(
        sealed,
        'session:1',
      ),
    ).rejects.toBeInstanceOf(DecryptionError);
    expect(() => new LocalDataKeyProvider(randomBytes(16), context)).toThrow(/32 bytes/);
  });

  it('binds the encryption context whatever order its entries come in', async () => {
    const key = randomBytes(32);
    const sealed = await new TokenCipher(new LocalDataKeyProvider(key, { purpose: 'p', table: 't' })).seal(
      'token',
      's',
    );

    const reordered = new TokenCipher(new LocalDataKeyProvider(key, { table: 't', purpose: 'p' }));

    expect(await reordered.open(sealed, 's')).toBe('token');
  });

  it('keeps the reason a ciphertext did not open', async () => {
    const cipher = new TokenCipher(new LocalDataKeyProvider(randomBytes(32), context));
    const sealed = await cipher.seal('token', 'session:A');

    const error = await cipher.open(sealed, 'session:B').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DecryptionError);
    expect((error as DecryptionError).cause).toBeInstanceOf(Error);
  });
});
