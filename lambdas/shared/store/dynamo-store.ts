/**
 * The DynamoDB adapter of the storage port (store/port.ts): with store/dynamo-table.ts, the only
 * code that touches DynamoDB.
 * Conditional-write failures become ConflictError / `undefined`, never a raw SDK error.
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { KEY_PREFIX, TABLE_SCHEMA } from '../definitions/table-schema.js';
import { ConflictError } from '../domain/errors.js';
import type { SessionTokens } from '../domain/tokens.js';
import {
  type LoginTransaction,
  REFRESH_LEASE_BATCH,
  type RefreshLease,
  type Session,
  type Store,
} from './port.js';
import {
  aadFor,
  DUE,
  END_SESSION,
  fromItem,
  leaseClaimStatement,
  PK,
  refreshIndexEntry,
  SEALED,
  SHARD,
  SID,
  SUB,
  TTL,
  tokenUpdate,
} from './session-items.js';
import type { CommandsFor, StoreCommands } from './store-commands.js';
import type { SealedValue, TokenCipher } from './token-cipher.js';

const INDEX = TABLE_SCHEMA.refreshIndex;
const SUBJECT_INDEX = TABLE_SCHEMA.subjectIndex;

export class DynamoStore implements Store {
  /**
   * @param commands the DynamoDB commands this store may send (store/store-commands.ts): each
   * Lambda gives those of its flow's operations, so that its bundle carries no others.
   * @param cipher needed for session tokens; the login function, which writes only transactions,
   * is built without one (and without a KMS client).
   */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly commands: Partial<StoreCommands>,
    private readonly cipher?: TokenCipher,
  ) {}

  async putTransaction(tx: LoginTransaction): Promise<void> {
    // 256 random bits never collide; the condition makes an overwrite impossible regardless.
    const written = await this.putNew({
      [PK]: KEY_PREFIX.transaction + tx.stateHash,
      codeVerifier: tx.codeVerifier,
      nonce: tx.nonce,
      bindingHash: tx.bindingHash,
      returnTo: tx.returnTo,
      maxAge: tx.maxAge,
      acrValues: tx.acrValues,
      silent: tx.silent === true ? true : undefined,
      [TTL]: tx.expiresAt,
    });
    if (!written) throw new ConflictError('transaction exists');
  }

  async consumeTransaction(stateHash: string): Promise<LoginTransaction | undefined> {
    try {
      const { Attributes: item } = await this.db.send(
        new (this.command('delete'))({
          TableName: this.tableName,
          Key: { [PK]: KEY_PREFIX.transaction + stateHash },
          // Exactly one caller can delete an existing item; everyone else fails the condition.
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
          ReturnValues: 'ALL_OLD',
        }),
      );
      if (!item) return undefined;
      return {
        stateHash,
        codeVerifier: String(item.codeVerifier),
        ...(typeof item.nonce === 'string' ? { nonce: item.nonce } : {}),
        bindingHash: String(item.bindingHash),
        returnTo: String(item.returnTo),
        ...(typeof item.maxAge === 'number' ? { maxAge: item.maxAge } : {}),
        ...(typeof item.acrValues === 'string' ? { acrValues: item.acrValues } : {}),
        ...(item.silent === true ? { silent: true } : {}),
        expiresAt: Number(item[TTL]),
      };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async createSession(
    session: Omit<Session, 'refreshable' | 'sealedTokens' | 'refreshFailures'>,
    tokens: SessionTokens,
    refreshAt?: number,
  ): Promise<void> {
    const sealed = await this.seal(session.idHash, tokens);
    const written = await this.putNew({
      [PK]: KEY_PREFIX.session + session.idHash,
      [SUB]: session.sub,
      // Only ever read back through the subject index, by back-channel logout.
      [SID]: session.sid,
      claims: session.claims,
      createdAt: session.createdAt,
      [TTL]: session.expiresAt,
      version: session.version,
      accessTokenExpiresAt: tokens.accessTokenExpiresAt,
      hasRefreshToken: tokens.refreshToken !== undefined,
      refreshFailures: 0,
      ...sealed,
      ...refreshIndexEntry(session.idHash, refreshAt),
    });
    if (!written) throw new ConflictError('session exists');
  }

  async getSession(idHash: string): Promise<Session | undefined> {
    const { Item } = await this.db.send(
      new (this.command('get'))({
        TableName: this.tableName,
        Key: { [PK]: KEY_PREFIX.session + idHash },
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  async openTokens(session: Session): Promise<SessionTokens> {
    if (!session.sealedTokens) throw new Error('the session has ended: it holds no tokens');
    return this.open(session.idHash, session.sealedTokens);
  }

  async deleteSession(idHash: string): Promise<Session | undefined> {
    const { Attributes } = await this.db.send(
      new (this.command('delete'))({
        TableName: this.tableName,
        Key: { [PK]: KEY_PREFIX.session + idHash },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes ? fromItem(Attributes) : undefined;
  }

  async *findSessionsDue(dueBy: number, options: { readonly limit?: number } = {}): AsyncIterable<Session> {
    let remaining = options.limit ?? Number.POSITIVE_INFINITY;
    for (let shard = 0; shard < TABLE_SCHEMA.refreshShards && remaining > 0; shard++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.db.send(
          new (this.command('query'))({
            TableName: this.tableName,
            IndexName: INDEX.indexName,
            KeyConditionExpression: '#shard = :shard AND #due <= :due',
            ExpressionAttributeNames: { '#shard': SHARD, '#due': DUE },
            ExpressionAttributeValues: { ':shard': `shard#${shard}`, ':due': dueBy },
            // Never read more than the caller can still use: the key condition selects only due
            // items, so what is read is what is refreshed.
            Limit: Math.min(100, remaining),
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) {
          remaining--;
          yield fromItem(item);
        }
        startKey = remaining > 0 ? page.LastEvaluatedKey : undefined;
      } while (startKey);
    }
  }

  async claimRefreshLease(
    idHash: string,
    version: number,
    leaseUntil: number,
    now: number,
  ): Promise<RefreshLease | undefined> {
    const owner = randomUUID();
    try {
      await this.db.send(
        new (this.command('update'))({
          TableName: this.tableName,
          Key: { [PK]: KEY_PREFIX.session + idHash },
          UpdateExpression: 'SET #leaseUntil = :leaseUntil, #leaseOwner = :owner',
          // Only the reader of the current version, on a live session, with no lease running.
          ConditionExpression:
            'attribute_exists(#tokens) AND #version = :v AND #ttl > :now AND ' +
            '(attribute_not_exists(#leaseUntil) OR #leaseUntil < :now)',
          ExpressionAttributeNames: {
            '#tokens': SEALED.tokens,
            '#version': 'version',
            '#ttl': TTL,
            '#leaseUntil': 'leaseUntil',
            '#leaseOwner': 'leaseOwner',
          },
          ExpressionAttributeValues: {
            ':leaseUntil': leaseUntil,
            ':owner': owner,
            ':v': version,
            ':now': now,
          },
        }),
      );
      return { version, owner };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async claimRefreshLeases(
    candidates: readonly { readonly idHash: string; readonly version: number }[],
    leaseUntil: number,
    now: number,
  ): Promise<ReadonlyMap<string, RefreshLease>> {
    const leases = new Map<string, RefreshLease>();
    if (candidates.length === 0) return leases;
    if (candidates.length > REFRESH_LEASE_BATCH)
      throw new Error(`at most ${REFRESH_LEASE_BATCH} leases per request`);
    const owners = candidates.map(() => randomUUID());
    // PartiQL: one statement per session, each a conditional update of its own (BatchExecuteStatement
    // is not a transaction), with the very condition of claimRefreshLease in its WHERE clause.
    const { Responses = [] } = await this.db.send(
      new (this.command('batchExecuteStatement'))({
        Statements: candidates.map((candidate, i) =>
          leaseClaimStatement(this.tableName, candidate, owners[i] ?? '', leaseUntil, now),
        ),
      }),
    );
    candidates.forEach((candidate, i) => {
      const response = Responses[i];
      const owner = owners[i];
      // A statement without an error holds the lease; ConditionalCheckFailed (or any other error
      // of its own, such as throttling) means not claimed: nothing is spent, a later tick retries.
      if (response && !response.Error && owner)
        leases.set(candidate.idHash, { version: candidate.version, owner });
    });
    return leases;
  }

  async updateSessionTokens(
    idHash: string,
    lease: RefreshLease,
    tokens: SessionTokens,
    at: { readonly now: number; readonly refreshAt?: number; readonly expiresAt?: number },
  ): Promise<void> {
    const { now, refreshAt, expiresAt } = at;
    const sealed = await this.seal(idHash, tokens);
    const { set, remove, names, values } = tokenUpdate(idHash, lease, tokens, sealed, {
      now,
      refreshAt,
      expiresAt,
    });
    try {
      await this.db.send(
        new (this.command('update'))({
          TableName: this.tableName,
          Key: { [PK]: KEY_PREFIX.session + idHash },
          UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
          // Compare-and-swap: only the lease holder at the version it read, never on an ended session.
          ConditionExpression:
            'attribute_exists(#tokens) AND #version = :v AND #leaseOwner = :owner AND #ttl > :now',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConflictError('session changed, ended, or lease lost', { cause: error });
      }
      throw error;
    }
  }

  async deferRefresh(idHash: string, lease: RefreshLease, retryAt: number, failures: number): Promise<void> {
    try {
      await this.db.send(
        new (this.command('update'))({
          TableName: this.tableName,
          Key: { [PK]: KEY_PREFIX.session + idHash },
          UpdateExpression: 'SET #due = :retryAt, #failures = :failures REMOVE #leaseOwner, #leaseUntil',
          ConditionExpression: 'attribute_exists(#due) AND #version = :v AND #leaseOwner = :owner',
          ExpressionAttributeNames: {
            '#due': DUE,
            '#failures': 'refreshFailures',
            '#leaseOwner': 'leaseOwner',
            '#leaseUntil': 'leaseUntil',
            '#version': 'version',
          },
          ExpressionAttributeValues: {
            ':retryAt': retryAt,
            ':failures': failures,
            ':v': lease.version,
            ':owner': lease.owner,
          },
        }),
      );
    } catch (error) {
      // Lease lost or session ended meanwhile: nothing of ours to release.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async endSession(idHash: string, now: number): Promise<void> {
    // Already gone or already ended: the session is ended either way.
    await this.end(idHash, now, 'attribute_exists(#pk)', { '#pk': PK }, {});
  }

  async findSessionsOfSubject(
    sub: string,
    options: { readonly sid?: string } = {},
  ): Promise<readonly string[]> {
    const ids: string[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new (this.command('query'))({
          TableName: this.tableName,
          IndexName: SUBJECT_INDEX.indexName,
          KeyConditionExpression: '#sub = :sub',
          ...(options.sid === undefined ? {} : { FilterExpression: '#sid = :sid' }),
          ExpressionAttributeNames: { '#sub': SUB, ...(options.sid === undefined ? {} : { '#sid': SID }) },
          ExpressionAttributeValues: {
            ':sub': sub,
            ...(options.sid === undefined ? {} : { ':sid': options.sid }),
          },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const pk = String(item[PK]);
        if (pk.startsWith(KEY_PREFIX.session)) ids.push(pk.slice(KEY_PREFIX.session.length));
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return ids;
  }

  async endLiveSession(
    idHash: string,
    now: number,
    options: { readonly sub?: string } = {},
  ): Promise<boolean> {
    // Live: it still holds its tokens. An index read is eventually consistent, so the subject is
    // checked again on the item itself.
    return options.sub === undefined
      ? this.end(idHash, now, 'attribute_exists(#tokens)', {}, {})
      : this.end(
          idHash,
          now,
          'attribute_exists(#tokens) AND #sub = :sub',
          { '#sub': SUB },
          { ':sub': options.sub },
        );
  }

  async rememberLogoutToken(jtiHash: string, expiresAt: number): Promise<boolean> {
    return this.putNew({ [PK]: KEY_PREFIX.logoutToken + jtiHash, [TTL]: expiresAt });
  }

  /** Writes an item that must not exist yet; false when it does (the condition failed). */
  private async putNew(item: Record<string, unknown>): Promise<boolean> {
    try {
      await this.db.send(
        new (this.command('put'))({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /**
   * Ends a session in place (END_SESSION): tokens, index entry and lease removed, TTL now. Returns
   * false when `condition` did not hold.
   */
  private async end(
    idHash: string,
    now: number,
    condition: string,
    names: Record<string, string>,
    values: Record<string, unknown>,
  ): Promise<boolean> {
    try {
      await this.db.send(
        new (this.command('update'))({
          TableName: this.tableName,
          Key: { [PK]: KEY_PREFIX.session + idHash },
          UpdateExpression: END_SESSION.expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { ...END_SESSION.names, ...names },
          ExpressionAttributeValues: { ...END_SESSION.values(now), ...values },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  /** Seals the tokens for this session only: the session-id hash is the additional authenticated data. */
  private async seal(idHash: string, tokens: SessionTokens): Promise<Record<string, string>> {
    const sealed = await this.requireCipher().seal(JSON.stringify(tokens), aadFor(idHash));
    return { [SEALED.tokens]: sealed.ciphertext, [SEALED.tokenKey]: sealed.encryptedKey };
  }

  private async open(idHash: string, sealed: SealedValue): Promise<SessionTokens> {
    return JSON.parse(await this.requireCipher().open(sealed, aadFor(idHash))) as SessionTokens;
  }

  /** The command class `name`, which this store must have been given. */
  private command<C extends keyof StoreCommands>(name: C): StoreCommands[C] {
    const command = this.commands[name];
    if (!command) throw new Error(`this store was built without the ${name} command`);
    return command as StoreCommands[C];
  }

  private requireCipher(): TokenCipher {
    if (!this.cipher) throw new Error('this store was built without a token cipher');
    return this.cipher;
  }
}

/** A document client configured once: drop undefined attributes instead of failing on them. */
export function createDocumentClient(
  client: DynamoDBClient = new DynamoDBClient({}),
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/**
 * The store of the operations K, sending only the commands given for them (CommandsFor<K>; all
 * operations by default, which takes ALL_STORE_COMMANDS).
 * @param client the DynamoDB client underneath; by default one configured from the SDK's environment.
 */
export function createDynamoStore<K extends keyof Store = keyof Store>(
  tableName: string,
  commands: CommandsFor<K>,
  cipher?: TokenCipher,
  client?: DynamoDBClient,
): Pick<Store, K> {
  return new DynamoStore(createDocumentClient(client), tableName, commands, cipher);
}
