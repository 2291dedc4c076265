/**
 * The DynamoDB adapter of the storage port. The only flow module that touches the AWS SDK.
 * Conditional-write failures become ConflictError / `undefined`, never a raw SDK error.
 */
import {
  ConditionalCheckFailedException,
  CreateTableCommand,
  DynamoDBClient,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { ConflictError } from './errors.js';
import type { LoginTransaction, Session, SessionTokens, Store } from './store.js';
import { KEY_PREFIX, TABLE_SCHEMA } from './table-schema.js';

const PK = TABLE_SCHEMA.partitionKey.name;
const TTL = TABLE_SCHEMA.timeToLiveAttribute;
const INDEX = TABLE_SCHEMA.refreshIndex;
const SHARD = INDEX.partitionKey.name;
const DUE = INDEX.sortKey.name;

/** Which refresh-index shard a session lives in: spread evenly by its (random) id hash. */
export function refreshShardOf(idHash: string): string {
  const firstByte = Buffer.from(idHash, 'base64url')[0] ?? 0;
  return `shard#${firstByte % TABLE_SCHEMA.refreshShards}`;
}

export class DynamoStore implements Store {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async putTransaction(tx: LoginTransaction): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          [PK]: KEY_PREFIX.transaction + tx.stateHash,
          codeVerifier: tx.codeVerifier,
          nonce: tx.nonce,
          bindingHash: tx.bindingHash,
          returnTo: tx.returnTo,
          [TTL]: tx.expiresAt,
        },
        // 256 random bits never collide; the condition makes an overwrite impossible regardless.
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': PK },
      }),
    );
  }

  async consumeTransaction(stateHash: string): Promise<LoginTransaction | undefined> {
    try {
      const { Attributes: item } = await this.db.send(
        new DeleteCommand({
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
        expiresAt: Number(item[TTL]),
      };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async createSession(session: Session): Promise<void> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...toItem(session), ...refreshIndexEntry(session.idHash, session) },
          ConditionExpression: 'attribute_not_exists(#pk)',
          ExpressionAttributeNames: { '#pk': PK },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException)
        throw new ConflictError('session exists', { cause: error });
      throw error;
    }
  }

  async getSession(idHash: string): Promise<Session | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { [PK]: KEY_PREFIX.session + idHash },
        ConsistentRead: true,
      }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  async deleteSession(idHash: string): Promise<Session | undefined> {
    const { Attributes } = await this.db.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { [PK]: KEY_PREFIX.session + idHash },
        ReturnValues: 'ALL_OLD',
      }),
    );
    return Attributes ? fromItem(Attributes) : undefined;
  }

  async *findSessionsDue(
    dueBy: number,
    options: { readonly pageSize?: number } = {},
  ): AsyncIterable<Session> {
    for (let shard = 0; shard < TABLE_SCHEMA.refreshShards; shard++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.db.send(
          new QueryCommand({
            TableName: this.tableName,
            IndexName: INDEX.indexName,
            KeyConditionExpression: '#shard = :shard AND #due <= :due',
            ExpressionAttributeNames: { '#shard': SHARD, '#due': DUE },
            ExpressionAttributeValues: { ':shard': `shard#${shard}`, ':due': dueBy },
            Limit: options.pageSize ?? 100,
            ExclusiveStartKey: startKey,
          }),
        );
        for (const item of page.Items ?? []) yield fromItem(item);
        startKey = page.LastEvaluatedKey;
      } while (startKey);
    }
  }

  async updateSessionTokens(
    idHash: string,
    expectedVersion: number,
    tokens: SessionTokens,
    now: number,
  ): Promise<void> {
    // Every attribute goes through a placeholder: `scope` and others are DynamoDB reserved words.
    const names: Record<string, string> = {
      '#pk': PK,
      '#ttl': TTL,
      '#version': 'version',
      '#updatedAt': 'updatedAt',
    };
    const values: Record<string, unknown> = { ':v': expectedVersion, ':one': 1, ':now': now };
    const set = ['#version = #version + :one', '#updatedAt = :now'];
    const remove: string[] = [];
    const put = (name: string, value: unknown) => {
      names[`#${name}`] = name;
      if (value === undefined) {
        remove.push(`#${name}`);
      } else {
        set.push(`#${name} = :${name}`);
        values[`:${name}`] = value;
      }
    };
    put('accessToken', tokens.accessToken);
    put('tokenType', tokens.tokenType);
    put('accessTokenExpiresAt', tokens.accessTokenExpiresAt);
    put('scope', tokens.scope);
    // Absent from a refresh response means "keep the one you have" (RFC 6749 6), so these two are
    // only ever overwritten, never removed.
    if (tokens.refreshToken !== undefined) put('refreshToken', tokens.refreshToken);
    if (tokens.idToken !== undefined) put('idToken', tokens.idToken);
    // The index entry follows the new expiry; without one we cannot tell when to refresh.
    if (tokens.accessTokenExpiresAt === undefined) {
      remove.push(`#shard`, `#due`);
      names['#shard'] = SHARD;
      names['#due'] = DUE;
    } else {
      set.push('#due = :due');
      names['#due'] = DUE;
      values[':due'] = tokens.accessTokenExpiresAt;
    }
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: KEY_PREFIX.session + idHash },
          UpdateExpression: `SET ${set.join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`,
          // Compare-and-swap: only the writer that read this version wins, and never on an ended session.
          ConditionExpression: 'attribute_exists(#pk) AND #version = :v AND #ttl > :now',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) {
        throw new ConflictError('session changed or ended', { cause: error });
      }
      throw error;
    }
  }

  async endSession(idHash: string, now: number): Promise<void> {
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [PK]: KEY_PREFIX.session + idHash },
          UpdateExpression: 'SET #ttl = :now, #version = #version + :one REMOVE #at, #rt, #it, #shard, #due',
          ConditionExpression: 'attribute_exists(#pk)',
          ExpressionAttributeNames: {
            '#pk': PK,
            '#ttl': TTL,
            '#version': 'version',
            '#at': 'accessToken',
            '#rt': 'refreshToken',
            '#it': 'idToken',
            '#shard': SHARD,
            '#due': DUE,
          },
          ExpressionAttributeValues: { ':now': now, ':one': 1 },
        }),
      );
    } catch (error) {
      // Already gone: the session is ended either way.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

function toItem(session: Session): Record<string, unknown> {
  return {
    [PK]: KEY_PREFIX.session + session.idHash,
    sub: session.sub,
    claims: session.claims,
    accessToken: session.accessToken,
    tokenType: session.tokenType,
    accessTokenExpiresAt: session.accessTokenExpiresAt,
    refreshToken: session.refreshToken,
    idToken: session.idToken,
    scope: session.scope,
    createdAt: session.createdAt,
    [TTL]: session.expiresAt,
    version: session.version,
  };
}

/** The sparse refresh-index attributes: only sessions that can be refreshed and say when are indexed. */
function refreshIndexEntry(idHash: string, tokens: SessionTokens): Record<string, unknown> {
  if (tokens.refreshToken === undefined || tokens.accessTokenExpiresAt === undefined) return {};
  return { [SHARD]: refreshShardOf(idHash), [DUE]: tokens.accessTokenExpiresAt };
}

function fromItem(item: Record<string, unknown>): Session {
  const pk = String(item[PK]);
  const optional = (name: string) =>
    typeof item[name] === 'string' || typeof item[name] === 'number' ? { [name]: item[name] } : {};
  return {
    idHash: pk.slice(KEY_PREFIX.session.length),
    claims: (item.claims as Record<string, unknown> | undefined) ?? {},
    accessToken: typeof item.accessToken === 'string' ? item.accessToken : '',
    tokenType: typeof item.tokenType === 'string' ? item.tokenType : 'bearer',
    createdAt: Number(item.createdAt),
    expiresAt: Number(item[TTL]),
    version: Number(item.version ?? 0),
    ...optional('sub'),
    ...optional('accessTokenExpiresAt'),
    ...optional('refreshToken'),
    ...optional('idToken'),
    ...optional('scope'),
  } as Session;
}

/** A document client configured once: drop undefined attributes instead of failing on them. */
export function createDocumentClient(
  client: DynamoDBClient = new DynamoDBClient({}),
): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

export function createDynamoStore(tableName: string): DynamoStore {
  return new DynamoStore(createDocumentClient(), tableName);
}

/**
 * Creates the table from TABLE_SCHEMA (local stack and tests; the construct builds the same shape
 * with CDK), TTL included.
 */
export async function createTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        { AttributeName: PK, AttributeType: TABLE_SCHEMA.partitionKey.type },
        { AttributeName: SHARD, AttributeType: INDEX.partitionKey.type },
        { AttributeName: DUE, AttributeType: INDEX.sortKey.type },
      ],
      KeySchema: [{ AttributeName: PK, KeyType: 'HASH' }],
      GlobalSecondaryIndexes: [
        {
          IndexName: INDEX.indexName,
          KeySchema: [
            { AttributeName: SHARD, KeyType: 'HASH' },
            { AttributeName: DUE, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
  await client.send(
    new UpdateTimeToLiveCommand({
      TableName: tableName,
      TimeToLiveSpecification: { AttributeName: TTL, Enabled: true },
    }),
  );
}
