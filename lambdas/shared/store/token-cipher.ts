/**
 * Tokens encrypted at rest (checklist F19): envelope encryption.
 *
 * - A data key comes from a DataKeyProvider: AWS KMS `GenerateDataKey` with an encryption context
 *   naming the purpose and the table (deployed), or a local key given as TOKEN_ENCRYPTION_KEY
 *   (local stack, `sam local`, tests). Both run the same envelope path below.
 * - The data key is reused for a bounded time and number of uses per container, so a warm Lambda
 *   makes no KMS call to encrypt.
 * - Tokens are sealed with AES-256-GCM (node:crypto) with the session-id hash as additional
 *   authenticated data: a ciphertext copied into another session's item fails to open.
 * - Decrypted data keys are cached by their encrypted form, so reading what this container (or
 *   any other, with the same data key) wrote makes no KMS call either.
 *
 * The table alone cannot open a token: it holds only ciphertext and the KMS-encrypted data key.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type Clock, systemClock } from '../domain/clock.js';

export interface DataKey {
  readonly plaintext: Buffer;
  /** The data key encrypted under the master key: stored beside the ciphertext. */
  readonly encrypted: Buffer;
}

export interface DataKeyProvider {
  generate(): Promise<DataKey>;
  decrypt(encrypted: Buffer): Promise<Buffer>;
}

/** What goes into the table: both parts are base64 text. */
export interface SealedValue {
  readonly ciphertext: string;
  readonly encryptedKey: string;
}

export class DecryptionError extends Error {
  readonly code = 'TOKEN_DECRYPTION_FAILED';
  constructor(options?: { cause?: unknown }) {
    super('stored tokens could not be decrypted', options);
    this.name = 'DecryptionError';
  }
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface TokenCipherOptions {
  /** How long one generated data key is used for new encryptions. */
  readonly dataKeyMaxAgeMs?: number;
  /** How many encryptions one data key serves at most. */
  readonly dataKeyMaxUses?: number;
  /** How many decrypted data keys are kept. */
  readonly decryptCacheSize?: number;
  readonly clock?: Clock;
}

export class TokenCipher {
  private current?: { key: DataKey; createdAt: number; uses: number };
  private pending?: Promise<DataKey>;
  private readonly decrypted = new Map<string, Buffer>();
  private readonly maxAgeMs: number;
  private readonly maxUses: number;
  private readonly cacheSize: number;
  private readonly clock: Clock;

  constructor(
    private readonly provider: DataKeyProvider,
    options: TokenCipherOptions = {},
  ) {
    this.maxAgeMs = options.dataKeyMaxAgeMs ?? 5 * 60_000;
    this.maxUses = options.dataKeyMaxUses ?? 100_000;
    this.cacheSize = options.decryptCacheSize ?? 256;
    this.clock = options.clock ?? systemClock;
  }

  async seal(plaintext: string, aad: string): Promise<SealedValue> {
    const key = await this.dataKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key.plaintext, iv);
    cipher.setAAD(Buffer.from(aad, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return {
      ciphertext: Buffer.concat([Buffer.of(VERSION), iv, cipher.getAuthTag(), body]).toString('base64'),
      encryptedKey: key.encrypted.toString('base64'),
    };
  }

  async open(sealed: SealedValue, aad: string): Promise<string> {
    const raw = Buffer.from(sealed.ciphertext, 'base64');
    if (raw.length < 1 + IV_BYTES + TAG_BYTES || raw[0] !== VERSION) throw new DecryptionError();
    const key = await this.keyFor(sealed.encryptedKey);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(1, 1 + IV_BYTES));
      decipher.setAAD(Buffer.from(aad, 'utf8'));
      decipher.setAuthTag(raw.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES));
      return Buffer.concat([
        decipher.update(raw.subarray(1 + IV_BYTES + TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch (cause) {
      throw new DecryptionError({ cause });
    }
  }

  /** The data key for new encryptions: cached, replaced when too old or used too often. */
  private async dataKey(): Promise<DataKey> {
    const now = this.clock();
    const current = this.current;
    if (current && now - current.createdAt < this.maxAgeMs && current.uses < this.maxUses) {
      current.uses++;
      return current.key;
    }
    // Concurrent callers share one GenerateDataKey call.
    this.pending ??= this.provider.generate().finally(() => {
      this.pending = undefined;
    });
    const key = await this.pending;
    if (this.current?.key === key) {
      this.current.uses++;
    } else {
      this.current = { key, createdAt: now, uses: 1 };
      this.remember(key.encrypted.toString('base64'), key.plaintext);
    }
    return key;
  }

  private async keyFor(encryptedKey: string): Promise<Buffer> {
    const cached = this.decrypted.get(encryptedKey);
    if (cached) return cached;
    let key: Buffer;
    try {
      key = await this.provider.decrypt(Buffer.from(encryptedKey, 'base64'));
    } catch (cause) {
      throw new DecryptionError({ cause });
    }
    this.remember(encryptedKey, key);
    return key;
  }

  private remember(encryptedKey: string, key: Buffer): void {
    this.decrypted.delete(encryptedKey);
    this.decrypted.set(encryptedKey, key);
    while (this.decrypted.size > this.cacheSize) {
      const oldest = this.decrypted.keys().next().value;
      if (oldest === undefined) break;
      this.decrypted.delete(oldest);
    }
  }
}

/**
 * Data keys wrapped by a local 256-bit key (TOKEN_ENCRYPTION_KEY) with AES-256-GCM, the
 * encryption context as additional data: the KMS path's stand-in where there is no KMS.
 */
export class LocalDataKeyProvider implements DataKeyProvider {
  private readonly aad: Buffer;

  constructor(
    private readonly masterKey: Buffer,
    context: Record<string, string>,
  ) {
    if (masterKey.length !== 32) throw new Error('the local token encryption key must be 32 bytes');
    this.aad = Buffer.from(JSON.stringify(Object.entries(context).sort()), 'utf8');
  }

  async generate(): Promise<DataKey> {
    const plaintext = randomBytes(32);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.masterKey, iv);
    cipher.setAAD(this.aad);
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return { plaintext, encrypted: Buffer.concat([iv, cipher.getAuthTag(), body]) };
  }

  async decrypt(encrypted: Buffer): Promise<Buffer> {
    const decipher = createDecipheriv('aes-256-gcm', this.masterKey, encrypted.subarray(0, IV_BYTES));
    decipher.setAAD(this.aad);
    decipher.setAuthTag(encrypted.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(encrypted.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
  }
}
