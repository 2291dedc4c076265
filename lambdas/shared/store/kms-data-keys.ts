/**
 * The AWS KMS adapter of DataKeyProvider: GenerateDataKey and Decrypt, both with the encryption
 * context, which KMS binds into the ciphertext and CloudTrail records, and which the construct's
 * IAM conditions require.
 */
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import type { DataKey, DataKeyProvider } from './token-cipher.js';

export class KmsDataKeyProvider implements DataKeyProvider {
  constructor(
    private readonly kms: KMSClient,
    private readonly keyId: string,
    private readonly context: Record<string, string>,
  ) {}

  async generate(): Promise<DataKey> {
    const out = await this.kms.send(
      new GenerateDataKeyCommand({ KeyId: this.keyId, KeySpec: 'AES_256', EncryptionContext: this.context }),
    );
    if (!out.Plaintext || !out.CiphertextBlob) throw new Error('KMS GenerateDataKey returned no key');
    return { plaintext: Buffer.from(out.Plaintext), encrypted: Buffer.from(out.CiphertextBlob) };
  }

  async decrypt(encrypted: Buffer): Promise<Buffer> {
    const out = await this.kms.send(
      new DecryptCommand({ CiphertextBlob: encrypted, KeyId: this.keyId, EncryptionContext: this.context }),
    );
    if (!out.Plaintext) throw new Error('KMS Decrypt returned no key');
    return Buffer.from(out.Plaintext);
  }
}

export function createKmsDataKeyProvider(keyId: string, context: Record<string, string>): KmsDataKeyProvider {
  return new KmsDataKeyProvider(new KMSClient({}), keyId, context);
}
