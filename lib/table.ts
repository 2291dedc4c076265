/**
 * The table of login transactions and sessions, with the key schema, TTL attribute and refresh
 * index of TABLE_SCHEMA (defined once, lambdas/shared/definitions/table-schema.ts), and the check
 * of an existing table passed in.
 */
import {
  AttributeType,
  BillingMode,
  type ITable,
  ProjectionType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../lambdas/shared/definitions/table-schema.js';
import type { Settings } from './settings.js';

export function createTable(scope: Construct, settings: Settings): Table {
  const overrides = settings.tableProps;
  // The deprecated flag and its replacement cannot both be set; honour whichever the embedder used.
  const pitr =
    overrides.pointInTimeRecovery === undefined && overrides.pointInTimeRecoverySpecification === undefined
      ? { pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true } }
      : {};
  const encryption =
    overrides.encryption === undefined && overrides.encryptionKey === undefined
      ? { encryption: TableEncryption.AWS_MANAGED }
      : {};
  const table = new Table(scope, 'Table', {
    billingMode: BillingMode.PAY_PER_REQUEST,
    removalPolicy: settings.removalPolicy,
    ...pitr,
    ...encryption,
    ...overrides,
    partitionKey: attribute(TABLE_SCHEMA.partitionKey),
    timeToLiveAttribute: TABLE_SCHEMA.timeToLiveAttribute,
  });
  table.addGlobalSecondaryIndex({
    indexName: TABLE_SCHEMA.refreshIndex.indexName,
    partitionKey: attribute(TABLE_SCHEMA.refreshIndex.partitionKey),
    sortKey: attribute(TABLE_SCHEMA.refreshIndex.sortKey),
    // The refresh function reads the sessions straight from the index, without a second read per item.
    projectionType: ProjectionType.ALL,
  });
  table.addGlobalSecondaryIndex({
    indexName: TABLE_SCHEMA.subjectIndex.indexName,
    partitionKey: attribute(TABLE_SCHEMA.subjectIndex.partitionKey),
    // Back-channel logout needs the session key and its `sid`, nothing else: the index stays small and
    // token writes (refresh) never touch it.
    projectionType: ProjectionType.INCLUDE,
    nonKeyAttributes: [...TABLE_SCHEMA.subjectIndex.projectedAttributes],
  });
  return table;
}

/**
 * An existing table's schema can be checked when it is a CDK `Table` of this app; an imported one
 * (`Table.fromTableName`) carries no schema, so the README states what it must have.
 */
export function checkTableSchema(candidate: ITable, problems: string[]): void {
  // Duck-typed: `instanceof Table` fails across two copies of aws-cdk-lib.
  if (typeof (candidate as Partial<Table>).schema !== 'function') return;
  const table = candidate as Table;
  const { partitionKey, sortKey } = table.schema();
  const expected = attribute(TABLE_SCHEMA.partitionKey);
  if (partitionKey?.name !== expected.name || partitionKey.type !== expected.type || sortKey !== undefined) {
    problems.push(`table must have the partition key "${expected.name}" (string) and no sort key`);
  }
  const index = TABLE_SCHEMA.refreshIndex;
  let indexSchema: ReturnType<Table['schema']> | undefined;
  try {
    indexSchema = table.schema(index.indexName);
  } catch {
    indexSchema = undefined;
  }
  const pk = attribute(index.partitionKey);
  const sk = attribute(index.sortKey);
  if (
    indexSchema?.partitionKey?.name !== pk.name ||
    indexSchema.partitionKey.type !== pk.type ||
    indexSchema.sortKey?.name !== sk.name ||
    indexSchema.sortKey.type !== sk.type
  ) {
    problems.push(
      `table must have the global secondary index "${index.indexName}" (partition key "${pk.name}" string, sort key "${sk.name}" number)`,
    );
  }
  const subject = TABLE_SCHEMA.subjectIndex;
  let subjectSchema: ReturnType<Table['schema']> | undefined;
  try {
    subjectSchema = table.schema(subject.indexName);
  } catch {
    subjectSchema = undefined;
  }
  const subjectPk = attribute(subject.partitionKey);
  if (
    subjectSchema?.partitionKey?.name !== subjectPk.name ||
    subjectSchema.partitionKey.type !== subjectPk.type ||
    subjectSchema.sortKey !== undefined
  ) {
    problems.push(
      `table must have the global secondary index "${subject.indexName}" (partition key "${subjectPk.name}" string, ` +
        `no sort key, projecting ${subject.projectedAttributes.map((a) => `"${a}"`).join(', ')})`,
    );
  }
}

function attribute(key: { readonly name: string; readonly type: 'S' | 'N' | 'B' }) {
  const types = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;
  return { name: key.name, type: types[key.type] };
}
