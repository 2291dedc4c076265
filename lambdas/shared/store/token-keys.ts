import { encryptionContext } from '../definitions/encryption-context.js';
import { createKmsDataKeyProvider } from './kms-data-keys.js';
import { LocalDataKeyProvider, TokenCipher } from './token-cipher.js';

/** The master key of the tokens' envelope encryption: KMS (deployed) or a local key. */
export type TokenKeyConfig = { kind: 'kms'; keyId: string } | { kind: 'local'; key: Buffer };

/** The token cipher for this configuration: KMS when TOKEN_KMS_KEY_ID is set, else the local key. */
export function createTokenCipher(config: {
  readonly tokenKey: TokenKeyConfig;
  readonly tableName: string;
}): TokenCipher {
  const context = encryptionContext(config.tableName);
  return new TokenCipher(
    config.tokenKey.kind === 'kms'
      ? createKmsDataKeyProvider(config.tokenKey.keyId, context)
      : new LocalDataKeyProvider(config.tokenKey.key, context),
  );
}
