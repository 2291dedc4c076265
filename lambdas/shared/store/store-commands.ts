/**
 * The DynamoDB commands a DynamoStore sends (store/dynamo-store.ts), given to it by its wiring
 * rather than imported by the store itself: each Lambda's wiring gives only the commands its flow
 * sends, so that its bundle carries only those command classes and the client commands under them
 * (esbuild keeps an SDK command only where one is imported). The store's class holds every
 * operation, so a store that imported all six commands put all six into every bundle: `login` sends
 * a Put only, `backchannel-logout` a Put, a Query and an Update. Measured, Node 24, callgrind,
 * backchannel-logout without the three commands it never sends: 4 KB less bundle, 14 KB less code
 * cache, about 0.5 M fewer instructions at init (2026-12-08).
 *
 * Which operation sends which command is the store's own business (OperationCommands below), and
 * the types hold a wiring to it: `createDynamoStore` returns only the operations whose commands it
 * was given (a flow that needs another fails to compile), and an operation called on a store built
 * without its command throws, as one built without a cipher does (test/unit/store-commands.test.ts
 * checks the map against what each operation sends).
 */
import {
  BatchExecuteStatementCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Store } from './port.js';

/** The command classes, by the store's name for each. */
export interface StoreCommands {
  readonly put: typeof PutCommand;
  readonly get: typeof GetCommand;
  readonly delete: typeof DeleteCommand;
  readonly query: typeof QueryCommand;
  readonly update: typeof UpdateCommand;
  readonly batchExecuteStatement: typeof BatchExecuteStatementCommand;
}

/** The commands each operation of the store sends (none: it reads no table, as openTokens). */
export interface OperationCommands {
  readonly putTransaction: 'put';
  readonly consumeTransaction: 'delete';
  readonly createSession: 'put';
  readonly getSession: 'get';
  readonly openTokens: never;
  readonly deleteSession: 'delete';
  readonly findSessionsDue: 'query';
  readonly claimRefreshLease: 'update';
  readonly claimRefreshLeases: 'batchExecuteStatement';
  readonly updateSessionTokens: 'update';
  readonly deferRefresh: 'update';
  readonly endSession: 'update';
  readonly findSessionsOfSubject: 'query';
  readonly endLiveSession: 'update';
  readonly rememberLogoutToken: 'put';
}

/** The commands a store must be given for the operations K. */
export type CommandsFor<K extends keyof Store> = Pick<StoreCommands, OperationCommands[K]>;

/**
 * One command each, for a wiring to give a store just those its flow sends (`{ ...PUT, ...QUERY }`):
 * each is its own constant, so that a bundle keeps only the ones it spreads.
 */
export const PUT = { put: PutCommand } as const;
export const GET = { get: GetCommand } as const;
export const DELETE = { delete: DeleteCommand } as const;
export const QUERY = { query: QueryCommand } as const;
export const UPDATE = { update: UpdateCommand } as const;
export const BATCH_EXECUTE_STATEMENT = { batchExecuteStatement: BatchExecuteStatementCommand } as const;

/**
 * Every command: the tests' store, for every flow at once. The classes named again rather than the
 * constants above spread: esbuild keeps an unused object of spreads, and with it every command
 * (measured: login 295.6 KiB with spreads here, 291.8 without).
 */
export const ALL_STORE_COMMANDS: StoreCommands = {
  put: PutCommand,
  get: GetCommand,
  delete: DeleteCommand,
  query: QueryCommand,
  update: UpdateCommand,
  batchExecuteStatement: BatchExecuteStatementCommand,
};

/** Operations of the port without an entry above: none (test/unit/store-commands.test.ts). */
export type UnmappedOperations = Exclude<keyof Store, keyof OperationCommands>;
