/**
 * The backend's dependencies built by the production wiring (lambdas/wiring.ts), from a config
 * loaded by the production loader, on a fresh table in the run's DynamoDB Local. Only what a test
 * must control is swapped in: a clock it can move, a DynamoDB client it can watch, a meter that
 * records.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import type { Clock } from '../../lambdas/shared/domain/clock.js';
import { sha256 } from '../../lambdas/shared/domain/crypto.js';
import type { SessionTokens } from '../../lambdas/shared/domain/tokens.js';
import { type Config, loadConfig } from '../../lambdas/shared/platform/config.js';
import { recordingMeter } from '../../lambdas/shared/platform/metrics.js';
import { createTable } from '../../lambdas/shared/store/dynamo-table.js';
import { ALL_STORE_COMMANDS } from '../../lambdas/shared/store/store-commands.js';
import { createTokenFlowDeps, type WiringOptions } from '../../lambdas/wiring.js';

/** The token flows' dependencies as the wiring builds them, with the test's meter. */
export type TestDeps = ReturnType<typeof createTokenFlowDeps> & { meter: ReturnType<typeof recordingMeter> };

export interface TestBackend {
  readonly config: Config;
  /** The store of `deps`: on `dynamo`, with the token cipher. */
  readonly store: TestDeps['store'];
  /** The DynamoDB client under every store built with `wiring` (middleware on it sees their calls). */
  readonly dynamo: DynamoDBClient;
  readonly tableName: string;
  /** What to hand the wiring's other functions (createLoginDeps, createSessionDeps): the test's clock and client. */
  readonly wiring: Required<WiringOptions>;
  /** Everything a token flow factory takes (redirect, logout, refresh, session access). */
  readonly deps: TestDeps;
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
  const wiring = { clock, dynamoDb: dynamo };
  const deps: TestDeps = {
    ...createTokenFlowDeps(config, ALL_STORE_COMMANDS, wiring),
    meter: recordingMeter(),
  };
  const store = deps.store;
  return {
    config,
    store,
    dynamo,
    tableName,
    wiring,
    deps,
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
