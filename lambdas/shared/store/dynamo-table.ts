import { CreateTableCommand, type DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb';
import { TABLE_SCHEMA } from '../definitions/table-schema.js';

const PK = TABLE_SCHEMA.partitionKey.name;
const TTL = TABLE_SCHEMA.timeToLiveAttribute;
const INDEX = TABLE_SCHEMA.refreshIndex;
const SHARD = INDEX.partitionKey.name;
const DUE = INDEX.sortKey.name;
const SUBJECT = TABLE_SCHEMA.subjectIndex;

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
        { AttributeName: SUBJECT.partitionKey.name, AttributeType: SUBJECT.partitionKey.type },
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
        {
          IndexName: SUBJECT.indexName,
          KeySchema: [{ AttributeName: SUBJECT.partitionKey.name, KeyType: 'HASH' }],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...SUBJECT.projectedAttributes] },
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
