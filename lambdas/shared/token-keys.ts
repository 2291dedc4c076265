import type { Config } from './config.js';
import { createKmsDataKeyProvider } from './kms-data-keys.js';
import { encryptionContext, LocalDataKeyProvider, TokenCipher } from './token-cipher.js';

/** The token cipher for this configuration: KMS when TOKEN_KMS_KEY_ID is set, else the local key. */
export function createTokenCipher(config: Pick<Config, 'tokenKey' | 'tableName'>): TokenCipher {
  const context = encryptionContext(config.tableName);
  return new TokenCipher(
    config.tokenKey.kind === 'kms'
      ? createKmsDataKeyProvider(config.tokenKey.keyId, context)
      : new LocalDataKeyProvider(config.tokenKey.key, context),
  );
}
