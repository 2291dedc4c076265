/**
 * The backend's dependencies as the Lambda entry files wire them (config from env, DynamoDB store
 * with token encryption, OAuth client, secret source), on a fresh table in the run's DynamoDB
 * Local, with a clock the test can move and a meter that records.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import type { Clock } from '../../lambdas/shared/domain/clock.js';
import { sha256 } from '../../lambdas/shared/domain/crypto.js';
import type { SessionTokens } from '../../lambdas/shared/domain/tokens.js';
import { OAuthClient } from '../../lambdas/shared/oauth/client.js';
import { type Config, loadConfig } from '../../lambdas/shared/platform/config.js';
import { logger } from '../../lambdas/shared/platform/logger.js';
import { recordingMeter } from '../../lambdas/shared/platform/metrics.js';
import { createClientSecretSource } from '../../lambdas/shared/platform/secrets.js';
import { createDocumentClient, DynamoStore } from '../../lambdas/shared/store/dynamo-store.js';
import { createTable } from '../../lambdas/shared/store/dynamo-table.js';
import { createTokenCipher } from '../../lambdas/shared/store/token-keys.js';

export interface TestBackend {
  readonly config: Config;
  readonly store: DynamoStore;
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  /** Everything a flow factory takes. */
  readonly deps: {
    config: Config;
    store: DynamoStore;
    oauth: OAuthClient;
    secrets: ReturnType<typeof createClientSecretSource>;
    clock: Clock;
    meter: ReturnType<typeof recordingMeter>;
    log: typeof logger;
  };
  /** Moves the clock forward (or back). */
  advance(seconds: number): void;
  /** The decrypted tokens of a session, by its cookie value; undefined when gone or ended. */
  tokensOf(sessionId: string): Promise<SessionTokens | undefined>;
  destroy(): void;
}

/** `env` holds the OAuth variables; the table, the local token key and the DynamoDB endpoint are filled in. */
export async function createTestBackend(env: Record<string, string>): Promise<TestBackend> {
  process.env.AWS_ENDPOINT_URL_DYNAMODB = inject('dynamoEndpoint');
  const dynamo = new DynamoDBClient({});
  const tableName = `test-${randomUUID()}`;
  await createTable(dynamo, tableName);
  const config = loadConfig({
    TABLE_NAME: tableName,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    ...env,
  });
  let offsetMs = 0;
  const clock: Clock = () => Date.now() + offsetMs;
  const store = new DynamoStore(createDocumentClient(dynamo), tableName, createTokenCipher(config));
  return {
    config,
    store,
    dynamo,
    tableName,
    deps: {
      config,
      store,
      oauth: new OAuthClient(config, { clock }),
      secrets: createClientSecretSource(config.clientSecret),
      clock,
      meter: recordingMeter(),
      log: logger,
    },
    advance(seconds) {
      offsetMs += seconds * 1000;
    },
    async tokensOf(sessionId) {
      const session = await store.getSession(sha256(sessionId));
      return session?.sealedTokens ? store.openTokens(session) : undefined;
    },
    destroy: () => dynamo.destroy(),
  };
}
