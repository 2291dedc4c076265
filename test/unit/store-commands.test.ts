/**
 * The commands each store operation sends (store/store-commands.ts, OperationCommands): a store
 * given only the commands the map names for an operation must run it, and send only those. The
 * map's types decide what every wiring gives its store, so a wrong entry would build a Lambda whose
 * store throws at its first request; this holds the map to what the store really sends. The
 * document client is a recorder (what a store sends is the point, not DynamoDB's answer); the
 * flows' integration tests run the same store against DynamoDB Local.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { SessionTokens } from '../../lambdas/shared/domain/tokens.js';
import { DynamoStore } from '../../lambdas/shared/store/dynamo-store.js';
import type { Session, Store } from '../../lambdas/shared/store/port.js';
import {
  ALL_STORE_COMMANDS,
  type OperationCommands,
  type StoreCommands,
  type UnmappedOperations,
} from '../../lambdas/shared/store/store-commands.js';
import type { TokenCipher } from '../../lambdas/shared/store/token-cipher.js';

type CommandName = keyof StoreCommands;

/** The map, spelled out: its types tie each entry to OperationCommands (never: an empty list). */
const EXPECTED: { readonly [K in keyof OperationCommands]: readonly OperationCommands[K][] } = {
  putTransaction: ['put'],
  consumeTransaction: ['delete'],
  createSession: ['put'],
  getSession: ['get'],
  openTokens: [],
  deleteSession: ['delete'],
  findSessionsDue: ['query'],
  claimRefreshLease: ['update'],
  claimRefreshLeases: ['batchExecuteStatement'],
  updateSessionTokens: ['update'],
  deferRefresh: ['update'],
  endSession: ['update'],
  findSessionsOfSubject: ['query'],
  endLiveSession: ['update'],
  rememberLogoutToken: ['put'],
};

const NAME_OF = new Map<unknown, CommandName>(
  Object.entries(ALL_STORE_COMMANDS).map(([name, command]) => [command, name as CommandName]),
);

/** A document client that records the name of each command sent and answers as an empty table does. */
function recorder() {
  const sent: CommandName[] = [];
  const client = {
    async send(command: object) {
      const name = NAME_OF.get(command.constructor);
      if (!name) throw new Error(`not a store command: ${command.constructor.name}`);
      sent.push(name);
      return name === 'query' ? { Items: [] } : name === 'batchExecuteStatement' ? { Responses: [{}] } : {};
    },
  };
  return { sent, client: client as unknown as DynamoDBDocumentClient };
}

const tokens: SessionTokens = { accessToken: 'at', tokenType: 'Bearer', refreshToken: 'rt' };
const cipher = {
  seal: async () => ({ ciphertext: 'c', encryptedKey: 'k' }),
  open: async () => JSON.stringify(tokens),
} as unknown as TokenCipher;
const session: Session = {
  idHash: 'h',
  claims: {},
  createdAt: 1,
  expiresAt: 100,
  version: 1,
  refreshable: true,
  refreshFailures: 0,
  sealedTokens: { ciphertext: 'c', encryptedKey: 'k' },
};
const lease = { version: 1, owner: 'o' };

/** One call of each operation. */
const CALLS: { readonly [K in keyof Store]: (store: Store) => Promise<unknown> } = {
  putTransaction: (s) =>
    s.putTransaction({ stateHash: 's', codeVerifier: 'v', bindingHash: 'b', returnTo: '/', expiresAt: 9 }),
  consumeTransaction: (s) => s.consumeTransaction('s'),
  createSession: (s) => s.createSession(session, tokens, 50),
  getSession: (s) => s.getSession('h'),
  openTokens: (s) => s.openTokens(session),
  deleteSession: (s) => s.deleteSession('h'),
  findSessionsDue: async (s) => {
    for await (const _ of s.findSessionsDue(50)) {
      // an empty table: nothing due
    }
  },
  claimRefreshLease: (s) => s.claimRefreshLease('h', 1, 60, 50),
  claimRefreshLeases: (s) => s.claimRefreshLeases([{ idHash: 'h', version: 1 }], 60, 50),
  updateSessionTokens: (s) => s.updateSessionTokens('h', lease, tokens, { now: 50 }),
  deferRefresh: (s) => s.deferRefresh('h', lease, 60, 1),
  endSession: (s) => s.endSession('h', 50),
  findSessionsOfSubject: (s) => s.findSessionsOfSubject('sub', { sid: 'sid' }),
  endLiveSession: (s) => s.endLiveSession('h', 50, { sub: 'sub' }),
  rememberLogoutToken: (s) => s.rememberLogoutToken('j', 100),
};

/** The commands named, and no others. */
const only = (names: readonly CommandName[]): Partial<StoreCommands> =>
  Object.fromEntries(names.map((name) => [name, ALL_STORE_COMMANDS[name]]));

describe('the commands of each store operation', () => {
  it('maps every operation of the port', () => {
    expectTypeOf<UnmappedOperations>().toBeNever();
    expect(Object.keys(EXPECTED).sort()).toEqual(Object.keys(CALLS).sort());
  });

  for (const [operation, names] of Object.entries(EXPECTED) as [keyof Store, readonly CommandName[]][]) {
    it(`${operation} runs with only ${names.length > 0 ? names.join(', ') : 'no command'} and sends only that`, async () => {
      const { sent, client } = recorder();
      const store = new DynamoStore(client, 'table', only(names), cipher);
      await CALLS[operation](store);
      expect(new Set(sent)).toEqual(new Set(names));
    });
  }

  it('refuses, sending nothing, an operation whose command the store was not given', async () => {
    const { sent, client } = recorder();
    const store = new DynamoStore(client, 'table', only(['put', 'query', 'update']), cipher);
    await expect(store.getSession('h')).rejects.toThrow('this store was built without the get command');
    await expect(store.consumeTransaction('s')).rejects.toThrow(
      'this store was built without the delete command',
    );
    expect(sent).toEqual([]);
  });
});
