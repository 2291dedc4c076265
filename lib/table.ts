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
  const keysOf = keySchemaReader(candidate);
  if (!keysOf) return;
  const expected = attribute(TABLE_SCHEMA.partitionKey);
  if (!hasKeys(keysOf(), expected)) {
    problems.push(`table must have the partition key "${expected.name}" (string) and no sort key`);
  }
  const index = TABLE_SCHEMA.refreshIndex;
  const pk = attribute(index.partitionKey);
  const sk = attribute(index.sortKey);
  if (!hasKeys(keysOf(index.indexName), pk, sk)) {
    problems.push(
      `table must have the global secondary index "${index.indexName}" (partition key "${pk.name}" string, sort key "${sk.name}" number)`,
    );
  }
  const subject = TABLE_SCHEMA.subjectIndex;
  const subjectPk = attribute(subject.partitionKey);
  if (!hasKeys(keysOf(subject.indexName), subjectPk)) {
    problems.push(
      `table must have the global secondary index "${subject.indexName}" (partition key "${subjectPk.name}" string, ` +
        `no sort key, projecting ${subject.projectedAttributes.map((a) => `"${a}"`).join(', ')})`,
    );
  }
}

type Key = ReturnType<typeof attribute>;
/** A table's or index's key attributes, in the multi-attribute form of `schemaV2()`. */
type KeyAttributes = { readonly partitionKeys: readonly Key[]; readonly sortKeys: readonly Key[] };

/**
 * How to read the key schema of the table or of one of its indexes, or undefined for a table that
 * carries none. Duck-typed: `instanceof Table` fails across two copies of aws-cdk-lib. Through
 * `schemaV2()` where the embedder's aws-cdk-lib has it: `schema()` is deprecated there, and
 * calling it prints a deprecation warning at every synth of the embedder's app (and throws under
 * `JSII_DEPRECATED=fail`); the aws-cdk-lib versions our peer range allows that predate
 * `schemaV2()` only have `schema()`, not deprecated in them. An index that does not exist reads as
 * no keys (both methods throw for it).
 */
function keySchemaReader(candidate: ITable): ((indexName?: string) => KeyAttributes) | undefined {
  const table = candidate as Partial<Pick<Table, 'schema' | 'schemaV2'>>;
  const { schema, schemaV2 } = table;
  let read: (indexName?: string) => KeyAttributes;
  if (typeof schemaV2 === 'function') read = (indexName) => schemaV2.call(table, indexName);
  else if (typeof schema === 'function') {
    read = (indexName) => {
      const { partitionKey, sortKey } = schema.call(table, indexName);
      return { partitionKeys: partitionKey ? [partitionKey] : [], sortKeys: sortKey ? [sortKey] : [] };
    };
  } else return undefined;
  return (indexName) => {
    try {
      return read(indexName);
    } catch {
      return { partitionKeys: [], sortKeys: [] };
    }
  };
}

/** Exactly this one partition key attribute, and this one sort key attribute or none. */
function hasKeys(keys: KeyAttributes, partitionKey: Key, sortKey?: Key): boolean {
  const same = (actual: readonly Key[], wanted: Key | undefined) =>
    wanted === undefined
      ? actual.length === 0
      : actual.length === 1 && actual[0]?.name === wanted.name && actual[0].type === wanted.type;
  return same(keys.partitionKeys, partitionKey) && same(keys.sortKeys, sortKey);
}

function attribute(key: { readonly name: string; readonly type: 'S' | 'N' | 'B' }) {
  const types = { S: AttributeType.STRING, N: AttributeType.NUMBER, B: AttributeType.BINARY } as const;
  return { name: key.name, type: types[key.type] };
}
